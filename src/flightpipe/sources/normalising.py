"""What every record format's normaliser shares: its input context, its result, and vectorised column helpers.

A normaliser turns the records of one raw file, or of several files of the same format and board at once (the
batch path: a pyarrow StructArray of the format's record type), into rows of ``NORMALISED_SCHEMA`` plus, for every
record it cannot use, the record's index and the reason. All of it is pyarrow.compute over whole columns: no
per-record Python. Every result is a function of the record's own row and its own file's records only (the
lineage columns say which file a row comes from), so several files normalised together give each file's rows
exactly as normalising it alone would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.arrays import flat, numeric_array
from flightpipe.core.schema import NORMALISED_SCHEMA, STATUS_ALIASES, UTC_TS, Status
from flightpipe.reference.airlines import airlines_by_icao
from flightpipe.reference.airports import airport_table
from flightpipe.sources.codeshares import OPERATOR_QUARANTINED_RULE, operator_quarantined
from flightpipe.sources.codeshares import REASON as OPERATOR_QUARANTINED_REASON

STRING = pa.string()

# Quality rule names (flightpipe.quality.rules) a normaliser's rejections are reported under: a missing key, a time
# that does not parse, anything else the reader cannot use (a record on the wrong board).
REQUIRED_KEYS = "required_keys"
TIMESTAMPS_PARSE = "timestamps_parse"
PARSE = "parse"


#: Columns a normaliser may leave out of its result (they are then null): those added after the first formats.
OPTIONAL_COLUMNS = (
    "dep_runway_utc",
    "arr_runway_utc",
    "flight_date_basis",
    "operating_airline_name",
    "zone_disagreement_min",
    # Computed here for every format (below), from the airport and the scheduled time.
    "dep_utc_offset_min",
    "arr_utc_offset_min",
)


@dataclass(frozen=True, slots=True)
class BoardContext:
    """What the envelopes know about the records: it becomes the lineage columns.

    For one raw file each field is one value; for the records of several files normalised together (same
    format and board) every field but ``board`` is an array with one value per record."""

    source: str | pa.Array
    board: str
    board_airport_icao: str | pa.Array
    collected_at_utc: pa.TimestampScalar | object
    raw_key: str | pa.Array
    run_id: str | pa.Array

    def column(self, name: str, n: int) -> pa.Array:
        """Lineage field ``name`` as one value per record."""
        value = getattr(self, name)
        type_ = UTC_TS if name == "collected_at_utc" else STRING
        if isinstance(value, pa.ChunkedArray):
            return value.combine_chunks()
        return value if isinstance(value, pa.Array) else constant(value, n, type_)

    def not_on_board(self, airport_icao: pa.Array) -> tuple[pa.Array, str | pa.Array]:
        """Per record, whether ``airport_icao`` (the board's side) is not the board's own airport; and the
        reason a record that is not gets."""
        n = len(airport_icao)
        wrong = pc.fill_null(pc.not_equal(airport_icao, self.column("board_airport_icao", n)), False)
        prefix = f"record does not belong to the {self.board} board of "
        if isinstance(self.board_airport_icao, str):
            return wrong, prefix + self.board_airport_icao
        if not pc.any(wrong).as_py():  # the usual case: no record gets the reason, so none is spelled out
            return wrong, prefix
        return wrong, pc.binary_join_element_wise(prefix, self.column("board_airport_icao", n), "")


@dataclass(frozen=True, slots=True)
class Normalised:
    rows: pa.Table
    #: Row index into the input records -> reason, for every record that could not be normalised.
    rejected_index: pa.Array
    rejected_reason: pa.Array
    #: The quality rule each rejection breaks (``flightpipe.quality.rules``); None: all ``parse``.
    rejected_rule: pa.Array | None = None


def text(values: pa.Array) -> pa.Array:
    """Trimmed text; empty becomes null."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.nulls(len(values), STRING), trimmed)


def code(values: pa.Array) -> pa.Array:
    """An airline, airport or flight code: trimmed, upper case, empty is null."""
    return pc.utf8_upper(text(values))


def constant(value: object, n: int, type_: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), n) if n else pa.array([], type_)


def status(values: pa.Array, aliases: Mapping[str, Status] = STATUS_ALIASES) -> pa.Array:
    """A source's status words onto the one vocabulary (case-insensitive); anything unknown is ``unknown``."""
    keys = list(aliases)
    mapped = pa.array([aliases[k].value for k in keys], STRING)
    index = pc.index_in(pc.utf8_lower(text(values)), value_set=pa.array(keys, STRING))
    return pc.fill_null(pc.take(mapped, index), Status.UNKNOWN.value)


#: A rejection: the condition per row, and the reason (one text, or one per row).
Reason = tuple[pa.Array, str | pa.Array]


def first_reason(reasons: list[Reason], n: int) -> pa.Array:
    """Per row, the first reason whose condition holds, or null for a good row."""
    result = pa.nulls(n, STRING)
    for condition, reason in reversed(reasons):
        value = pa.scalar(reason, STRING) if isinstance(reason, str) else reason
        result = pc.if_else(pc.fill_null(condition, False), value, result)
    return result


def nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema])


def lineage(columns: dict[str, pa.Array], ctx: BoardContext, n: int) -> None:
    """Fill the lineage columns every transformed row carries."""
    for name in ("source", "board_airport_icao", "collected_at_utc", "raw_key", "run_id"):
        columns[name] = ctx.column(name, n)
    columns["board"] = constant(ctx.board, n, STRING)


def assemble(
    columns: dict[str, pa.Array],
    reasons: list[Reason],
    n: int,
    rules: list[tuple[pa.Array, str]] | None = None,
) -> Normalised:
    """Rows of NORMALISED_SCHEMA for the records without a reason; the others as (index, reason[, rule]).

    ``rules`` pairs conditions with the quality rule they belong to; the first that holds names a rejection's
    rule, as the first reason that holds names its text.
    """
    reason = first_reason(reasons, n)
    bad = pc.is_valid(reason)
    # Columns a format cannot fill (a runway time OpenSky never reports, a codeshare block aviationstack alone
    # has) are null rather than required of every normaliser.
    # Both sides in one conversion: each distinct zone is then one call, not one call per side.
    sides = [prefix for prefix in ("dep", "arr") if f"{prefix}_utc_offset_min" not in columns]
    if sides:
        offsets = utc_offset_minutes(
            pa.concat_arrays([flat(columns[f"{prefix}_scheduled_utc"]) for prefix in sides]),
            airport_zone(pa.concat_arrays([flat(columns[f"{prefix}_airport_icao"]) for prefix in sides])),
        )
        for i, prefix in enumerate(sides):
            columns[f"{prefix}_utc_offset_min"] = offsets.slice(i * n, n)
    for name in OPTIONAL_COLUMNS:
        columns.setdefault(name, pa.nulls(n, NORMALISED_SCHEMA.field(name).type))
    table = pa.table([columns[f.name] for f in NORMALISED_SCHEMA], schema=nullable(NORMALISED_SCHEMA))
    # A codeshare record never outlives its operator's record (sources/codeshares.py); one pass suffices, since a
    # codeshare record is never another record's operator.
    orphaned = operator_quarantined(table, bad)
    if pc.any(orphaned).as_py():
        rules = [*(rules or [(c, PARSE) for c, _ in reasons]), (orphaned, OPERATOR_QUARANTINED_RULE)]
        reasons = [*reasons, (orphaned, OPERATOR_QUARANTINED_REASON)]
        reason = first_reason(reasons, n)
        bad = pc.is_valid(reason)
    rows = table.filter(pc.invert(bad)).cast(NORMALISED_SCHEMA)
    rejected_index = pc.indices_nonzero(bad)
    rejected_rule = None
    if rules and len(rejected_index):
        rejected_rule = first_reason([(c.take(rejected_index), r) for c, r in rules], len(rejected_index))
    return Normalised(
        rows=rows,
        rejected_index=rejected_index,
        rejected_reason=pc.take(reason, rejected_index),
        rejected_rule=rejected_rule,
    )


_INT32_MAX = 2**31 - 1


def delay_minutes(later: pa.Array, scheduled: pa.Array) -> pa.Array:
    """Whole minutes from ``scheduled`` to ``later`` (a gate time: actual, else the latest estimate), 0 when on
    time or early, null only when either time is unknown. Whole minutes are truncated (59 s late is 0), the
    way a departure board counts."""
    seconds = pc.divide(pc.cast(pc.subtract(later, scheduled), pa.int64()), 1_000_000)
    # max_element_wise skips nulls, so "a time unknown" must stay null explicitly.
    # Capped at int32's range: a hostile time (year 9999) must reach the dates_in_window rule, not overflow here.
    minutes = pc.min_element_wise(pc.max_element_wise(pc.divide(seconds, 60), 0), _INT32_MAX)
    late = pc.cast(minutes, pa.int32())
    return pc.if_else(pc.is_valid(seconds), late, pa.nulls(len(seconds), pa.int32()))


@dataclass(frozen=True, slots=True)
class _AirportTables:
    iata_by_icao: dict[str, str | None]
    zone_by_icao: dict[str, str | None]
    #: IATA code -> ICAO code; where several airports list a code, the last one (as ``reference.airports``).
    icao_by_iata: dict[str, str]


#: Held while the airport tables are built: functools.cache alone lets every thread that asks before the first
#: build is done build its own (the daily run's two transform threads both did, some 0.05 s each).
_BUILDING_AIRPORT_TABLES = threading.Lock()


def _airport_tables() -> _AirportTables:
    """The columns of airportsdata's table the normalisers look up, built once per process (a thread that asks
    meanwhile waits for that build)."""
    with _BUILDING_AIRPORT_TABLES:
        return _built_airport_tables()


