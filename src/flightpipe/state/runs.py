"""The run history: every run (``runs``) and every step of it (``steps``).

A run whose process died without finishing it (a crash, ``kill -9``) is marked ``abandoned``, with its running
steps, the next time anyone lists or looks up runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.redact import redact, redact_obj
from flightpipe.state.db import Database

RUNNING = "running"
SUCCEEDED = "succeeded"
PARTIAL = "partial"
FAILED = "failed"
#: A fail-level quality result stopped the load of (part of) a flight date; the rest was loaded.
FAILED_QUALITY = "failed quality"
ABANDONED = "abandoned"
#: A day of a range (backfill, catch-up) collected, transformed and checked board by board; processing and
#: loading its flight dates is the range's step at the end (``pipeline.range_finish``), which then settles the
#: day's state. A day left ``collected`` (the range was killed) is finished by the next backfill without collecting
#: it again; it is not complete.
COLLECTED = "collected"


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


@dataclass(frozen=True, slots=True)
class CollectedBoard:
    """A board collected successfully: for the collection ``day`` of its run, finished at ``finished_at``."""

    day: dt.date
    airport_icao: str
    board: str
    finished_at: dt.datetime


class Runs:
    """The ``runs`` table; start and end times are ``clock()``'s."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self.db = db
        self._clock = clock

    def start(
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
        """Record a run starting now, in this process on this host."""
        with self.db.transaction() as con:
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
                    _stamp(self._clock()),
                    os.getpid(),
                    socket.gethostname(),
                ),
            )

    def finish(self, run_id: str, state: str, *, summary: dict[str, Any], error: str | None = None) -> None:
        """Record the run's end state and summary (secrets redacted)."""
        with self.db.transaction() as con:
            con.execute(
                "UPDATE runs SET state = ?, finished_at = ?, summary = ?, error = ? WHERE run_id = ?",
                (
                    state,
                    _stamp(self._clock()),
                    json.dumps(redact_obj(summary), default=str),
                    redact(error) if error else None,
                    run_id,
                ),
            )

    def settle(self, run_id: str, state: str, *, summary: dict[str, Any], error: str | None = None) -> None:
        """The final state of a ``collected`` run, decided by its range's step; its end time stays the day's own."""
        with self.db.transaction() as con:
            con.execute(
                "UPDATE runs SET state = ?, summary = ?, error = ? WHERE run_id = ?",
                (state, json.dumps(redact_obj(summary), default=str), redact(error) if error else None, run_id),
            )

    def awaiting_range(self, day: dt.date, airports: list[str], boards: list[str]) -> RunRecord | None:
        """The latest run of ``day`` covering every one of ``airports`` and ``boards``, when it is ``collected``:
        its range's step did not finish (None: no such run, or the latest one is in another state)."""
        for row in self.db.read(
            "SELECT * FROM runs WHERE day = ? ORDER BY started_at DESC, run_id DESC", (day.isoformat(),)
        ):
            if set(airports) <= set(row["airports"].split(",")) and set(boards) <= set(row["boards"].split(",")):
                return _run(row) if row["state"] == COLLECTED else None
        return None

    def recent(self, limit: int = 50, day: dt.date | None = None) -> list[RunRecord]:
        """The latest ``limit`` runs (of collection day ``day``), newest first."""
        self.mark_abandoned()
        query = "SELECT * FROM runs"
        params: tuple[Any, ...] = ()
        if day is not None:
            query += " WHERE day = ?"
            params = (day.isoformat(),)
        query += " ORDER BY started_at DESC, run_id DESC LIMIT ?"
        return [_run(row) for row in self.db.read(query, (*params, limit))]

    def find(self, run_id: str) -> RunRecord | None:
        """The run with this id, or the latest whose id starts with it."""
        self.mark_abandoned()
        row = self.db.read_one(
            "SELECT * FROM runs WHERE run_id = ? OR run_id LIKE ? ORDER BY started_at DESC LIMIT 1",
            (run_id, run_id + "%"),
        )
        return _run(row) if row else None

    def ids_starting_with(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` run ids that start with ``prefix``, newest first (``%`` and ``_`` match themselves)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.read(
            "SELECT run_id FROM runs WHERE run_id LIKE ? ESCAPE '\\' ORDER BY started_at DESC, run_id DESC LIMIT ?",
            (pattern, limit),
        )
        return [str(row["run_id"]) for row in rows]

    def is_day_complete(self, day: dt.date, airports: list[str], boards: list[str]) -> bool:
        """True when a succeeded run of ``day`` covered every one of ``airports`` and ``boards``."""
        rows = self.db.read(
            "SELECT airports, boards FROM runs WHERE day = ? AND state = ?", (day.isoformat(), SUCCEEDED)
        )
        return any(
            set(airports) <= set(row["airports"].split(",")) and set(boards) <= set(row["boards"].split(","))
            for row in rows
        )

    def mark_abandoned(self) -> int:
        """Mark runs of this host whose process is gone as abandoned, and their running steps; returns how many
        runs."""
        rows = self.db.read(
            "SELECT run_id, pid FROM runs WHERE state = ? AND host = ?", (RUNNING, socket.gethostname())
        )
        dead = [row["run_id"] for row in rows if not _alive(int(row["pid"]))]
        if dead:
            with self.db.transaction() as con:
                for run_id in dead:
                    con.execute(
                        "UPDATE runs SET state = ?, finished_at = ?, error = ? WHERE run_id = ? AND state = ?",
                        (
                            ABANDONED,
                            _stamp(self._clock()),
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


class Steps:
    """The ``steps`` table: one row per unit of work of a run (a board collected, a date loaded, ...); start and
    end times are ``clock()``'s."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self.db = db
        self._clock = clock

    def start(self, run_id: str, stage: str, target: str) -> int:
        """Record a step starting now; returns its id."""
        with self.db.transaction() as con:
            cursor = con.execute(
                "INSERT INTO steps (run_id, stage, target, state, started_at) VALUES (?, ?, ?, ?, ?)",
                (run_id, stage, target, RUNNING, _stamp(self._clock())),
            )
            return int(cursor.lastrowid or 0)

    def finish(
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
        """Record the step's end state and counts (secrets redacted)."""
        with self.db.transaction() as con:
            con.execute(
                "UPDATE steps SET state = ?, finished_at = ?, duration_s = ?, records_in = ?, records_out = ?,"
                " quarantined = ?, bytes = ?, detail = ?, error = ? WHERE step_id = ?",
                (
                    state,
                    _stamp(self._clock()),
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

    def of_run(self, run_id: str) -> list[StepRecord]:
        """The run's steps in the order they started."""
        rows = self.db.read("SELECT * FROM steps WHERE run_id = ? ORDER BY step_id", (run_id,))
        return [_step(row) for row in rows]

    def collected_boards(self) -> list[CollectedBoard]:
        """Every board any run collected successfully (its step target is ``<ICAO>/<board>[/...]``)."""
        rows = self.db.read(
            "SELECT r.day, s.target, s.finished_at FROM steps AS s JOIN runs AS r ON r.run_id = s.run_id"
            " WHERE s.stage = 'collect' AND s.state = ? AND s.finished_at IS NOT NULL ORDER BY s.step_id",
            (SUCCEEDED,),
        )
        found = []
        for row in rows:
            icao, _, board = str(row["target"]).partition("/")
            found.append(
                CollectedBoard(
                    day=dt.date.fromisoformat(row["day"]),
                    airport_icao=icao,
                    board=board,
                    finished_at=dt.datetime.fromisoformat(row["finished_at"]),
                )
            )
        return found


def _stamp(when: dt.datetime) -> str:
    """How the tables store a time: UTC, ISO 8601, to the millisecond (so the text sorts as the time does)."""
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds")


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


def _step(row: sqlite3.Row) -> StepRecord:
    return StepRecord(
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
