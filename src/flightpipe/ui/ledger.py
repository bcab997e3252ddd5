"""What the console reads from the ledger beyond what ``monitoring.status`` gives: the day x airport x board grid,
run lists with filters, and quality outcomes by rule and day.

Each function is one or two indexed queries over the state store (``runs_by_day``, ``steps_by_run``,
``quality_by_partition``), so a page costs the same on a year of runs as on a week.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flightpipe.quality.api import Partition
from flightpipe.state.quality import StoredResult
from flightpipe.state.runs import FAILED, FAILED_QUALITY, RunRecord
from flightpipe.state.store import StateStore

#: A cell of a day that no run covered.
NEVER_RUN = "never run"
#: Outcomes from worst to best (a skip, "could not judge", only when nothing else was said): a rule's cell of a
#: day shows the worst of its partitions.
OUTCOME_ORDER = ("fail", "quarantined", "warn", "pass", "skip")


@dataclass(frozen=True, slots=True)
class GridCell:
    """One airport's board on one collection day: the state of the latest run that covered it."""

    day: str
    airport: str
    board: str
    state: str
    run_id: str | None = None
    #: The worst outcome of the board's quality checks in that run ("" when it was not checked).
    quality: str = ""


@dataclass(frozen=True, slots=True)
class RunFilter:
    day: str | None = None
    state: str | None = None
    source: str | None = None
    kind: str | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class QualityMatrix:
    """Rules x days: the worst outcome of each rule on each partition date (latest run of each partition)."""

    days: list[str]
    rules: list[str]
    cells: dict[tuple[str, str], str] = field(default_factory=dict)


def worst(outcomes: Sequence[str]) -> str:
    ranked = [o for o in OUTCOME_ORDER if o in outcomes]
    return ranked[0] if ranked else ""


def grid(
    state: StateStore, days: Sequence[str], airports: Sequence[str], boards: Sequence[str]
) -> dict[tuple[str, str, str], GridCell]:
    """For each (day, airport, board): the latest run of the day whose airports and boards include it.

    The cell takes that run's state, narrowed to ``failed`` when the board's own collect step failed and to
    ``failed quality`` when its own board checks failed (a run that failed at one airport succeeded at others).
    """
    if not days:
        return {}
    first, last = min(days), max(days)
    runs = state.db.read(
        "SELECT run_id, day, airports, boards, state FROM runs WHERE day BETWEEN ? AND ?"
        " ORDER BY started_at DESC, run_id DESC",
        (first, last),
    )
    latest: dict[tuple[str, str, str], str] = {}
    run_state: dict[str, str] = {}
    for row in runs:  # newest first: the first run seen for a cell is its latest
        run_state[row["run_id"]] = row["state"]
        for airport in str(row["airports"]).split(","):
            for board in str(row["boards"]).split(","):
                latest.setdefault((row["day"], airport, board), row["run_id"])
    run_ids = sorted(set(latest.values()))
    failed_collects: set[tuple[str, str]] = set()
    board_outcomes: dict[tuple[str, str, str, str], list[str]] = {}
    held: set[tuple[str, str, str, str]] = set()  # boards with a fail that no --allow-quality-failures let through
    if run_ids:
        marks = ",".join("?" * len(run_ids))
        for row in state.db.read(
            f"SELECT run_id, target FROM steps WHERE run_id IN ({marks}) AND stage = 'collect' AND state = ?",
            (*run_ids, FAILED),
        ):
            failed_collects.add((row["run_id"], "/".join(str(row["target"]).split("/")[:2])))
        # One row per board and run: its outcomes, and whether a fail held it (not let through by an override).
        for row in state.db.read(
            "SELECT run_id, partition_date, airport_icao, board, group_concat(DISTINCT outcome) AS outcomes,"
            " max(outcome = 'fail' AND overridden = 0) AS held FROM quality_results"
            f" WHERE scope = 'board' AND partition_date BETWEEN ? AND ? AND run_id IN ({marks})"
            " GROUP BY run_id, partition_date, airport_icao, board",
            (first, last, *run_ids),
        ):
            key = (row["run_id"], row["partition_date"], row["airport_icao"], row["board"])
            board_outcomes[key] = str(row["outcomes"]).split(",")
            if row["held"]:
                held.add(key)
    cells: dict[tuple[str, str, str], GridCell] = {}
    for day in days:
        for airport in airports:
            for board in boards:
                run_id = latest.get((day, airport, board))
                if run_id is None:
                    cells[(day, airport, board)] = GridCell(day, airport, board, NEVER_RUN)
                    continue
                quality = worst(board_outcomes.get((run_id, day, airport, board), []))
                cell_state = run_state[run_id]
                if (run_id, f"{airport}/{board}") in failed_collects:
                    cell_state = FAILED
                elif (run_id, day, airport, board) in held:
                    cell_state = FAILED_QUALITY
                cells[(day, airport, board)] = GridCell(day, airport, board, cell_state, run_id, quality)
    return cells


