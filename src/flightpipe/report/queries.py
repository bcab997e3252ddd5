"""What the report shows, read from the warehouse's analytics views through the warehouse adapter.

Every statement is written once in DuckDB's dialect and transpiled for the configured engine (as the views
are), so the report works on DuckDB, PostgreSQL and Redshift alike. Literals instead of parameters, as in
``flightpipe.report.summary``: the Redshift Data API's batch calls take none, and dates and ICAO codes are validated
before they get here. The statements select and filter (the airlines' one aggregates as ``airline_performance``
does, which has no airport to filter on); what the report derives (sums over boards, baselines, top lists) is
done in Python on these rows, where a test can follow it. Every section counts only the report's airports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flightpipe.reference.airports import ICAO_CODE
from flightpipe.warehouse.base import Warehouse
from flightpipe.warehouse.views import transpile

#: The scorecards compare the day with this many days before it.
BASELINE_DAYS = 7
#: How many worst-delayed flights the report lists.
WORST_FLIGHTS = 15


@dataclass(frozen=True, slots=True)
class DailyPerformance:
    """A row of ``daily_airport_performance``."""

    airport_icao: str
    board: str
    local_date: dt.date
    movements: int
    cancellations: int
    operated: int
    on_time: int
    on_time_share: float | None
    mean_delay_min: float | None
    median_delay_min: float | None
    p90_delay_min: float | None


@dataclass(frozen=True, slots=True)
class DelayBand:
    """A row of ``delay_distribution``."""

    airport_icao: str
    board: str
    delay_band: str
    band_order: int
    movements: int


@dataclass(frozen=True, slots=True)
class HourlyMovements:
    """A row of ``hourly_movements``."""

    airport_icao: str
    board: str
    local_hour: int
    movements: int
    cancellations: int


@dataclass(frozen=True, slots=True)
class RoutePerformance:
    """A row of ``route_performance``."""

    dep_airport_icao: str
    arr_airport_icao: str
    flights: int
    cancellations: int
    dep_on_time_share: float | None
    mean_dep_delay_min: float | None


@dataclass(frozen=True, slots=True)
class AirlinePerformance:
    """A row of ``airline_performance``, counting only the flights at the report's airports."""

    airline_key: str
    airline_iata: str | None
    airline_name: str | None
    flights: int
    cancellations: int
    dep_on_time_share: float | None
    mean_dep_delay_min: float | None


@dataclass(frozen=True, slots=True)
class Movement:
    """A row of ``airport_movements``: one departure or arrival at one of the report's airports."""

    airport_icao: str
    board: str
    flight_iata: str | None
    airline_iata: str | None
    status: str
    scheduled_utc: dt.datetime | None
    actual_utc: dt.datetime | None
    delay_min: int | None


@dataclass(frozen=True, slots=True)
class ReportRows:
    """Everything the report reads from the warehouse for one day."""

    day: dt.date
    airports: tuple[str, ...]
    daily: list[DailyPerformance]
    delay_bands: list[DelayBand]
    hourly: list[HourlyMovements]
    routes: list[RoutePerformance]
    airlines: list[AirlinePerformance]
    worst: list[Movement]
    cancelled: list[Movement]
    sources: list[str]
    latest_dates: dict[str, dt.date]
    last_load: tuple[str, dt.datetime] | None


def _date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _codes(airports: tuple[str, ...]) -> str:
    if not airports or any(not ICAO_CODE.match(code) for code in airports):
        raise ValueError(f"not ICAO codes: {list(airports)}")
    return ", ".join(f"'{code}'" for code in airports)


