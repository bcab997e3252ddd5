"""Which alerts were sent: one table in the run history's SQLite file, the memory that deduplicates alerts.

An alert is sent once per problem per day: its key (event name, collection day, problem) is claimed for the
UTC date it is sent on, atomically, so two processes (a scheduled run and a manual rerun) cannot both send it.
A problem that persists is alerted again the next day; a retry the same day is not. When no notifier could
deliver the alert, the claim is released so a later attempt may send it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from flightpipe.core.redact import redact

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts_sent (
    dedup_key     TEXT NOT NULL,
    sent_on       TEXT NOT NULL,
    event         TEXT NOT NULL,
    day           TEXT NOT NULL,
    run_id        TEXT,
    sent_at       TEXT NOT NULL,
    summary       TEXT NOT NULL,
    delivered_to  TEXT,
    failed        TEXT,
    PRIMARY KEY (dedup_key, sent_on)
);
"""


@dataclass(frozen=True, slots=True)
class SentAlert:
    dedup_key: str
    sent_on: str
    event: str
    day: str
    run_id: str | None
    sent_at: str
    summary: str
    delivered_to: list[str]
    failed: list[str]


class AlertLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def claim(
        self, dedup_key: str, *, event: str, day: dt.date, run_id: str | None, summary: str, now: dt.datetime
    ) -> bool:
        """True when this process may send the alert (nobody sent it on ``now``'s UTC date yet)."""
        with self._lock:
            cursor = self._con.execute(
                "INSERT OR IGNORE INTO alerts_sent (dedup_key, sent_on, event, day, run_id, sent_at, summary)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    dedup_key,
                    _sent_on(now),
                    event,
                    day.isoformat(),
                    run_id,
                    now.astimezone(dt.UTC).isoformat(timespec="seconds"),
                    redact(summary),
                ),
            )
            return cursor.rowcount == 1

    def record(self, dedup_key: str, *, now: dt.datetime, delivered_to: list[str], failed: list[str]) -> None:
        with self._lock:
            self._con.execute(
                "UPDATE alerts_sent SET delivered_to = ?, failed = ? WHERE dedup_key = ? AND sent_on = ?",
                (",".join(delivered_to), redact("; ".join(failed)), dedup_key, _sent_on(now)),
            )

    def release(self, dedup_key: str, *, now: dt.datetime) -> None:
        with self._lock:
            self._con.execute("DELETE FROM alerts_sent WHERE dedup_key = ? AND sent_on = ?", (dedup_key, _sent_on(now)))

    def recent(self, limit: int = 20) -> list[SentAlert]:
        with self._lock:
            rows = self._con.execute(
                "SELECT dedup_key, sent_on, event, day, run_id, sent_at, summary, delivered_to, failed"
                " FROM alerts_sent ORDER BY sent_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            SentAlert(
                dedup_key=row[0],
                sent_on=row[1],
                event=row[2],
                day=row[3],
                run_id=row[4],
                sent_at=row[5],
                summary=row[6],
                delivered_to=[p for p in (row[7] or "").split(",") if p],
                failed=[p for p in (row[8] or "").split("; ") if p],
            )
            for row in rows
        ]


def _sent_on(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).date().isoformat()
