"""Data freshness and quality status of each airport: what the reader needs to trust (or not) the numbers.

Freshness comes from the run history (the ledger: when each airport's boards were last collected, for which
day) and from the warehouse (the last load of the day, the newest day each airport has rows for). Quality comes
from a ``quality_results`` warehouse table when one exists (the data-quality checks write it); the lookup reads
whatever columns it finds by name and says "not checked" when the table, a column or a row is missing, so the
report never fails because quality checking is absent or shaped differently.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flightpipe.warehouse.base import SqlWarehouse

QUALITY_TABLE = "quality_results"
#: Column names a quality_results table may use for each thing the report needs (first match wins).
_AIRPORT_COLUMNS = ("airport_icao", "airport", "icao")
_DATE_COLUMNS = ("flight_date", "local_date", "day", "date", "collection_date")
_LEVEL_COLUMNS = ("level", "outcome", "status", "result", "severity")
_RULE_COLUMNS = ("rule", "rule_name", "check_name", "name")
#: Levels from worst to best; anything else a table holds is shown as it is, ranked after these.
_LEVEL_ORDER = ("fail", "failed", "error", "warn", "warning", "pass", "passed", "ok")


@dataclass(frozen=True, slots=True)
class Freshness:
    airport_icao: str
    boards_collected: tuple[str, ...]  # boards of the report's day collected successfully
    last_collected_at: dt.datetime | None  # the newest successful collection of the day
    last_collected_day: dt.date | None  # the newest day this airport was collected for, any run
    note: str = ""  # why there is nothing to say (no run history, ...)


@dataclass(frozen=True, slots=True)
class Quality:
    airport_icao: str
    level: str  # the worst level found, or "not checked"
    rules: tuple[str, ...] = field(default_factory=tuple)  # rules at that level (not for pass)
    checks: int = 0


def read_freshness(ledger_path: Path | None, day: dt.date, airports: Sequence[str]) -> dict[str, Freshness]:
    """Successful collect steps from the ledger (read-only), per airport."""
    if ledger_path is None or not ledger_path.exists():
        where = "this data folder" if ledger_path is None else str(ledger_path)
        return {a: Freshness(a, (), None, None, f"no run history in {where}") for a in airports}
    try:
        con = sqlite3.connect(f"file:{ledger_path}?mode=ro", uri=True, timeout=30)
        try:
            rows = con.execute(
                "SELECT r.day, s.target, s.finished_at FROM steps AS s JOIN runs AS r ON r.run_id = s.run_id"
                " WHERE s.stage = 'collect' AND s.state = 'succeeded'"
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return {a: Freshness(a, (), None, None, f"run history unreadable: {exc}") for a in airports}
    boards: dict[str, set[str]] = {a: set() for a in airports}
    collected_at: dict[str, dt.datetime] = {}
    last_day: dict[str, dt.date] = {}
    for run_day, target, finished_at in rows:
        icao, _, board = str(target).partition("/")
        if icao not in boards or not finished_at:
            continue
        when = dt.datetime.fromisoformat(str(finished_at))
        collected = dt.date.fromisoformat(str(run_day))
        last_day[icao] = max(last_day.get(icao, collected), collected)
        if collected == day:
            boards[icao].add(board)
            collected_at[icao] = max(collected_at.get(icao, when), when)
    return {a: Freshness(a, tuple(sorted(boards[a])), collected_at.get(a), last_day.get(a), "") for a in airports}


def read_quality(warehouse: SqlWarehouse, day: dt.date, airports: Sequence[str]) -> dict[str, Quality]:
    """The worst quality level per airport on ``day`` from ``quality_results``; "not checked" without it."""
    not_checked = {a: Quality(a, "not checked") for a in airports}
    columns = warehouse.existing_columns().get(QUALITY_TABLE)
    if not columns:
        return not_checked
    level_col = _first(columns, _LEVEL_COLUMNS)
    date_col = _first(columns, _DATE_COLUMNS)
    if level_col is None or date_col is None:
        return not_checked
    airport_col = _first(columns, _AIRPORT_COLUMNS)
    rule_col = _first(columns, _RULE_COLUMNS)
    select = ", ".join([level_col, airport_col or "CAST(NULL AS VARCHAR)", rule_col or "CAST(NULL AS VARCHAR)"])
    # Compare as text: the column may be a DATE or a string, and every engine casts a DATE to 'YYYY-MM-DD'.
    rows = warehouse.query(
        f"SELECT {select} FROM {QUALITY_TABLE} WHERE CAST({date_col} AS VARCHAR(10)) = '{day.isoformat()}'"
    )
    found: dict[str, list[tuple[str, str | None]]] = {a: [] for a in airports}
    for level, airport, rule in rows:
        # A result without an airport (a flight-date rule) concerns every airport of the report.
        for target in [str(airport)] if airport is not None else list(airports):
            if target in found:
                found[target].append((str(level).lower(), None if rule is None else str(rule)))
    result = {}
    for airport, results in found.items():
        if not results:
            result[airport] = not_checked[airport]
            continue
        worst = min((lvl for lvl, _ in results), key=_rank)
        rules = (
            () if worst in ("pass", "passed", "ok") else tuple(sorted({r for lvl, r in results if lvl == worst and r}))
        )
        result[airport] = Quality(airport, worst, rules, len(results))
    return result


def _first(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in columns), None)


def _rank(level: str) -> int:
    return _LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else len(_LEVEL_ORDER)
