"""The raw envelope: one file per airport, board and collection, holding the source's untouched pages.

``{"envelope_version": 1, "source", "format", "airport_icao", "board", "collection_date", "run_id",
"fetched_at", "requests": [...redacted...], "pages": [<native response>, ...]}``

It is written as one compact JSON line so the fast reader (pyarrow's JSON parser with an explicit schema, in
C++) can parse a whole file in one block; anything that parser rejects is read again the slow way, record by
record, so a single malformed record goes to quarantine instead of taking the file with it. Text that is not UTF-8
is repaired (U+FFFD) before it reaches the records either reader returns.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute below)
import pyarrow.json as pa_json

from flightpipe.core.errors import CorruptRawFile
from flightpipe.core.layout import Board
from flightpipe.core.redact import mask_registered

ENVELOPE_VERSION = 1
_FORMAT_SNIFF = re.compile(rb'"format"\s*:\s*"([a-z0-9_]+)"')


@dataclass(frozen=True, slots=True)
class Envelope:
    source: str
    format: str
    airport_icao: str
    board: Board
    collection_date: dt.date
    run_id: str
    fetched_at: dt.datetime
    pages: list[Any]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        body = {
            "envelope_version": ENVELOPE_VERSION,
            "source": self.source,
            "format": self.format,
            "airport_icao": self.airport_icao,
            "board": str(self.board),
            "collection_date": self.collection_date.isoformat(),
            "run_id": self.run_id,
            "fetched_at": self.fetched_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "requests": self.requests,
            "pages": self.pages,
        }
        # The raw layer keeps the responses untouched, except for a configured secret an API echoed back
        # (aviationstack quoting the access_key in an error body): that is masked here, like everywhere else.
        return mask_registered(json.dumps(body, separators=(",", ":"), ensure_ascii=False)).encode("utf-8")


@dataclass(frozen=True, slots=True)
class EnvelopeMeta:
    source: str
    format: str
    fetched_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that could not even be read into the format's record type."""

    page: int
    index: int
    reason: str
    record: Any


@dataclass(frozen=True, slots=True)
class ParsedEnvelope:
    meta: EnvelopeMeta
    records: pa.StructArray
    #: (page, index) of every row of ``records``, for lineage in quarantine entries.
    positions: list[tuple[int, int]] | None
    rejected: list[RejectedRecord]
    page_lengths: list[int] | None = None

    def ordinals(self) -> np.ndarray:
        """For every row of ``records``, its position among all records of the file (pages in order)."""
        if self.positions is None:
            return np.arange(len(self.records), dtype=np.int32)
        assert self.page_lengths is not None
        starts = np.concatenate([[0], np.cumsum(self.page_lengths)[:-1]]).astype(np.int64)
        return np.array([starts[page] + index for page, index in self.positions], dtype=np.int32)

    def position(self, row: int) -> tuple[int, int]:
        """(page, index within page) of row ``row`` of ``records``."""
        if self.positions is not None:
            return self.positions[row]
        assert self.page_lengths is not None
        for page, length in enumerate(self.page_lengths):
            if row < length:
                return page, row
            row -= length
        raise IndexError(row)


def format_near_start(data: bytes) -> str | None:
    """The envelope's ``format`` as the pipeline writes it, near the start; None if it is not there."""
    match = _FORMAT_SNIFF.search(data[:4096])
    return match.group(1).decode() if match else None


def sniff_format(data: bytes) -> str:
    """The envelope's ``format`` without parsing the whole file where it is written near the start."""
    near_start = format_near_start(data)
    if near_start is not None:
        return near_start
    body = _loads(valid_utf8(data))
    fmt = body.get("format") if isinstance(body, dict) else None
    if not isinstance(fmt, str):
        raise CorruptRawFile("raw file has no 'format' field: not a flightpipe envelope")
    return fmt


def read_envelope(data: bytes, record_type: pa.StructType, records_key: str | None = "data") -> ParsedEnvelope:
    """Parse ``data`` into envelope metadata and one StructArray of records of ``record_type``.

    ``records_key`` names the list of records in each native page (aviationstack: ``data``); None means the
    page is itself the list (OpenSky answers a bare JSON array)."""
    # pyarrow's reader accepts bytes that are not UTF-8 into string columns (checked), so its records are checked
    # afterwards (in C++, a third of the cost of decoding the whole file in Python); only a file that fails is
    # repaired and read again. The slow path's ``json.loads`` rejects them outright, so it always reads the repair.
    try:
        parsed = _read_fast(data, record_type, records_key)
        if _valid_text(parsed.records):
            return parsed
    except _FAST_READER_REJECTS:
        pass
    repaired = valid_utf8(data)
    if repaired is not data:
        try:
            return _read_fast(repaired, record_type, records_key)
        except _FAST_READER_REJECTS:
            pass
    return _read_slow(repaired, record_type, records_key)


