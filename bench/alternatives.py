"""What a competent engineer would write instead of flightpipe: DuckDB in one statement, and DuckDB's three
statements from raw JSON to warehouse tables. Both produce flightpipe's own typed columns.

The typed statement reads every raw envelope in one ``read_json`` call with an explicit schema (no inference),
unnests pages and records, upper-cases codes, maps statuses onto flightpipe's vocabulary, converts the wall
times to UTC in the record's own time zone (``timezone(zone, naive)``, DuckDB's ICU), and adds the lineage
columns: the same names and types as ``TRANSFORMED_SCHEMA`` (the child checks). It does not do what only
flightpipe does: the reference-data zone lookup (it trusts the record's zone), ``zone_disagreement_min`` (left
null) and the quarantine of bad records (there are none in this workload).
"""

from __future__ import annotations

from pathlib import Path

_S = "VARCHAR"
_SIDE = (
    "airport VARCHAR, timezone VARCHAR, iata VARCHAR, icao VARCHAR, terminal VARCHAR, gate VARCHAR, "
    "delay INTEGER, scheduled VARCHAR, estimated VARCHAR, actual VARCHAR, estimated_runway VARCHAR, "
    "actual_runway VARCHAR"
)
RECORD_TYPE = (
    "STRUCT(flight_date VARCHAR, flight_status VARCHAR, "
    f"departure STRUCT({_SIDE}), arrival STRUCT({_SIDE}, baggage VARCHAR), "
    "airline STRUCT(name VARCHAR, iata VARCHAR, icao VARCHAR), "
    "flight STRUCT(number VARCHAR, iata VARCHAR, icao VARCHAR, codeshared STRUCT(airline_name VARCHAR, "
    "airline_iata VARCHAR, airline_icao VARCHAR, flight_number VARCHAR, flight_iata VARCHAR, flight_icao VARCHAR)), "
    "aircraft STRUCT(registration VARCHAR, iata VARCHAR, icao VARCHAR, icao24 VARCHAR))"
)
ENVELOPE_COLUMNS = (
    "{source: 'VARCHAR', board: 'VARCHAR', airport_icao: 'VARCHAR', run_id: 'VARCHAR', "
    f"fetched_at: 'TIMESTAMPTZ', pages: 'STRUCT(data {RECORD_TYPE}[])[]'}}"
)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _status_case() -> str:
    from flightpipe.core.schema import STATUS_ALIASES

    whens = " ".join(f"WHEN {_sql_text(k)} THEN {_sql_text(v.value)}" for k, v in STATUS_ALIASES.items())
    return f"CASE lower(r.flight_status) {whens} ELSE 'unknown' END"


def _utc(side: str, field: str) -> str:
    """The wall time (the first 19 characters; aviationstack's offset is false) in the side's zone, as UTC."""
    wall = f"try_strptime(left(r.{side}.{field}, 19), '%Y-%m-%dT%H:%M:%S')"
    return f"CASE WHEN {side}_zone IS NULL THEN NULL ELSE timezone({side}_zone, {wall}) END"


def _offset_min(side: str) -> str:
    """The side's UTC offset in minutes at its scheduled time: the wall time read as UTC minus the instant."""
    wall = f"try_strptime(left(r.{side}.scheduled, 19), '%Y-%m-%dT%H:%M:%S')"
    return f"CAST((epoch({wall}) - epoch(timezone({side}_zone, {wall}))) / 60 AS INTEGER)"


def _side_columns(side: str, prefix: str, baggage: bool) -> list[str]:
    columns = [
        f"upper(r.{side}.icao) AS {prefix}_airport_icao",
        f"upper(r.{side}.iata) AS {prefix}_airport_iata",
        f"{_utc(side, 'scheduled')} AS {prefix}_scheduled_utc",
        f"{_utc(side, 'estimated')} AS {prefix}_estimated_utc",
        f"{_utc(side, 'actual')} AS {prefix}_actual_utc",
        # The source's delay, else computed from the gate times (0 when early), as flightpipe does.
        f"coalesce(r.{side}.delay::INTEGER, greatest(date_diff('second', {_utc(side, 'scheduled')}, "
        f"coalesce({_utc(side, 'actual')}, {_utc(side, 'estimated')})) // 60, 0)::INTEGER) AS {prefix}_delay_min",
        f"r.{side}.terminal AS {prefix}_terminal",
        f"r.{side}.gate AS {prefix}_gate",
    ]
    if baggage:
        columns.append(f"r.{side}.baggage AS {prefix}_baggage")
    return columns


