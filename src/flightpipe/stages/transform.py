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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flightpipe.core.arrays import flat, numeric_array
from flightpipe.core.envelope import (
    ParsedEnvelope,
    format_near_start,
    read_envelope,
    read_envelopes,
    sniff_format,
)
from flightpipe.core.errors import CorruptRawFile
from flightpipe.core.faults import failpoint
from flightpipe.core.layout import RawKey
from flightpipe.core.parquet import read_parquet
from flightpipe.core.schema import TRANSFORMED_SCHEMA, UTC_TS
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Level
from flightpipe.quality.records import RecordRuleSet, RecordVerdict, check_records
from flightpipe.quality.rules import PARSE, dates_in_window
from flightpipe.sources.codeshares import with_orphaned_codeshares
from flightpipe.sources.formats import RecordFormat, record_format
from flightpipe.sources.normalising import STRING, BoardContext, Normalised


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
    act here, by sending the rows that break them to quarantine. The one-file case of
    :func:`transform_raw_objects`, so the event path and the batch path write the same bytes by construction.
    """
    [result] = transform_raw_objects(store, [raw_key], rules)
    return result


#: Told of each raw file as its output is written: its key, its typed rows as written (None: the file was
#: corrupt) and its quarantine entries as written (the batch path counts each board's facts from them there).
FileWritten = Callable[[RawKey, pa.Table | None, list[dict[str, Any]]], None]


def transform_raw_objects(
    store: ObjectStore, raw_keys: Sequence[str], rules: RecordRuleSet | None = None, written: FileWritten | None = None
) -> list[TransformResult]:
    """Transform the raw envelopes at ``raw_keys`` in one vectorised pass; one result per key, in order.

    Every file is read first; the envelopes of one format are parsed together where that gives each file what
    parsing it alone would (``core.envelope.read_envelopes``), the others on their own (a corrupt one is
    quarantined whole, the others go on); the
    records of all files of the same format and board are then normalised and checked together, and split by
    file again: each file gets its Parquet twin and quarantine file exactly as if it were transformed alone
    (every step is row-wise or matches records within their own file only). Reading a file that raises (a
    store error) raises before anything of the other files is written.
    """
    failing = (rules or _DEFAULT_RULES).at_level(Level.FAIL)
    results: dict[str, TransformResult] = {}
    groups: dict[tuple[str, str], list[_ParsedFile]] = {}
    for parsed in _read_raw_files(store, list(dict.fromkeys(raw_keys)), written):  # a key given twice: once
        if isinstance(parsed, TransformResult):
            results[parsed.raw_key] = parsed
        else:
            groups.setdefault((parsed.format.name, str(parsed.key.board)), []).append(parsed)
    for files in groups.values():
        for result in _transform_files(store, files, failing, written):
            results[result.raw_key] = result
    return [results[raw_key] for raw_key in raw_keys]


@dataclass(frozen=True, slots=True)
class _ParsedFile:
    raw_key: str
    key: RawKey
    size: int
    format: RecordFormat
    parsed: ParsedEnvelope


def _read_raw_files(
    store: ObjectStore, raw_keys: list[str], written: FileWritten | None
) -> list[_ParsedFile | TransformResult]:
    """Each raw file parsed (:func:`_read_raw_file`), in order. Every file is read from the store first, so a
    store error raises before anything is written. The files of one format and records list are parsed in one
    call where :func:`read_envelopes` can (the envelopes as written by the pipeline); the others one by one."""
    datas = [store.get(raw_key) for raw_key in raw_keys]
    parsed: dict[str, _ParsedFile | TransformResult] = {}
    joinable: dict[tuple[str, str | None], list[int]] = {}
    for i, raw_key in enumerate(raw_keys):
        fmt = _known_format(datas[i])
        if fmt is not None:
            joinable.setdefault((fmt.name, fmt.records_key(str(RawKey.parse(raw_key).board))), []).append(i)
    for (name, records_key), indices in joinable.items():
        fmt = record_format(name)
        envelopes = read_envelopes([datas[i] for i in indices], fmt.record_type, records_key)
        for i, envelope in zip(indices, envelopes, strict=True):
            if envelope is not None:
                raw_key = raw_keys[i]
                parsed[raw_key] = _ParsedFile(raw_key, RawKey.parse(raw_key), len(datas[i]), fmt, envelope)
    return [
        parsed.get(raw_key) or _read_raw_file(store, raw_key, data, written)
        for raw_key, data in zip(raw_keys, datas, strict=True)
    ]


def _known_format(data: bytes) -> RecordFormat | None:
    """The record format the envelope names near its start, if that is one flightpipe knows."""
    name = format_near_start(data)
    try:
        return None if name is None else record_format(name)
    except KeyError:
        return None


def _read_raw_file(
    store: ObjectStore, raw_key: str, data: bytes, written: FileWritten | None
) -> _ParsedFile | TransformResult:
    """The parsed envelope ``data`` of ``raw_key``; or, for a file that cannot be read, its result after
    quarantining it whole (``corrupt``)."""
    key = RawKey.parse(raw_key)
    try:
        fmt = record_format(sniff_format(data))
        parsed = read_envelope(data, fmt.record_type, fmt.records_key(str(key.board)))
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises on a file (RecursionError too) means corrupt
        reason = exc.args[0] if isinstance(exc, CorruptRawFile | KeyError) and exc.args else _describe(exc)
        entries = [_entry(raw_key, None, None, PARSE.name, f"corrupt raw file: {reason}", None)]
        _write_quarantine(store, key, entries)
        store.delete(key.transformed_key)
        if written is not None:
            written(key, None, entries)
        return TransformResult(
            raw_key, None, 0, 0, 0, corrupt_reason=str(reason), bytes_in=len(data), quarantined_by_rule={"parse": 1}
        )
    return _ParsedFile(raw_key, key, len(data), fmt, parsed)


def _transform_files(
    store: ObjectStore, files: list[_ParsedFile], failing: RecordRuleSet, written: FileWritten | None
) -> list[TransformResult]:
    """Normalise and check the records of ``files`` (one format, one board) together; write each file's output."""
    counts = np.array([len(f.parsed.records) for f in files], dtype=np.int64)
    record_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    records = files[0].parsed.records if len(files) == 1 else pa.concat_arrays([f.parsed.records for f in files])
    file_of_record = numeric_array(np.repeat(np.arange(len(files), dtype=np.int64), counts), pa.int64())

    def per_record(values: list[Any], type_: pa.DataType) -> pa.Array:
        return pa.array(values, type_).take(file_of_record)

    ctx = BoardContext(
        source=per_record([f.parsed.meta.source for f in files], STRING),
        board=str(files[0].key.board),
        board_airport_icao=per_record([f.key.icao for f in files], STRING),
        collected_at_utc=per_record([f.parsed.meta.fetched_at for f in files], UTC_TS),
        raw_key=per_record([f.raw_key for f in files], STRING),
        run_id=per_record([f.key.run_id for f in files], STRING),
    )
    normalised = files[0].format.normalise(records, ctx)
    kept_mask = np.ones(len(records), dtype=bool)
    kept_mask[normalised.rejected_index.to_numpy(zero_copy_only=False)] = False
    ordinals = np.concatenate([f.parsed.ordinals() for f in files]) if files else np.array([], np.int32)
    rows = normalised.rows.append_column(
        TRANSFORMED_SCHEMA.field("raw_record_index"), numeric_array(ordinals[kept_mask], pa.int32())
    )
    verdict = _check_guarded(rows, failing)
    verdict = _with_orphaned_codeshares(rows, verdict)
    # Each file's records are contiguous among the records, and its typed rows among the rows (filters keep order).
    kept_starts = np.concatenate([[0], np.cumsum(kept_mask)])[record_starts]
    rejected = normalised.rejected_index.to_numpy(zero_copy_only=False).astype(np.int64)
    rejected_file = np.searchsorted(record_starts, rejected, side="right") - 1
    return [
        _write_file(
            store,
            f,
            rows.slice(int(kept_starts[i]), int(kept_starts[i + 1] - kept_starts[i])),
            _slice_verdict(verdict, int(kept_starts[i]), int(kept_starts[i + 1] - kept_starts[i])),
            _slice_rejects(normalised, np.flatnonzero(rejected_file == i), int(record_starts[i])),
            written,
        )
        for i, f in enumerate(files)
    ]