def runs(state: StateStore, where: RunFilter) -> list[RunRecord]:
    """Runs matching ``where``, newest first."""
    clauses, params = [], []
    for column, value in (("day", where.day), ("state", where.state), ("source", where.source), ("kind", where.kind)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    sql = "SELECT run_id FROM runs" + (" WHERE " + " AND ".join(clauses) if clauses else "")
    sql += " ORDER BY started_at DESC, run_id DESC LIMIT ?"
    found = []
    for row in state.db.read(sql, (*params, where.limit)):
        run = state.runs.find(row["run_id"])
        if run is not None:
            found.append(run)
    return found


def distinct(state: StateStore, column: str) -> list[str]:
    """The values of a ``runs`` column the filters offer (``state``, ``source`` or ``kind``)."""
    if column not in {"state", "source", "kind"}:
        raise ValueError(column)
    return [str(r[0]) for r in state.db.read(f"SELECT DISTINCT {column} FROM runs ORDER BY 1")]


def quality_matrix(state: StateStore, days: Sequence[str]) -> QualityMatrix:
    """Every rule's worst outcome per partition date over ``days``, from each partition's latest run."""
    if not days:
        return QualityMatrix([], [])
    # The latest run of each partition (the run of its newest result), then that run's results: one pass.
    rows = state.db.read(
        """SELECT partition_date, rule, group_concat(DISTINCT outcome) AS outcomes FROM (
               SELECT partition_date, rule, outcome, run_id,
                      first_value(run_id) OVER (PARTITION BY scope, partition_date, airport_icao, board
                                                ORDER BY result_id DESC) AS latest_run
               FROM quality_results WHERE partition_date BETWEEN ? AND ?)
           WHERE run_id = latest_run GROUP BY partition_date, rule""",
        (min(days), max(days)),
    )
    outcomes: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        outcomes[(row["rule"], row["partition_date"])] = str(row["outcomes"]).split(",")
    rules = sorted({rule for rule, _ in outcomes})
    return QualityMatrix(list(days), rules, {key: worst(found) for key, found in outcomes.items()})


def day_range(last: dt.date, count: int) -> list[str]:
    """``count`` days ending at ``last``, newest first."""
    return [(last - dt.timedelta(days=offset)).isoformat() for offset in range(count)]


def open_ledger(path: Path) -> StateStore | None:
    """The ledger read-only, or None before the first run made it.

    Listing runs marks those of this host whose process died as abandoned, as every ``flightpipe`` listing
    does; when there is such a run, that one update is made through a writable connection (the only write the
    console makes to the ledger outside its actions).
    """
    if not path.exists():
        return None
    state = StateStore.open(path, read_only=True)
    try:
        state.runs.mark_abandoned()
    except sqlite3.OperationalError:  # a dead run to mark, on a read-only connection
        with StateStore.open(path) as writable:
            writable.runs.mark_abandoned()
    except BaseException:
        state.close()
        raise
    return state


def latest_checks(stored: Sequence[StoredResult]) -> list[StoredResult]:
    """Of results in the order they were stored, those of each partition's latest check (the run that stored its
    last result): what a rerun or replay said replaces what the run before it said."""
    latest_run: dict[Partition | None, str] = {}
    for found in stored:
        latest_run[found.result.partition] = found.run_id
    return [found for found in stored if latest_run[found.result.partition] == found.run_id]
