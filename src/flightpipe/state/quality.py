"""The quality results of every run (``quality_results``): the :class:`~flightpipe.quality.history.QualityHistory`
of one machine, which :class:`flightpipe.pipeline.quality.RunQuality` reads and writes.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass

from flightpipe.core.redact import redact, redact_obj
from flightpipe.quality.api import Kind, Level, Outcome, Partition, RuleResult, Scope
from flightpipe.state.db import Database


@dataclass(frozen=True, slots=True)
class StoredResult:
    run_id: str
    checked_at: str
    result: RuleResult
    overridden_by: str | None = None


class QualityResults:
    """The ``quality_results`` table; implements ``QualityHistory``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record_quality(self, run_id: str, results: list[RuleResult], checked_at: dt.datetime) -> None:
        """Store ``results`` of ``run_id``, replacing what the same run stored for the same partitions."""
        with self.db.transaction() as con:
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

    def stored(self, *, run_id: str | None = None, day: dt.date | None = None) -> list[StoredResult]:
        """Stored results, in the order they were stored, of one run and/or one partition date."""
        clauses, params = [], []
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        if day is not None:
            clauses.append("partition_date = ?")
            params.append(day.isoformat())
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return [
            _stored(row) for row in self.db.read(f"SELECT * FROM quality_results{where} ORDER BY result_id", params)
        ]

    def latest_board_results(self, dates: list[dt.date]) -> list[RuleResult]:
        """For every board partition (airport, board, collection date) of ``dates``: the latest run's results."""
        if not dates:
            return []
        marks = ",".join("?" * len(dates))
        rows = self.db.read(
            f"""SELECT q.* FROM quality_results AS q
                JOIN (SELECT partition_date, airport_icao, board, run_id FROM quality_results
                      WHERE result_id IN (SELECT max(result_id) FROM quality_results
                                          WHERE scope = 'board' AND partition_date IN ({marks})
                                          GROUP BY partition_date, airport_icao, board)) AS l
                  ON q.partition_date = l.partition_date AND q.airport_icao = l.airport_icao
                 AND q.board = l.board AND q.run_id = l.run_id
                WHERE q.scope = 'board' AND q.partition_date IN ({marks}) ORDER BY q.result_id""",
            # The dates twice: filtering q on them too (the join implies it) lets SQLite read only those dates'
            # rows through quality_by_partition instead of every board result ever stored (0.3 s at 90 days).
            [d.isoformat() for d in dates] * 2,
        )
        return [_stored(row).result for row in rows]

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        """The board's record count on each of ``dates`` that a run measured (the latest measurement wins)."""
        if not dates:
            return {}
        marks = ",".join("?" * len(dates))
        rows = self.db.read(
            f"SELECT partition_date, counts FROM quality_results WHERE scope = 'board'"
            f" AND rule = 'volume_band' AND airport_icao = ? AND board = ? AND partition_date IN ({marks})"
            " ORDER BY result_id",
            [icao, board, *(d.isoformat() for d in dates)],
        )
        found: dict[dt.date, float] = {}
        for row in rows:  # oldest first: a later measurement of the same day replaces an earlier one
            records = json.loads(row["counts"]).get("records")
            if records is not None:
                found[dt.date.fromisoformat(row["partition_date"])] = float(records)
        return found

    def mark_overridden(self, results: list[RuleResult], by_run: str) -> None:
        """Record that run ``by_run`` loaded data despite these (stored) fail results."""
        with self.db.transaction() as con:
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
