"""Which alerts were sent (``alerts_sent``): the memory that deduplicates alerts.

An alert is sent once per problem per day: its key (event name, collection day, problem) is claimed for the
UTC date it is sent on, atomically, so two processes (a scheduled run and a manual rerun) cannot both send it.
A problem that persists is alerted again the next day; a retry the same day is not. When no notifier could
deliver the alert, the claim is released so a later attempt may send it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flightpipe.core.redact import redact
from flightpipe.state.db import Database


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


class SentAlerts:
    """The ``alerts_sent`` table: one row per alert key and UTC date it was sent on."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self, dedup_key: str, *, event: str, day: dt.date, run_id: str | None, summary: str, now: dt.datetime
    ) -> bool:
        """True when this process may send the alert (nobody sent it on ``now``'s UTC date yet)."""
        inserted = self.db.write(
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
        return inserted == 1

    def record(self, dedup_key: str, *, now: dt.datetime, delivered_to: list[str], failed: list[str]) -> None:
        """Note who received the claimed alert and which notifiers failed (redacted)."""
        self.db.write(
            "UPDATE alerts_sent SET delivered_to = ?, failed = ? WHERE dedup_key = ? AND sent_on = ?",
            (",".join(delivered_to), redact("; ".join(failed)), dedup_key, _sent_on(now)),
        )

    def release(self, dedup_key: str, *, now: dt.datetime) -> None:
        """Give the claim up (nobody could be told), so a later attempt the same day may send the alert."""
        self.db.write("DELETE FROM alerts_sent WHERE dedup_key = ? AND sent_on = ?", (dedup_key, _sent_on(now)))

    def recent(self, limit: int = 20) -> list[SentAlert]:
        """The alerts sent lately, newest first."""
        rows = self.db.read(
            "SELECT dedup_key, sent_on, event, day, run_id, sent_at, summary, delivered_to, failed"
            " FROM alerts_sent ORDER BY sent_at DESC LIMIT ?",
            (limit,),
        )
        return [
            SentAlert(
                dedup_key=row["dedup_key"],
                sent_on=row["sent_on"],
                event=row["event"],
                day=row["day"],
                run_id=row["run_id"],
                sent_at=row["sent_at"],
                summary=row["summary"],
                delivered_to=[p for p in (row["delivered_to"] or "").split(",") if p],
                failed=[p for p in (row["failed"] or "").split("; ") if p],
            )
            for row in rows
        ]


def _sent_on(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).date().isoformat()