def report_statements(day: dt.date, airports: tuple[str, ...], days: int) -> dict[str, str]:
    """The report's statements in DuckDB's dialect, by name."""
    first = day - dt.timedelta(days=max(days - 1, BASELINE_DAYS))
    codes = _codes(airports)
    return {
        "daily": f"""
            SELECT airport_icao, board, local_date, movements, cancellations, operated, on_time, on_time_share,
                   mean_delay_min, median_delay_min, p90_delay_min
            FROM daily_airport_performance
            WHERE local_date BETWEEN {_date(first)} AND {_date(day)} AND airport_icao IN ({codes})
            ORDER BY airport_icao, board, local_date""",
        "delay_bands": f"""
            SELECT airport_icao, board, delay_band, band_order, movements
            FROM delay_distribution
            WHERE local_date = {_date(day)} AND airport_icao IN ({codes})
            ORDER BY airport_icao, board, band_order""",
        "hourly": f"""
            SELECT airport_icao, board, local_hour, movements, cancellations
            FROM hourly_movements
            WHERE local_date = {_date(day)} AND airport_icao IN ({codes})
            ORDER BY airport_icao, board, local_hour""",
        # Routes and airlines count the flights at the report's airports only, as every other section does: the
        # warehouse may hold airports outside the configuration (dropped from it, or a narrower --airports).
        "routes": f"""
            SELECT dep_airport_icao, arr_airport_icao, flights, cancellations, dep_on_time_share, mean_dep_delay_min
            FROM route_performance
            WHERE flight_date = {_date(day)} AND (dep_airport_icao IN ({codes}) OR arr_airport_icao IN ({codes}))
            ORDER BY dep_airport_icao, arr_airport_icao""",
        # airline_performance has no airport to filter on: the same aggregation as that view (views.sql), over the
        # flights that depart from or arrive at one of the report's airports.
        "airlines": f"""
            SELECT f.airline_key, d.airline_iata, d.airline_name,
                   CAST(count(*) AS BIGINT) AS flights,
                   CAST(sum(CASE WHEN f.status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancellations,
                   CAST(avg(CASE WHEN f.dep_delay IS NULL THEN NULL WHEN f.dep_delay <= 15 THEN 1.0 ELSE 0.0 END)
                        AS DOUBLE) AS dep_on_time_share,
                   CAST(avg(f.dep_delay) AS DOUBLE) AS mean_dep_delay_min
            FROM (
                SELECT coalesce(airline_icao, airline_iata) AS airline_key, status,
                       CAST(EXTRACT(EPOCH FROM (dep_actual_utc - dep_scheduled_utc)) / 60 AS INTEGER) AS dep_delay
                FROM fact_flights
                WHERE flight_date = {_date(day)} AND (dep_airport_icao IN ({codes}) OR arr_airport_icao IN ({codes}))
            ) AS f
            LEFT JOIN dim_airline AS d ON d.airline_key = f.airline_key
            GROUP BY f.airline_key, d.airline_iata, d.airline_name
            ORDER BY f.airline_key""",
        # Departures only: each physical flight once, ranked by how late it left.
        "worst": f"""
            SELECT airport_icao, board, flight_iata, airline_iata, status, scheduled_utc, actual_utc, delay_min
            FROM airport_movements
            WHERE local_date = {_date(day)} AND airport_icao IN ({codes}) AND board = 'departures'
                  AND delay_min IS NOT NULL
            ORDER BY delay_min DESC, airport_icao, flight_iata
            LIMIT {WORST_FLIGHTS}""",
        "cancelled": f"""
            SELECT airport_icao, board, flight_iata, airline_iata, status, scheduled_utc, actual_utc, delay_min
            FROM airport_movements
            WHERE local_date = {_date(day)} AND airport_icao IN ({codes}) AND status = 'cancelled'
            ORDER BY airport_icao, board, scheduled_utc, flight_iata""",
        "sources": f"""
            SELECT DISTINCT source FROM airport_movements
            WHERE local_date BETWEEN {_date(first)} AND {_date(day)} AND airport_icao IN ({codes})
            ORDER BY source""",
        "latest_dates": f"""
            SELECT airport_icao, max(local_date) FROM daily_airport_performance
            WHERE airport_icao IN ({codes}) AND local_date <= {_date(day)}
            GROUP BY airport_icao""",
        "last_load": f"SELECT run_id, loaded_at FROM flightpipe_loads WHERE flight_date = {_date(day)}",
    }


def read_report_rows(warehouse: Warehouse, day: dt.date, airports: tuple[str, ...], days: int) -> ReportRows:
    dialect = warehouse.capabilities.dialect
    rows = warehouse.query_many(
        {
            name: transpile(sql, dialect)
            for name, sql in report_statements(day, airports, days).items()
            if name != "latest_dates"
        }
    )
    daily = [
        DailyPerformance(
            str(r[0]),
            str(r[1]),
            _as_date(r[2]),
            int(r[3]),
            int(r[4]),
            int(r[5]),
            int(r[6]),
            _float(r[7]),
            _float(r[8]),
            _float(r[9]),
            _float(r[10]),
        )
        for r in rows["daily"]
    ]
    load = rows["last_load"][0] if rows["last_load"] else None
    return ReportRows(
        day=day,
        airports=airports,
        daily=daily,
        delay_bands=[DelayBand(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4])) for r in rows["delay_bands"]],
        hourly=[HourlyMovements(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows["hourly"]],
        routes=[
            RoutePerformance(str(r[0]), str(r[1]), int(r[2]), int(r[3]), _float(r[4]), _float(r[5]))
            for r in rows["routes"]
        ],
        airlines=[
            AirlinePerformance(str(r[0]), _str(r[1]), _str(r[2]), int(r[3]), int(r[4]), _float(r[5]), _float(r[6]))
            for r in rows["airlines"]
        ],
        worst=[_movement(r) for r in rows["worst"]],
        cancelled=[_movement(r) for r in rows["cancelled"]],
        sources=[str(r[0]) for r in rows["sources"] if r[0] is not None],
        latest_dates=_latest_dates(warehouse, day, airports, days, daily),
        last_load=None if load is None else (str(load[0]), _as_datetime(load[1])),
    )


def _latest_dates(
    warehouse: Warehouse, day: dt.date, airports: tuple[str, ...], days: int, daily: list[DailyPerformance]
) -> dict[str, dt.date]:
    """Each airport's newest local day with flights up to ``day``. An airport with flights in the daily rows'
    window has it there (nothing newer than ``day`` is asked for); only the others need the statement, which reads
    the whole history (its cost grew with every day the warehouse holds)."""
    found: dict[str, dt.date] = {}
    for row in daily:
        found[row.airport_icao] = max(found.get(row.airport_icao, row.local_date), row.local_date)
    lacking = tuple(a for a in airports if a not in found)
    if lacking:
        sql = report_statements(day, lacking, days)["latest_dates"]
        for r in warehouse.query(transpile(sql, warehouse.capabilities.dialect)):
            if r[1] is not None:
                found[str(r[0])] = _as_date(r[1])
    return found


def _movement(r: tuple[Any, ...]) -> Movement:
    return Movement(
        str(r[0]),
        str(r[1]),
        _str(r[2]),
        _str(r[3]),
        str(r[4]),
        _as_datetime(r[5]) if r[5] is not None else None,
        _as_datetime(r[6]) if r[6] is not None else None,
        None if r[7] is None else int(r[7]),
    )


def _float(value: Any) -> float | None:
    # PostgreSQL gives NUMERIC (Decimal) for some aggregates: the report works in floats.
    return None if value is None else float(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> dt.datetime:
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
