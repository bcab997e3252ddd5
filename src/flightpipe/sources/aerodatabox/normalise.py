"""AeroDataBox FIDS (``/flights/airports/icao/{ICAO}/{fromLocal}/{toLocal}``, ``withLeg=true``): the record
format and its normalisation to transformed rows.

A page is the native answer, ``{"departures": [...]}`` or ``{"arrivals": [...]}``; each record has a
``departure`` and an ``arrival`` movement (the board's own airport may be left out of its side), ``number``
("LH 123"), ``codeshareStatus``, ``status``, ``airline`` and ``aircraft``.

* Times come from the movements' ``utc`` fields (``"2024-06-01 10:15Z"``); ``local`` is read only for the flight
  date, the scheduled departure's local date.
* ``scheduledTime`` -> ``*_scheduled_utc``, ``revisedTime`` (else ``predictedTime``) -> ``*_estimated_utc``,
  ``runwayTime`` -> ``*_actual_utc``; the delay is the minutes from scheduled to revised (else runway) time, 0 when
  early.
* A codeshare record (``IsCodeshared``) does not name its operator: it is matched to the operator record of the
  same board with the same counterpart airport and the same scheduled time. No match, or more than one, sends the
  codeshare to quarantine with the reason: it is never counted as a flight of its own.
* ``aircraft.model`` is a name ("Airbus A320"), not an ICAO type designator, so ``aircraft_type_icao`` stays null.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.schema import STATUS_ALIASES, UTC_TS, Status
from flightpipe.sources.normalising import (
    REQUIRED_KEYS,
    STRING,
    TIMESTAMPS_PARSE,
    BoardContext,
    Normalised,
    airport_iata,
    airport_zone,
    assemble,
    code,
    constant,
    lineage,
    local_date,
    status,
    text,
)

FORMAT = "aerodatabox"

_S = STRING
_TIME = pa.struct([("utc", _S), ("local", _S)])
_AIRPORT = pa.struct([("icao", _S), ("iata", _S), ("name", _S), ("timeZone", _S)])
_MOVEMENT = pa.struct(
    [
        ("airport", _AIRPORT),
        ("scheduledTime", _TIME),
        ("revisedTime", _TIME),
        ("predictedTime", _TIME),
        ("runwayTime", _TIME),
        ("terminal", _S),
        ("gate", _S),
        ("baggageBelt", _S),
    ]
)

#: The fields of a record flightpipe reads; others (``quality``, ``location``, ...) are ignored.
RECORD_TYPE = pa.struct(
    [
        ("departure", _MOVEMENT),
        ("arrival", _MOVEMENT),
        ("number", _S),
        ("callSign", _S),
        ("status", _S),
        ("codeshareStatus", _S),
        ("isCargo", pa.bool_()),
        ("aircraft", pa.struct([("reg", _S), ("modeS", _S), ("model", _S)])),
        ("airline", pa.struct([("name", _S), ("iata", _S), ("icao", _S)])),
    ]
)

#: AeroDataBox's FlightStatus values onto the one vocabulary (the rest are already in STATUS_ALIASES).
STATUS_WORDS: dict[str, Status] = {
    **STATUS_ALIASES,
    "checkin": Status.SCHEDULED,
    "gateclosed": Status.SCHEDULED,
    "approaching": Status.ACTIVE,
    # "may be cancelled": not known to be cancelled, so not counted as a cancellation.
    "canceleduncertain": Status.UNKNOWN,
}


def records_key(board: str) -> str:
    """The list a FIDS page keeps the board's records in."""
    return "departures" if board == "departures" else "arrivals"