@cache
def _built_airport_tables() -> _AirportTables:
    """From the table ``reference.airports`` reads once per process with pyarrow's CSV reader (the same values: a
    test compares them with its dictionaries)."""
    table = airport_table()
    icao, iata, zone = (table.column(name).to_pylist() for name in ("icao", "iata", "tz"))
    return _AirportTables(
        iata_by_icao=dict(zip(icao, (code or None for code in iata), strict=True)),
        zone_by_icao=dict(zip(icao, (name or None for name in zone), strict=True)),
        icao_by_iata={code: airport for code, airport in zip(iata, icao, strict=True) if code},
    )


def load_reference_tables() -> None:
    """Build the reference lookups normalisers use (airports, airlines) now, instead of at the first records: a
    process about to fork workers calls it, and each worker inherits the tables instead of building its own
    (some 0.08 s of a forked worker's first pass)."""
    _airport_tables()
    airlines_by_icao()


def _mapped(codes: pa.Array, table: Mapping[str, str | None]) -> pa.Array:
    # Only the distinct codes are looked up (a few dozen a board, a few hundred a batch), not all 28k airports.
    distinct = [c for c in pc.unique(codes).to_pylist() if c is not None]
    values = pa.array([table.get(c) for c in distinct], STRING)
    return pc.take(values, pc.index_in(codes, value_set=pa.array(distinct, STRING)))


def airline_names(icao: pa.Array) -> pa.Array:
    """The reference name of each ICAO airline designator (null where the table has none)."""
    table = airlines_by_icao()
    codes = [c for c in pc.unique(icao).to_pylist() if c is not None]
    names = pa.array([table[c].name if c in table else None for c in codes], STRING)
    return pc.take(names, pc.index_in(icao, value_set=pa.array(codes, STRING)))


def airport_icao_of_iata(iata: pa.Array) -> pa.Array:
    """The ICAO code airportsdata knows for each IATA airport code (null where it knows none)."""
    return _mapped(iata, _airport_tables().icao_by_iata)


def airport_iata(icao: pa.Array) -> pa.Array:
    """The IATA code airportsdata knows for each ICAO airport code (null where it knows none)."""
    return _mapped(icao, _airport_tables().iata_by_icao)


def airport_zone(icao: pa.Array) -> pa.Array:
    """The IANA time zone airportsdata knows for each ICAO airport code (null where it knows none)."""
    return _mapped(icao, _airport_tables().zone_by_icao)


def local_wall_time(instants: pa.Array, zone: pa.Array) -> pa.Array:
    """The local wall time (naive) of each UTC instant in its row's zone; null where the zone is null."""

    def in_zone(part: pa.Array, name: str | None) -> pa.Array:
        if name is None:
            return pa.nulls(len(part), _WALL)
        return pc.local_timestamp(pc.cast(part, pa.timestamp("us", tz=name)))

    return by_zone(instants, zone, in_zone, _WALL)


def local_date(instants: pa.Array, zone: pa.Array) -> pa.Array:
    """The local calendar date of each UTC instant in its row's zone (UTC where the zone is null)."""
    utc_wall = pc.local_timestamp(flat(instants))
    return pc.cast(pc.coalesce(local_wall_time(instants, zone), utc_wall), pa.date32())


def utc_offset_minutes(instants: pa.Array, zone: pa.Array) -> pa.Array:
    """Minutes each UTC instant's local time in its row's zone is ahead of UTC (null where either is null).

    pyarrow converts with the system's zone database, the one Python's zoneinfo reads too: the pipeline's only
    zone database (docs/sources.md, "Time zones"). Per zone only the conversion itself is a call; the
    difference is taken once over all rows (per zone it was six calls more, for a few dozen zones a board)."""
    ahead = pc.subtract(local_wall_time(instants, zone), pc.local_timestamp(flat(instants)))
    return pc.cast(pc.divide(pc.cast(ahead, pa.int64()), 60_000_000), pa.int32())


#: A wall time: a timestamp without a zone.
_WALL = pa.timestamp("us")


def by_zone(
    instants: pa.Array,
    zone: pa.Array,
    convert: Callable[[pa.Array, str | None], pa.Array],
    type_: pa.DataType,
) -> pa.Array:
    """``convert`` applied to each row's instant with its zone: rows sorted by zone once, so each distinct zone
    is one call on a contiguous slice, whatever the number of rows (a call per zone over all rows made this
    quadratic in practice: a board has dozens of zones, a batch of files hundreds)."""
    instants, zone = flat(instants), flat(zone)
    if len(instants) == 0:
        return pa.array([], type_)
    # Grouped by the zone's dictionary index: sorting integers, not the zone names, is ten times cheaper, and
    # any grouping will do (each row is converted with its own zone, and put back in place below).
    encoded = pc.dictionary_encode(zone)
    order = pc.sort_indices(encoded.indices)
    runs = pc.run_end_encode(zone.take(order))
    ordered = instants.take(order)
    parts: list[pa.Array] = []
    start = 0
    for end, name in zip(runs.run_ends.to_pylist(), runs.values.to_pylist(), strict=True):
        part = convert(ordered.slice(start, end - start), name)
        parts.append(part if part.type == type_ else pc.cast(part, type_))
        start = end
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order.to_numpy()] = np.arange(len(order), dtype=np.int64)
    return pa.concat_arrays(parts).take(numeric_array(inverse, pa.int64()))
