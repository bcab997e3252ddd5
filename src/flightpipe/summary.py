"""The per-airport day summary printed after a run (and by ``make demo``), computed in the warehouse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

#: A departure counts as on time when it left at most this many minutes after schedule (the industry's A15).
ON_TIME_MINUTES = 15

SUMMARY_SQL = f"""
WITH movements AS (
    SELECT f.dep_airport_icao AS airport_icao, 'departure' AS kind, f.status,
           date_diff('minute', f.dep_scheduled_utc, f.dep_actual_utc) AS delay_min, f.source
    FROM fact_flights AS f
    WHERE f.flight_date BETWEEN $start AND $end
    UNION ALL
    SELECT f.arr_airport_icao, 'arrival', f.status,
           date_diff('minute', f.arr_scheduled_utc, f.arr_actual_utc), f.source
    FROM fact_flights AS f JOIN dim_airport AS a ON a.airport_icao = f.arr_airport_icao
    WHERE CAST(timezone(a.tz, f.arr_scheduled_utc) AS DATE) BETWEEN $start AND $end
)
SELECT airport_icao,
       count(*) AS movements,
       count(*) FILTER (WHERE kind = 'departure') AS departures,
       count(*) FILTER (WHERE kind = 'arrival') AS arrivals,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       avg(CASE WHEN delay_min <= {ON_TIME_MINUTES} THEN 1.0 ELSE 0.0 END)
           FILTER (WHERE kind = 'departure' AND delay_min IS NOT NULL) AS on_time_share,
       median(delay_min) FILTER (WHERE kind = 'departure') AS median_dep_delay_min,
       string_agg(DISTINCT source, ',') AS sources
FROM movements
WHERE airport_icao IN (SELECT unnest($airports))
GROUP BY airport_icao
ORDER BY movements DESC
"""


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


def airport_summary(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, airports: list[str]
) -> list[AirportDay]:
    """Movements at each airport whose local day (departure: flight date; arrival: scheduled arrival's local
    date) falls in ``start``..``end``."""
    rows = con.execute(SUMMARY_SQL, {"start": start, "end": end, "airports": airports}).fetchall()
    found = {row[0]: AirportDay(*row) for row in rows}
    # An airport with no flights at all is reported as such, not left out.
    return [found.get(code, AirportDay(code, 0, 0, 0, 0, None, None, "")) for code in airports]
