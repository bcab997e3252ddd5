"""The report as one self-contained HTML file: inline CSS, inline SVG charts, no scripts, no fonts, no links out.

``build_report`` turns warehouse rows into HTML; ``write_report`` builds the report of a day from an open
warehouse and writes it (by default beside the data, ``reports/<date>.html``). What the report covers (airports,
boards) and where it reads and writes (``DataPaths``) come in a ``ReportScope``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from flightpipe.core.clock import utc_now
from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact
from flightpipe.core.store import ObjectStore
from flightpipe.report import charts, model
from flightpipe.report.palette import NEUTRAL, airport_colours
from flightpipe.report.queries import ReportRows, read_report_rows
from flightpipe.report.scope import ReportScope
from flightpipe.report.status import Freshness, Quality, read_freshness, read_quality
from flightpipe.report.summary import ON_TIME_MINUTES
from flightpipe.warehouse.base import SqlWarehouse

DEFAULT_DAYS = 7
MAX_DAYS = 92
REPORTS_PREFIX = "reports"


def report_key(day: dt.date) -> str:
    """Where a day's report lives in the object store (beside raw/, processed/, ...)."""
    return f"{REPORTS_PREFIX}/{day.isoformat()}.html"


# Formatting (also used by the template) -----------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} min"


def number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}".replace(",", " ")


def signed(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return ""
    text = f"{abs(value):.{digits}f}"
    sign = "±" if float(text) == 0 else "+" if value > 0 else "−"
    return f"{sign}{text}{unit}"


def data_value(value: Any) -> str:
    """The exact number behind a cell, for machines (tests, scrapers): repr of the float, '' for none."""
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


# The page ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusRow:
    airport_icao: str
    movements: int
    freshness: Freshness
    quality: Quality
    latest_date: dt.date | None
    state: str  # ok | incomplete | unknown, or without data: held by quality | not run | no flights | no data
    detail: str


#: Why an airport has no flights in the report, in the words the page (and `flightpipe summary`) uses.
HELD, NOT_RUN, NO_FLIGHTS, NO_DATA = "held by quality", "not run", "no flights", "no data"


def empty_state(fresh: Freshness, quality: Quality, boards: tuple[str, ...]) -> str:
    """Why an airport has no flights on the day: the quality gate held its data back (a fail-level result of
    the day), the day was never collected for it, its boards were collected and list no flight, or (without a
    run history to tell) simply no data."""
    if quality.level == "fail":
        return HELD
    if fresh.note:
        return NO_DATA
    if not fresh.boards_collected:
        return NOT_RUN
    return NO_FLIGHTS if set(boards) <= set(fresh.boards_collected) else NO_DATA


def _day_state(states: dict[str, str]) -> str:
    """The page's one word for a day without any flight: the airports' shared reason, else "no data"."""
    reasons = set(states.values())
    return reasons.pop() if len(reasons) == 1 else NO_DATA


@functools.cache
def _environment() -> jinja2.Environment:
    """One environment per process (a range renders many reports), its compiled template cached on disk: compiling
    the page's template cost each daily run about 0.2 s, loading it compiled 1 ms."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: resources.files("flightpipe.report").joinpath("templates", name).read_text(encoding="utf-8")
        ),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=pct, minutes=minutes, number=number, signed=signed, dv=data_value)
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """jinja2's cache of compiled templates in the user's temporary folder (keyed by the template's source, so a
    changed template is compiled again); none where that folder cannot be made (the template is then compiled)."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def build_report(
    rows: ReportRows,
    *,
    days: int,
    freshness: dict[str, Freshness],
    quality: dict[str, Quality],
    boards: tuple[str, ...],
    generated_at: dt.datetime,
    warehouse_url: str,
) -> str:
    colours = airport_colours(rows.airports)
    cards = model.scorecards(rows)
    missing = [c.airport_icao for c in cards if not c.has_data]
    dates = model.trend_dates(rows, days)
    trend = model.on_time_trend(rows, days)
    delays = model.delay_counts(rows)
    hourly = model.hourly_totals(rows)
    routes_volume, routes_delay = model.top_routes_by_volume(rows), model.top_routes_by_delay(rows)
    airlines_volume, airlines_delay = model.top_airlines_by_volume(rows), model.top_airlines_by_delay(rows)
    cancellations = model.cancellations_by_airport(rows)
    status = _status_rows(rows, cards, freshness, quality, boards)
    empty = {s.airport_icao: s.state for s in status if s.airport_icao in missing}
    day = rows.day.isoformat()
    context = {
        "day": rows.day,
        "days": days,
        "airports": rows.airports,
        "colours": colours,
        "neutral": NEUTRAL,
        "cards": cards,
        "missing": missing,
        "empty_day": len(missing) == len(rows.airports),
        "empty": empty,
        "empty_notes": {a: _CARD_NOTE[why].format(airport=a, day=day) for a, why in empty.items()},
        "day_state": _day_state(empty),
        "dates": dates,
        "trend": trend,
        "delays": delays,
        "bands": model.BANDS,
        "boards": model.BOARDS,
        "hourly": hourly,
        "routes_volume": routes_volume,
        "routes_delay": routes_delay,
        "airlines_volume": airlines_volume,
        "airlines_delay": airlines_delay,
        "airline_label": model.airline_label,
        "worst": rows.worst,
        "cancelled": rows.cancelled,
        "cancellations": cancellations,
        "local_time": model.local_time,
        "status": status,
        "sources": rows.sources,
        "simulated": "simulated" in rows.sources,
        "last_load": rows.last_load,
        "generated_at": generated_at.astimezone(dt.UTC),
        "warehouse_url": warehouse_url,
        "on_time_minutes": ON_TIME_MINUTES,
        "min_route_flights": model.MIN_ROUTE_FLIGHTS,
        "min_airline_flights": model.MIN_AIRLINE_FLIGHTS,
        "charts": _charts(rows, days, colours, dates, trend, delays, hourly, day),
        "top_charts": _top_charts(rows, colours, routes_volume, routes_delay, airlines_volume, airlines_delay),
        "worst_chart": _worst_chart(rows, colours),
        "cancel_chart": _cancel_chart(rows, colours, cancellations, empty),
    }
    return _environment().get_template("report.html.j2").render(context)


