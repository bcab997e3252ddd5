"""The Reports page: the daily reports the runs wrote beside the data (``reports/<date>.html``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flightpipe.core.store import ObjectStore
from flightpipe.report.render import REPORTS_PREFIX, report_key


@dataclass(frozen=True, slots=True)
class StoredReport:
    day: str
    size: int


def stored_reports(store: ObjectStore) -> list[StoredReport]:
    """Every day's report in the store, newest first."""
    found = []
    for info in store.list_info(REPORTS_PREFIX):
        name = info.key.rsplit("/", 1)[-1]
        stem = name.removesuffix(".html")
        try:
            day = dt.date.fromisoformat(stem)
        except ValueError:
            continue  # not a report of a day (a file someone put there)
        if info.key == report_key(day):
            found.append(StoredReport(day.isoformat(), info.size))
    return sorted(found, key=lambda r: r.day, reverse=True)


def read_report(store: ObjectStore, day: dt.date) -> bytes | None:
    key = report_key(day)
    return store.get(key) if store.exists(key) else None
