"""From the warehouse rows to what each section of the report shows: scorecards, series, top lists.

Plain functions of ``ReportRows``; no SQL and no HTML here. Definitions (also stated on the page):
- movements and cancellations count both boards (a departure and an arrival are two movements of an airport);
- on-time share, median and p90 delay are the departures' (at most 15 minutes late: the industry's A15);
- the baseline is the previous 7 local days that have data: the mean of their daily values, and for the
  on-time share the pooled share (on-time departures / departures that happened).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flightpipe.reference.airports import airport
from flightpipe.report.queries import (
    BASELINE_DAYS,
    AirlinePerformance,
    DailyPerformance,
    Movement,
    ReportRows,
    RoutePerformance,
)

BANDS: tuple[tuple[str, str], ...] = (
    ("early", "early"),
    ("0-15", "0–15"),
    ("16-30", "16–30"),
    ("31-60", "31–60"),
    ("61-120", "61–120"),
    (">120", "> 120"),
)
BOARDS = ("departures", "arrivals")
TOP = 10
#: A route or airline needs this many flights on the day to enter a "by delay" list: one late flight is not a trend.
MIN_ROUTE_FLIGHTS = 3
MIN_AIRLINE_FLIGHTS = 10


@dataclass(frozen=True, slots=True)
class Change:
    """The day's value against the baseline."""

    baseline: float | None
    delta: float | None  # value - baseline (percentage points for shares)
    days: int  # how many previous days the baseline has
    direction: str  # "up", "down", "flat" or "none"
    better: bool | None  # is the change good news? None: neither


@dataclass(frozen=True, slots=True)
class Scorecard:
    airport_icao: str
    name: str
    has_data: bool
    movements: int
    departures: int
    arrivals: int
    cancellations: int
    on_time_share: float | None
    median_delay_min: float | None
    p90_delay_min: float | None
    arr_on_time_share: float | None
    arr_median_delay_min: float | None
    change: dict[str, Change]


def _by_key(rows: Iterable[DailyPerformance]) -> dict[tuple[str, str, dt.date], DailyPerformance]:
    return {(r.airport_icao, r.board, r.local_date): r for r in rows}


def _change(
    value: float | None, history: list[float], *, higher_is_better: bool | None, pooled: float | None = None
) -> Change:
    baseline = pooled if pooled is not None else (statistics.fmean(history) if history else None)
    if value is None or baseline is None:
        return Change(baseline, None, len(history), "none", None)
    delta = value - baseline
    if abs(delta) < 1e-9:
        return Change(baseline, 0.0, len(history), "flat", None)
    direction = "up" if delta > 0 else "down"
    better = None if higher_is_better is None else (delta > 0) == higher_is_better
    return Change(baseline, delta, len(history), direction, better)


def scorecards(rows: ReportRows) -> list[Scorecard]:
    daily = _by_key(rows.daily)
    previous = [rows.day - dt.timedelta(days=i) for i in range(1, BASELINE_DAYS + 1)]
    cards = []
    for icao in rows.airports:
        dep = daily.get((icao, "departures", rows.day))
        arr = daily.get((icao, "arrivals", rows.day))
        movements = (dep.movements if dep else 0) + (arr.movements if arr else 0)
        cancellations = (dep.cancellations if dep else 0) + (arr.cancellations if arr else 0)
        past = [
            (daily.get((icao, "departures", d)), daily.get((icao, "arrivals", d)))
            for d in previous
            if (icao, "departures", d) in daily or (icao, "arrivals", d) in daily
        ]
        past_deps = [p for p, _ in past if p is not None]
        operated = sum(p.operated for p in past_deps)
        pooled_on_time = sum(p.on_time for p in past_deps) / operated if operated else None
        cards.append(
            Scorecard(
                airport_icao=icao,
                name=_airport_name(icao),
                has_data=movements > 0,
                movements=movements,
                departures=dep.movements if dep else 0,
                arrivals=arr.movements if arr else 0,
                cancellations=cancellations,
                on_time_share=dep.on_time_share if dep else None,
                median_delay_min=dep.median_delay_min if dep else None,
                p90_delay_min=dep.p90_delay_min if dep else None,
                arr_on_time_share=arr.on_time_share if arr else None,
                arr_median_delay_min=arr.median_delay_min if arr else None,
                change={
                    "movements": _change(
                        float(movements) if movements else None,
                        [float(sum(x.movements for x in pair if x)) for pair in past],
                        higher_is_better=None,
                    ),
                    "cancellations": _change(
                        float(cancellations) if movements else None,
                        [float(sum(x.cancellations for x in pair if x)) for pair in past],
                        higher_is_better=False,
                    ),
                    "on_time_share": _change(
                        dep.on_time_share if dep else None,
                        [p.on_time_share for p in past_deps if p.on_time_share is not None],
                        higher_is_better=True,
                        pooled=pooled_on_time,
                    ),
                    "median_delay_min": _change(
                        dep.median_delay_min if dep else None,
                        [p.median_delay_min for p in past_deps if p.median_delay_min is not None],
                        higher_is_better=False,
                    ),
                    "p90_delay_min": _change(
                        dep.p90_delay_min if dep else None,
                        [p.p90_delay_min for p in past_deps if p.p90_delay_min is not None],
                        higher_is_better=False,
                    ),
                },
            )
        )
    return cards


