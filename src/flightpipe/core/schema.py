"""The Arrow schemas of transformed and processed rows: the single source of truth.

Every other representation (the process SQL's output, the warehouse DDL of every engine, the Glue catalog
columns) is derived from or checked against these schemas. Every timestamp is UTC.
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")


class Status(StrEnum):
    """The one status vocabulary every source is normalised to."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    LANDED = "landed"
    CANCELLED = "cancelled"
    DIVERTED = "diverted"
    INCIDENT = "incident"
    UNKNOWN = "unknown"


#: Source spellings mapped onto the vocabulary; anything else becomes ``unknown``.
STATUS_ALIASES: dict[str, Status] = {
    **{s.value: s for s in Status},
    "canceled": Status.CANCELLED,
    "en-route": Status.ACTIVE,
    "enroute": Status.ACTIVE,
    "airborne": Status.ACTIVE,
    "departed": Status.ACTIVE,
    "arrived": Status.LANDED,
    "delayed": Status.SCHEDULED,
    "expected": Status.SCHEDULED,
    "boarding": Status.SCHEDULED,
}


def _side(prefix: str, with_baggage: bool = False) -> list[pa.Field]:
    fields = [
        pa.field(f"{prefix}_airport_icao", pa.string()),
        pa.field(f"{prefix}_airport_iata", pa.string()),
        pa.field(f"{prefix}_scheduled_utc", UTC_TS),
        pa.field(f"{prefix}_estimated_utc", UTC_TS),
        pa.field(f"{prefix}_actual_utc", UTC_TS),
        pa.field(f"{prefix}_delay_min", pa.int32()),
        pa.field(f"{prefix}_terminal", pa.string()),
        pa.field(f"{prefix}_gate", pa.string()),
    ]
    if with_baggage:
        fields.append(pa.field(f"{prefix}_baggage", pa.string()))
    return fields


def _flight() -> list[pa.Field]:
    """The flight number and airline a record names (in processed rows: the operating flight's)."""
    return [
        pa.field("flight_date", pa.date32(), nullable=False),
        *(
            pa.field(name, pa.string())
            for name in ("flight_iata", "flight_icao", "flight_number", "airline_iata", "airline_icao", "airline_name")
        ),
    ]


def _aircraft_and_status() -> list[pa.Field]:
    return [
        pa.field("aircraft_registration", pa.string()),
        pa.field("aircraft_type_icao", pa.string()),
        pa.field("status", pa.string(), nullable=False),
    ]


def _milestones_and_lineage() -> list[pa.Field]:
    """Columns added after the first release, so they come last (where ``ALTER TABLE ADD COLUMN`` puts them on
    older warehouses, and where older Parquet files simply lack them: they read back as nulls).

    ``*_actual_utc`` is the gate milestone (off-block / on-block), ``*_runway_utc`` the runway one (take-off /
    landing); delays and on-time figures use gate times only. ``flight_date_basis`` says where ``flight_date``
    came from (see ``FLIGHT_DATE_BASES``).
    """
    return [
        pa.field("dep_runway_utc", UTC_TS),
        pa.field("arr_runway_utc", UTC_TS),
        pa.field("flight_date_basis", pa.string()),
    ]


def _local_offsets() -> list[pa.Field]:
    """Added after the milestones, so last in every schema (transformed, processed, fact_flights).

    Minutes the airport's local time is ahead of UTC at the side's scheduled time, in the airport database's
    zone (``dim_airport.tz``) as the one zone database of the pipeline (Python's zoneinfo: the system tzdata, as
    transform and the report use) computes it. The warehouse views derive local dates and hours from these
    instead of converting with the engine's own zone data (DuckDB's ICU, PostgreSQL's, Redshift's), which
    disagree with it and with each other for some zones and dates. Null where the airport or the time is unknown.
    """
    return [pa.field("dep_utc_offset_min", pa.int32()), pa.field("arr_utc_offset_min", pa.int32())]


LOCAL_OFFSET_COLUMNS = ("dep_utc_offset_min", "arr_utc_offset_min")

#: What ``flight_date`` was derived from. Only ``scheduled_departure`` is the definition (the scheduled
#: departure's local date, DESIGN.md); the others are documented fallbacks for records that lack that time.
FLIGHT_DATE_BASES = ("scheduled_departure", "operator_record", "scheduled_arrival")
MILESTONE_COLUMNS = ("dep_runway_utc", "arr_runway_utc")

DEP_COLUMNS = [f.name for f in _side("dep")]
ARR_COLUMNS = [f.name for f in _side("arr", with_baggage=True)]