def _status_rows(
    rows: ReportRows,
    cards: list[model.Scorecard],
    freshness: dict[str, Freshness],
    quality: dict[str, Quality],
    boards: tuple[str, ...],
) -> list[StatusRow]:
    out = []
    for card in cards:
        fresh = freshness[card.airport_icao]
        collected = set(fresh.boards_collected)
        latest = rows.latest_dates.get(card.airport_icao)
        if not card.has_data:
            state = empty_state(fresh, quality[card.airport_icao], boards)
            detail = _EMPTY_DETAIL[state].format(day=rows.day) + (f"; newest day with data: {latest}" if latest else "")
        elif fresh.note:
            state, detail = "unknown", fresh.note
        elif not set(boards) <= collected:
            state = "incomplete"
            detail = f"not collected for {rows.day}: {', '.join(b for b in boards if b not in collected)}"
        else:
            state, detail = "ok", f"all boards collected for {rows.day}"
        out.append(
            StatusRow(card.airport_icao, card.movements, fresh, quality[card.airport_icao], latest, state, detail)
        )
    return out


_EMPTY_DETAIL = {
    HELD: "the quality gate held {day} back (see `flightpipe check --date {day} --failed`)",
    NOT_RUN: "{day} has not been run for this airport (`flightpipe run --date {day}`)",
    NO_FLIGHTS: "the boards of {day} were collected and list no flight",
    NO_DATA: "no flights in the warehouse for {day}",
}


#: A scorecard without flights says why (the words of the status table's pills).
_CARD_NOTE = {
    HELD: "Held by quality: the quality gate held {airport}'s flights of {day} back.",
    NOT_RUN: "Not run: {day} has not been collected for {airport}.",
    NO_FLIGHTS: "No flights: {airport}'s boards of {day} list none.",
    NO_DATA: "No data for {airport} on {day}.",
}