def trend_dates(rows: ReportRows, days: int) -> list[dt.date]:
    return [rows.day - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]


def on_time_trend(rows: ReportRows, days: int) -> dict[str, list[float | None]]:
    """Departures' on-time share per airport and day; None where the airport has no departure that happened."""
    daily = _by_key(rows.daily)
    series = {}
    for icao in rows.airports:
        values = [
            (r.on_time_share if (r := daily.get((icao, "departures", d))) else None) for d in trend_dates(rows, days)
        ]
        if any(v is not None for v in values):
            series[icao] = values
    return series


def delay_counts(rows: ReportRows) -> dict[str, dict[str, list[int]]]:
    """Board -> airport -> movements per band (BANDS order); only airports with movements on that board."""
    found: dict[str, dict[str, list[int]]] = {board: {} for board in BOARDS}
    order = [key for key, _ in BANDS]
    for band in rows.delay_bands:
        counts = found.setdefault(band.board, {}).setdefault(band.airport_icao, [0] * len(order))
        counts[order.index(band.delay_band)] += band.movements
    return {board: {a: found[board][a] for a in rows.airports if a in found[board]} for board in found}


def hourly_totals(rows: ReportRows) -> dict[str, list[int]]:
    """Airport -> movements (both boards) per local hour 0..23; airports without movements are left out."""
    totals: dict[str, list[int]] = {}
    for row in rows.hourly:
        totals.setdefault(row.airport_icao, [0] * 24)[row.local_hour] += row.movements
    return {a: totals[a] for a in rows.airports if a in totals}


def top_routes_by_volume(rows: ReportRows) -> list[RoutePerformance]:
    return sorted(rows.routes, key=lambda r: (-r.flights, r.dep_airport_icao, r.arr_airport_icao))[:TOP]


def top_routes_by_delay(rows: ReportRows) -> list[RoutePerformance]:
    eligible = [r for r in rows.routes if r.flights >= MIN_ROUTE_FLIGHTS and r.mean_dep_delay_min is not None]
    return sorted(eligible, key=lambda r: (-(r.mean_dep_delay_min or 0.0), r.dep_airport_icao, r.arr_airport_icao))[
        :TOP
    ]


def top_airlines_by_volume(rows: ReportRows) -> list[AirlinePerformance]:
    return sorted(rows.airlines, key=lambda a: (-a.flights, a.airline_key))[:TOP]


def top_airlines_by_delay(rows: ReportRows) -> list[AirlinePerformance]:
    eligible = [a for a in rows.airlines if a.flights >= MIN_AIRLINE_FLIGHTS and a.mean_dep_delay_min is not None]
    return sorted(eligible, key=lambda a: (-(a.mean_dep_delay_min or 0.0), a.airline_key))[:TOP]


def cancellations_by_airport(rows: ReportRows) -> dict[str, dict[str, int]]:
    """Airport -> board -> cancellations on the day (from daily_airport_performance)."""
    daily = _by_key(rows.daily)
    return {
        a: {b: (r.cancellations if (r := daily.get((a, b, rows.day))) else 0) for b in BOARDS} for a in rows.airports
    }


def airline_label(a: AirlinePerformance) -> str:
    code = a.airline_iata or a.airline_key
    return f"{code} {a.airline_name}" if a.airline_name else code


def local_time(m: Movement, when: dt.datetime | None) -> str:
    if when is None:
        return "–"
    return when.astimezone(ZoneInfo(airport(m.airport_icao).tz)).strftime("%H:%M")


def _airport_name(icao: str) -> str:
    try:
        return airport(icao).city or airport(icao).name
    except KeyError:
        return icao
