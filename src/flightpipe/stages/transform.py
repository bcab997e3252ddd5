"""transform: one raw envelope in, one typed Parquet file out, plus quarantine for what cannot be read.

A pure function of the raw file: the output key, rows and lineage are derived from the raw key and content
alone, so running it twice (duplicate S3 events, a retry after a crash) writes the same file again.
Accounting holds for every file: ``records_in == rows_out + quarantined``; a file that cannot be read at all
is quarantined whole (``corrupt``) with the reason, and the rest of the day goes on.

Quality: every quarantine entry names the rule it broke (``rule``) and why (``reason``). Records the reader or
the source's normaliser cannot type are rejected there (rules ``parse``, ``required_keys``,
``timestamps_parse``); the fail-level record rules of :mod:`flightpipe.quality.rules` then run over the typed
rows, vectorised. With the same rule settings the output is still a pure function of the raw file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flightpipe.core.envelope import ParsedEnvelope, read_envelope, sniff_format
from flightpipe.core.errors import CorruptRawFile
from flightpipe.core.faults import failpoint
from flightpipe.core.layout import RawKey
from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Level
from flightpipe.quality.records import RecordRuleSet, RecordVerdict, check_records
from flightpipe.quality.rules import PARSE, dates_in_window
from flightpipe.sources.codeshares import with_orphaned_codeshares
from flightpipe.sources.formats import record_format
from flightpipe.sources.normalising import BoardContext, Normalised


@dataclass(frozen=True, slots=True)
class TransformResult:
    raw_key: str
    transformed_key: str | None
    records_in: int
    rows_out: int
    quarantined: int
    flight_dates: list[dt.date] = field(default_factory=list)
    corrupt_reason: str | None = None
    bytes_in: int = 0
    #: Quarantined records by the rule they broke.
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)


def transform_raw_object(store: ObjectStore, raw_key: str, rules: RecordRuleSet | None = None) -> TransformResult:
    """Transform the raw envelope at ``raw_key``; write its Parquet twin and its quarantine entries.

    ``rules``: the record rules in force (default: every rule at its declared level); only fail-level ones
    act here, by sending the rows that break them to quarantine.
    """
    key = RawKey.parse(raw_key)
    failing = (rules or _DEFAULT_RULES).at_level(Level.FAIL)
    data = store.get(raw_key)
    try:
        text = _valid_utf8(data)
        fmt = record_format(sniff_format(text))
        parsed = read_envelope(text, fmt.record_type, fmt.records_key(str(key.board)))
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises on a file (RecursionError too) means corrupt
        reason = exc.args[0] if isinstance(exc, CorruptRawFile | KeyError) and exc.args else _describe(exc)
        _write_quarantine(store, key, [_entry(raw_key, None, None, PARSE.name, f"corrupt raw file: {reason}", None)])
        store.delete(key.transformed_key)
        return TransformResult(
            raw_key, None, 0, 0, 0, corrupt_reason=str(reason), bytes_in=len(data), quarantined_by_rule={"parse": 1}
        )

    ctx = BoardContext(
        source=parsed.meta.source,
        board=str(key.board),
        board_airport_icao=key.icao,
        collected_at_utc=parsed.meta.fetched_at,
        raw_key=raw_key,
        run_id=key.run_id,
    )
    normalised = fmt.normalise(parsed.records, ctx)
    kept_mask = np.ones(len(parsed.records), dtype=bool)
    kept_mask[normalised.rejected_index.to_numpy(zero_copy_only=False)] = False
    rows = normalised.rows.append_column(
        TRANSFORMED_SCHEMA.field("raw_record_index"), pa.array(parsed.ordinals()[kept_mask], pa.int32())
    )
    quarantine = _quarantine_entries(raw_key, parsed, normalised)
    verdict = _check_guarded(rows, failing)
    verdict = _with_orphaned_codeshares(rows, verdict)
    if verdict.count:
        # Positions of the typed rows among the parsed records: the normaliser kept them in order.
        kept = _kept_positions(len(parsed.records), normalised.rejected_index)
        broken = pc.indices_nonzero(verdict.failed)
        originals = parsed.records.take(kept.take(broken)).to_pylist()
        for row, record, rule, reason in zip(
            kept.take(broken).to_pylist(),
            originals,
            verdict.rule.take(broken).to_pylist(),
            verdict.reason.take(broken).to_pylist(),
            strict=True,
        ):
            page, index = parsed.position(row)
            quarantine.append(_entry(raw_key, page, index, rule, reason, record))
        quarantine.sort(key=lambda e: (e["page"], e["index"]))
        rows = rows.filter(pc.invert(verdict.failed))
    # Quarantine first, the Parquet twin last: the twin is the mark that this raw file is done, so a crash
    # in between is redone by the next verify, never left with rows out and their rejects lost.
    if quarantine:
        _write_quarantine(store, key, quarantine)
    else:
        store.delete(key.quarantine_key)
    store.put(key.transformed_key, _parquet_bytes(rows))
    failpoint("transform.after_write")
    flight_dates = sorted(d for d in pc.unique(rows.column("flight_date")).to_pylist() if d is not None)
    records_in = len(parsed.records) + len(parsed.rejected)
    return TransformResult(
        raw_key=raw_key,
        transformed_key=key.transformed_key,
        records_in=records_in,
        rows_out=rows.num_rows,
        quarantined=len(quarantine),
        flight_dates=flight_dates,
        bytes_in=len(data),
        quarantined_by_rule=_by_rule(quarantine),
    )


_DEFAULT_RULES = RecordRuleSet.defaults()


def _valid_utf8(data: bytes) -> bytes:
    """``data`` as valid UTF-8: a byte sequence that is not UTF-8 becomes U+FFFD, so no invalid text reaches
    Parquet (the views and the warehouse load reject it). The raw file itself stays as it is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace").encode("utf-8")
    return data


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500] if str(exc) else type(exc).__name__