def read_envelopes(
    datas: Sequence[bytes], record_type: pa.StructType, records_key: str | None = "data"
) -> list[ParsedEnvelope | None]:
    """Several envelopes of one format parsed together, in one call of the reader instead of one per file: for
    each, what :func:`read_envelope` gives, or None where it needs :func:`read_envelope`'s own care (a file it
    repairs, reads record by record or calls corrupt; should the joint read fail, that is every file).

    The files are joined by newlines. Each is one row of the reader's result when it starts with ``{`` and ends
    with ``}`` (files that do not are left out): two files can only run into one value with a comma between
    them, or inside a string, which cannot hold a raw newline; and a file holding more objects than one changes
    the row count, which must be the number of files."""
    parsed: list[ParsedEnvelope | None] = [None] * len(datas)
    for joined in _chunks([i for i, data in enumerate(datas) if _one_object_at_most(data)], datas):
        together = _read_joined([datas[i] for i in joined], record_type, records_key)
        for i, envelope in zip(joined, together or [], strict=together is not None):
            parsed[i] = envelope
    return parsed


#: JSON one call of the reader parses at most (unless one file is larger): the reader's working memory grows
#: with it (some 3x the text), while the saving (the reader's own cost per call, some 8 % of the parse at 50
#: files of 0.5 MB) is there by a few MB.
JOINED_READ_BYTES = 8 << 20


def _chunks(indices: list[int], datas: Sequence[bytes]) -> Iterator[list[int]]:
    """``indices`` in consecutive runs of at most :data:`JOINED_READ_BYTES` of their ``datas``."""
    chunk: list[int] = []
    size = 0
    for i in indices:
        if chunk and size + len(datas[i]) > JOINED_READ_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(i)
        size += len(datas[i])
    if chunk:
        yield chunk


def _read_joined(
    datas: list[bytes], record_type: pa.StructType, records_key: str | None
) -> list[ParsedEnvelope] | None:
    if not datas:
        return []
    try:
        table = _read_json(b"\n".join(datas), record_type, records_key)
        if table.num_rows != len(datas):
            return None
        metas = [
            _meta(source, fmt, fetched_at)
            for source, fmt, fetched_at in zip(
                table.column("source").to_pylist(),
                table.column("format").to_pylist(),
                table.column("fetched_at").to_pylist(),
                strict=True,
            )
        ]
        pages = table.column("pages").combine_chunks()
        page_lists = _page_lists(pages, records_key)
        records = _records_of(page_lists, record_type)
    except (*_FAST_READER_REJECTS, CorruptRawFile):
        return None
    if not _valid_text(records):
        return None
    # Pages per file, records per page: each file's records are a contiguous slice of ``records``.
    pages_per_file = pa.compute.list_value_length(pages).to_numpy(zero_copy_only=False)
    records_per_page = pa.compute.list_value_length(page_lists).to_pylist()
    page_starts = np.concatenate([[0], np.cumsum(pages_per_file, dtype=np.int64)]).tolist()
    record_starts = np.concatenate([[0], np.cumsum(records_per_page, dtype=np.int64)]).tolist()
    parsed: list[ParsedEnvelope] = []
    for i, meta in enumerate(metas):
        first, last = page_starts[i], page_starts[i + 1]
        start, end = record_starts[first], record_starts[last]
        parsed.append(
            ParsedEnvelope(
                meta=meta,
                records=records.slice(start, end - start),
                positions=None,
                rejected=[],
                page_lengths=records_per_page[first:last],
            )
        )
    return parsed


def _one_object_at_most(data: bytes) -> bool:
    """``data`` starts with ``{`` and ends with ``}``, whitespace aside: no other file's text can run into it."""
    stripped = data.strip()
    return stripped.startswith(b"{") and stripped.endswith(b"}")


def _valid_text(records: pa.Array) -> bool:
    try:
        records.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


_FAST_READER_REJECTS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError, KeyError)


def valid_utf8(data: bytes) -> bytes:
    """``data`` as valid UTF-8: a byte sequence that is not UTF-8 becomes U+FFFD, so no invalid text reaches
    Parquet (the views and the warehouse load reject it). The raw file itself stays as it is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace").encode("utf-8")
    return data


def _envelope_schema(record_type: pa.StructType, records_key: str | None) -> pa.Schema:
    page = pa.list_(record_type) if records_key is None else pa.struct([(records_key, pa.list_(record_type))])
    return pa.schema(
        [
            ("source", pa.string()),
            ("format", pa.string()),
            ("fetched_at", pa.string()),
            ("pages", pa.list_(page)),
        ]
    )


def _read_json(data: bytes, record_type: pa.StructType, records_key: str | None) -> pa.Table:
    """One envelope per row: pyarrow's reader over all of ``data`` in one block, on this thread."""
    return pa_json.read_json(
        io.BytesIO(data),
        read_options=pa_json.ReadOptions(block_size=len(data) + 1, use_threads=False),
        parse_options=pa_json.ParseOptions(
            explicit_schema=_envelope_schema(record_type, records_key), unexpected_field_behavior="ignore"
        ),
    )


