"""AeroDataBox FIDS (``/flights/airports/icao/{ICAO}/{fromLocal}/{toLocal}``): the record format, in both of its
documented answer shapes, and its normalisation to transformed rows.

A page is the native answer, ``{"departures": [...]}`` or ``{"arrivals": [...]}``. A record has ``number``
("LH 123"), ``codeshareStatus``, ``status``, ``airline``, ``aircraft`` and either

* (``withLeg=true``) a ``departure`` and an ``arrival`` leg (the board's own airport may be left out of its own
  leg; the other leg's times, even its airport's ICAO code, may be missing), or
* (default) one ``movement``: the *counterpart* airport and *this* airport's times only.

Mapping (docs/sources.md has the table):

* Times come from the ``utc`` fields (``"2024-06-01 10:15Z"``); ``local`` is read only for the flight date.
* Two milestones, kept apart: ``revisedTime`` of a leg that has happened (the flight has departed / arrived, or
  the leg has a ``runwayTime``) is the gate time (off-block / on-block) -> ``*_actual_utc``; ``runwayTime`` is the
  take-off / landing -> ``*_runway_utc``. ``*_estimated_utc`` is ``revisedTime`` else ``predictedTime``.
* ``*_delay_min``: whole minutes from scheduled to the gate time (actual, else the estimate), 0 when on time or
  early, null only when a time is unknown.
* ``flight_date`` is the scheduled departure's local date (``flight_date_basis = scheduled_departure``). Where the
  record has no departure time (the ``movement`` shape on an arrivals board, or a missing optional field) a
  codeshare takes its operator record's date (``operator_record``), anything else the local date of its
  scheduled arrival (``scheduled_arrival``; a flight crossing midnight then gets the arrival's date).
* A counterpart airport known only by IATA code is resolved through airportsdata; one known only by name gets
  the ICAO code ``ZZZZ`` (ICAO's own "no location indicator"), so it loads and is findable instead of quarantined.
* A number whose prefix is the airline's ICAO designator and which has no IATA airline ("BCS 6420") is an ICAO
  flight number: ``flight_icao``, with ``flight_iata`` null.
* A codeshare record (``IsCodeshared``) does not name its operator: it is matched to the operator record of the
  same board with the same counterpart airport and the same scheduled time; several candidates are narrowed by
  aircraft registration, then terminal. No match or no single one sends it to quarantine with the reason; it is
  never counted as a flight of its own. A matched codeshare carries its operator's status and actual times
  (only the operator knows them) and, where its own departure time is missing, its operator's flight date.
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
    Reason,
    airport_iata,
    airport_icao_of_iata,
    airport_zone,
    assemble,
    code,
    delay_minutes,
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
        ("movement", _MOVEMENT),
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
    board_icao = ctx.column("board_airport_icao", n)

    airline = pc.struct_field(records, "airline")
    airline_iata = code(pc.struct_field(airline, "iata"))
    airline_icao = code(pc.struct_field(airline, "icao"))
    number = pc.replace_substring_regex(code(pc.struct_field(records, "number")), r"\s+", "")
    flight_number = pc.struct_field(pc.extract_regex(number, r"^[A-Z0-9]{2,3}?(?P<n>\d{1,5}[A-Z]?)$"), "n")
    # "BCS 6420" of an airline with no IATA code is an ICAO flight number, not an IATA one.
    icao_shaped = pc.match_substring_regex(number, r"^[A-Z]{3}\d{1,5}[A-Z]?$")
    icao_prefix = pc.equal(pc.utf8_slice_codeunits(number, 0, 3), airline_icao)
    icao_only = pc.fill_null(pc.and_(pc.is_null(airline_iata), pc.and_(icao_shaped, icao_prefix)), False)
    flight_iata = pc.if_else(icao_only, pa.nulls(n, _S), number)
    flight_icao = pc.if_else(icao_only, number, pc.binary_join_element_wise(airline_icao, flight_number, ""))
    status_words = text(pc.struct_field(records, "status"))

    columns: dict[str, pa.Array] = {}
    reasons: list[Reason] = [(pc.is_null(number), "number missing: no flight number")]
    # The quality rule of each reason, in the same order: a missing field is required_keys, a bad time
    # timestamps_parse, a codeshare without its operator required_keys (it must name its operating flight).
    rules: list[tuple[pa.Array, str]] = [(reasons[0][0], REQUIRED_KEYS)]
    sides: dict[str, dict[str, pa.Array]] = {}
    movement = pc.struct_field(records, "movement")
    for prefix, label in (("dep", "departure"), ("arr", "arrival")):
        leg = pc.struct_field(records, label)
        is_own = label == own_label
        # The movement shape holds this airport's times and the counterpart's airport.
        times = _coalesce_struct(leg, movement) if is_own else leg
        airport = pc.struct_field(leg, "airport")
        if not is_own:
            airport = _coalesce_struct(airport, pc.struct_field(movement, "airport"))
        side = _side(prefix, times, airport, board_icao if is_own else None, status_words)
        sides[label] = side
        columns.update({k: v for k, v in side.items() if not k.startswith("_")})
        reasons.append((pc.is_null(side[f"{prefix}_airport_icao"]), f"{label}.airport missing (no code, no name)"))
        rules.append((reasons[-1][0], REQUIRED_KEYS))
        reasons.append((side["_bad_time"], f"{label} has a time that is not 'YYYY-MM-DD HH:MMZ'"))
        rules.append((reasons[-1][0], TIMESTAMPS_PARSE))

    own_scheduled = sides[own_label]["dep_scheduled_utc" if on_departures else "arr_scheduled_utc"]
    counterpart = sides[other_label]["arr_airport_icao" if on_departures else "dep_airport_icao"]
    reasons.append((pc.is_null(own_scheduled), f"{own_label}.scheduledTime.utc missing: the board's own time"))
    rules.append((reasons[-1][0], REQUIRED_KEYS))

    is_codeshare = pc.fill_null(pc.equal(text(pc.struct_field(records, "codeshareStatus")), "IsCodeshared"), False)
    registration = text(pc.struct_field(pc.struct_field(records, "aircraft"), "reg"))
    terminal = sides[own_label]["dep_terminal" if on_departures else "arr_terminal"]
    operator_row, operator_count = _operator_of(
        is_codeshare,
        ctx.column("raw_key", n),
        counterpart,
        own_scheduled,
        pc.coalesce(flight_iata, flight_icao),
        [registration, terminal],
    )
    no_operator = pc.and_(is_codeshare, pc.equal(operator_count, 0))
    ambiguous = pc.and_(is_codeshare, pc.greater(operator_count, 1))
    reasons.append(
        (no_operator, f"codeshare record with no operator record of the same {other_label} airport and scheduled time")
    )
    reasons.append(
        (
            ambiguous,
            f"codeshare record matches several operator records of the same {other_label} airport and time, "
            "and neither registration nor terminal tells them apart",
        )
    )
    rules.extend([(no_operator, REQUIRED_KEYS), (ambiguous, REQUIRED_KEYS)])
    matched = pc.and_(is_codeshare, pc.equal(operator_count, 1))

    def operating(values: pa.Array) -> pa.Array:
        return pc.if_else(matched, pc.take(values, operator_row), values)

    own_date = _local_date(sides["departure"], "dep_scheduled_utc", columns["dep_airport_icao"])
    arrival_date = _local_date(sides["arrival"], "arr_scheduled_utc", columns["arr_airport_icao"])
    operator_date = pc.if_else(matched, pc.take(own_date, operator_row), pa.nulls(n, pa.date32()))
    flight_date = pc.coalesce(own_date, operator_date, arrival_date)
    basis = pc.if_else(
        pc.is_valid(own_date),
        pa.scalar("scheduled_departure", _S),
        pc.if_else(pc.is_valid(operator_date), pa.scalar("operator_record", _S), pa.scalar("scheduled_arrival", _S)),
    )
    reasons.append((pc.is_null(flight_date), "no scheduled time of either leg: flight date unknown"))
    rules.append((reasons[-1][0], REQUIRED_KEYS))

    # Only the operator knows whether and when its flight moved: a marketing record never adds those facts.
    for column in ("dep_actual_utc", "dep_runway_utc", "arr_actual_utc", "arr_runway_utc"):
        columns[column] = operating(columns[column])
    columns.update(
        {
            "flight_date": flight_date,
            "flight_date_basis": basis,
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
            "operating_airline_name": pc.if_else(
                matched, pc.take(text(pc.struct_field(airline, "name")), operator_row), pa.nulls(n, _S)
            ),
            "aircraft_registration": operating(registration),
            "aircraft_type_icao": pa.nulls(n, _S),
            "status": operating(status(status_words, STATUS_WORDS)),
        }
    )
    lineage(columns, ctx, n)
    return assemble(columns, reasons, n, rules)


#: Status words after which a leg has happened (its ``revisedTime`` is then the gate time, not an estimate).
_DEPARTED = ("Departed", "EnRoute", "Approaching", "Arrived", "Diverted")
_ARRIVED = ("Arrived",)

#: ICAO's location indicator for "no ICAO code" (flight plans use it): an airport known only by its name.
UNKNOWN_AIRPORT = "ZZZZ"


def _side(
    prefix: str, times: pa.Array, airport: pa.Array, board_icao: pa.Array | None, status_words: pa.Array
) -> dict[str, pa.Array]:
    """The columns of one side: ``times`` a movement (its time fields), ``airport`` its airport; the board's own
    airport fills in where AeroDataBox leaves it out."""
    n = len(times)
    iata_given = code(pc.struct_field(airport, "iata"))
    icao = pc.coalesce(code(pc.struct_field(airport, "icao")), airport_icao_of_iata(iata_given))
    if board_icao is not None:
        icao = pc.coalesce(icao, board_icao)
    named_only = pc.and_(pc.is_null(icao), pc.is_valid(text(pc.struct_field(airport, "name"))))
    icao = pc.if_else(pc.fill_null(named_only, False), pa.scalar(UNKNOWN_AIRPORT, _S), icao)
    scheduled, bad_scheduled = _utc(pc.struct_field(times, "scheduledTime"))
    revised, bad_revised = _utc(pc.struct_field(times, "revisedTime"))
    predicted, bad_predicted = _utc(pc.struct_field(times, "predictedTime"))
    runway, bad_runway = _utc(pc.struct_field(times, "runwayTime"))
    words = _DEPARTED if prefix == "dep" else _ARRIVED
    happened = pc.or_(pc.is_valid(runway), pc.fill_null(pc.is_in(status_words, value_set=pa.array(words, _S)), False))
    gate = pc.if_else(happened, revised, pa.nulls(n, UTC_TS))
    estimated = pc.coalesce(revised, predicted)
    columns = {
        f"{prefix}_airport_icao": icao,
        f"{prefix}_airport_iata": pc.coalesce(iata_given, airport_iata(icao)),
        f"{prefix}_scheduled_utc": scheduled,
        f"{prefix}_estimated_utc": estimated,
        f"{prefix}_actual_utc": gate,
        f"{prefix}_runway_utc": runway,
        f"{prefix}_delay_min": delay_minutes(pc.coalesce(gate, estimated), scheduled),
        f"{prefix}_terminal": text(pc.struct_field(times, "terminal")),
        f"{prefix}_gate": text(pc.struct_field(times, "gate")),
        "_local_scheduled": pc.struct_field(pc.struct_field(times, "scheduledTime"), "local"),
        "_bad_time": pc.or_(pc.or_(bad_scheduled, bad_revised), pc.or_(bad_predicted, bad_runway)),
    }
    if prefix == "arr":
        columns["arr_baggage"] = text(pc.struct_field(times, "baggageBelt"))
    return columns


def _coalesce_struct(first: pa.Array, second: pa.Array) -> pa.Array:
    """Per row, ``first`` where it is given, else ``second`` (two arrays of the same struct type)."""
    return pc.if_else(pc.is_valid(first), first, second)


def _utc(time: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``{"utc": "2024-06-01 10:15Z"}`` -> a UTC timestamp; and where a given value could not be read."""
    given = text(pc.struct_field(time, "utc"))
    head = pc.replace_substring(pc.utf8_slice_codeunits(given, 0, 16), "T", " ")
    naive = pc.strptime(head, format="%Y-%m-%d %H:%M", unit="us", error_is_null=True)
    parsed = pc.cast(pc.assume_timezone(naive, timezone="UTC"), UTC_TS)
    return parsed, pc.fill_null(pc.and_(pc.is_valid(given), pc.is_null(parsed)), False)


