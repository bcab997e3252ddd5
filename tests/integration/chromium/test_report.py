"""The daily report: rendered from the warehouse views, opened in headless Chromium, numbers checked against
the views (queried here with their own SQL), offline, accessible, and honest about missing data."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flightpipe.config import Settings, load_settings
from flightpipe.pipeline.runner import run_day
from flightpipe.report.palette import FIXED, airport_colours
from flightpipe.report.queries import read_report_rows
from flightpipe.report.render import minutes, number, pct, render_day, signed, write_report
from flightpipe.report.scope import ReportScope
from flightpipe.state.store import StateStore
from flightpipe.warehouse.base import SqlWarehouse
from flightpipe.warehouse.factory import open_warehouse
from tests.helpers.report_helpers import launched_chromium, load_truth, open_report
from tests.helpers.warehouse_helpers import quality_rows

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts"
AIRPORTS = ("EDDB", "EDDM", "EDDH", "EDDL", "EDDF")
DAY = dt.date(2024, 6, 9)
NINE_DAYS = [DAY - dt.timedelta(days=i) for i in range(8, -1, -1)]  # the day, and 8 before it
SECTIONS = ("scorecards", "on-time", "delays", "hourly", "routes-airlines", "worst", "cancellations", "status")
CHARTS = (
    "chart-on-time",
    "chart-delays",
    "chart-hourly",
    "chart-routes-volume",
    "chart-routes-delay",
    "chart-airlines-volume",
    "chart-airlines-delay",
    "chart-worst",
    "chart-cancellations",
)


def _settings(data_dir: Path, airports: tuple[str, ...] = AIRPORTS) -> Settings:
    return load_settings(data_dir=str(data_dir), airports=",".join(airports))


def _scope(settings: Settings) -> ReportScope:
    return ReportScope(tuple(settings.airports), tuple(str(b) for b in settings.boards), settings.paths())


def _open(settings: Settings, *, read_only: bool = False) -> SqlWarehouse:
    return open_warehouse(settings.warehouse, settings.paths(), read_only=read_only)


def _views(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _write(settings: Settings, day: dt.date, out: Path, days: int = 7) -> Path:
    warehouse = _open(settings, read_only=True)
    try:
        write_report(_scope(settings), warehouse, day, days, out)
    finally:
        warehouse.close()
    return out


#: For a chart's svg and a table id: is that table in the chart's section, beside the chart's figure (the
#: figure's container holds the table and no other chart), with rows of numbers?
CHART_TABLE_JS = """(svg, tableId) => {
    const table = document.getElementById(tableId);
    if (!table) return [false, false, false];
    const box = svg.closest('figure').parentElement;
    return [
        table.closest('section') === svg.closest('section'),
        box.contains(table) && box.querySelectorAll('svg[role=img]').length === 1,
        table.querySelectorAll('tbody tr td[data-value]').length > 0,
    ];
}"""


def _values(page: Any, selector: str) -> list[str]:
    return [str(v) for v in page.locator(selector).evaluate_all("els => els.map(e => e.dataset.value)")]


def _close(found: str, expected: Any) -> bool:
    if expected is None:
        return found == ""
    return math.isclose(float(found), float(expected), rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def five_airports(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Nine simulated days of the five default airports in a DuckDB warehouse."""
    settings = _settings(tmp_path_factory.mktemp("report") / "data")
    load_truth(settings, AIRPORTS, NINE_DAYS)
    return settings


