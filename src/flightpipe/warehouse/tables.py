"""The warehouse's tables: each one an Arrow schema from ``core/schema.py`` plus its keys and Redshift layout.

A star: ``fact_flights`` (one row per physical flight) with the bridge ``flight_codeshares`` and the dimensions
``dim_airport`` and ``dim_airline``; ``flightpipe_loads`` records the last load of each flight date;
``quality_results`` keeps every run's data-quality results (``flightpipe.quality``), so trends can be queried
next to the data; ``flightpipe_meta`` holds the fingerprint of the views init last created.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from flightpipe.core.schema import (
    DIM_AIRLINE_SCHEMA,
    DIM_AIRPORT_SCHEMA,
    FACT_FLIGHTS_SCHEMA,
    FLIGHT_CODESHARES_SCHEMA,
    QUALITY_RESULTS_SCHEMA,
    UTC_TS,
)

LOADS_SCHEMA = pa.schema(
    [
        pa.field("flight_date", pa.date32(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("rows_loaded", pa.int32(), nullable=False),
        pa.field("loaded_at", UTC_TS, nullable=False),
    ]
)

#: What the warehouse knows about itself: ``views_sha256`` is the fingerprint of the view DDL last applied, so
#: init can tell that the views are current without dropping and recreating them.
META_SCHEMA = pa.schema(
    [
        pa.field("meta_key", pa.string(), nullable=False),
        pa.field("meta_value", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    schema: pa.Schema
    primary_key: tuple[str, ...] = ()
    #: Redshift layout. The fact and the bridge are read by date ranges, so both sort by flight_date; they are
    #: distributed on flight_iata so the fact-to-bridge join stays on one slice. The dimensions and the load log
    #: are tiny and joined to everything: a copy on every node (DISTSTYLE ALL).
    sort_key: tuple[str, ...] = ()
    dist_key: str | None = None
    #: Text columns that can outgrow Redshift's VARCHAR(256) (messages, JSON): VARCHAR(65535) there.
    long_text: tuple[str, ...] = ()

    @property
    def diststyle(self) -> str:
        return "KEY" if self.dist_key else "ALL"


FACT_FLIGHTS = TableSpec("fact_flights", FACT_FLIGHTS_SCHEMA, sort_key=("flight_date",), dist_key="flight_iata")
FLIGHT_CODESHARES = TableSpec(
    "flight_codeshares", FLIGHT_CODESHARES_SCHEMA, sort_key=("flight_date",), dist_key="flight_iata"
)
DIM_AIRPORT = TableSpec("dim_airport", DIM_AIRPORT_SCHEMA, primary_key=("airport_icao",))
DIM_AIRLINE = TableSpec("dim_airline", DIM_AIRLINE_SCHEMA, primary_key=("airline_key",))
LOADS = TableSpec("flightpipe_loads", LOADS_SCHEMA, primary_key=("flight_date",), sort_key=("flight_date",))

QUALITY_RESULTS = TableSpec(
    "quality_results", QUALITY_RESULTS_SCHEMA, sort_key=("partition_date",), long_text=("message", "counts_json")
)
META = TableSpec("flightpipe_meta", META_SCHEMA, primary_key=("meta_key",))

WAREHOUSE_TABLES: tuple[TableSpec, ...] = (
    FACT_FLIGHTS,
    FLIGHT_CODESHARES,
    DIM_AIRPORT,
    DIM_AIRLINE,
    LOADS,
    QUALITY_RESULTS,
    META,
)
