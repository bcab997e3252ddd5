"""The per-airport day summary printed after a run (and by ``make demo``), computed in the warehouse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flightpipe.reference.airports import ICAO_CODE
from flightpipe.warehouse.base import Warehouse
from flightpipe.warehouse.ddl import Dialect
from flightpipe.warehouse.views import transpile

#: A departure counts as on time when it left at most this many minutes after schedule (the industry's A15).
ON_TIME_MINUTES = 15

#: DuckDB dialect, transpiled for the configured engine (flightpipe.warehouse.views.transpile). Portable on
#: purpose: CASE instead of FILTER, AT TIME ZONE instead of timezone(), literals instead of parameters (the
#: Redshift Data API's batch calls take none; dates and ICAO codes are validated before they get here).
SUMMARY_SQL = """
WITH movements AS (
    SELECT f.dep_airport_icao AS airport_icao, 'departure' AS kind, f.status,
           CAST(EXTRACT(EPOCH FROM (f.dep_actual_utc - f.dep_scheduled_utc)) / 60 AS INTEGER) AS delay_min, f.source
    FROM fact_flights AS f
    WHERE f.flight_date BETWEEN {start} AND {end}
    UNION ALL
    SELECT f.arr_airport_icao, 'arrival', f.status,
           CAST(EXTRACT(EPOCH FROM (f.arr_actual_utc - f.arr_scheduled_utc)) / 60 AS INTEGER), f.source
    FROM fact_flights AS f JOIN dim_airport AS a ON a.airport_icao = f.arr_airport_icao
    -- The local date from the offset transform computed (the pipeline's one zone database, as in views.sql);
    -- AT TIME ZONE only for rows loaded before that column existed.
    WHERE coalesce(
        DATE '1970-01-01'
            + CAST(floor((EXTRACT(EPOCH FROM f.arr_scheduled_utc) + f.arr_utc_offset_min * 60) / 86400) AS INTEGER),
        CAST(f.arr_scheduled_utc AT TIME ZONE a.tz AS DATE)
    ) BETWEEN {start} AND {end}
)
SELECT airport_icao,
       CAST(count(*) AS BIGINT) AS movements,
       CAST(sum(CASE WHEN kind = 'departure' THEN 1 ELSE 0 END) AS BIGINT) AS departures,
       CAST(sum(CASE WHEN kind = 'arrival' THEN 1 ELSE 0 END) AS BIGINT) AS arrivals,
       CAST(sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancelled,
       CAST(avg(CASE WHEN kind <> 'departure' OR delay_min IS NULL THEN NULL
                     WHEN delay_min <= {on_time} THEN 1.0 ELSE 0.0 END) AS DOUBLE) AS on_time_share,
       CAST(median(CASE WHEN kind = 'departure' THEN delay_min END) AS DOUBLE) AS median_dep_delay_min,
       string_agg(DISTINCT source, ',') AS sources
FROM movements
WHERE airport_icao IN ({airports})
GROUP BY airport_icao
ORDER BY movements DESC
"""


def summary_sql(start: dt.date, end: dt.date, airports: list[str], dialect: Dialect = "duckdb") -> str:
    if any(not ICAO_CODE.match(code) for code in airports):
        raise ValueError(f"not ICAO codes: {airports}")
    sql = SUMMARY_SQL.format(
        start=f"DATE '{start.isoformat()}'",
        end=f"DATE '{end.isoformat()}'",
        airports=", ".join(f"'{code}'" for code in airports),
        on_time=ON_TIME_MINUTES,
    )
    return transpile(sql, dialect)


@dataclass(frozen=True, slots=True)
class AirportDay:
    airport_icao: str
    movements: int
    departures: int
    arrivals: int
    cancelled: int
    on_time_share: float | None
    median_dep_delay_min: float | None
    sources: str


def airport_summary(warehouse: Warehouse, start: dt.date, end: dt.date, airports: list[str]) -> list[AirportDay]:
    """Movements at each airport whose local day (departure: flight date; arrival: scheduled arrival's local
    date) falls in ``start``..``end``."""
    rows = warehouse.query(summary_sql(start, end, airports, warehouse.capabilities.dialect))
    found = {
        str(row[0]): AirportDay(
            airport_icao=str(row[0]),
            movements=int(row[1]),
            departures=int(row[2]),
            arrivals=int(row[3]),
            cancelled=int(row[4]),
            on_time_share=None if row[5] is None else float(row[5]),
            median_dep_delay_min=None if row[6] is None else float(row[6]),
            sources=str(row[7] or ""),
        )
        for row in rows
    }
    # An airport with no flights at all is reported as such, not left out.
    return [found.get(code, AirportDay(code, 0, 0, 0, 0, None, None, "")) for code in airports]