#: What a source's normaliser produces: one row per record of a board as the source delivered it (a codeshare
#: record is its own row).
NORMALISED_SCHEMA = pa.schema(
    [
        *_flight(),
        pa.field("is_codeshare", pa.bool_(), nullable=False),
        pa.field("operating_flight_iata", pa.string()),
        pa.field("operating_flight_icao", pa.string()),
        pa.field("operating_airline_iata", pa.string()),
        pa.field("operating_airline_icao", pa.string()),
        *_side("dep"),
        *_side("arr", with_baggage=True),
        *_aircraft_and_status(),
        pa.field("source", pa.string(), nullable=False),
        pa.field("board", pa.string(), nullable=False),
        pa.field("board_airport_icao", pa.string(), nullable=False),
        pa.field("collected_at_utc", UTC_TS, nullable=False),
        pa.field("raw_key", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        *_milestones_and_lineage(),
        # The operating airline's name as a codeshare record gives it (null on operator records, which name
        # their airline in ``airline_name``).
        pa.field("operating_airline_name", pa.string()),
        # Minutes between the instants the record's own time zone and the airport database's zone give the
        # scheduled times (the larger side); 0: they agree; null: nothing to compare. The warn rule
        # ``zone_agrees`` counts disagreements; the airport database's zone is the one used.
        pa.field("zone_disagreement_min", pa.int32()),
        *_local_offsets(),
    ]
)

#: The transformed layer: normalised rows plus the record's position in its raw file, so every row names exactly
#: one source record (and dedup can break every tie the same way on any engine).
TRANSFORMED_SCHEMA = NORMALISED_SCHEMA.append(pa.field("raw_record_index", pa.int32(), nullable=False))

#: One row per physical flight (flight_date, operating flight, departure airport). ``flight_*`` and
#: ``airline_*`` name the operating flight; the marketing numbers are in ``codeshare_flight_iatas``.
PROCESSED_SCHEMA = pa.schema(
    [
        *_flight(),
        pa.field("codeshare_flight_iatas", pa.list_(pa.string()), nullable=False),
        *_side("dep"),
        *_side("arr", with_baggage=True),
        *_aircraft_and_status(),
        pa.field("seen_on_departures", pa.bool_(), nullable=False),
        pa.field("seen_on_arrivals", pa.bool_(), nullable=False),
        pa.field("observation_count", pa.int32(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("collected_at_utc", UTC_TS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        *_milestones_and_lineage(),
        *_local_offsets(),
    ]
)

#: The key of a physical flight in processed rows and the warehouse.
FLIGHT_KEY = ("flight_date", "flight_iata", "dep_airport_icao")

#: Lineage columns: which collection last observed a flight. They change when a day is collected again even
#: if nothing about the flight did, so equality checks of two runs compare everything else.
LINEAGE_COLUMNS = ("collected_at_utc", "run_id", "observation_count")

#: The warehouse fact table: processed rows with the codeshare list moved to the ``flight_codeshares`` bridge.
_ADDED = {f.name for f in _milestones_and_lineage()} | set(LOCAL_OFFSET_COLUMNS)
FACT_FLIGHTS_SCHEMA = pa.schema(
    [f for f in PROCESSED_SCHEMA if f.name != "codeshare_flight_iatas" and f.name not in _ADDED]
    + [pa.field("codeshare_count", pa.int32(), nullable=False)]
    + _milestones_and_lineage()
    + _local_offsets()
)

#: Bridge table: one row per marketing flight number of a physical flight.
FLIGHT_CODESHARES_SCHEMA = pa.schema(
    [
        pa.field("flight_date", pa.date32(), nullable=False),
        pa.field("flight_iata", pa.string()),
        pa.field("dep_airport_icao", pa.string(), nullable=False),
        pa.field("codeshare_flight_iata", pa.string(), nullable=False),
        # With flight_iata, ties a row to its flight when that has only an ICAO number (the process stage's key
        # is coalesce(flight_iata, flight_icao)); last, where ALTER TABLE ADD COLUMN puts it on older warehouses.
        pa.field("flight_icao", pa.string()),
    ]
)

DIM_AIRPORT_SCHEMA = pa.schema(
    [
        pa.field("airport_icao", pa.string(), nullable=False),
        pa.field("airport_iata", pa.string()),
        pa.field("name", pa.string()),
        pa.field("city", pa.string()),
        pa.field("country", pa.string()),
        pa.field("tz", pa.string()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
    ]
)

DIM_AIRLINE_SCHEMA = pa.schema(
    [
        pa.field("airline_key", pa.string(), nullable=False),
        pa.field("airline_iata", pa.string()),
        pa.field("airline_icao", pa.string()),
        pa.field("airline_name", pa.string()),
    ]
)

#: One row per quality rule, partition and run (``flightpipe.quality``): the warehouse table
#: ``quality_results``, so trends can be queried. ``scope`` is ``board`` (airport, board, collection date) or
#: ``flight_date``; ``observed`` is the rule's main figure (a share, a volume, a count).
QUALITY_RESULTS_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("checked_at_utc", UTC_TS, nullable=False),
        pa.field("scope", pa.string(), nullable=False),
        pa.field("partition_date", pa.date32(), nullable=False),
        pa.field("airport_icao", pa.string()),
        pa.field("board", pa.string()),
        pa.field("rule", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("level", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("threshold", pa.float64()),
        pa.field("observed", pa.float64()),
        pa.field("message", pa.string(), nullable=False),
        pa.field("counts_json", pa.string(), nullable=False),
        pa.field("examples", pa.list_(pa.string()), nullable=False),
        pa.field("overridden", pa.bool_(), nullable=False),
    ]
)