@pytest.mark.slow
def test_the_report_opens_offline_without_errors_and_shows_every_section_with_the_views_numbers(
    five_airports: Settings, browser: Any, tmp_path: Path
) -> None:
    settings = five_airports
    path = _write(settings, DAY, tmp_path / "report.html")
    d = f"DATE '{DAY}'"
    with open_report(browser, path) as opened:
        page = opened.page
        assert opened.console_errors == []
        assert opened.outside_requests == []
        for section in SECTIONS:
            assert page.locator(f"section#{section} h2").is_visible(), section
        # Every chart is an accessible inline SVG with its alt text, paired with the table of its numbers.
        assert page.locator("svg[role=img]").count() == len(CHARTS)
        for chart in CHARTS:
            svg = page.locator(f"svg#{chart}-svg, svg[aria-labelledby^='{chart}-title']")
            assert svg.count() == 1, chart
            assert svg.get_attribute("role") == "img"
            assert page.locator(f"#{chart}-title").text_content()
            assert len(page.locator(f"#{chart}-desc").text_content() or "") > 40
            assert svg.evaluate(CHART_TABLE_JS, chart.replace("chart-", "table-", 1)) == [True, True, True], chart

        # Scorecards: both boards' movements and cancellations, the departures' on-time share, median and p90.
        daily = _views(
            settings,
            "SELECT airport_icao, board, movements, cancellations, on_time_share, median_delay_min, p90_delay_min"
            f" FROM daily_airport_performance WHERE local_date = {d}",
        )
        for icao in AIRPORTS:
            rows = {r[1]: r for r in daily if r[0] == icao}
            card = page.locator(f"#card-{icao}")
            movements = rows["departures"][2] + rows["arrivals"][2]
            assert card.locator("[data-metric=movements]").get_attribute("data-value") == str(movements)
            assert card.locator("[data-metric=movements]").inner_text().startswith(number(movements))
            cancellations = rows["departures"][3] + rows["arrivals"][3]
            assert card.locator("[data-metric=cancellations]").get_attribute("data-value") == str(cancellations)
            for metric, column in (("on_time_share", 4), ("median_delay_min", 5), ("p90_delay_min", 6)):
                found = card.locator(f"[data-metric={metric}]").get_attribute("data-value") or ""
                assert _close(found, rows["departures"][column]), (icao, metric)
            assert pct(rows["departures"][4]) in card.inner_text()
            assert minutes(rows["departures"][6]) in card.inner_text()

        # On-time trend: departures' on-time share per airport and day.
        trend = {
            (r[0], r[1]): r[2]
            for r in _views(
                settings,
                "SELECT airport_icao, local_date, on_time_share FROM daily_airport_performance"
                f" WHERE board = 'departures' AND local_date BETWEEN DATE '{DAY - dt.timedelta(days=6)}' AND {d}",
            )
        }
        cells = page.locator("#table-on-time td[data-date]").evaluate_all(
            "els => els.map(e => [e.closest('tr').dataset.airport, e.dataset.date, e.dataset.value])"
        )
        assert len(cells) == 7 * len(AIRPORTS)
        for icao, day, value in cells:
            assert _close(value, trend[(icao, dt.date.fromisoformat(day))]), (icao, day)

        # Delay distribution: movements per airport, board and band.
        bands = {
            (r[0], r[1], r[2]): r[3]
            for r in _views(
                settings,
                f"SELECT airport_icao, board, delay_band, movements FROM delay_distribution WHERE local_date = {d}",
            )
        }
        cells = page.locator("#table-delays td[data-band]").evaluate_all(
            "els => els.map(e => [e.closest('tr').dataset.airport, e.closest('tr').dataset.board,"
            " e.dataset.band, e.dataset.value])"
        )
        assert {(a, b, band): int(v) for a, b, band, v in cells if int(v)} == bands

        # Movements by local hour, both boards.
        hourly: dict[tuple[str, int], int] = defaultdict(int)
        for icao, hour, movements in _views(
            settings, f"SELECT airport_icao, local_hour, movements FROM hourly_movements WHERE local_date = {d}"
        ):
            hourly[(icao, hour)] += movements
        cells = page.locator("#table-hourly td[data-hour]").evaluate_all(
            "els => els.map(e => [e.dataset.airport, Number(e.dataset.hour), Number(e.dataset.value)])"
        )
        assert {(a, h): v for a, h, v in cells if v} == dict(hourly)

        # Top routes and airlines by volume (ties broken by key).
        routes = _views(
            settings,
            "SELECT dep_airport_icao || '-' || arr_airport_icao, flights FROM route_performance"
            f" WHERE flight_date = {d} ORDER BY flights DESC, dep_airport_icao, arr_airport_icao LIMIT 10",
        )
        shown = page.locator("#table-routes-volume tbody tr").evaluate_all(
            "els => els.map(e => [e.dataset.key, Number(e.querySelector('[data-col=flights]').dataset.value)])"
        )
        assert [tuple(r) for r in shown] == routes
        airlines = _views(
            settings,
            "SELECT airline_key, flights FROM airline_performance"
            f" WHERE flight_date = {d} ORDER BY flights DESC, airline_key LIMIT 10",
        )
        shown = page.locator("#table-airlines-volume tbody tr").evaluate_all(
            "els => els.map(e => [e.dataset.key, Number(e.querySelector('[data-col=flights]').dataset.value)])"
        )
        assert [tuple(r) for r in shown] == airlines
        delayed = _views(
            settings,
            "SELECT dep_airport_icao || '-' || arr_airport_icao, mean_dep_delay_min FROM route_performance"
            f" WHERE flight_date = {d} AND flights >= 3 AND mean_dep_delay_min IS NOT NULL"
            " ORDER BY mean_dep_delay_min DESC, dep_airport_icao, arr_airport_icao LIMIT 10",
        )
        shown = page.locator("#table-routes-delay tbody tr").evaluate_all(
            "els => els.map(e => [e.dataset.key, e.querySelector('[data-col=mean_dep_delay_min]').dataset.value])"
        )
        assert [k for k, _ in shown] == [k for k, _ in delayed]
        assert all(_close(v, e) for (_, v), (_, e) in zip(shown, delayed, strict=True))
        delayed = _views(
            settings,
            "SELECT airline_key, mean_dep_delay_min FROM airline_performance"
            f" WHERE flight_date = {d} AND flights >= 10 AND mean_dep_delay_min IS NOT NULL"
            " ORDER BY mean_dep_delay_min DESC, airline_key LIMIT 10",
        )
        shown = page.locator("#table-airlines-delay tbody tr").evaluate_all(
            "els => els.map(e => [e.dataset.key, e.querySelector('[data-col=mean_dep_delay_min]').dataset.value])"
        )
        assert len(delayed) == 10
        assert [k for k, _ in shown] == [k for k, _ in delayed]
        assert all(_close(v, e) for (_, v), (_, e) in zip(shown, delayed, strict=True))

        # Worst-delayed departures of the day.
        worst = _views(
            settings,
            "SELECT airport_icao, flight_iata, delay_min FROM airport_movements WHERE board = 'departures'"
            f" AND local_date = {d} AND delay_min IS NOT NULL ORDER BY delay_min DESC, airport_icao, flight_iata"
            " LIMIT 15",
        )
        shown = page.locator("#table-worst tbody tr").evaluate_all(
            "els => els.map(e => [e.dataset.airport, e.dataset.flight,"
            " Number(e.querySelector('[data-col=delay_min]').dataset.value)])"
        )
        assert [tuple(r) for r in shown] == worst

        # Cancellations per airport and board, and every cancelled movement listed.
        cells = page.locator("#table-cancellations td[data-board]").evaluate_all(
            "els => els.map(e => [e.closest('tr').dataset.airport, e.dataset.board, Number(e.dataset.value)])"
        )
        assert {(a, b): v for a, b, v in cells} == {(r[0], r[1]): r[3] for r in daily}
        listed = page.locator("#table-cancelled-flights tbody tr").count()
        assert listed == sum(r[3] for r in daily)

        # Freshness and quality of each airport: no run history here, no quality results.
        status = page.locator("#table-status tbody tr")
        assert status.count() == len(AIRPORTS)
        assert set(_values(page, "#table-status td[data-col=movements]")) == {
            str(sum(r[2] for r in daily if r[0] == a)) for a in AIRPORTS
        }
        assert page.locator("#table-status [data-col=quality]").all_inner_texts() == ["not checked"] * len(AIRPORTS)

        assert "SIMULATED DATA" in page.locator("header").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)


