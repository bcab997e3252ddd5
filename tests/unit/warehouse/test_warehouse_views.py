"""The analytics views, on DuckDB and PostgreSQL, against values computed here in plain Python from the
simulated ground truth (``expected_processed_rows``): no SQL and no warehouse code on the expected side."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flightpipe.reference.airports import all_airports
from tests.helpers.warehouse_helpers import Engine, ground_truth, load_ground_truth

ON_TIME = 15


def _minutes(later: dt.datetime | None, earlier: dt.datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() / 60)


def _local(t: dt.datetime, icao: str) -> dt.datetime:
    return t.astimezone(ZoneInfo(all_airports()[icao]["tz"]))


def _movements() -> list[dict[str, Any]]:
    """Every movement an airport's board showed: departures seen on departures, arrivals seen on arrivals."""
    out = []
    for r in ground_truth():
        if r["seen_on_departures"]:
            out.append(
                {
                    "airport": r["dep_airport_icao"],
                    "board": "departures",
                    "local_date": r["flight_date"],
                    "local_hour": _local(r["dep_scheduled_utc"], r["dep_airport_icao"]).hour,
                    "status": r["status"],
                    "delay": _minutes(r["dep_actual_utc"], r["dep_scheduled_utc"]),
                }
            )
        if r["seen_on_arrivals"]:
            local = _local(r["arr_scheduled_utc"], r["arr_airport_icao"])
            out.append(
                {
                    "airport": r["arr_airport_icao"],
                    "board": "arrivals",
                    "local_date": local.date(),
                    "local_hour": local.hour,
                    "status": r["status"],
                    "delay": _minutes(r["arr_actual_utc"], r["arr_scheduled_utc"]),
                }
            )
    return out


def _group(rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[Any, ...]]) -> dict[Any, list[Any]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _share(values: list[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(v <= ON_TIME for v in known) / len(known) if known else None


def _mean(values: list[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def _quantile(values: list[int | None], q: float) -> float | None:
    """Linear interpolation between the closest ranks (what quantile_cont / PERCENTILE_CONT compute)."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    position = (len(known) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(known) - 1)
    return known[low] + (known[high] - known[low]) * (position - low)


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    return load_ground_truth(engine)


def _approx_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(pytest.approx(v, abs=1e-9) if isinstance(v, float) else v for v in row) for row in rows]


def test_daily_airport_performance_equals_the_ground_truth(loaded: Engine) -> None:
    expected = []
    for (airport, board, day), group in sorted(
        _group(_movements(), lambda m: (m["airport"], m["board"], m["local_date"])).items()
    ):
        delays = [m["delay"] for m in group]
        expected.append(
            (
                airport,
                board,
                day,
                len(group),
                sum(m["status"] == "cancelled" for m in group),
                sum(d is not None for d in delays),
                sum(d is not None and d <= ON_TIME for d in delays),
                _share(delays),
                _mean(delays),
                _quantile(delays, 0.5),
                _quantile(delays, 0.9),
            )
        )
    actual = loaded.rows(
        "SELECT airport_icao, board, local_date, movements, cancellations, operated, on_time, on_time_share,"
        " mean_delay_min, median_delay_min, p90_delay_min FROM daily_airport_performance ORDER BY 1, 2, 3"
    )
    assert len(expected) == 20 and any(e[4] for e in expected)  # five airports x two boards x two days
    assert actual == _approx_rows(expected)


def test_route_performance_equals_the_ground_truth(loaded: Engine) -> None:
    expected = []
    for (day, dep, arr), group in sorted(
        _group(ground_truth(), lambda r: (r["flight_date"], r["dep_airport_icao"], r["arr_airport_icao"])).items()
    ):
        dep_delays = [_minutes(r["dep_actual_utc"], r["dep_scheduled_utc"]) for r in group]
        arr_delays = [_minutes(r["arr_actual_utc"], r["arr_scheduled_utc"]) for r in group]
        blocks = [_minutes(r["arr_actual_utc"], r["dep_actual_utc"]) for r in group]
        expected.append(
            (
                day,
                dep,
                arr,
                len(group),
                sum(r["status"] == "cancelled" for r in group),
                sum(r["status"] == "diverted" for r in group),
                _share(dep_delays),
                _share(arr_delays),
                _mean(dep_delays),
                _mean(arr_delays),
                _mean(blocks),
            )
        )
    actual = loaded.rows(
        "SELECT flight_date, dep_airport_icao, arr_airport_icao, flights, cancellations, diversions,"
        " dep_on_time_share, arr_on_time_share, mean_dep_delay_min, mean_arr_delay_min, mean_block_min"
        " FROM route_performance ORDER BY 1, 2, 3"
    )
    assert len(expected) > 100
    assert actual == _approx_rows(expected)


def test_airline_performance_equals_the_ground_truth(loaded: Engine) -> None:
    expected = []
    for (day, key), group in sorted(
        _group(ground_truth(), lambda r: (r["flight_date"], r["airline_icao"] or r["airline_iata"])).items()
    ):
        dep_delays = [_minutes(r["dep_actual_utc"], r["dep_scheduled_utc"]) for r in group]
        expected.append(
            (
                day,
                key,
                group[0]["airline_name"],
                len(group),
                sum(r["status"] == "cancelled" for r in group),
                _share(dep_delays),
                _mean(dep_delays),
                sum(len(r["codeshare_flight_iatas"]) for r in group),
            )
        )
    actual = loaded.rows(
        "SELECT flight_date, airline_key, airline_name, flights, cancellations, dep_on_time_share,"
        " mean_dep_delay_min, codeshare_numbers FROM airline_performance ORDER BY 1, 2"
    )
    assert len(expected) > 20
    assert actual == _approx_rows(expected)


def test_hourly_movements_count_by_the_local_hour_at_the_airport(loaded: Engine) -> None:
    expected = [
        (airport, board, day, hour, len(group), sum(m["status"] == "cancelled" for m in group))
        for (airport, board, day, hour), group in sorted(
            _group(_movements(), lambda m: (m["airport"], m["board"], m["local_date"], m["local_hour"])).items()
        )
    ]
    actual = loaded.rows(
        "SELECT airport_icao, board, local_date, local_hour, movements, cancellations FROM hourly_movements"
        " ORDER BY 1, 2, 3, 4"
    )
    assert actual == expected
    # Local, not UTC: the simulated curfew keeps every movement out of 00:30-04:30 local time.
    assert {row[3] for row in actual}.isdisjoint({1, 2, 3})


def _band(delay: int) -> tuple[str, int]:
    for upper, label, order in (
        (-1, "early", 1),
        (15, "0-15", 2),
        (30, "16-30", 3),
        (60, "31-60", 4),
        (120, "61-120", 5),
    ):
        if delay <= upper:
            return label, order
    return ">120", 6


def test_delay_distribution_bands_every_movement_that_happened(loaded: Engine) -> None:
    happened = [{**m, "band": _band(m["delay"])} for m in _movements() if m["delay"] is not None]
    expected = [
        (airport, board, day, label, order, len(group))
        for (airport, board, day, (label, order)), group in sorted(
            _group(happened, lambda m: (m["airport"], m["board"], m["local_date"], m["band"])).items(),
            key=lambda item: (item[0][0], item[0][1], item[0][2], item[0][3][1]),
        )
    ]
    actual = loaded.rows(
        "SELECT airport_icao, board, local_date, delay_band, band_order, movements FROM delay_distribution"
        " ORDER BY 1, 2, 3, 5"
    )
    assert {row[3] for row in actual} == {"early", "0-15", "16-30", "31-60", "61-120", ">120"}
    assert actual == expected
