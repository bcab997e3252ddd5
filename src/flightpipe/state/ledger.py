"""The run history of the local runner: every run and every step, in SQLite beside the data.

Safe to use from the runner's worker threads (one connection behind a lock) and to read from another process
while a run is going (WAL journal). A run whose process died without finishing (a crash, ``kill -9``) is
marked ``abandoned`` the next time anyone looks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flightpipe.core.redact import redact, redact_obj
from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id        TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    day           TEXT NOT NULL,
    airports      TEXT NOT NULL,
    boards        TEXT NOT NULL,
    source        TEXT NOT NULL,
    simulated     INTEGER NOT NULL,
    state         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    pid           INTEGER NOT NULL,
    host          TEXT NOT NULL,
    error         TEXT,
    summary       TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_day ON runs (day, state);
CREATE TABLE IF NOT EXISTS steps (
    step_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        TEXT NOT NULL REFERENCES runs (run_id),
    stage         TEXT NOT NULL,
    target        TEXT NOT NULL,
    state         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    duration_s    REAL,
    records_in    INTEGER,
    records_out   INTEGER,
    quarantined   INTEGER,
    bytes         INTEGER,
    detail        TEXT,
    error         TEXT
);
CREATE INDEX IF NOT EXISTS steps_by_run ON steps (run_id, step_id);
CREATE TABLE IF NOT EXISTS quality_results (
    result_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id         TEXT NOT NULL,
    checked_at     TEXT NOT NULL,
    scope          TEXT NOT NULL,
    partition_date TEXT NOT NULL,
    airport_icao   TEXT,
    board          TEXT,
    rule           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    level          TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    threshold      REAL,
    message        TEXT NOT NULL,
    counts         TEXT NOT NULL,
    examples       TEXT NOT NULL,
    overridden     INTEGER NOT NULL DEFAULT 0,
    overridden_by  TEXT
);
CREATE INDEX IF NOT EXISTS quality_by_partition ON quality_results (scope, partition_date, airport_icao, board, rule);
CREATE INDEX IF NOT EXISTS quality_by_run ON quality_results (run_id);
"""

RUNNING = "running"
SUCCEEDED = "succeeded"
PARTIAL = "partial"
FAILED = "failed"
#: A fail-level quality result stopped the load of (part of) a flight date; the rest was loaded.
FAILED_QUALITY = "failed quality"
ABANDONED = "abandoned"