def test_every_chart_draws_an_airport_in_the_same_colour(five_airports: Settings, tmp_path: Path) -> None:
    html = _write(five_airports, DAY, tmp_path / "report.html").read_text()
    colours = airport_colours(AIRPORTS)
    for chart in ("chart-on-time", "chart-delays", "chart-hourly", "chart-cancellations"):
        svg = html[html.index(f'aria-labelledby="{chart}-title') :]
        svg = svg[: svg.index("</svg>")]
        for icao in AIRPORTS:
            assert colours[icao].lower() in svg.lower(), (chart, icao)
    for icao in AIRPORTS:  # the scorecard's stripe
        assert f'style="--c: {colours[icao]}" id="card-{icao}"' in html


@given(st.lists(st.from_regex(r"[A-Z]{4}", fullmatch=True), unique=True, min_size=1, max_size=40))
def test_every_airport_of_a_configuration_gets_its_own_colour_and_the_defaults_keep_theirs(codes: list[str]) -> None:
    colours = airport_colours(codes)
    assert list(colours) == codes
    assert len(set(colours.values())) == len(codes)
    assert all(colours[c] == FIXED[c] for c in codes if c in FIXED)


def test_the_palette_keeps_the_default_airports_colours_and_gives_others_distinct_ones() -> None:
    colours = airport_colours(["EGLL", "EDDF", "LFPG", "EDDM"])
    assert colours["EDDF"] == FIXED["EDDF"] and colours["EDDM"] == FIXED["EDDM"]
    assert len(set(colours.values())) == 4
    assert airport_colours(["EGLL", "LFPG"]) == {k: colours[k] for k in ("EGLL", "LFPG")}


