"""OpenSky Network ``/flights/departure`` and ``/flights/arrival``: the record format and its normalisation.

A page is OpenSky's native answer, a bare JSON array of flights: ``icao24``, ``firstSeen``, ``lastSeen`` (Unix
seconds), ``estDepartureAirport``, ``estArrivalAirport``, ``callsign`` (space padded, may be null). OpenSky sees
aircraft, not schedules, so most columns stay null:

* ``flight_icao`` is the trimmed callsign; the airline (ICAO, IATA, name) is filled where the callsign's
  three-letter prefix is a known airline designator (``flightpipe.reference.airlines``). No flight IATA number, no
  codeshares, no schedule, terminals, gates, registration or aircraft type.
* ``firstSeen`` -> ``dep_actual_utc``, ``lastSeen`` -> ``arr_actual_utc``; the flight date is ``firstSeen``'s local
  date at the departure airport (its UTC date when the departure airport is unknown).
* status: ``landed`` when OpenSky names an arrival airport, else ``unknown`` (the batch holds finished tracks).
* The *other* end of a track is an estimate OpenSky often cannot make (``estArrivalAirport: null`` on a
  departure, ``estDepartureAirport: null`` on an arrival): that airport is stored as ``ZZZZ`` (unknown, as a
  name-only airport of AeroDataBox), the record loads and the warn rule ``airports_known`` counts it. OpenSky
  keeps one record per flight for both endpoints, so a flight whose departure airport is unknown is on no
  departure board and cannot load twice under two departure airports.
* A record without a callsign names no flight (the warehouse keys a flight by its number; ``icao24`` names the
  transponder, and one aircraft flies several flights a day from one airport): quarantined with the reason.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.schema import UTC_TS, Status
from flightpipe.reference.airlines import airlines_by_icao
from flightpipe.reference.airports import UNKNOWN_AIRPORT_ICAO
from flightpipe.sources.normalising import (
    PARSE,
    REQUIRED_KEYS,
    STRING,
    BoardContext,
    Normalised,
    Reason,
    airport_iata,
    airport_zone,
    assemble,
    code,
    constant,
    lineage,
    local_date,
)

#: Columns OpenSky never fills (it sees aircraft, not schedules); quality rules do not count their nulls.
UNFILLED_COLUMNS = frozenset(
    {
        "flight_iata",
        "flight_number",
        "dep_scheduled_utc",
        "dep_estimated_utc",
        "dep_delay_min",
        "dep_terminal",
        "dep_gate",
        "arr_scheduled_utc",
        "arr_estimated_utc",
        "arr_delay_min",
        "arr_terminal",
        "arr_gate",
        "arr_baggage",
        "aircraft_registration",
        "aircraft_type_icao",
    }
)

FORMAT = "opensky"

_S = STRING

#: The fields of a record flightpipe reads; the others (candidate counts, distances) are ignored.
RECORD_TYPE = pa.struct(
    [
        ("icao24", _S),
        ("firstSeen", pa.int64()),
        ("estDepartureAirport", _S),
        ("lastSeen", pa.int64()),
        ("estArrivalAirport", _S),
        ("callsign", _S),
    ]
)


def normalise(records: pa.StructArray, ctx: BoardContext) -> Normalised:
    """Turn OpenSky flights into rows of TRANSFORMED_SCHEMA; reject (with a reason) what cannot be."""
    n = len(records)
    callsign = code(pc.struct_field(records, "callsign"))
    airline_icao, airline_iata, airline_name = _airline(callsign)
    dep_icao = code(pc.struct_field(records, "estDepartureAirport"))
    arr_icao = code(pc.struct_field(records, "estArrivalAirport"))
    arrival_named = pc.is_valid(arr_icao)
    # The board's own end must be named (below: the record is not of this board otherwise); the other end is
    # an estimate OpenSky may not have made: unknown, kept as ZZZZ.
    if ctx.board == "departures":
        arr_icao = pc.coalesce(arr_icao, pa.scalar(UNKNOWN_AIRPORT_ICAO, _S))
    else:
        dep_icao = pc.coalesce(dep_icao, pa.scalar(UNKNOWN_AIRPORT_ICAO, _S))
    first_seen = _instant(pc.struct_field(records, "firstSeen"))
    last_seen = _instant(pc.struct_field(records, "lastSeen"))
    flight_date = local_date(first_seen, airport_zone(dep_icao))
    no_text = pa.nulls(n, _S)
    no_time = pa.nulls(n, UTC_TS)
    no_int = pa.nulls(n, pa.int32())

    columns: dict[str, pa.Array] = {
        "flight_date": flight_date,
        "flight_iata": no_text,
        "flight_icao": callsign,
        "flight_number": no_text,
        "airline_iata": airline_iata,
        "airline_icao": airline_icao,
        "airline_name": airline_name,
        "is_codeshare": constant(False, n, pa.bool_()),
        "operating_flight_iata": no_text,
        "operating_flight_icao": callsign,
        "operating_airline_iata": airline_iata,
        "operating_airline_icao": airline_icao,
        "aircraft_registration": no_text,
        "aircraft_type_icao": no_text,
        "status": pc.if_else(arrival_named, Status.LANDED.value, Status.UNKNOWN.value),
    }
    for prefix, icao, seen in (("dep", dep_icao, first_seen), ("arr", arr_icao, last_seen)):
        columns.update(
            {
                f"{prefix}_airport_icao": icao,
                f"{prefix}_airport_iata": airport_iata(icao),
                f"{prefix}_scheduled_utc": no_time,
                f"{prefix}_estimated_utc": no_time,
                f"{prefix}_actual_utc": seen,
                f"{prefix}_delay_min": no_int,
                f"{prefix}_terminal": no_text,
                f"{prefix}_gate": no_text,
            }
        )
    columns["arr_baggage"] = no_text
    board_side = dep_icao if ctx.board == "departures" else arr_icao
    board_field = "estDepartureAirport" if ctx.board == "departures" else "estArrivalAirport"
    reasons: list[Reason] = [
        (pc.is_null(callsign), "callsign missing: OpenSky cannot name the flight"),
        (pc.is_null(first_seen), "firstSeen missing: no departure time, so no flight date"),
        (pc.is_null(board_side), f"{board_field} missing: the board's own airport"),
        ctx.not_on_board(board_side),
    ]
    # The quality rule of each reason, in the same order (a time that is not integer seconds never gets here:
    # the reader rejects the record as not OpenSky's format, rule parse).
    rules = [(condition, rule) for (condition, _), rule in zip(reasons, [REQUIRED_KEYS] * 3 + [PARSE], strict=True)]
    lineage(columns, ctx, n)
    return assemble(columns, reasons, n, rules)


def _instant(seconds: pa.Array) -> pa.Array:
    return pc.cast(pc.cast(pc.multiply(seconds, 1_000_000), pa.timestamp("us")), pa.timestamp("us", tz="UTC"))


def _airline(callsign: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """ICAO, IATA and name of the airline whose designator prefixes the callsign (``DLH4AB`` -> DLH, LH,
    Lufthansa); nulls where the prefix is not an airline designator flightpipe knows."""
    table = airlines_by_icao()
    designators = pa.array(list(table), _S)
    looks_like_airline = pc.match_substring_regex(callsign, r"^[A-Z]{3}[0-9]")
    prefix = pc.if_else(pc.fill_null(looks_like_airline, False), pc.utf8_slice_codeunits(callsign, 0, 3), None)
    where = pc.index_in(prefix, value_set=designators)
    iata = pa.array([a.iata for a in table.values()], _S)
    names = pa.array([a.name for a in table.values()], _S)
    return pc.take(designators, where), pc.take(iata, where), pc.take(names, where)