def _local_date(side: dict[str, pa.Array], scheduled_column: str, icao: pa.Array) -> pa.Array:
    """A leg's scheduled local date: from its ``local`` field, else its UTC time in the airport's zone."""
    local_text = pc.utf8_slice_codeunits(text(side["_local_scheduled"]), 0, 10)
    from_local = pc.cast(pc.strptime(local_text, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
    scheduled = side[scheduled_column]
    from_utc = local_date(scheduled, airport_zone(icao))
    return pc.coalesce(from_local, pc.if_else(pc.is_valid(scheduled), from_utc, None))


def _operator_of(
    is_codeshare: pa.Array,
    raw_file: pa.Array,
    counterpart: pa.Array,
    scheduled: pa.Array,
    flight: pa.Array,
    tie_breakers: list[pa.Array],
) -> tuple[pa.Array, pa.Array]:
    """For every row, the row of the operator record of the same raw file (``raw_file``: its key) with the same
    counterpart airport and scheduled time, and how many operator records match (0: none, >1: ambiguous). Where
    several match, each of ``tie_breakers`` (registration, terminal) in turn narrows the key, where the codeshare
    record has that value."""
    base = pc.binary_join_element_wise(raw_file, counterpart, pc.cast(scheduled, _S), "|")
    first, count = _match(is_codeshare, base, flight)
    for extra in tie_breakers:
        narrowed = pc.binary_join_element_wise(base, extra, "|")
        first_n, count_n = _match(is_codeshare, narrowed, flight)
        use = pc.and_(pc.greater(count, 1), pc.equal(count_n, 1))
        first = pc.if_else(use, first_n, first)
        count = pc.if_else(use, count_n, count)
    # A row without a match points at itself; only codeshare rows ever read the operator row.
    own = pa.array(range(len(is_codeshare)), pa.uint64())
    return pc.coalesce(pc.cast(first, pa.uint64()), own), count


def _match(is_codeshare: pa.Array, key: pa.Array, flight: pa.Array) -> tuple[pa.Array, pa.Array]:
    is_operator = pc.and_(pc.invert(is_codeshare), pc.and_(pc.is_valid(key), pc.is_valid(flight)))
    rows = pc.indices_nonzero(is_operator)
    operators = (
        pa.table({"key": pc.take(key, rows), "row": rows}).group_by("key").aggregate([("row", "min"), ("row", "count")])
    )
    where = pc.index_in(key, value_set=operators.column("key").combine_chunks())
    first = pc.take(operators.column("row_min").combine_chunks(), where)
    count = pc.fill_null(pc.take(operators.column("row_count").combine_chunks(), where), 0)
    return first, count