def _charts(
    rows: ReportRows,
    days: int,
    colours: dict[str, str],
    dates: list[dt.date],
    trend: dict[str, list[float | None]],
    delays: dict[str, dict[str, list[int]]],
    hourly: dict[str, list[int]],
    day: str,
) -> dict[str, charts.Chart]:
    found: dict[str, charts.Chart] = {}
    title = f"Departures on time (at most {ON_TIME_MINUTES} min late), {dates[0]} to {dates[-1]}"
    if trend:
        alt = (
            f"Line chart, one line per airport, of the share of departures on time per day. On {day}: "
            + "; ".join(f"{a} {pct(v[-1])}" for a, v in trend.items())
            + "."
        )
        svg = charts.line_chart(
            "chart-on-time",
            title,
            alt,
            [d.strftime("%a %d %b") for d in dates],
            trend,
            colours,
            y_label="departures on time",
            x_label="local date",
            percent=True,
        )
        found["on_time"] = charts.Chart("chart-on-time", title, alt, svg)
    else:
        found["on_time"] = charts.no_data(
            "chart-on-time", title, f"No departures happened in the {days} days to {day}."
        )

    title = f"Delay distribution per airport, {day} (share of movements that happened)"
    panels = {
        board.capitalize(): {a: [c * 100 / sum(counts) for c in counts] for a, counts in delays.get(board, {}).items()}
        for board in model.BOARDS
    }
    if any(panels.values()):
        alt = (
            "Grouped bar chart per delay band (early, 0–15, 16–30, 31–60, 61–120, over 120 minutes), departures and "
            "arrivals side by side, one bar per airport. "
            + "; ".join(
                f"{a} departures within 15 min: {pct(sum(c[:2]) / sum(c))}"
                for a, c in delays.get("departures", {}).items()
            )
            + "."
        )
        svg = charts.grouped_bars(
            "chart-delays",
            title,
            alt,
            [label for _, label in model.BANDS],
            {k: v for k, v in panels.items() if v},
            colours,
            y_label="share of movements",
            x_label="delay (min)",
        )
        found["delays"] = charts.Chart("chart-delays", title, alt, svg)
    else:
        found["delays"] = charts.no_data("chart-delays", title, f"No movement happened on {day}: no delays to show.")

    title = f"Movements by local hour, {day} (departures and arrivals, scheduled time)"
    if hourly:
        alt = (
            "Line chart of scheduled movements per local hour, one line per airport. Busiest hour: "
            + "; ".join(f"{a} {v.index(max(v)):02d}:00 ({max(v)} movements)" for a, v in hourly.items())
            + "."
        )
        svg = charts.line_chart(
            "chart-hourly",
            title,
            alt,
            [f"{h:02d}" for h in range(24)],
            dict(hourly.items()),
            colours,
            y_label="movements per hour",
            x_label="local hour (scheduled)",
        )
        found["hourly"] = charts.Chart("chart-hourly", title, alt, svg)
    else:
        found["hourly"] = charts.no_data("chart-hourly", title, f"No movements on {day}.")
    return found


def _top_charts(
    rows: ReportRows,
    colours: dict[str, str],
    routes_volume: list[Any],
    routes_delay: list[Any],
    airlines_volume: list[Any],
    airlines_delay: list[Any],
) -> dict[str, charts.Chart]:
    day = rows.day.isoformat()
    specs = {
        "routes_volume": (f"Top routes by flights, {day}", routes_volume, "flights", "{:.0f}"),
        "routes_delay": (
            f"Routes with the highest mean departure delay, {day}",
            routes_delay,
            "mean departure delay (min)",
            "{:.0f} min",
        ),
        "airlines_volume": (f"Top airlines by flights, {day}", airlines_volume, "flights", "{:.0f}"),
        "airlines_delay": (
            f"Airlines with the highest mean departure delay, {day}",
            airlines_delay,
            "mean departure delay (min)",
            "{:.0f} min",
        ),
    }
    found = {}
    for key, (title, items, x_label, fmt) in specs.items():
        chart_id = f"chart-{key.replace('_', '-')}"
        if not items:
            found[key] = charts.no_data(chart_id, title, f"Not enough flights on {day} for this list.")
            continue
        is_route = key.startswith("routes")
        labels = [f"{r.dep_airport_icao} → {r.arr_airport_icao}" if is_route else model.airline_label(r) for r in items]
        labels = [label if len(label) <= 28 else label[:27] + "…" for label in labels]
        values = [float(r.flights if key.endswith("volume") else r.mean_dep_delay_min) for r in items]
        bar_colours = [colours.get(r.dep_airport_icao, NEUTRAL) if is_route else "#3E5C76" for r in items]
        alt = (
            "Horizontal bar chart, largest first: "
            + "; ".join(f"{label} {fmt.format(v)}" for label, v in zip(labels, values, strict=True))
            + "."
        )
        svg = charts.horizontal_bars(
            chart_id, title, alt, labels, values, bar_colours, x_label=x_label, value_format=fmt
        )
        found[key] = charts.Chart(chart_id, title, alt, svg)
    return found