@dataclass(frozen=True, slots=True)
class StepRecord:
    step_id: int
    run_id: str
    stage: str
    target: str
    state: str
    started_at: str
    finished_at: str | None
    duration_s: float | None
    records_in: int | None
    records_out: int | None
    quarantined: int | None
    bytes: int | None
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    kind: str
    day: str
    airports: list[str]
    boards: list[str]
    source: str
    simulated: bool
    state: str
    started_at: str
    finished_at: str | None
    pid: int
    host: str
    error: str | None
    summary: dict[str, Any]

    @property
    def duration_s(self) -> float | None:
        if not self.finished_at:
            return None
        return (
            dt.datetime.fromisoformat(self.finished_at) - dt.datetime.fromisoformat(self.started_at)
        ).total_seconds()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._con = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._con.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    # Runs ----------------------------------------------------------------------------------------------

    def start_run(
        self,
        run_id: str,
        *,
        kind: str,
        day: dt.date,
        airports: list[str],
        boards: list[str],
        source: str,
        simulated: bool,
    ) -> None:
        with self._tx() as con:
            con.execute(
                "INSERT INTO runs (run_id, kind, day, airports, boards, source, simulated, state, started_at,"
                " pid, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    kind,
                    day.isoformat(),
                    ",".join(airports),
                    ",".join(boards),
                    source,
                    int(simulated),
                    RUNNING,
                    _now(),
                    os.getpid(),
                    socket.gethostname(),
                ),
            )

    def finish_run(self, run_id: str, state: str, *, summary: dict[str, Any], error: str | None = None) -> None:
        with self._tx() as con:
            con.execute(
                "UPDATE runs SET state = ?, finished_at = ?, summary = ?, error = ? WHERE run_id = ?",
                (state, _now(), json.dumps(redact_obj(summary), default=str), redact(error) if error else None, run_id),
            )

    def runs(self, limit: int = 50, day: dt.date | None = None) -> list[RunRecord]:
        self.mark_abandoned()
        query = "SELECT * FROM runs"
        params: tuple[Any, ...] = ()
        if day is not None:
            query += " WHERE day = ?"
            params = (day.isoformat(),)
        query += " ORDER BY started_at DESC, run_id DESC LIMIT ?"
        with self._lock:
            rows = self._con.execute(query, (*params, limit)).fetchall()
        return [_run(row) for row in rows]

    def run(self, run_id: str) -> RunRecord | None:
        self.mark_abandoned()
        with self._lock:
            row = self._con.execute(
                "SELECT * FROM runs WHERE run_id = ? OR run_id LIKE ? ORDER BY started_at DESC LIMIT 1",
                (run_id, run_id + "%"),
            ).fetchone()
        return _run(row) if row else None

    def is_day_complete(self, day: dt.date, airports: list[str], boards: list[str]) -> bool:
        """True when a succeeded run of ``day`` covered every one of ``airports`` and ``boards``."""
        with self._lock:
            rows = self._con.execute(
                "SELECT airports, boards FROM runs WHERE day = ? AND state = ?", (day.isoformat(), SUCCEEDED)
            ).fetchall()
        return any(
            set(airports) <= set(row["airports"].split(",")) and set(boards) <= set(row["boards"].split(","))
            for row in rows
        )

    def mark_abandoned(self) -> int:
        """Mark runs of this host whose process is gone as abandoned; returns how many."""
        host = socket.gethostname()
        with self._lock:
            rows = self._con.execute(
                "SELECT run_id, pid FROM runs WHERE state = ? AND host = ?", (RUNNING, host)
            ).fetchall()
        dead = [row["run_id"] for row in rows if not _alive(int(row["pid"]))]
        if dead:
            with self._tx() as con:
                for run_id in dead:
                    con.execute(
                        "UPDATE runs SET state = ?, finished_at = ?, error = ? WHERE run_id = ? AND state = ?",
                        (
                            ABANDONED,
                            _now(),
                            "the process ended without finishing the run (crash or kill)",
                            run_id,
                            RUNNING,
                        ),
                    )
                    con.execute(
                        "UPDATE steps SET state = ?, error = ? WHERE run_id = ? AND state = ?",
                        (ABANDONED, "the process ended during this step", run_id, RUNNING),
                    )
        return len(dead)

    # Steps ---------------------------------------------------------------------------------------------

    def start_step(self, run_id: str, stage: str, target: str) -> int:
        with self._tx() as con:
            cursor = con.execute(
                "INSERT INTO steps (run_id, stage, target, state, started_at) VALUES (?, ?, ?, ?, ?)",
                (run_id, stage, target, RUNNING, _now()),
            )
            return int(cursor.lastrowid or 0)

    def finish_step(
        self,
        step_id: int,
        state: str,
        *,
        duration_s: float,
        records_in: int | None = None,
        records_out: int | None = None,
        quarantined: int | None = None,
        bytes_: int | None = None,
        detail: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        with self._tx() as con:
            con.execute(
                "UPDATE steps SET state = ?, finished_at = ?, duration_s = ?, records_in = ?, records_out = ?,"
                " quarantined = ?, bytes = ?, detail = ?, error = ? WHERE step_id = ?",
                (
                    state,
                    _now(),
                    duration_s,
                    records_in,
                    records_out,
                    quarantined,
                    bytes_,
                    json.dumps(redact_obj(detail or {}), default=str),
                    redact(error) if error else None,
                    step_id,
                ),
            )

    def steps(self, run_id: str) -> list[StepRecord]:
        with self._lock:
            rows = self._con.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY step_id", (run_id,)).fetchall()
        return [
            StepRecord(
                step_id=row["step_id"],
                run_id=row["run_id"],
                stage=row["stage"],
                target=row["target"],
                state=row["state"],
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                duration_s=row["duration_s"],
                records_in=row["records_in"],
                records_out=row["records_out"],
                quarantined=row["quarantined"],
                bytes=row["bytes"],
                detail=json.loads(row["detail"] or "{}"),
                error=row["error"],
            )
            for row in rows
        ]

    # Quality results -----------------------------------------------------------------------------------

    def record_quality(self, run_id: str, results: list[RuleResult], checked_at: dt.datetime) -> None:
        """Store ``results`` of ``run_id``, replacing what the same run stored for the same partitions."""
        with self._tx() as con:
            for part in {r.partition for r in results if r.partition is not None}:
                con.execute(
                    "DELETE FROM quality_results WHERE run_id = ? AND scope = ? AND partition_date = ?"
                    " AND airport_icao IS ? AND board IS ?",
                    (run_id, str(part.scope), part.date.isoformat(), part.airport_icao, part.board),
                )
            con.executemany(
                "INSERT INTO quality_results (run_id, checked_at, scope, partition_date, airport_icao, board, rule,"
                " kind, level, outcome, threshold, message, counts, examples, overridden, overridden_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        checked_at.isoformat(timespec="milliseconds"),
                        str(r.partition.scope),
                        r.partition.date.isoformat(),
                        r.partition.airport_icao,
                        r.partition.board,
                        r.rule,
                        str(r.kind),
                        str(r.level),
                        str(r.outcome),
                        r.threshold,
                        redact(r.message),
                        json.dumps(r.counts, sort_keys=True),
                        json.dumps(redact_obj(r.examples)),
                        int(r.overridden),
                        run_id if r.overridden else None,
                    )
                    for r in results
                    if r.partition is not None
                ],
            )

    def quality_results(self, *, run_id: str | None = None, day: dt.date | None = None) -> list[StoredResult]:
        """Stored results, in the order they were stored, of one run and/or one partition date."""
        clauses, params = [], []
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        if day is not None:
            clauses.append("partition_date = ?")
            params.append(day.isoformat())
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        with self._lock:
            rows = self._con.execute(f"SELECT * FROM quality_results{where} ORDER BY result_id", params).fetchall()
        return [_stored(row) for row in rows]

    def latest_board_results(self, dates: list[dt.date]) -> list[RuleResult]:
        """For every board partition (airport, board, collection date) of ``dates``: the latest run's results."""
        if not dates:
            return []
        marks = ",".join("?" * len(dates))
        with self._lock:
            rows = self._con.execute(
                f"""SELECT q.* FROM quality_results AS q
                    JOIN (SELECT partition_date, airport_icao, board, run_id FROM quality_results
                          WHERE result_id IN (SELECT max(result_id) FROM quality_results
                                              WHERE scope = 'board' AND partition_date IN ({marks})
                                              GROUP BY partition_date, airport_icao, board)) AS l
                      ON q.partition_date = l.partition_date AND q.airport_icao = l.airport_icao
                     AND q.board = l.board AND q.run_id = l.run_id
                    WHERE q.scope = 'board' ORDER BY q.result_id""",
                [d.isoformat() for d in dates],
            ).fetchall()
        return [_stored(row).result for row in rows]

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        """The board's record count on each of ``dates`` that a run measured (the latest measurement wins)."""
        if not dates:
            return {}
        marks = ",".join("?" * len(dates))
        with self._lock:
            rows = self._con.execute(
                f"SELECT partition_date, counts FROM quality_results WHERE scope = 'board'"
                f" AND rule = 'volume_band' AND airport_icao = ? AND board = ? AND partition_date IN ({marks})"
                " ORDER BY result_id",
                [icao, board, *(d.isoformat() for d in dates)],
            ).fetchall()
        found: dict[dt.date, float] = {}
        for row in rows:  # oldest first: a later measurement of the same day replaces an earlier one
            records = json.loads(row["counts"]).get("records")
            if records is not None:
                found[dt.date.fromisoformat(row["partition_date"])] = float(records)
        return found

    def mark_overridden(self, results: list[RuleResult], by_run: str) -> None:
        """Record that run ``by_run`` loaded data despite these (stored) fail results."""
        with self._tx() as con:
            for r in results:
                assert r.partition is not None
                con.execute(
                    "UPDATE quality_results SET overridden = 1, overridden_by = coalesce(overridden_by, ?)"
                    " WHERE scope = ? AND partition_date = ? AND airport_icao IS ? AND board IS ? AND rule = ?"
                    " AND outcome = 'fail' AND overridden = 0",
                    (
                        by_run,
                        str(r.partition.scope),
                        r.partition.date.isoformat(),
                        r.partition.airport_icao,
                        r.partition.board,
                        r.rule,
                    ),
                )


