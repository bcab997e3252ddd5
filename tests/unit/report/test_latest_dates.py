"""An airport's newest day with flights: from the daily rows the report reads anyway, the whole history only for
an airport without flights in the report's window."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from flightpipe.report.queries import read_report_rows

DAY = dt.date(2026, 6, 9)


class FakeWarehouse:
    """Answers the daily statement with a row per (airport, local date) given; every other statement is empty
    except the history statement, which answers ``history``. Keeps the statements it was sent."""

    capabilities = SimpleNamespace(dialect="duckdb")

    def __init__(self, daily: list[tuple[str, dt.date]], history: list[tuple[str, dt.date]]) -> None:
        self.daily, self.history = daily, history
        self.sent: list[str] = []

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        self.sent.append(sql)
        if "FROM daily_airport_performance" in sql and "max(local_date)" in sql:
            return [(a, d) for a, d in self.history if f"'{a}'" in sql]
        if "FROM daily_airport_performance" in sql:
            return [(a, "departures", d, 10, 0, 9, 8, 0.9, 5.0, 4.0, 20.0) for a, d in self.daily]
        return []

    def query_many(self, statements: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
        return {name: self.query(sql) for name, sql in statements.items()}


def test_airports_with_flights_in_the_window_take_their_newest_day_from_it_without_reading_the_history() -> None:
    warehouse = FakeWarehouse([("EDDH", DAY - dt.timedelta(days=3)), ("EDDH", DAY - dt.timedelta(days=1))], [])
    rows = read_report_rows(warehouse, DAY, ("EDDH",), 7)
    assert rows.latest_dates == {"EDDH": DAY - dt.timedelta(days=1)}
    assert not [sql for sql in warehouse.sent if "max(local_date)" in sql]


def test_an_airport_without_flights_in_the_window_is_looked_up_in_the_whole_history_alone() -> None:
    old = DAY - dt.timedelta(days=40)
    warehouse = FakeWarehouse([("EDDH", DAY)], [("EDDL", old)])
    rows = read_report_rows(warehouse, DAY, ("EDDH", "EDDL"), 7)
    assert rows.latest_dates == {"EDDH": DAY, "EDDL": old}
    [history] = [sql for sql in warehouse.sent if "max(local_date)" in sql]
    assert "'EDDL'" in history and "'EDDH'" not in history