def _title(text: str) -> str:
    """Title case (DuckDB has no initcap): the codeshare block names the operator in lower case."""
    return f"array_to_string(list_transform(string_split({text}, ' '), lambda w: upper(w[1]) || lower(w[2:])), ' ')"


def typed_select(raw_root: Path, keys: list[str]) -> str:
    """One SELECT over every raw file producing TRANSFORMED_SCHEMA's columns, in its order."""
    files = "[" + ", ".join(_sql_text(str(raw_root / k)) for k in keys) + "]"
    prefix = _sql_text(str(raw_root) + "/")
    cs = "r.flight.codeshared"
    is_cs = f"coalesce({cs}.flight_iata IS NOT NULL OR {cs}.flight_icao IS NOT NULL, false)"
    columns = [
        "coalesce(CAST(try_strptime(left(r.departure.scheduled, 19), '%Y-%m-%dT%H:%M:%S') AS DATE),"
        " try_cast(r.flight_date AS DATE)) AS flight_date",
        "upper(r.flight.iata) AS flight_iata",
        "upper(r.flight.icao) AS flight_icao",
        "r.flight.number AS flight_number",
        "upper(r.airline.iata) AS airline_iata",
        "upper(r.airline.icao) AS airline_icao",
        "r.airline.name AS airline_name",
        f"{is_cs} AS is_codeshare",
        f"CASE WHEN {is_cs} THEN upper({cs}.flight_iata) ELSE upper(r.flight.iata) END AS operating_flight_iata",
        f"CASE WHEN {is_cs} THEN upper({cs}.flight_icao) ELSE upper(r.flight.icao) END AS operating_flight_icao",
        f"CASE WHEN {is_cs} THEN upper({cs}.airline_iata) ELSE upper(r.airline.iata) END AS operating_airline_iata",
        f"CASE WHEN {is_cs} THEN upper({cs}.airline_icao) ELSE upper(r.airline.icao) END AS operating_airline_icao",
        *_side_columns("departure", "dep", baggage=False),
        *_side_columns("arrival", "arr", baggage=True),
        "r.aircraft.registration AS aircraft_registration",
        "upper(r.aircraft.icao) AS aircraft_type_icao",
        f"{_status_case()} AS status",
        "source",
        "board",
        "board_airport_icao",
        "collected_at_utc",
        "raw_key",
        "run_id",
        f"{_utc('departure', 'actual_runway')} AS dep_runway_utc",
        f"{_utc('arrival', 'actual_runway')} AS arr_runway_utc",
        "'scheduled_departure' AS flight_date_basis",
        f"CASE WHEN {is_cs} THEN {_title(cs + '.airline_name')} END AS operating_airline_name",
        "NULL::INTEGER AS zone_disagreement_min",
        f"{_offset_min('departure')} AS dep_utc_offset_min",
        f"{_offset_min('arrival')} AS arr_utc_offset_min",
        "raw_record_index::INTEGER AS raw_record_index",
    ]
    return f"""
WITH envelopes AS (
    SELECT source, board, airport_icao AS board_airport_icao, run_id, fetched_at AS collected_at_utc,
           replace(filename, {prefix}, '') AS raw_key,
           flatten(list_transform(pages, lambda p: p.data)) AS records
    FROM read_json({files}, columns = {ENVELOPE_COLUMNS}, filename = true, format = 'auto',
                   maximum_object_size = 1073741824)
), records AS (
    SELECT * EXCLUDE (records), unnest(records) AS r, unnest(range(len(records))) AS raw_record_index
    FROM envelopes
), zoned AS (
    SELECT *,
           CASE WHEN r.departure.timezone IN (SELECT name FROM pg_timezone_names()) THEN r.departure.timezone END
               AS departure_zone,
           CASE WHEN r.arrival.timezone IN (SELECT name FROM pg_timezone_names()) THEN r.arrival.timezone END
               AS arrival_zone
    FROM records
)
SELECT {(", " + chr(10) + "       ").join(columns)}
FROM zoned"""


def process_sql() -> str:
    """The project's own dedup rule (stages/process.sql), over the table ``transformed_rows``."""
    from flightpipe.stages.process import PROCESS_SQL

    return PROCESS_SQL


FACT_TABLES_SQL = """
CREATE TABLE fact_flights AS
    SELECT * EXCLUDE (codeshare_flight_iatas), len(codeshare_flight_iatas)::INTEGER AS codeshare_count
    FROM processed;
CREATE TABLE flight_codeshares AS
    SELECT flight_date, flight_iata, dep_airport_icao, unnest(codeshare_flight_iatas) AS codeshare_flight_iata,
           flight_icao
    FROM processed;
"""
