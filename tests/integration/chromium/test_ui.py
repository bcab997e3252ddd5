"""The operations console (``flightpipe ui``) served by uvicorn and driven in headless Chromium, over a simulated
store of two airports and three days: two clean, the last stopped by the quality gate with records quarantined.

Every page's facts are asserted against the ledger, the warehouse and the files; the browser may fetch nothing
but the console (every other request is recorded and refused); the actions run last, as they change the store.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pytest
import uvicorn

from flightpipe.config import Settings, load_settings
from flightpipe.monitoring.status import build_status
from flightpipe.ui.app import create_app
from tests.helpers.report_helpers import launched_chromium
from tests.helpers.simulated_store import SimulatedRun, SimulatedStores

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts"
AIRPORTS = ("EDDH", "EDDM")
BAD_DAY = dt.date(2026, 6, 9)
RUNS = (
    BAD_DAY - dt.timedelta(days=2),
    BAD_DAY - dt.timedelta(days=1),
    SimulatedRun.with_defects(BAD_DAY, {"inconsistent_delay": 0.1}, state="failed quality"),
)
#: The console's clock: the morning after the last run.
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
#: The fix an operator makes before replaying: the rule that quarantined the records only warns.
FIXED_QUALITY = {"delay_consistent": {"level": "warn"}}


@dataclass
class Console:
    settings: Settings
    url: str
    page: Any
    outside: list[str] = field(default_factory=list)

    def open(self, path: str) -> Any:
        answer = self.page.goto(self.url + path, wait_until="load")
        assert answer is not None and answer.status < 400, (path, answer and answer.status)
        return self.page

    def ledger(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"{self.settings.resolved_ledger_path().as_uri()}?mode=ro", uri=True)
        try:
            return [tuple(r) for r in con.execute(sql, params).fetchall()]
        finally:
            con.close()

    def warehouse(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.settings.resolved_warehouse_path()), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, simulated_stores: SimulatedStores) -> Iterator[Console]:
    data = tmp_path_factory.mktemp("console") / "data"
    simulated_stores.copy(data, AIRPORTS, RUNS)
    settings = load_settings(data_dir=str(data), airports=",".join(AIRPORTS), quality=FIXED_QUALITY)
    port = _free_port()
    app = create_app(settings, allow_actions=True, now=lambda: NOW)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        with launched_chromium() as chromium:
            context = chromium.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
            page = context.new_page()
            opened = Console(settings, url, page)

            def route(route: Any) -> None:
                if route.request.url.startswith(url + "/"):
                    route.continue_()
                else:
                    opened.outside.append(route.request.url)
                    route.abort()

            context.route("**/*", route)
            yield opened
            context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _nothing_fetched_from_outside(console: Console) -> Iterator[None]:
    yield
    assert console.outside == []


def _cells(page: Any, selector: str, *attributes: str) -> list[tuple[str, ...]]:
    script = f"els => els.map(e => [{', '.join(f'e.dataset.{a}' for a in attributes)}])"
    return [tuple(row) for row in page.locator(selector).evaluate_all(script)]


# Home ---------------------------------------------------------------------------------------------------------


def test_home_colours_each_day_airport_and_board_by_its_latest_run_and_quality(console: Console) -> None:
    page = console.open("/?days=5")
    runs = console.ledger("SELECT day, run_id, state FROM runs ORDER BY started_at")
    latest = {day: (run_id, state) for day, run_id, state in runs}
    held = {
        (day, airport, board)
        for day, airport, board in console.ledger(
            "SELECT partition_date, airport_icao, board FROM quality_results"
            " WHERE scope = 'board' AND outcome = 'fail' AND overridden = 0"
        )
    }
    expected = []
    for offset in range(5):
        day = (BAD_DAY - dt.timedelta(days=offset)).isoformat()
        for airport in AIRPORTS:
            for board in ("departures", "arrivals"):
                state = latest[day][1] if day in latest else "never run"
                if (day, airport, board) in held:
                    state = "failed quality"
                expected.append((day, airport, board, state))
    found = [
        (day, airport, board, state)
        for day in [(BAD_DAY - dt.timedelta(days=o)).isoformat() for o in range(5)]
        for airport, board, state in _cells(page, f"#grid tr[data-day='{day}'] td.cell", "airport", "board", "state")
    ]
    assert found == expected
    assert {s for *_, s in found} == {"succeeded", "failed quality", "never run"}
    # The README's picture (docs/img/console.png) is this page.
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console.png"))


def test_home_shows_the_status_facts_the_cli_shows(console: Console) -> None:
    page = console.open("/?days=5")
    status = build_status(console.settings.paths(), console.settings.alerts, console.settings.schedule, NOW, days=5)
    assert page.locator("#latest-run").text_content() == status.latest_run
    assert page.locator("#next-run").text_content() == status.next_run
    assert page.locator("#problems li").all_text_contents() == status.problems
    assert _cells(page, "#grid tbody tr", "day", "state") == [(d.day, d.state) for d in status.days]


def test_home_links_each_day_to_its_report_and_the_report_opens(console: Console) -> None:
    page = console.open("/?days=5")
    stored = sorted(p.stem for p in (Path(console.settings.data_dir) / "reports").glob("*.html"))
    links = page.locator("#grid a.report").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert sorted(links) == [f"/reports/{day}" for day in stored] and stored
    with page.expect_navigation():
        page.locator(f"#grid a.report[href='/reports/{stored[-1]}']").click()
    assert page.url == f"{console.url}/reports/{stored[-1]}"
    assert "Flight report" in page.content()


# Runs ---------------------------------------------------------------------------------------------------------


def test_runs_lists_every_run_and_filters_by_state(console: Console) -> None:
    page = console.open("/runs")
    expected = console.ledger("SELECT run_id, state FROM runs ORDER BY started_at DESC, run_id DESC")
    assert _cells(page, "#runs tbody tr", "run", "state") == expected
    page = console.open("/runs?state=" + quote("failed quality"))
    assert _cells(page, "#runs tbody tr", "run", "state") == [r for r in expected if r[1] == "failed quality"]


def test_a_run_page_shows_every_step_with_its_counts_and_the_run_metrics(console: Console) -> None:
    (run_id,) = console.ledger("SELECT run_id FROM runs WHERE state = 'failed quality'")[0]
    page = console.open(f"/runs/{run_id}")
    steps = console.ledger("SELECT stage, target, state FROM steps WHERE run_id = ? ORDER BY step_id", run_id)
    assert _cells(page, "#steps tbody tr", "stage", "target", "state") == steps
    assert page.locator("#steps tbody tr svg rect").count() == len(steps)
    assert page.locator("#run-state").text_content() == "failed quality"
    summary = json.loads(console.ledger("SELECT summary FROM runs WHERE run_id = ?", run_id)[0][0])
    metrics = page.locator("#metrics tr").evaluate_all("els => els.map(e => e.dataset.metric)")
    assert metrics == list(summary)
    quarantined = page.locator("#metrics tr[data-metric=records_quarantined] td").text_content()
    assert quarantined == str(summary["records_quarantined"]) and summary["records_quarantined"] > 0


# Quality ------------------------------------------------------------------------------------------------------


def _quarantined_by_rule(console: Console) -> dict[str, int]:
    files = str(Path(console.settings.data_dir) / "quarantine" / "*" / BAD_DAY.isoformat() / "*.jsonl")
    con = duckdb.connect()
    try:
        return dict(con.execute(f"SELECT rule, count(*) FROM read_json('{files}') GROUP BY rule").fetchall())
    finally:
        con.close()


def test_quality_shows_rules_by_day_and_the_failures_with_what_to_do(console: Console) -> None:
    page = console.open("/quality")
    failed_rules = {
        r[0]
        for r in console.ledger(
            "SELECT DISTINCT rule FROM quality_results WHERE partition_date = ? AND outcome = 'fail'",
            BAD_DAY.isoformat(),
        )
    }
    assert failed_rules == {"quarantine_share"}
    cell = page.locator(f"#quality-matrix tr[data-rule=quarantine_share] td[data-day='{BAD_DAY}']")
    assert cell.get_attribute("data-outcome") == "fail"
    clean = page.locator(f"#quality-matrix tr[data-rule=quarantine_share] td[data-day='{BAD_DAY - dt.timedelta(1)}']")
    assert clean.get_attribute("data-outcome") == "pass"
    messages = console.ledger(
        "SELECT message FROM quality_results WHERE partition_date = ? AND outcome = 'fail' ORDER BY result_id",
        BAD_DAY.isoformat(),
    )
    assert page.locator("#failures td.message").all_text_contents() == [m for (m,) in messages]
    remedy = page.locator("#remedy").text_content() or ""
    assert f"flightpipe quarantine --date {BAD_DAY}" in remedy


def test_the_quarantine_browser_groups_the_records_by_rule(console: Console) -> None:
    page = console.open(f"/quality?day={BAD_DAY}")
    expected = _quarantined_by_rule(console)
    # required_keys: codeshares that went to quarantine with their operator's record (operator_quarantined)
    assert set(expected) == {"delay_consistent", "required_keys"}
    shown = {
        rule: int(page.locator(f"details.quarantine[data-rule={rule}] summary .count").text_content() or 0)
        for rule in page.locator("details.quarantine").evaluate_all("els => els.map(e => e.dataset.rule)")
    }
    assert shown == expected


# Reports ------------------------------------------------------------------------------------------------------


def test_reports_lists_every_stored_report(console: Console) -> None:
    page = console.open("/reports")
    stored = sorted((p.stem for p in (Path(console.settings.data_dir) / "reports").glob("*.html")), reverse=True)
    assert _cells(page, "#reports tbody tr", "day") == [(d,) for d in stored]


# Flights ------------------------------------------------------------------------------------------------------


def test_flight_search_by_route_and_date_finds_the_warehouse_flights(console: Console) -> None:
    day = BAD_DAY - dt.timedelta(days=2)
    page = console.open(f"/flights?route=EDDH-EDDM&date={day}")
    expected = console.warehouse(
        "SELECT coalesce(flight_iata, flight_icao), dep_airport_icao FROM fact_flights WHERE flight_date ="
        f" DATE '{day}' AND dep_airport_icao = 'EDDH' AND arr_airport_icao = 'EDDM'"
    )
    assert expected
    assert sorted(_cells(page, "#flights tbody tr", "flight", "dep")) == sorted(expected)


def test_a_flight_page_shows_both_ends_its_codeshares_and_where_it_came_from(console: Console) -> None:
    day = BAD_DAY - dt.timedelta(days=2)
    number, dep, arr, dep_sched, codeshares = console.warehouse(
        "SELECT flight_iata, dep_airport_icao, arr_airport_icao, dep_scheduled_utc, codeshare_count"
        f" FROM fact_flights WHERE flight_date = DATE '{day}' AND dep_airport_icao = 'EDDH'"
        " AND arr_airport_icao = 'EDDM' AND codeshare_count > 0 ORDER BY flight_iata LIMIT 1"
    )[0]
    page = console.open(f"/flights?number={number}&date={day}")
    with page.expect_navigation():
        page.locator(f"#flights tr[data-flight='{number}'] a").click()
    assert page.locator("#flight-number").text_content() == number
    assert (page.locator("#dep h2").text_content() or "").startswith(f"Departure: {dep}")
    assert (page.locator("#arr h2").text_content() or "").startswith(f"Arrival: {arr}")
    assert page.locator("[data-field=dep_scheduled_utc]").text_content() == str(dep_sched)
    shares = console.warehouse(
        f"SELECT codeshare_flight_iata FROM flight_codeshares WHERE flight_date = DATE '{day}'"
        f" AND flight_iata = '{number}' AND dep_airport_icao = '{dep}' ORDER BY 1"
    )
    assert page.locator("#codeshares li").all_text_contents() == [s for (s,) in shares] and len(shares) == codeshares
    raw_keys = page.locator("#lineage tbody tr").evaluate_all("els => els.map(e => e.dataset.rawKey)")
    # Both boards saw it (EDDH departures, EDDM arrivals), each file a raw file in the store.
    assert {k.split("/")[1] for k in raw_keys} == {dep, arr}
    assert all((Path(console.settings.data_dir) / k).is_file() for k in raw_keys)


# Query --------------------------------------------------------------------------------------------------------


def _query(console: Console, sql: str) -> Any:
    page = console.open("/query")
    page.locator("#query-form textarea").fill(sql)
    with page.expect_navigation():
        page.locator("#query-form button").click()
    return page


def test_query_shows_the_rows_and_downloads_them_as_csv(console: Console, tmp_path: Path) -> None:
    sql = "SELECT dep_airport_icao, count(*) AS n FROM fact_flights GROUP BY ALL ORDER BY 1"
    page = _query(console, sql)
    expected = console.warehouse(sql)
    rows = page.locator("#result tbody tr").evaluate_all("els => els.map(r => [...r.cells].map(c => c.textContent))")
    assert rows == [[a, str(n)] for a, n in expected]
    with page.expect_download() as download:
        page.locator("#csv").click()
    saved = tmp_path / "q.csv"
    download.value.save_as(saved)
    assert saved.read_text().splitlines() == ["dep_airport_icao,n", *(f"{a},{n}" for a, n in expected)]


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("DELETE FROM fact_flights", "only SELECT runs here, not DELETE"),
        ("CREATE TABLE t AS SELECT 1", "only SELECT runs here, not CREATE"),
        ("COPY fact_flights TO '{outside}/copied.csv'", "only SELECT runs here, not COPY"),
        ("ATTACH '{outside}/other.duckdb' AS other", "only SELECT runs here, not ATTACH"),
        ("SELECT * FROM read_csv('/etc/passwd')", 'Cannot access file "/etc/passwd"'),
        ("SELECT * FROM read_text('{data}/../outside.txt')", "Cannot access file"),
        ("SELECT 1; DELETE FROM fact_flights", "one SELECT statement at a time, got 2"),
    ],
)
def test_query_refuses_writes_and_files_outside_the_data_folder(
    console: Console, tmp_path: Path, sql: str, refusal: str
) -> None:
    data = Path(console.settings.data_dir)
    (data.parent / "outside.txt").write_text("secret")
    flights = console.warehouse("SELECT count(*) FROM fact_flights")
    page = _query(console, sql.format(outside=tmp_path, data=data))
    assert refusal in (page.locator("#query-error").text_content() or "")
    assert page.locator("#result").count() == 0
    assert console.warehouse("SELECT count(*) FROM fact_flights") == flights
    assert list(tmp_path.iterdir()) == []


# Actions (last: they change the store) ------------------------------------------------------------------------


def _finished_job(page: Any) -> dict[str, str]:
    page.wait_for_selector("#job[data-state=done], #job[data-state=failed]", timeout=60_000)
    return {"state": page.locator("#job-state").text_content() or ""}


@pytest.mark.slow
def test_replay_from_the_quality_page_recovers_the_quarantined_records(console: Console) -> None:
    before = sum(_quarantined_by_rule(console).values())
    page = console.open(f"/quality?day={BAD_DAY}")
    with page.expect_navigation():
        page.locator("#replay-form button").click()
    assert _finished_job(page) == {"state": "done"}
    run_id = page.locator("#job-runs tbody tr").get_attribute("data-run")
    assert console.ledger("SELECT kind, state FROM runs WHERE run_id = ?", run_id) == [("replay", "succeeded")]
    assert page.locator("#job-messages li").all_text_contents() == [
        f"replay recovered {before} records; 0 still quarantined"
    ]
    page = console.open(f"/quality?day={BAD_DAY}")
    assert page.locator("#no-quarantine").count() == 1
    # The replay checked the boards again: their latest check replaces the failures of the run before.
    assert page.locator("#no-failures").count() == 1


@pytest.mark.slow
def test_running_a_day_from_the_actions_page_shows_its_progress_and_records_the_run(console: Console) -> None:
    day = BAD_DAY + dt.timedelta(days=1)
    page = console.open("/actions")
    page.locator("#run-form input[name=day]").fill(day.isoformat())
    with page.expect_navigation():
        page.locator("#run-form button").click()
    assert _finished_job(page) == {"state": "done"}
    run_id = page.locator("#job-runs tbody tr").get_attribute("data-run")
    assert console.ledger("SELECT day, kind, state FROM runs WHERE run_id = ?", run_id) == [
        (day.isoformat(), "run", "succeeded")
    ]
    stages = page.locator("#job-stages .stage").evaluate_all("els => els.map(e => e.dataset.stage)")
    assert "collect" in stages and "load" in stages
    page = console.open("/?days=3")
    assert {s for (s,) in _cells(page, f"#grid tr[data-day='{day}'] td.cell", "state")} == {"succeeded"}