def _slice_verdict(verdict: RecordVerdict, start: int, length: int) -> RecordVerdict:
    if not verdict.count:
        return RecordVerdict(verdict.failed, verdict.rule, verdict.reason, 0)
    failed = flat(verdict.failed).slice(start, length)
    count = int(pc.sum(pc.cast(failed, pa.int64())).as_py() or 0)
    return RecordVerdict(
        failed, flat(verdict.rule).slice(start, length), flat(verdict.reason).slice(start, length), count
    )


def _slice_rejects(normalised: Normalised, where: np.ndarray, record_start: int) -> Normalised:
    """The normaliser's rejections of one file, with indices into that file's records."""
    positions = numeric_array(where, pa.int64())
    return Normalised(
        rows=normalised.rows.slice(0, 0),
        rejected_index=pc.subtract(pc.cast(normalised.rejected_index.take(positions), pa.int64()), record_start),
        rejected_reason=normalised.rejected_reason.take(positions),
        rejected_rule=None if normalised.rejected_rule is None else normalised.rejected_rule.take(positions),
    )


def _write_file(
    store: ObjectStore,
    file: _ParsedFile,
    rows: pa.Table,
    verdict: RecordVerdict,
    rejects: Normalised,
    written: FileWritten | None = None,
) -> TransformResult:
    """One file's Parquet twin and quarantine file: its typed ``rows``, the rule ``verdict`` over them and the
    normaliser's ``rejects`` (indices into its own records)."""
    raw_key, key, parsed = file.raw_key, file.key, file.parsed
    quarantine = _quarantine_entries(raw_key, parsed, rejects)
    if verdict.count:
        # Positions of the typed rows among the parsed records: the normaliser kept them in order.
        kept = _kept_positions(len(parsed.records), rejects.rejected_index)
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
    if written is not None:
        written(key, rows, quarantine)
    flight_dates = sorted(d for d in pc.unique(rows.column("flight_date")).to_pylist() if d is not None)
    records_in = len(parsed.records) + len(parsed.rejected)
    return TransformResult(
        raw_key=raw_key,
        transformed_key=key.transformed_key,
        records_in=records_in,
        rows_out=rows.num_rows,
        quarantined=len(quarantine),
        flight_dates=flight_dates,
        bytes_in=file.size,
        quarantined_by_rule=_by_rule(quarantine),
    )


