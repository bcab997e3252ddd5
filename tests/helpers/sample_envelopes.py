"""Helpers that put records into raw envelopes the way the collect stage would."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from flightpipe.core.envelope import Envelope
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore


def land(
    store: ObjectStore,
    records: list[dict[str, Any]],
    *,
    icao: str,
    day: dt.date,
    board: Board,
    run_id: str,
    fetched_at: dt.datetime,
    source: str = "aviationstack",
    page_size: int = 100,
) -> str:
    pages = [
        {
            "pagination": {
                "limit": page_size,
                "offset": i,
                "count": len(records[i : i + page_size]),
                "total": len(records),
            },
            "data": records[i : i + page_size],
        }
        for i in range(0, max(len(records), 1), page_size)
    ]
    envelope = Envelope(
        source=source,
        format="aviationstack",
        airport_icao=icao,
        board=board,
        collection_date=day,
        run_id=run_id,
        fetched_at=fetched_at,
        pages=pages,
    )
    key = RawKey(icao, day, board, run_id).key
    store.put(key, envelope.to_bytes())
    return key


def land_sample_by_departure_airport(store: ObjectStore, sample: Path) -> list[str]:
    """The real sample page is an unfiltered query: split it into one departures board per airport."""
    page = json.loads(sample.read_text())
    by_airport: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in page["data"]:
        by_airport[record["departure"]["icao"]].append(record)
    return [
        land(
            store,
            records,
            icao=icao,
            day=dt.date(2023, 7, 19),
            board=Board.DEPARTURES,
            run_id="sample",
            fetched_at=dt.datetime(2023, 7, 19, 6, 0, tzinfo=dt.UTC),
        )
        for icao, records in sorted(by_airport.items())
    ]
