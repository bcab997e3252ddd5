"""collect: fetch one airport's board for one day and land it, untouched, as a raw envelope.

Raw is append-only: every collection writes a new key (the run id is in it), so a re-collection never
overwrites what an earlier one saw. The write is atomic, and it is the write that announces the file to the
transform stage (the store's "object landed" event, S3's event notification on AWS).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flightpipe.core.envelope import Envelope
from flightpipe.core.faults import failpoint
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.redact import redact_obj
from flightpipe.core.store import ObjectStore
from flightpipe.sources.base import Source
from flightpipe.sources.http import watch_request_logs


@dataclass(frozen=True, slots=True)
class CollectResult:
    raw_key: str
    records: int
    pages: int
    bytes_written: int
    #: HTTP attempts made for this board (0 for the simulated source), and how many of them were retries of a
    #: failed attempt (a timeout, a dropped connection, a 429 or a 5xx answer).
    api_requests: int = 0
    api_retries: int = 0


@dataclass(slots=True)
class ApiCalls:
    """The HTTP attempts one board's collection made: filled whether the collection succeeds or fails (a failed
    board is when the retries matter most)."""

    requests: int = 0
    retries: int = 0

    def count(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Count the request log: every attempt at an HTTP URL, and of them the retries (an attempt right after a
        failed one: a board's requests are sequential, so the next attempt is its retry)."""
        previous_failed = False
        for entry in entries:
            if not str(entry.get("url", "")).startswith(("http://", "https://")):
                continue
            self.requests += 1
            self.retries += int(previous_failed)
            status = int(entry.get("status") or 0)
            previous_failed = "error" in entry or status == 429 or status >= 500


def collect_board(
    store: ObjectStore,
    source: Source,
    *,
    icao: str,
    day: dt.date,
    board: Board,
    run_id: str,
    as_of: dt.datetime,
    api_calls: ApiCalls | None = None,
) -> CollectResult:
    """``api_calls``, when given, receives the request counts also when the fetch fails."""
    calls = api_calls if api_calls is not None else ApiCalls()
    with watch_request_logs() as logs:
        try:
            fetched = source.fetch_board(icao, day, board, as_of=as_of)
        except BaseException:
            calls.count(entry for log in logs for entry in log.entries)
            raise
    calls.count(fetched.requests)
    key = RawKey(icao=icao, collection_date=day, board=board, run_id=run_id)
    envelope = Envelope(
        source=source.name,
        format=source.format,
        airport_icao=icao,
        board=board,
        collection_date=day,
        run_id=run_id,
        fetched_at=as_of,
        pages=fetched.pages,
        requests=redact_obj(fetched.requests),
    )
    data = envelope.to_bytes()
    store.put(key.key, data)
    failpoint("collect.after_write")
    return CollectResult(
        raw_key=key.key,
        records=fetched.record_count,
        pages=len(fetched.pages),
        bytes_written=len(data),
        api_requests=calls.requests,
        api_retries=calls.retries,
    )