@dataclass(frozen=True, slots=True)
class StoredResult:
    run_id: str
    checked_at: str
    result: RuleResult
    overridden_by: str | None = None


def _stored(row: sqlite3.Row) -> StoredResult:
    return StoredResult(
        run_id=row["run_id"],
        checked_at=row["checked_at"],
        overridden_by=row["overridden_by"],
        result=RuleResult(
            rule=row["rule"],
            kind=Kind(row["kind"]),
            level=Level(row["level"]),
            outcome=Outcome(row["outcome"]),
            message=row["message"],
            threshold=row["threshold"],
            counts=json.loads(row["counts"]),
            examples=json.loads(row["examples"]),
            partition=Partition(
                scope=Scope(row["scope"]),
                date=dt.date.fromisoformat(row["partition_date"]),
                airport_icao=row["airport_icao"],
                board=row["board"],
            ),
            overridden=bool(row["overridden"]),
        ),
    )


def _run(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        kind=row["kind"],
        day=row["day"],
        airports=row["airports"].split(","),
        boards=row["boards"].split(","),
        source=row["source"],
        simulated=bool(row["simulated"]),
        state=row["state"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        pid=row["pid"],
        host=row["host"],
        error=row["error"],
        summary=json.loads(row["summary"] or "{}"),
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed child not yet reaped) is not a live run.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True