_DEFAULT_RULES = RecordRuleSet.defaults()


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
    passed = flat(pc.invert(guarded.failed))
    rest = check_records(rows.filter(passed), others)
    if not rest.count:
        return guarded

    def merged(guard: pa.Array, other: pa.Array) -> pa.Array:
        return pc.replace_with_mask(flat(guard), passed, flat(other))

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


#: Min/max statistics only where a reader filters: process reads a window's files ``WHERE flight_date IN (...)``.
#: Those of every column (long strings among them) were a tenth of the write's time and 5 % of the file.
STATISTICS_COLUMNS = ("flight_date",)
#: Dictionary-encoded: the columns whose values repeat within a file (a board's airlines, airports, terminals,
#: statuses; a file's own lineage). Flight numbers, registrations and times hardly repeat: encoding them cost
#: write time and saved no space. These two choices wrote 300 files 22 % faster and 9 % smaller (make bench's
#: 30 days), and change nothing a reader sees.
DICTIONARY_COLUMNS = (
    "flight_date",
    "airline_iata",
    "airline_icao",
    "airline_name",
    "operating_airline_iata",
    "operating_airline_icao",
    "operating_airline_name",
    "dep_airport_icao",
    "dep_airport_iata",
    "arr_airport_icao",
    "arr_airport_iata",
    "dep_terminal",
    "dep_gate",
    "arr_terminal",
    "arr_gate",
    "arr_baggage",
    "aircraft_type_icao",
    "status",
    "source",
    "board",
    "board_airport_icao",
    "collected_at_utc",
    "raw_key",
    "run_id",
    "flight_date_basis",
)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression="snappy",
        use_dictionary=list(DICTIONARY_COLUMNS),
        write_statistics=list(STATISTICS_COLUMNS),
    )
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
    lines = (quarantine_line(e) for e in entries)
    store.put(key.quarantine_key, ("\n".join(lines) + "\n").encode("utf-8"))


def quarantine_line(entry: dict[str, Any]) -> str:
    """A quarantine entry as its file holds it: one line of JSON."""
    return json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))


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
    return read_parquet(store.get(key), TRANSFORMED_SCHEMA)