def test_the_report_is_self_contained(five_airports: Settings, tmp_path: Path) -> None:
    html = _write(five_airports, DAY, tmp_path / "report.html").read_text()
    assert "<script" not in html and "@import" not in html and "@font-face" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert not re.search(r"url\((?!#)", html)  # only references to ids inside the page


# --- any screen: a phone's 360 px to a desktop's 1400 px --------------------------------------------------------

#: How far the page scrolls sideways, the boxes (not scroll boxes) whose content is wider than they are, and the
#: smallest text of a chart in CSS pixels.
FIT_JS = """() => {
    const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
    const wider = [...document.querySelectorAll('header, nav, main, section, figure, .card, .grid2 > *')]
        .filter(e => !scrolls(e) && e.scrollWidth > e.clientWidth + 1).map(e => e.id || e.className);
    const text = [...document.querySelectorAll('svg.chart text')].map(t => t.getBoundingClientRect().height)
        .filter(h => h > 0);
    return [document.documentElement.scrollWidth - window.innerWidth, wider, Math.min(...text)];
}"""


@pytest.mark.parametrize("width", [360, 1400])
def test_the_report_fits_the_screen_and_its_charts_stay_readable(
    five_airports: Settings, browser: Any, tmp_path: Path, width: int
) -> None:
    path = _write(five_airports, DAY, tmp_path / "report.html")
    with open_report(browser, path, width=width) as opened:
        page = opened.page
        overflow, wider, smallest_text = page.evaluate(FIT_JS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{width}px.png"), full_page=True)
        assert overflow <= 0 and wider == []
        assert smallest_text >= 8  # 10 pt chart text, shown at 70 % of its size or more
        # Every section's tables are in boxes of their own that scroll, so none of them widens the page.
        assert page.locator("table").count() == page.locator(".scroll > table").count()


def test_the_trend_labels_of_a_long_range_do_not_overlap() -> None:
    from flightpipe.report.charts import label_step, line_chart

    labels = [(DAY - dt.timedelta(days=29 - i)).strftime("%a %d %b") for i in range(30)]
    svg = line_chart("c", "t", "a", labels, {"EDDH": [0.5] * 30}, {"EDDH": "#000000"}, y_label="y", x_label="x")
    shown = [label for label in labels if f">{label}<" in svg]
    assert shown[-1] == labels[-1] and len(shown) == -(-30 // label_step(labels, 700)) and len(shown) <= 10


# --- an empty day, a missing airport ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_airports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of EDDH and EDDL only."""
    data_dir = tmp_path_factory.mktemp("small") / "data"
    load_truth(_settings(data_dir, ("EDDH", "EDDL")), ("EDDH", "EDDL"), [DAY - dt.timedelta(days=1), DAY])
    return data_dir


def test_an_empty_day_renders_without_errors_and_says_there_is_no_data(
    two_airports: Path, browser: Any, tmp_path: Path
) -> None:
    settings = _settings(two_airports, ("EDDH", "EDDL"))
    empty = DAY + dt.timedelta(days=10)  # and no data in the 7 days of the trend either
    with open_report(browser, _write(settings, empty, tmp_path / "empty.html")) as opened:
        page = opened.page
        assert opened.console_errors == [] and opened.outside_requests == []
        assert f"No flight data for {empty}." in page.locator("#empty-day").inner_text()
        for section in SECTIONS:
            assert page.locator(f"section#{section} h2").is_visible(), section
        assert page.locator("svg[role=img]").count() == 0
        assert page.locator("p.no-data").count() == len(CHARTS)
        assert page.locator("p.no-data").first.inner_text().startswith("No data for this chart.")
        assert page.locator("#table-status [data-col=freshness]").all_inner_texts() == ["no data", "no data"]
        assert f"newest day with data: {DAY}" in page.locator("#table-status").inner_text()


def test_a_day_with_a_missing_airport_renders_and_names_it(two_airports: Path, browser: Any, tmp_path: Path) -> None:
    settings = _settings(two_airports, ("EDDH", "EDDL", "EDDB"))
    with open_report(browser, _write(settings, DAY, tmp_path / "missing.html")) as opened:
        page = opened.page
        assert opened.console_errors == [] and opened.outside_requests == []
        assert "no flight data for EDDB" in page.locator("#missing-airports").inner_text()
        assert page.locator("#card-EDDB").inner_text().endswith(f"No data for EDDB on {DAY}.")
        assert page.locator("#card-EDDH [data-metric=movements]").get_attribute("data-value") != "0"
        assert f"No movements on {DAY} at EDDB." in page.locator("section#hourly").inner_text()
        assert f"No departures happened on {DAY} at EDDB." in page.locator("section#delays").inner_text()
        assert page.locator("svg[role=img]").count() == len(CHARTS)
        status = page.locator("#table-status tr[data-airport=EDDB] [data-col=freshness]")
        assert status.inner_text() == "no data"


@pytest.mark.slow
def test_a_day_held_by_quality_says_so_instead_of_no_data_and_counts_no_cancellations(
    browser: Any, tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=str(tmp_path / "data"),
        airports="EDDH",
        source={"type": "simulated", "defects": {"inconsistent_delay": 0.1}},
    )
    held = dt.date(2026, 6, 9)
    summary = run_day(settings, held, clock=lambda: dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC))
    assert summary.state == "failed quality" and summary.report_path
    with open_report(browser, Path(summary.report_path), width=360) as opened:
        page = opened.page
        assert page.locator("#empty-day").get_attribute("data-state") == "held by quality"
        assert page.locator("#empty-day strong").inner_text() == f"{held} is held by quality."
        assert page.locator("#card-EDDH .nodata").inner_text().startswith("Held by quality:")
        assert page.locator("#table-status [data-col=freshness]").all_inner_texts() == ["held by quality"]
        row = page.locator("#table-cancellations tr[data-airport=EDDH]")
        assert row.inner_text().split("\t")[1:] == ["held by quality: no flights to count"]
        assert "No flights to count at EDDH (held by quality)." in page.locator("section#cancellations").inner_text()
        assert page.evaluate(FIT_JS)[0] <= 0


def test_a_day_never_run_is_not_run_and_one_without_flights_says_no_flights() -> None:
    from flightpipe.report.render import NO_DATA, NO_FLIGHTS, NOT_RUN, empty_state
    from flightpipe.report.status import Freshness, Quality

    both = ("arrivals", "departures")
    checked, unchecked = Quality("EDDH", "pass"), Quality("EDDH", "not checked")
    assert empty_state(Freshness("EDDH", (), None, DAY), unchecked, both) == NOT_RUN
    assert empty_state(Freshness("EDDH", both, None, DAY), checked, both) == NO_FLIGHTS
    assert empty_state(Freshness("EDDH", ("arrivals",), None, DAY), checked, both) == NO_DATA
    assert empty_state(Freshness("EDDH", (), None, None, "no run history"), unchecked, both) == NO_DATA


# --- the run writes the report; freshness and quality -------------------------------------------------------


def test_each_run_writes_the_report_beside_the_data_and_records_its_path(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", ("EDDH",))
    clock = lambda: dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)  # noqa: E731
    summary = run_day(settings, dt.date(2026, 6, 8), clock=clock)
    expected = (tmp_path / "data" / "reports" / "2026-06-08.html").resolve()
    assert summary.state == "succeeded" and summary.report_error is None
    assert summary.report_path == str(expected) and expected.exists()
    assert StateStore.open(settings.resolved_ledger_path()).runs.recent()[0].summary["report_path"] == str(expected)
    html = expected.read_text()
    status = html[html.index('id="table-status"') :]
    assert '<span class="pill ok" data-col="freshness">ok</span>' in status
    assert "<td>arrivals, departures</td>" in status
    assert _quality_cells(html) == {"EDDH": "pass"}  # the run's own quality results, from the warehouse


def test_a_report_that_cannot_be_written_leaves_the_run_succeeded_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flightpipe.report.render as render

    def broken(*args: Any, **kwargs: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(render, "write_report", broken)
    settings = _settings(tmp_path / "data", ("EDDH",))
    summary = run_day(settings, dt.date(2026, 6, 8), clock=lambda: dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC))
    assert summary.state == "succeeded" and summary.rows_loaded > 0
    assert summary.report_path is None and summary.report_error == "OSError: disk full"


def _quality_html(settings: Settings, out: Path, *batches: pa.Table) -> str:
    """The report of DAY after loading ``batches`` of quality results (removed again afterwards)."""
    try:
        for batch in batches:
            warehouse = _open(settings)
            try:
                warehouse.load_quality_results(batch)
            finally:
                warehouse.close()
        return _write(settings, DAY, out).read_text()
    finally:
        con = duckdb.connect(str(settings.resolved_warehouse_path()))
        con.execute("DELETE FROM quality_results")
        con.close()


def _quality_cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-airport="(\w{4})">.*?data-col="quality">([^<]+)<', html, flags=re.DOTALL))


def _checked_later(results: pa.Table) -> pa.Table:
    later = pa.array([dt.datetime(2026, 6, 20, 9, 0, tzinfo=dt.UTC)] * results.num_rows, results["checked_at_utc"].type)
    return results.set_column(results.schema.get_field_index("checked_at_utc"), "checked_at_utc", later)


def test_quality_shows_the_worst_outcome_per_airport_and_not_checked_without_results(
    two_airports: Path, tmp_path: Path
) -> None:
    settings = _settings(two_airports, ("EDDH", "EDDL"))
    before = DAY - dt.timedelta(days=1)
    html = _quality_html(
        settings,
        tmp_path / "q.html",
        quality_rows(
            ("r1", "board", DAY, "EDDH", "departures", "volume_band", "fail", ["EDDH departures: 12 records"]),
            ("r1", "board", DAY, "EDDH", "arrivals", "null_share", "warn", []),
            ("r1", "board", before, "EDDL", "arrivals", "volume_band", "fail", []),  # another day
        ),
    )
    assert _quality_cells(html) == {"EDDH": "fail", "EDDL": "not checked"}
    assert "volume_band" in html[html.index('id="table-status"') :]


def test_quality_shows_the_latest_check_of_each_board_and_a_flight_date_result_for_every_airport(
    two_airports: Path, tmp_path: Path
) -> None:
    settings = _settings(two_airports, ("EDDH", "EDDL"))
    first = quality_rows(
        ("r1", "board", DAY, "EDDH", "departures", "volume_band", "fail", []),
        ("r1", "board", DAY, "EDDH", "arrivals", "null_share", "warn", []),
    )
    recollected = _checked_later(quality_rows(("r2", "board", DAY, "EDDH", "departures", "volume_band", "pass", [])))
    flight_date = quality_rows(("r1", "flight_date", DAY, None, None, "dedup_report", "pass", []))
    html = _quality_html(settings, tmp_path / "q.html", first, recollected, flight_date)
    assert _quality_cells(html) == {"EDDH": "warn", "EDDL": "pass"}


# --- the command line, and other engines --------------------------------------------------------------------


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    env.update(FLIGHTPIPE__DATA_DIR=str(data_dir), FLIGHTPIPE__AIRPORTS="EDDH,EDDL", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "flightpipe.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_report_command_writes_the_file_and_prints_where(two_airports: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "day.html"
    result = _cli("report", "--date", DAY.isoformat(), "--days", "2", "--out", str(out), data_dir=two_airports)
    assert result.returncode == 0, result.stderr
    assert str(out.resolve()) in result.stdout.replace("\n", "")
    assert "On-time share by airport, last 2 days" in out.read_text()


def test_report_command_refuses_a_bad_number_of_days(two_airports: Path) -> None:
    result = _cli("report", "--date", DAY.isoformat(), "--days", "0", data_dir=two_airports)
    assert result.returncode == 2 and "--days must be between 1 and 92, got 0" in result.stderr


def test_the_report_reads_the_same_rows_on_postgresql_as_on_duckdb(postgres_database: str, tmp_path: Path) -> None:
    airports, days = ("EDDH", "EDDL"), [DAY - dt.timedelta(days=1), DAY]
    found = []
    for warehouse_url in (None, postgres_database):
        settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH,EDDL", warehouse=warehouse_url)
        load_truth(settings, airports, days)
        warehouse = _open(settings, read_only=True)
        try:
            found.append(read_report_rows(warehouse, DAY, airports, 7))
            assert "Flight report" in render_day(_scope(settings), warehouse, DAY)
        finally:
            warehouse.close()
    duck, postgres = found
    for name in ("daily", "delay_bands", "hourly", "routes", "airlines", "worst", "cancelled", "latest_dates"):
        assert _rounded(getattr(postgres, name)) == _rounded(getattr(duck, name)), name
    assert duck.daily and duck.routes and duck.worst


def _rounded(value: Any) -> Any:
    """Floats to 9 places: the engines' averages may differ in the last bit."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return _rounded([getattr(value, f) for f in value.__dataclass_fields__])
    return value


def test_report_help_names_its_options(tmp_path: Path) -> None:
    result = _cli("report", "--help", data_dir=tmp_path)
    assert result.returncode == 0
    for option in ("--date", "--days", "--out", "self-contained HTML"):
        assert option in result.stdout


def test_without_chromium_the_browser_tests_fail_under_ci_and_skip_with_the_reason_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tests.helpers.report_helpers as helpers

    monkeypatch.setattr(helpers, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs headless Chromium.*/nonexistent/chromium is missing"):
        helpers.launched_chromium().__enter__()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        helpers.launched_chromium().__enter__()


def test_scorecard_changes_compare_with_the_previous_seven_days_of_the_views(five_airports: Settings) -> None:
    from flightpipe.report.model import scorecards

    warehouse = _open(five_airports, read_only=True)
    try:
        cards = {c.airport_icao: c for c in scorecards(read_report_rows(warehouse, DAY, AIRPORTS, 7))}
    finally:
        warehouse.close()
    week = f"local_date BETWEEN DATE '{DAY - dt.timedelta(days=7)}' AND DATE '{DAY - dt.timedelta(days=1)}'"
    expected = _views(
        five_airports,
        "SELECT airport_icao, avg(movements), avg(cancellations) FROM (SELECT airport_icao, local_date,"
        " sum(movements) AS movements, sum(cancellations) AS cancellations FROM daily_airport_performance"
        f" WHERE {week} GROUP BY ALL) GROUP BY airport_icao",
    )
    departures = _views(
        five_airports,
        "SELECT airport_icao, sum(on_time) / sum(operated), avg(median_delay_min), avg(p90_delay_min),"
        f" count(*) FROM daily_airport_performance WHERE board = 'departures' AND {week} GROUP BY airport_icao",
    )
    for icao, movements, cancellations in expected:
        change = cards[icao].change
        assert math.isclose(change["movements"].baseline or 0, movements)
        assert math.isclose(change["movements"].delta or 0, cards[icao].movements - movements)
        assert math.isclose(change["cancellations"].baseline or 0, cancellations)
    for icao, on_time, median, p90, days in departures:
        change = cards[icao].change
        assert days == 7 and change["on_time_share"].days == 7
        assert math.isclose(change["on_time_share"].baseline or 0, on_time)
        assert math.isclose(change["on_time_share"].delta or 0, (cards[icao].on_time_share or 0) - on_time)
        assert change["on_time_share"].better == ((cards[icao].on_time_share or 0) > on_time)
        assert math.isclose(change["median_delay_min"].baseline or 0, median)
        assert math.isclose(change["p90_delay_min"].baseline or 0, p90)
        assert change["p90_delay_min"].better == ((cards[icao].p90_delay_min or 0) < p90)


def test_every_report_statement_transpiles_to_postgresql_and_redshift() -> None:
    from flightpipe.report.queries import report_statements
    from flightpipe.warehouse.views import transpile

    for name, sql in report_statements(DAY, AIRPORTS, 7).items():
        for dialect in ("postgres", "redshift"):
            assert "SELECT" in transpile(sql, dialect), (name, dialect)


#: Each scorecard metric's change as the page writes it: (unit, digits, scale, higher is better).
CHANGE_FORMAT: dict[str, tuple[str, int, int, bool | None]] = {
    "movements": ("", 0, 1, None),
    "cancellations": ("", 1, 1, False),
    "on_time_share": (" pp", 1, 100, True),
    "median_delay_min": (" min", 0, 1, False),
    "p90_delay_min": (" min", 0, 1, False),
}


def _expected_change(value: float, baseline: float, metric: str) -> tuple[str, str, str]:
    """The change's text, title and colour class for ``value`` against ``baseline``, as a reader sees them."""
    unit, digits, scale, higher_is_better = CHANGE_FORMAT[metric]
    delta = (value - baseline) * scale
    shown = round(delta, digits)
    arrow = "●" if shown == 0 else "▲" if delta > 0 else "▼"
    if shown == 0 or higher_is_better is None:
        colour = "neutral"
    else:
        colour = "good" if (delta > 0) == higher_is_better else "bad"
    text = f"{arrow} {signed(delta, unit, digits)} vs the 7-day average"
    return text, f"baseline {round(baseline * scale, 1)}{unit} over 7 previous days", colour


def _scorecard_values_and_baselines(settings: Settings) -> dict[tuple[str, str], tuple[float, float]]:
    """(airport, metric) -> (the day's value, the mean or pooled value of the 7 days before), from the views."""
    week = f"local_date BETWEEN DATE '{DAY - dt.timedelta(days=7)}' AND DATE '{DAY - dt.timedelta(days=1)}'"
    both_boards = _views(
        settings,
        "SELECT airport_icao, local_date = DATE '" + DAY.isoformat() + "' AS today, avg(movements),"
        " avg(cancellations) FROM (SELECT airport_icao, local_date, sum(movements) AS movements,"
        " sum(cancellations) AS cancellations FROM daily_airport_performance"
        f" WHERE {week} OR local_date = DATE '{DAY}' GROUP BY ALL) GROUP BY ALL",
    )
    departures = _views(
        settings,
        "SELECT airport_icao, local_date = DATE '" + DAY.isoformat() + "' AS today, sum(on_time) / sum(operated),"
        " avg(median_delay_min), avg(p90_delay_min) FROM daily_airport_performance WHERE board = 'departures'"
        f" AND ({week} OR local_date = DATE '{DAY}') GROUP BY ALL",
    )
    found: dict[tuple[str, str, bool], float] = {}
    for icao, today, movements, cancellations in both_boards:
        found |= {(icao, "movements", today): movements, (icao, "cancellations", today): cancellations}
    for icao, today, on_time, median, p90 in departures:
        found |= {
            (icao, "on_time_share", today): on_time,
            (icao, "median_delay_min", today): median,
            (icao, "p90_delay_min", today): p90,
        }
    return {(icao, m): (found[(icao, m, True)], found[(icao, m, False)]) for icao in AIRPORTS for m in CHANGE_FORMAT}


@pytest.mark.slow
def test_the_page_shows_each_scorecard_change_against_the_previous_seven_days_of_the_views(
    five_airports: Settings, browser: Any, tmp_path: Path
) -> None:
    expected = _scorecard_values_and_baselines(five_airports)
    with open_report(browser, _write(five_airports, DAY, tmp_path / "report.html")) as opened:
        for (icao, metric), (value, baseline) in expected.items():
            change = opened.page.locator(f"#card-{icao} [data-metric={metric}] ~ dd .change")
            text, title, colour = _expected_change(value, baseline, metric)
            assert " ".join((change.text_content() or "").split()) == text, (icao, metric)
            assert change.get_attribute("title") == title, (icao, metric)
            assert (change.get_attribute("class") or "").split() == ["change", colour], (icao, metric)


def test_routes_and_airlines_count_only_flights_at_the_report_airports(two_airports: Path, tmp_path: Path) -> None:
    # The warehouse holds EDDH and EDDL; the report is of EDDH alone (a narrower configuration).
    settings = _settings(two_airports, ("EDDH",))
    d = f"DATE '{DAY}'"
    html = _write(settings, DAY, tmp_path / "eddh.html").read_text()
    shown_routes = re.findall(r'<tr data-key="(\w{4})-(\w{4})">', html)
    assert shown_routes and all("EDDH" in route for route in shown_routes)

    warehouse = _open(settings, read_only=True)
    try:
        rows = read_report_rows(warehouse, DAY, ("EDDH",), 7)
    finally:
        warehouse.close()
    routes = _views(
        settings,
        "SELECT dep_airport_icao, arr_airport_icao, flights FROM route_performance"
        f" WHERE flight_date = {d} AND 'EDDH' IN (dep_airport_icao, arr_airport_icao)",
    )
    assert sorted((r.dep_airport_icao, r.arr_airport_icao, r.flights) for r in rows.routes) == sorted(routes)
    airlines = _views(
        settings,
        "SELECT coalesce(airline_icao, airline_iata), count(*) FROM fact_flights"
        f" WHERE flight_date = {d} AND 'EDDH' IN (dep_airport_icao, arr_airport_icao) GROUP BY ALL",
    )
    assert {a.airline_key: a.flights for a in rows.airlines} == dict(airlines)