def _check_guarded(rows: pa.Table, failing: RecordRuleSet) -> RecordVerdict:
    """``check_records``, but the date-window guard first: the other rules compute with the times (differences
    in microseconds), which overflow for a year 1 or 9999, so they only see the rows the guard let through."""
    guards = RecordRuleSet(tuple((r, c) for r, c in failing.rules if r.name == dates_in_window.name))
    others = RecordRuleSet(tuple((r, c) for r, c in failing.rules if r.name != dates_in_window.name))
    guarded = check_records(rows, guards)
    if not guarded.count:
        return check_records(rows, others)
    passed = _flat(pc.invert(guarded.failed))
    rest = check_records(rows.filter(passed), others)
    if not rest.count:
        return guarded

    def merged(guard: pa.Array, other: pa.Array) -> pa.Array:
        return pc.replace_with_mask(_flat(guard), passed, _flat(other))

    return RecordVerdict(
        failed=merged(guarded.failed, rest.failed),
        rule=merged(guarded.rule, rest.rule),
        reason=merged(guarded.reason, rest.reason),
        count=guarded.count + rest.count,
    )


def _with_orphaned_codeshares(rows: pa.Table, verdict: RecordVerdict) -> RecordVerdict:
    """The codeshare records of an operator record a rule quarantined go with it (sources/codeshares.py)."""
    failed, rule, reason, added = with_orphaned_codeshares(rows, verdict.failed, verdict.rule, verdict.reason)
    return RecordVerdict(failed, rule, reason, verdict.count + added) if added else verdict


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _kept_positions(n: int, rejected_index: pa.Array) -> pa.Array:
    if not len(rejected_index):
        return pa.array(range(n), pa.int64())
    rejected = pc.is_in(pa.array(range(n), pa.int64()), value_set=pc.cast(rejected_index, pa.int64()))
    return pc.indices_nonzero(pc.invert(rejected))


def _by_rule(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["rule"]] = counts.get(entry["rule"], 0) + 1
    return counts


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def _quarantine_entries(raw_key: str, parsed: ParsedEnvelope, normalised: Normalised) -> list[dict[str, Any]]:
    entries = [_entry(raw_key, r.page, r.index, PARSE.name, r.reason, r.record) for r in parsed.rejected]
    rejected_index = normalised.rejected_index
    if len(rejected_index):
        originals = parsed.records.take(rejected_index).to_pylist()
        rules = (
            normalised.rejected_rule.to_pylist()
            if normalised.rejected_rule is not None
            else [PARSE.name] * len(rejected_index)
        )
        for row, rule, reason, record in zip(
            rejected_index.to_pylist(), rules, normalised.rejected_reason.to_pylist(), originals, strict=True
        ):
            page, index = parsed.position(row)
            entries.append(_entry(raw_key, page, index, rule, reason, record))
    return entries


def _entry(raw_key: str, page: int | None, index: int | None, rule: str, reason: str, record: Any) -> dict[str, Any]:
    return {"raw_key": raw_key, "page": page, "index": index, "rule": rule, "reason": reason, "record": record}


def _write_quarantine(store: ObjectStore, key: RawKey, entries: list[dict[str, Any]]) -> None:
    lines = (json.dumps(e, ensure_ascii=False, default=str, separators=(",", ":")) for e in entries)
    store.put(key.quarantine_key, ("\n".join(lines) + "\n").encode("utf-8"))


def is_transformed(store: ObjectStore, raw_key: str) -> bool:
    """True when ``raw_key`` has its Parquet twin, or was quarantined whole as corrupt."""
    key = RawKey.parse(raw_key)
    if store.exists(key.transformed_key):
        return True
    if not store.exists(key.quarantine_key):
        return False
    first = store.get(key.quarantine_key).split(b"\n", 1)[0]
    try:
        return bool(json.loads(first).get("page") is None and json.loads(first).get("index") is None)
    except ValueError:
        return False


def read_transformed(store: ObjectStore, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(store.get(key)), schema=TRANSFORMED_SCHEMA)
