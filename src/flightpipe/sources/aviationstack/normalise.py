"""aviationstack ``/v1/flights``: the record format and its normalisation to transformed rows.

The simulated source renders this format too, so this is the code path every embedded run exercises.

Two quirks of real responses are corrected here (see DESIGN.md):

* times are the airport's *local* wall time labelled ``+00:00``; the label is dropped and the wall time is
  placed in the airport's zone: airportsdata's zone for the airport's ICAO code (the zone ``dim_airport.tz``
  holds, so the views' local times agree with transform's), the record's ``departure.timezone`` /
  ``arrival.timezone`` only for an airport airportsdata does not know. Where both are known and give the
  scheduled time different instants, ``zone_disagreement_min`` says by how much (warn rule ``zone_agrees``);
* ``flight.codeshared`` names the operating flight in lower case; codes are upper-cased everywhere.

Everything is vectorised with pyarrow.compute: a board of a thousand records is a few dozen array operations,
not a thousand Python dicts.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.schema import UTC_TS
from flightpipe.sources.normalising import PARSE as _PARSE
from flightpipe.sources.normalising import REQUIRED_KEYS as _REQUIRED_KEYS
from flightpipe.sources.normalising import TIMESTAMPS_PARSE as _TIMESTAMPS_PARSE
from flightpipe.sources.normalising import (
    BoardContext,
    Normalised,
    Reason,
    airline_names,
    airport_icao_of_iata,
    airport_zone,
    assemble,
    by_zone,
    constant,
    delay_minutes,
    lineage,
)
from flightpipe.sources.normalising import code as _code
from flightpipe.sources.normalising import status as _status
from flightpipe.sources.normalising import text as _text

__all__ = ["FORMAT", "RECORD_TYPE", "BoardContext", "Normalised", "normalise", "record_identity"]

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


def _rule_of(side_reason: str) -> str:
    return _REQUIRED_KEYS if side_reason.endswith("missing") else _TIMESTAMPS_PARSE


def normalise(records: pa.StructArray, ctx: BoardContext) -> Normalised:
    """Turn aviationstack records into rows of NORMALISED_SCHEMA; reject (with a reason) what cannot be."""
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
    reasons: list[Reason] = [
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
    walls: dict[str, tuple[pa.Array, pa.Array]] = {}
    record_zones: dict[str, tuple[pa.Array, pa.Array]] = {}
    # Which quality rule each reason belongs to (the first condition that holds names it, as for the text).
    rules: list[tuple[pa.Array, str]] = [
        (pc.is_null(flight_date_text), _REQUIRED_KEYS),
        (pc.is_null(flight_date), _TIMESTAMPS_PARSE),
        (reasons[1][0], _REQUIRED_KEYS),
        (reasons[2][0], _REQUIRED_KEYS),
    ]
    for prefix, side, label in (("dep", dep, "departure"), ("arr", arr, "arrival")):
        side_columns, side_reasons, side_walls, record_zone = _side(prefix, side, label)
        columns.update(side_columns)
        reasons.extend(side_reasons)
        walls.update(side_walls)
        record_zones[prefix] = (side_walls[f"{prefix}_scheduled_utc"][0], record_zone)
        rules.extend((condition, _rule_of(text)) for condition, text in side_reasons)
    utc = _walls_to_utc([wall for wall, _ in walls.values()], [zone for _, zone in walls.values()])
    columns.update(zip(walls, utc, strict=True))
    by_record_zone = _walls_to_utc([w for w, _ in record_zones.values()], [z for _, z in record_zones.values()])
    columns["zone_disagreement_min"] = _disagreement(
        [
            (columns[f"{prefix}_scheduled_utc"], other)
            for prefix, other in zip(record_zones, by_record_zone, strict=True)
        ]
    )
    for prefix in ("dep", "arr"):
        # The source's delay where it gives one; else computed from the gate times (0 when on time), so a
        # flight whose two times are known never has a null delay.
        later = pc.coalesce(columns[f"{prefix}_actual_utc"], columns[f"{prefix}_estimated_utc"])
        computed = delay_minutes(later, columns[f"{prefix}_scheduled_utc"])
        columns[f"{prefix}_delay_min"] = pc.coalesce(columns[f"{prefix}_delay_min"], computed)
    columns["flight_date_basis"] = constant("scheduled_departure", n, _S)
    # A flight seen only through codeshare records still gets its operator's name: the codeshare block names it
    # (in lower case, so the reference name of its ICAO designator is preferred).
    columns["operating_airline_name"] = pc.if_else(
        is_codeshare,
        pc.coalesce(
            airline_names(columns["operating_airline_icao"]), _title(pc.struct_field(codeshared, "airline_name"))
        ),
        pa.nulls(n, _S),
    )

    board_side = "dep_airport_icao" if ctx.board == "departures" else "arr_airport_icao"
    reasons.append(ctx.not_on_board(columns[board_side]))
    rules.append((reasons[-1][0], _PARSE))
    columns["aircraft_registration"] = _text(pc.struct_field(aircraft, "registration"))
    columns["aircraft_type_icao"] = _code(pc.struct_field(aircraft, "icao"))
    columns["status"] = _status(pc.struct_field(records, "flight_status"))
    lineage(columns, ctx, n)
    return assemble(columns, reasons, n, rules)


def _side(
    prefix: str, side: pa.Array, label: str
) -> tuple[dict[str, pa.Array], list[tuple[pa.Array, str]], dict[str, tuple[pa.Array, pa.Array]], pa.Array]:
    """One side's columns, its rejection reasons, its wall times (with their zones) still to convert, and the
    zone the record itself names (for the disagreement count)."""
    iata = _code(pc.struct_field(side, "iata"))
    # An airport given by its IATA code alone is resolved through airportsdata, not quarantined.
    icao = pc.coalesce(_code(pc.struct_field(side, "icao")), airport_icao_of_iata(iata))
    record_zone = _record_zone(pc.struct_field(side, "timezone"))
    tz = pc.coalesce(airport_zone(icao), record_zone)
    columns: dict[str, pa.Array] = {
        f"{prefix}_airport_icao": icao,
        f"{prefix}_airport_iata": iata,
    }
    reasons: list[tuple[pa.Array, str]] = [(pc.is_null(icao), f"{label}.icao missing")]
    any_time = None
    walls: dict[str, tuple[pa.Array, pa.Array]] = {}
    # ``actual`` is the gate time (off-block / on-block), ``actual_runway`` the take-off / landing.
    for kind, column in (
        ("scheduled", "scheduled"),
        ("estimated", "estimated"),
        ("actual", "actual"),
        ("actual_runway", "runway"),
    ):
        text = pc.struct_field(side, kind)
        wall = pc.strptime(
            pc.utf8_slice_codeunits(text, 0, 19), format="%Y-%m-%dT%H:%M:%S", unit="us", error_is_null=True
        )
        walls[f"{prefix}_{column}_utc"] = (wall, tz)
        reasons.append((pc.and_(pc.is_valid(text), pc.is_null(wall)), f"{label}.{kind} is not a timestamp"))
        has = pc.is_valid(wall)
        any_time = has if any_time is None else pc.or_(any_time, has)
    reasons.append((pc.and_(any_time, pc.is_null(tz)), f"no known time zone for the {label} airport"))
    columns[f"{prefix}_delay_min"] = pc.cast(pc.struct_field(side, "delay"), pa.int32())
    columns[f"{prefix}_terminal"] = _text(pc.struct_field(side, "terminal"))
    columns[f"{prefix}_gate"] = _text(pc.struct_field(side, "gate"))
    if prefix == "arr":
        columns["arr_baggage"] = _text(pc.struct_field(side, "baggage"))
    return columns, reasons, walls, record_zone


def _disagreement(pairs: list[tuple[pa.Array, pa.Array]]) -> pa.Array:
    """Per row, the largest gap in whole minutes between two readings of the same time (null: nothing to
    compare on any side)."""
    gaps = [
        pc.cast(pc.divide(pc.abs(pc.cast(pc.subtract(a, b), pa.int64())), 60_000_000), pa.int32()) for a, b in pairs
    ]
    return pc.max_element_wise(*gaps, skip_nulls=True)


def _title(names: pa.Array) -> pa.Array:
    return pc.utf8_title(_text(names))


def _walls_to_utc(walls: list[pa.Array], zones: list[pa.Array]) -> list[pa.Array]:
    """Interpret each naive wall time in its row's zone, for several columns at once.

    All columns are stacked and sorted by zone once, so each distinct zone is one ``assume_timezone`` call on a
    contiguous slice (a board has a few dozen zones; a call per zone *per column* over all rows was most of
    transform's time). DST: an ambiguous or skipped wall time takes the earlier instant; the source cannot say.
    """
    wall = pa.concat_arrays(walls)
    zone = pa.concat_arrays(zones)

    def in_zone(part: pa.Array, name: str | None) -> pa.Array:
        if name is None:
            return pa.nulls(len(part), UTC_TS)
        return pc.assume_timezone(part, timezone=name, ambiguous="earliest", nonexistent="earliest")

    converted = by_zone(wall, zone, in_zone, UTC_TS)
    offsets = np.cumsum([0] + [len(w) for w in walls])
    return [converted.slice(int(a), int(b - a)) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _record_zone(record_zone: pa.Array) -> pa.Array:
    """The record's zone where it is a real IANA name (null otherwise).

    Only the distinct names of this board are checked (a few dozen), not the full reference list.
    """
    known = _known_zones()
    distinct_zones = [z for z in pc.unique(record_zone).to_pylist() if z is not None and z in known]
    valid = pc.is_in(record_zone, value_set=pa.array(distinct_zones, _S))
    return pc.if_else(pc.fill_null(valid, False), record_zone, pa.nulls(len(record_zone), _S))


def record_identity(record: dict[str, object]) -> tuple[object, ...]:
    """What makes an aviationstack record one record: its marketing flight, date, departure and its time.

    Used by the client to notice a listing that changed while it was being paged (a record seen twice)."""

    def part(obj: object, key: str) -> object:
        return obj.get(key) if isinstance(obj, dict) else None

    flight, dep, arr = record.get("flight"), record.get("departure"), record.get("arrival")
    return (
        record.get("flight_date"),
        part(flight, "iata"),
        part(flight, "icao"),
        part(flight, "number"),
        part(dep, "icao"),
        part(dep, "scheduled"),
        part(arr, "icao"),
    )