def normalise(records: pa.StructArray, ctx: BoardContext) -> Normalised:
    """Turn AeroDataBox FIDS records into rows of TRANSFORMED_SCHEMA; reject (with a reason) what cannot be."""
    n = len(records)
    on_departures = ctx.board == "departures"
    own_label, other_label = ("departure", "arrival") if on_departures else ("arrival", "departure")
    board_icao = constant(ctx.board_airport_icao, n, _S)

    flight_iata = pc.replace_substring_regex(code(pc.struct_field(records, "number")), r"\s+", "")
    flight_number = pc.struct_field(pc.extract_regex(flight_iata, r"^[A-Z0-9]{2,3}?(?P<n>\d{1,5}[A-Z]?)$"), "n")
    airline = pc.struct_field(records, "airline")
    airline_iata = code(pc.struct_field(airline, "iata"))
    airline_icao = code(pc.struct_field(airline, "icao"))
    flight_icao = pc.binary_join_element_wise(airline_icao, flight_number, "")

    columns: dict[str, pa.Array] = {}
    reasons: list[tuple[pa.Array, str]] = [(pc.is_null(flight_iata), "number missing: no flight number")]
    # The quality rule of each reason, in the same order: a missing field is required_keys, a bad time
    # timestamps_parse, a codeshare without its operator required_keys (it must name its operating flight).
    rules: list[tuple[pa.Array, str]] = [(reasons[0][0], REQUIRED_KEYS)]
    sides: dict[str, dict[str, pa.Array]] = {}
    for prefix, label in (("dep", "departure"), ("arr", "arrival")):
        movement = pc.struct_field(records, label)
        is_own = label == own_label
        side = _side(prefix, movement, board_icao if is_own else None)
        sides[label] = side
        columns.update({k: v for k, v in side.items() if not k.startswith("_")})
        reasons.append((pc.is_null(side[f"{prefix}_airport_icao"]), f"{label}.airport.icao missing"))
        rules.append((reasons[-1][0], REQUIRED_KEYS))
        reasons.append((side["_bad_time"], f"{label} has a time that is not 'YYYY-MM-DD HH:MMZ'"))
        rules.append((reasons[-1][0], TIMESTAMPS_PARSE))

    own_scheduled = sides[own_label]["dep_scheduled_utc" if on_departures else "arr_scheduled_utc"]
    counterpart = sides[other_label]["arr_airport_icao" if on_departures else "dep_airport_icao"]
    reasons.append((pc.is_null(own_scheduled), f"{own_label}.scheduledTime.utc missing: the board's own time"))
    rules.append((reasons[-1][0], REQUIRED_KEYS))

    flight_date = _flight_date(sides["departure"], columns["dep_airport_icao"])
    reasons.append((pc.is_null(flight_date), "departure.scheduledTime missing: flight date unknown"))
    rules.append((reasons[-1][0], REQUIRED_KEYS))

    is_codeshare = pc.fill_null(pc.equal(text(pc.struct_field(records, "codeshareStatus")), "IsCodeshared"), False)
    operator_row, operator_count = _operator_of(is_codeshare, counterpart, own_scheduled, flight_iata)
    no_operator = pc.and_(is_codeshare, pc.equal(operator_count, 0))
    ambiguous = pc.and_(is_codeshare, pc.greater(operator_count, 1))
    reasons.append(
        (no_operator, f"codeshare record with no operator record of the same {other_label} airport and scheduled time")
    )
    reasons.append(
        (ambiguous, f"codeshare record matches several operator records of the same {other_label} airport and time")
    )
    rules.extend([(no_operator, REQUIRED_KEYS), (ambiguous, REQUIRED_KEYS)])

    def operating(values: pa.Array) -> pa.Array:
        return pc.if_else(is_codeshare, pc.take(values, operator_row), values)

    columns.update(
        {
            "flight_date": flight_date,
            "flight_iata": flight_iata,
            "flight_icao": flight_icao,
            "flight_number": flight_number,
            "airline_iata": airline_iata,
            "airline_icao": airline_icao,
            "airline_name": text(pc.struct_field(airline, "name")),
            "is_codeshare": is_codeshare,
            "operating_flight_iata": operating(flight_iata),
            "operating_flight_icao": operating(flight_icao),
            "operating_airline_iata": operating(airline_iata),
            "operating_airline_icao": operating(airline_icao),
            "aircraft_registration": text(pc.struct_field(pc.struct_field(records, "aircraft"), "reg")),
            "aircraft_type_icao": pa.nulls(n, _S),
            "status": status(pc.struct_field(records, "status"), STATUS_WORDS),
        }
    )
    lineage(columns, ctx, n)
    return assemble(columns, reasons, n, rules)


