"""collect: fetch one airport's board for one day and land it, untouched, as a raw envelope.

Raw is append-only: every collection writes a new key (the run id is in it), so a re-collection never
overwrites what an earlier one saw. The write is atomic, and it is the write that announces the file to the
transform stage (the store's "object landed" event, S3's event notification on AWS).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flightpipe.envelope import Envelope
from flightpipe.faults import failpoint
from flightpipe.layout import Board, RawKey
from flightpipe.redact import redact_obj
from flightpipe.sources.base import Source
from flightpipe.store import ObjectStore


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


def collect_board(
    store: ObjectStore,
    source: Source,
    *,
    icao: str,
    day: dt.date,
    board: Board,
    run_id: str,
    as_of: dt.datetime,
) -> CollectResult:
    fetched = source.fetch_board(icao, day, board, as_of=as_of)
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
    attempts = [r for r in fetched.requests if str(r.get("url", "")).startswith(("http://", "https://"))]
    failed = [
        r for r in attempts if "error" in r or int(r.get("status") or 0) == 429 or int(r.get("status") or 0) >= 500
    ]
    return CollectResult(
        raw_key=key.key,
        records=fetched.record_count,
        pages=len(fetched.pages),
        bytes_written=len(data),
        api_requests=len(attempts),
        api_retries=len(failed),
    )