def _worst_chart(rows: ReportRows, colours: dict[str, str]) -> charts.Chart:
    day = rows.day.isoformat()
    title = f"Worst-delayed departures, {day}"
    if not rows.worst:
        return charts.no_data("chart-worst", title, f"No departure happened on {day}.")
    labels = [f"{m.flight_iata or '?'} ({m.airport_icao})" for m in rows.worst]
    values = [float(m.delay_min or 0) for m in rows.worst]
    alt = (
        "Horizontal bar chart of the most delayed departures, coloured by airport: "
        + "; ".join(f"{label} {v:.0f} min" for label, v in zip(labels, values, strict=True))
        + "."
    )
    svg = charts.horizontal_bars(
        "chart-worst",
        title,
        alt,
        labels,
        values,
        [colours.get(m.airport_icao, NEUTRAL) for m in rows.worst],
        x_label="departure delay (min)",
        value_format="{:.0f} min",
        size=(6.4, 4.6),
    )
    return charts.Chart("chart-worst", title, alt, svg)


def _cancel_chart(
    rows: ReportRows, colours: dict[str, str], cancellations: dict[str, dict[str, int]], empty: dict[str, str]
) -> charts.Chart:
    day = rows.day.isoformat()
    title = f"Cancellations per airport, {day} (departures and arrivals)"
    totals = {a: sum(b.values()) for a, b in cancellations.items()}
    if not any(totals.values()):
        # Zero cancellations is a fact only about airports with flights; the others say why they have none.
        with_flights = [a for a in totals if a not in empty]
        notes = []
        if with_flights:
            notes.append(f"No cancellations on {day}" + (f" at {', '.join(with_flights)}." if empty else "."))
        if empty:
            notes.append("No flights to count at " + "; ".join(f"{a} ({why})" for a, why in empty.items()) + ".")
        return charts.no_data("chart-cancellations", title, " ".join(notes))
    ordered = sorted(totals, key=lambda a: (-totals[a], a))
    alt = (
        "Horizontal bar chart of cancelled movements per airport: "
        + "; ".join(f"{a} {totals[a]}" for a in ordered)
        + "."
    )
    svg = charts.horizontal_bars(
        "chart-cancellations",
        title,
        alt,
        ordered,
        [float(totals[a]) for a in ordered],
        [colours[a] for a in ordered],
        x_label="cancelled movements",
        size=(5.6, 2.8),
    )
    return charts.Chart("chart-cancellations", title, alt, svg)


# Writing ------------------------------------------------------------------------------------------------------


def render_day(
    scope: ReportScope,
    warehouse: SqlWarehouse,
    day: dt.date,
    days: int = DEFAULT_DAYS,
    *,
    now: dt.datetime | None = None,
) -> str:
    """The HTML report of ``day`` from an open warehouse."""
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days must be between 1 and {MAX_DAYS}, got {days}")
    airports = scope.airports
    rows = read_report_rows(warehouse, day, airports, days)
    try:
        ledger_path: Path | None = scope.paths.ledger
    except ConfigError:
        ledger_path = None
    return build_report(
        rows,
        days=days,
        freshness=read_freshness(ledger_path, day, airports),
        quality=read_quality(warehouse, day, airports),
        boards=scope.boards,
        generated_at=now or utc_now(),
        warehouse_url=redact(warehouse.url),
    )


def write_report(
    scope: ReportScope,
    warehouse: SqlWarehouse,
    day: dt.date,
    days: int = DEFAULT_DAYS,
    out: Path | None = None,
) -> str:
    """Write the report of ``day``: to ``out``, else beside the data. Returns where it went (a path or URL)."""
    html = render_day(scope, warehouse, day, days).encode("utf-8")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(html)
        return str(out.resolve())
    store = ObjectStore(scope.paths.data_dir)
    key = report_key(day)
    store.put(key, html)
    return str(store.local_path(key).resolve()) if store.is_local else f"{store.url}/{key}"


__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "ReportScope", "report_key", "render_day", "write_report"]