def _page_lists(pages: pa.ListArray, records_key: str | None) -> pa.Array:
    """Each page's list of records, pages of every row in order."""
    if pages.null_count:
        raise ValueError("pages is null")
    page_values = pages.flatten()
    page_lists = page_values if records_key is None else page_values.field(records_key)
    if page_lists.null_count:
        raise ValueError("a page has no records list")  # the slow path records which one, in quarantine
    return page_lists


def _records_of(page_lists: pa.Array, record_type: pa.StructType) -> pa.StructArray:
    records = page_lists.flatten() if len(page_lists) else pa.array([], type=record_type)
    if not isinstance(records, pa.StructArray):
        records = pa.array([], type=record_type)
    return records


def _read_fast(data: bytes, record_type: pa.StructType, records_key: str | None) -> ParsedEnvelope:
    table = _read_json(data, record_type, records_key)
    if table.num_rows != 1:
        raise ValueError("envelope must be exactly one JSON object")
    meta = _meta(
        table.column("source")[0].as_py(), table.column("format")[0].as_py(), table.column("fetched_at")[0].as_py()
    )
    page_lists = _page_lists(table.column("pages").combine_chunks(), records_key)
    records = _records_of(page_lists, record_type)
    lengths = pa.compute.list_value_length(page_lists).to_pylist()
    return ParsedEnvelope(meta=meta, records=records, positions=None, rejected=[], page_lengths=lengths)


def _read_slow(data: bytes, record_type: pa.StructType, records_key: str | None) -> ParsedEnvelope:
    body = _loads(data)
    if not isinstance(body, dict):
        raise CorruptRawFile("raw file is not a JSON object: not a flightpipe envelope")
    pages = body.get("pages")
    if not isinstance(pages, list):
        raise CorruptRawFile("raw envelope has no 'pages' list")
    meta = _meta(body.get("source"), body.get("format"), body.get("fetched_at"))
    good: list[Any] = []
    positions: list[tuple[int, int]] = []
    rejected: list[RejectedRecord] = []
    page_lengths: list[int] = []
    for page_no, page in enumerate(pages):
        records = page if records_key is None else (page.get(records_key) if isinstance(page, dict) else None)
        if not isinstance(records, list):
            what = "page is not a list of records" if records_key is None else f"page has no '{records_key}' list"
            rejected.append(RejectedRecord(page_no, -1, what, page))
            page_lengths.append(0)
            continue
        page_lengths.append(len(records))
        for index, record in enumerate(records):
            reason = _shape_error(record, record_type)
            if reason is None:
                good.append(record)
                positions.append((page_no, index))
            else:
                rejected.append(RejectedRecord(page_no, index, reason, record))
    array = pa.array(good, type=record_type) if good else pa.array([], type=record_type)
    assert isinstance(array, pa.StructArray)
    return ParsedEnvelope(meta=meta, records=array, positions=positions, rejected=rejected, page_lengths=page_lengths)


def _loads(data: bytes) -> Any:
    """JSON of a raw file; every way the parser can fail on a file (not JSON, nested deeper than Python's
    recursion limit) is a corrupt file."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        what = "nested too deeply" if isinstance(exc, RecursionError) else f"not valid JSON: {exc}"
        raise CorruptRawFile(f"raw file is {what}") from None


def _shape_error(record: Any, record_type: pa.StructType) -> str | None:
    if not isinstance(record, dict):
        return f"record is a {type(record).__name__}, not an object"
    try:
        pa.array([record], type=record_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError, RecursionError) as exc:
        return f"record does not match the format: {exc}"
    return None


def _meta(source: Any, fmt: Any, fetched_at: Any) -> EnvelopeMeta:
    if not isinstance(source, str) or not source:
        raise CorruptRawFile("raw envelope has no 'source'")
    if not isinstance(fmt, str) or not fmt:
        raise CorruptRawFile("raw envelope has no 'format'")
    try:
        when = dt.datetime.fromisoformat(str(fetched_at))
    except ValueError:
        raise CorruptRawFile(f"raw envelope 'fetched_at' is not an ISO timestamp: {fetched_at!r}") from None
    if when.tzinfo is None:
        raise CorruptRawFile(f"raw envelope 'fetched_at' has no time zone: {fetched_at!r}")
    return EnvelopeMeta(source=source, format=fmt, fetched_at=when.astimezone(dt.UTC))
