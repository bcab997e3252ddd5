"""Data freshness and quality status of each airport: what the reader needs to trust (or not) the numbers.

Freshness comes from the run history (the state store, read-only: when each airport's boards were last
collected, for which day) and from the warehouse (the last load of the day, the newest day each airport has rows
for). Quality comes from the warehouse table ``quality_results`` that every run's quality checks load
(``flightpipe.quality``), on every engine; the report says "not checked" where no result exists, and never fails
for want of one.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flightpipe.state.db import StateError
from flightpipe.state.runs import CollectedBoard
from flightpipe.state.store import StateStore
from flightpipe.warehouse.base import SqlWarehouse

QUALITY_TABLE = "quality_results"
#: Outcomes from worst to best (flightpipe.quality.api.Outcome): ``quarantined`` means a record rule sent
#: records to quarantine while the rest passed; ``skip`` means a rule could not judge.
_OUTCOME_ORDER = ("fail", "warn", "quarantined", "pass", "skip")


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
    """Successful collect steps from the state store (read-only: the report changes nothing), per airport."""
    if ledger_path is None or not ledger_path.exists():
        where = "this data folder" if ledger_path is None else str(ledger_path)
        return {a: Freshness(a, (), None, None, f"no run history in {where}") for a in airports}
    try:
        with StateStore.open(ledger_path, read_only=True) as state:
            collected: list[CollectedBoard] = state.steps.collected_boards()
    except (sqlite3.Error, StateError) as exc:
        return {a: Freshness(a, (), None, None, f"run history unreadable: {exc}") for a in airports}
    boards: dict[str, set[str]] = {a: set() for a in airports}
    collected_at: dict[str, dt.datetime] = {}
    last_day: dict[str, dt.date] = {}
    for board in collected:
        icao = board.airport_icao
        if icao not in boards:
            continue
        last_day[icao] = max(last_day.get(icao, board.day), board.day)
        if board.day == day:
            boards[icao].add(board.board)
            collected_at[icao] = max(collected_at.get(icao, board.finished_at), board.finished_at)
    return {a: Freshness(a, tuple(sorted(boards[a])), collected_at.get(a), last_day.get(a), "") for a in airports}


def read_quality(warehouse: SqlWarehouse, day: dt.date, airports: Sequence[str]) -> dict[str, Quality]:
    """The worst outcome per airport on ``day`` in ``quality_results`` (written by every run's quality checks):
    for each partition of the day (an airport's board, or the flight date, which concerns every airport) the
    latest check only, so a board collected again and passing no longer shows its old failure. "not checked"
    when there is no result (or no table: a warehouse no run has loaded yet)."""
    not_checked = {a: Quality(a, "not checked") for a in airports}
    columns = set(warehouse.existing_columns().get(QUALITY_TABLE, []))
    if not {"partition_date", "scope", "airport_icao", "board", "rule", "outcome", "checked_at_utc"} <= columns:
        return not_checked
    date = f"DATE '{day.isoformat()}'"
    same = " AND ".join(
        [f"coalesce(q.{c}, '') = coalesce(l.{c}, '')" for c in ("airport_icao", "board")] + ["q.scope = l.scope"]
    )
    rows = warehouse.query(
        f"SELECT q.airport_icao, q.outcome, q.rule FROM {QUALITY_TABLE} AS q JOIN"
        f" (SELECT scope, airport_icao, board, max(checked_at_utc) AS latest FROM {QUALITY_TABLE}"
        f"  WHERE partition_date = {date} GROUP BY scope, airport_icao, board) AS l"
        f" ON {same} AND q.checked_at_utc = l.latest WHERE q.partition_date = {date}"
    )
    found: dict[str, list[tuple[str, str]]] = {a: [] for a in airports}
    for airport, outcome, rule in rows:
        # A result without an airport (a flight-date rule) concerns every airport of the report.
        for target in [str(airport)] if airport is not None else list(airports):
            if target in found:
                found[target].append((str(outcome).lower(), str(rule)))
    result = {}
    for airport, results in found.items():
        if not results:
            result[airport] = not_checked[airport]
            continue
        worst = min((outcome for outcome, _ in results), key=_rank)
        rules = () if worst in ("pass", "skip") else tuple(sorted({r for o, r in results if o == worst}))
        result[airport] = Quality(airport, worst, rules, len(results))
    return result


def _rank(outcome: str) -> int:
    return _OUTCOME_ORDER.index(outcome) if outcome in _OUTCOME_ORDER else len(_OUTCOME_ORDER)
