"""aviationstack ``/v1/flights``: the record format and its normalisation to transformed rows.

The simulated source renders this format too, so this is the code path every embedded run exercises.

Two quirks of real responses are corrected here (see DESIGN.md):

* times are the airport's *local* wall time labelled ``+00:00``; the label is dropped and the wall time is
  placed in ``departure.timezone`` / ``arrival.timezone`` (falling back to airportsdata's zone for the
  airport's ICAO code when the record has none);
* ``flight.codeshared`` names the operating flight in lower case; codes are upper-cased everywhere.

Everything is vectorised with pyarrow.compute: a board of a thousand records is a few dozen array operations,
not a thousand Python dicts.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.airports import all_airports
from flightpipe.schema import STATUS_ALIASES, TRANSFORMED_SCHEMA, UTC_TS, Status

FORMAT = "aviationstack"

_S = pa.string()
_SIDE_FIELDS = [
    ("airport", _S),
    ("timezone", _S),
    ("iata", _S),
    ("icao", _S),
    ("terminal", _S),
    ("gate", _S),
    ("delay", pa.int64()),
    ("scheduled", _S),
    ("estimated", _S),
    ("actual", _S),
    ("estimated_runway", _S),
    ("actual_runway", _S),
]
_CODESHARED = pa.struct(
    [
        (name, _S)
        for name in ("airline_name", "airline_iata", "airline_icao", "flight_number", "flight_iata", "flight_icao")
    ]
)

#: The fields of a record flightpipe reads; others (``live``, ...) are ignored.
RECORD_TYPE = pa.struct(
    [
        ("flight_date", _S),
        ("flight_status", _S),
        ("departure", pa.struct(_SIDE_FIELDS)),
        ("arrival", pa.struct([*_SIDE_FIELDS, ("baggage", _S)])),
        ("airline", pa.struct([("name", _S), ("iata", _S), ("icao", _S)])),
        ("flight", pa.struct([("number", _S), ("iata", _S), ("icao", _S), ("codeshared", _CODESHARED)])),
        ("aircraft", pa.struct([("registration", _S), ("iata", _S), ("icao", _S), ("icao24", _S)])),
    ]
)


# Quality rule names (flightpipe.quality.rules) the reading-time rejections are reported under.
_REQUIRED_KEYS = "required_keys"
_TIMESTAMPS_PARSE = "timestamps_parse"
_PARSE = "parse"


def _rule_of(side_reason: str) -> str:
    return _REQUIRED_KEYS if side_reason.endswith("missing") else _TIMESTAMPS_PARSE


@dataclass(frozen=True, slots=True)
class BoardContext:
    """What the envelope knows about the records: it becomes the lineage columns."""

    source: str
    board: str
    board_airport_icao: str
    collected_at_utc: pa.TimestampScalar | object
    raw_key: str
    run_id: str


@dataclass(frozen=True, slots=True)
class Normalised:
    rows: pa.Table
    #: Row index into the input records -> reason, for every record that could not be normalised.
    rejected_index: pa.Array
    rejected_reason: pa.Array
    #: The quality rule each rejection breaks (``flightpipe.quality.rules``); None: all ``parse``.
    rejected_rule: pa.Array | None = None


def normalise(records: pa.StructArray, ctx: BoardContext) -> Normalised:
    """Turn aviationstack records into rows of TRANSFORMED_SCHEMA; reject (with a reason) what cannot be."""
    n = len(records)
    dep = pc.struct_field(records, "departure")
    arr = pc.struct_field(records, "arrival")
    flight = pc.struct_field(records, "flight")
    airline = pc.struct_field(records, "airline")
    aircraft = pc.struct_field(records, "aircraft")
    codeshared = pc.struct_field(flight, "codeshared")

    flight_iata = _code(pc.struct_field(flight, "iata"))
    flight_icao = _code(pc.struct_field(flight, "icao"))
    airline_iata = _code(pc.struct_field(airline, "iata"))
    airline_icao = _code(pc.struct_field(airline, "icao"))
    op_flight_iata = _code(pc.struct_field(codeshared, "flight_iata"))
    op_flight_icao = _code(pc.struct_field(codeshared, "flight_icao"))
    names_operator = pc.or_(pc.is_valid(op_flight_iata), pc.is_valid(op_flight_icao))
    is_codeshare = pc.fill_null(names_operator, False)

    flight_date_text = pc.struct_field(records, "flight_date")
    flight_date = pc.cast(pc.strptime(flight_date_text, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())

    columns: dict[str, pa.Array] = {
        "flight_date": flight_date,
        "flight_iata": flight_iata,
        "flight_icao": flight_icao,
        "flight_number": _text(pc.struct_field(flight, "number")),
        "airline_iata": airline_iata,
        "airline_icao": airline_icao,
        "airline_name": _text(pc.struct_field(airline, "name")),
        "is_codeshare": is_codeshare,
        "operating_flight_iata": pc.if_else(is_codeshare, op_flight_iata, flight_iata),
        "operating_flight_icao": pc.if_else(is_codeshare, op_flight_icao, flight_icao),
        "operating_airline_iata": pc.if_else(
            is_codeshare, _code(pc.struct_field(codeshared, "airline_iata")), airline_iata
        ),
        "operating_airline_icao": pc.if_else(
            is_codeshare, _code(pc.struct_field(codeshared, "airline_icao")), airline_icao
        ),
    }
    reasons: list[tuple[pa.Array, str]] = [
        (pc.is_null(flight_date), "flight_date missing or not YYYY-MM-DD"),
        (
            pc.and_(pc.is_null(flight_iata), pc.is_null(flight_icao)),
            "flight number missing (flight.iata and flight.icao)",
        ),
        (
            pc.and_(pc.is_valid(codeshared), pc.invert(pc.fill_null(names_operator, False))),
            "flight.codeshared names no operating flight",
        ),
    ]
    # Which quality rule each reason belongs to (the first condition that holds names it, as for the text).
    rules: list[tuple[pa.Array, str]] = [
        (pc.is_null(flight_date_text), _REQUIRED_KEYS),
        (pc.is_null(flight_date), _TIMESTAMPS_PARSE),
        (reasons[1][0], _REQUIRED_KEYS),
        (reasons[2][0], _REQUIRED_KEYS),
    ]
    for prefix, side, label in (("dep", dep, "departure"), ("arr", arr, "arrival")):
        side_columns, side_reasons = _side(prefix, side, label)
        columns.update(side_columns)
        reasons.extend(side_reasons)
        rules.extend((condition, _rule_of(text)) for condition, text in side_reasons)

    board_side = "dep_airport_icao" if ctx.board == "departures" else "arr_airport_icao"
    reasons.append(
        (
            pc.fill_null(pc.not_equal(columns[board_side], pa.scalar(ctx.board_airport_icao)), False),
            f"record does not belong to the {ctx.board} board of {ctx.board_airport_icao}",
        )
    )
    rules.append((reasons[-1][0], _PARSE))
    columns["aircraft_registration"] = _text(pc.struct_field(aircraft, "registration"))
    columns["aircraft_type_icao"] = _code(pc.struct_field(aircraft, "icao"))
    columns["status"] = _status(pc.struct_field(records, "flight_status"))
    columns["source"] = _constant(ctx.source, n, _S)
    columns["board"] = _constant(ctx.board, n, _S)
    columns["board_airport_icao"] = _constant(ctx.board_airport_icao, n, _S)
    columns["collected_at_utc"] = _constant(ctx.collected_at_utc, n, UTC_TS)
    columns["raw_key"] = _constant(ctx.raw_key, n, _S)
    columns["run_id"] = _constant(ctx.run_id, n, _S)

    reason = _first_reason(reasons, n)
    bad = pc.is_valid(reason)
    table = pa.table([columns[f.name] for f in TRANSFORMED_SCHEMA], schema=_nullable(TRANSFORMED_SCHEMA))
    good = pc.invert(bad)
    rows = table.filter(good).cast(TRANSFORMED_SCHEMA)
    rejected_index = pc.indices_nonzero(bad)
    rejected_rule = None
    if len(rejected_index):
        rejected_rule = _first_reason([(c.take(rejected_index), r) for c, r in rules], len(rejected_index))
    return Normalised(
        rows=rows,
        rejected_index=rejected_index,
        rejected_reason=pc.take(reason, rejected_index),
        rejected_rule=rejected_rule,
    )


def _side(prefix: str, side: pa.Array, label: str) -> tuple[dict[str, pa.Array], list[tuple[pa.Array, str]]]:
    icao = _code(pc.struct_field(side, "icao"))
    tz = _zone(pc.struct_field(side, "timezone"), icao)
    columns: dict[str, pa.Array] = {
        f"{prefix}_airport_icao": icao,
        f"{prefix}_airport_iata": _code(pc.struct_field(side, "iata")),
    }
    reasons: list[tuple[pa.Array, str]] = [(pc.is_null(icao), f"{label}.icao missing")]
    any_time = None
    walls = []
    for kind in ("scheduled", "estimated", "actual"):
        text = pc.struct_field(side, kind)
        wall = pc.strptime(
            pc.utf8_slice_codeunits(text, 0, 19), format="%Y-%m-%dT%H:%M:%S", unit="us", error_is_null=True
        )
        walls.append(wall)
        reasons.append((pc.and_(pc.is_valid(text), pc.is_null(wall)), f"{label}.{kind} is not a timestamp"))
        has = pc.is_valid(wall)
        any_time = has if any_time is None else pc.or_(any_time, has)
    for kind, utc in zip(("scheduled", "estimated", "actual"), _walls_to_utc(walls, tz), strict=True):
        columns[f"{prefix}_{kind}_utc"] = utc
    reasons.append((pc.and_(any_time, pc.is_null(tz)), f"no known time zone for the {label} airport"))
    columns[f"{prefix}_delay_min"] = pc.cast(pc.struct_field(side, "delay"), pa.int32())
    columns[f"{prefix}_terminal"] = _text(pc.struct_field(side, "terminal"))
    columns[f"{prefix}_gate"] = _text(pc.struct_field(side, "gate"))
    if prefix == "arr":
        columns["arr_baggage"] = _text(pc.struct_field(side, "baggage"))
    return columns, reasons


def _walls_to_utc(walls: list[pa.Array], tz: pa.Array) -> list[pa.Array]:
    """Interpret each naive wall time in its row's zone (``tz``, one per row, shared by every array of ``walls``).

    The rows of all arrays are grouped by zone (one sort), each zone's run is converted in one vectorised call,
    and the original order is restored with one take: a board touching sixty zones costs sixty conversions of
    a few rows each, not sixty passes over every row of every column.
    """
    n, k = len(tz), len(walls)
    stacked = pa.concat_arrays(walls) if k > 1 else walls[0]
    zones = pa.concat_arrays([tz] * k) if k > 1 else tz
    order = pc.sort_indices(zones)  # nulls last
    runs = pc.run_end_encode(zones.take(order))
    run_ends, run_zones = runs.run_ends.to_pylist(), runs.values.to_pylist()
    sorted_wall = stacked.take(order)
    pieces, start = [], 0
    for end, zone in zip(run_ends, run_zones, strict=True):
        piece = sorted_wall.slice(start, end - start)
        if zone is None:
            pieces.append(pa.nulls(end - start, UTC_TS))
        else:
            # DST: an ambiguous or skipped wall time takes the earlier instant; the source cannot tell us more.
            local = pc.assume_timezone(piece, timezone=zone, ambiguous="earliest", nonexistent="earliest")
            pieces.append(pc.cast(local, UTC_TS))
        start = end
    converted = pa.concat_arrays(pieces) if pieces else pa.array([], UTC_TS)
    restored = converted.take(pc.sort_indices(order))
    return [restored.slice(i * n, n) for i in range(k)]


@cache
def _known_zones() -> pa.Array:
    return pa.array(sorted(zoneinfo.available_timezones()), _S)


@cache
def _airport_zone_map() -> dict[str, str | None]:
    return {code: row["tz"] or None for code, row in all_airports().items()}


def _zone(record_zone: pa.Array, icao: pa.Array) -> pa.Array:
    """The record's zone when it is a real IANA name, else airportsdata's zone for the airport."""
    valid = pc.is_in(record_zone, value_set=_known_zones())
    given = pc.if_else(pc.fill_null(valid, False), record_zone, pa.nulls(len(record_zone), _S))
    # Look up only the codes this board names (a few dozen), not all of airportsdata's.
    codes = pc.unique(icao).drop_null()
    zone_map = _airport_zone_map()
    zones = pa.array([zone_map.get(code) for code in codes.to_pylist()], _S)
    looked_up = pc.take(zones, pc.index_in(icao, value_set=codes))
    return pc.coalesce(given, looked_up)


def _text(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.nulls(len(values), _S), trimmed)


def _code(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(_text(values))


def _status(values: pa.Array) -> pa.Array:
    keys = list(STATUS_ALIASES)
    mapped = pa.array([STATUS_ALIASES[k].value for k in keys], _S)
    index = pc.index_in(pc.utf8_lower(_text(values)), value_set=pa.array(keys, _S))
    return pc.fill_null(pc.take(mapped, index), Status.UNKNOWN.value)


def _constant(value: object, n: int, type_: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), n) if n else pa.array([], type_)


def _first_reason(reasons: list[tuple[pa.Array, str]], n: int) -> pa.Array:
    """Per row, the first reason whose condition holds, or null for a good row."""
    result = pa.nulls(n, _S)
    for condition, text in reversed(reasons):
        result = pc.if_else(pc.fill_null(condition, False), pa.scalar(text, _S), result)
    return result


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema])