def _side(prefix: str, movement: pa.Array, board_icao: pa.Array | None) -> dict[str, pa.Array]:
    """The columns of one side; the board's own airport fills in where AeroDataBox leaves it out."""
    airport = pc.struct_field(movement, "airport")
    icao = code(pc.struct_field(airport, "icao"))
    if board_icao is not None:
        icao = pc.coalesce(icao, board_icao)
    scheduled, bad_scheduled = _utc(pc.struct_field(movement, "scheduledTime"))
    revised, bad_revised = _utc(pc.struct_field(movement, "revisedTime"))
    predicted, bad_predicted = _utc(pc.struct_field(movement, "predictedTime"))
    runway, bad_runway = _utc(pc.struct_field(movement, "runwayTime"))
    estimated = pc.coalesce(revised, predicted)
    later = pc.coalesce(revised, runway)
    delay_s = pc.divide(pc.cast(pc.subtract(later, scheduled), pa.int64()), 1_000_000)
    # max_element_wise skips nulls, so "no later time" must stay null explicitly.
    late_min = pc.cast(pc.max_element_wise(pc.divide(delay_s, 60), 0), pa.int32())
    delay = pc.if_else(pc.is_valid(delay_s), late_min, pa.nulls(len(delay_s), pa.int32()))
    columns = {
        f"{prefix}_airport_icao": icao,
        f"{prefix}_airport_iata": pc.coalesce(code(pc.struct_field(airport, "iata")), airport_iata(icao)),
        f"{prefix}_scheduled_utc": scheduled,
        f"{prefix}_estimated_utc": estimated,
        f"{prefix}_actual_utc": runway,
        f"{prefix}_delay_min": delay,
        f"{prefix}_terminal": text(pc.struct_field(movement, "terminal")),
        f"{prefix}_gate": text(pc.struct_field(movement, "gate")),
        "_local_scheduled": pc.struct_field(pc.struct_field(movement, "scheduledTime"), "local"),
        "_bad_time": pc.or_(pc.or_(bad_scheduled, bad_revised), pc.or_(bad_predicted, bad_runway)),
    }
    if prefix == "arr":
        columns["arr_baggage"] = text(pc.struct_field(movement, "baggageBelt"))
    return columns


def _utc(time: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``{"utc": "2024-06-01 10:15Z"}`` -> a UTC timestamp; and where a given value could not be read."""
    given = text(pc.struct_field(time, "utc"))
    head = pc.replace_substring(pc.utf8_slice_codeunits(given, 0, 16), "T", " ")
    naive = pc.strptime(head, format="%Y-%m-%d %H:%M", unit="us", error_is_null=True)
    parsed = pc.cast(pc.assume_timezone(naive, timezone="UTC"), UTC_TS)
    return parsed, pc.fill_null(pc.and_(pc.is_valid(given), pc.is_null(parsed)), False)


def _flight_date(departure: dict[str, pa.Array], dep_icao: pa.Array) -> pa.Array:
    """The scheduled departure's local date: from its ``local`` field, else its UTC time in the airport's zone."""
    local_text = pc.utf8_slice_codeunits(text(departure["_local_scheduled"]), 0, 10)
    from_local = pc.cast(pc.strptime(local_text, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
    from_utc = local_date(departure["dep_scheduled_utc"], airport_zone(dep_icao))
    return pc.coalesce(from_local, pc.if_else(pc.is_valid(departure["dep_scheduled_utc"]), from_utc, None))


def _operator_of(
    is_codeshare: pa.Array, counterpart: pa.Array, scheduled: pa.Array, flight_iata: pa.Array
) -> tuple[pa.Array, pa.Array]:
    """For every row, the row of the operator record with the same counterpart airport and scheduled time, and
    how many operator records share that key (0: none, >1: ambiguous)."""
    n = len(is_codeshare)
    key = pc.binary_join_element_wise(counterpart, pc.cast(scheduled, _S), "|")
    is_operator = pc.and_(pc.invert(is_codeshare), pc.and_(pc.is_valid(key), pc.is_valid(flight_iata)))
    rows = pc.indices_nonzero(is_operator)
    operators = (
        pa.table({"key": pc.take(key, rows), "row": rows}).group_by("key").aggregate([("row", "min"), ("row", "count")])
    )
    where = pc.index_in(key, value_set=operators.column("key").combine_chunks())
    first = pc.take(operators.column("row_min").combine_chunks(), where)
    count = pc.fill_null(pc.take(operators.column("row_count").combine_chunks(), where), 0)
    # A row without a match points at itself; only codeshare rows ever read the operator row.
    own = pa.array(range(n), pa.uint64())
    return pc.coalesce(pc.cast(first, pa.uint64()), own), count
