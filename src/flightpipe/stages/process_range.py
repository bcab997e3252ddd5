"""process, a whole range of flight dates: the batch path a reprocess takes.

A single call of the per-run path (:func:`flightpipe.stages.process.process_flight_dates`) holds the rows of all
its flight dates at once. Here the range is cut into chunks of consecutive flight dates (the memory cap: one
chunk's rows are held at a time, never the range's), each a pass of :func:`flightpipe.stages.process.process_on`
on one DuckDB connection for the whole range: the chunk's transformed files read in one scan, deduplicated by
``process.sql``, counted, and each flight date's partition written once, as the per-run path writes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flightpipe.core.store import ObjectStore
from flightpipe.stages.process import ProcessResult, process_on

if TYPE_CHECKING:
    import duckdb

#: Flight dates processed per pass: the rows of 7 flight dates (and of the collection days around them that
#: mention them) are what a pass holds, about 0.3 GB for 5 busy airports.
CHUNK_FLIGHT_DATES = 7


def chunks(flight_dates: Sequence[dt.date], size: int = CHUNK_FLIGHT_DATES) -> list[list[dt.date]]:
    """``flight_dates`` sorted and cut into runs of at most ``size``."""
    ordered = sorted(set(flight_dates))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def process_range(
    store: ObjectStore,
    flight_dates: Sequence[dt.date],
    *,
    chunk_size: int = CHUNK_FLIGHT_DATES,
    memory_limit: str = "1GB",
    threads: int | None = None,
    on_chunk: Callable[[list[ProcessResult]], None] = lambda results: None,
) -> list[ProcessResult]:
    """Rebuild the processed partition of every one of ``flight_dates``, a chunk of ``chunk_size`` dates per pass
    on one DuckDB connection capped at ``memory_limit`` and ``threads`` (None: DuckDB's default, one per core);
    ``on_chunk`` hears each chunk's results."""
    results: list[ProcessResult] = []
    with _connection(memory_limit, threads) as con:
        for chunk in chunks(flight_dates, chunk_size):
            done = process_on(con, store, chunk)
            results.extend(done)
            on_chunk(done)
    return results


@contextmanager
def _connection(memory_limit: str, threads: int | None) -> Iterator[duckdb.DuckDBPyConnection]:
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit}
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(":memory:", config=config)
    try:
        yield con
    finally:
        con.close()
