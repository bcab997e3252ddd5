"""Dimension rows computed outside the warehouse: airports from airportsdata."""

from __future__ import annotations

import pyarrow as pa

from flightpipe.core.schema import DIM_AIRPORT_SCHEMA
from flightpipe.reference.airports import airport, is_known_icao


def dim_airport_rows(flights: pa.Table) -> pa.Table:
    """One row per airport a partition mentions (either end) that airportsdata knows."""
    codes = {c for c in flights.column("dep_airport_icao").to_pylist() if c}
    codes |= {c for c in flights.column("arr_airport_icao").to_pylist() if c}
    known = [airport(code) for code in sorted(codes) if is_known_icao(code)]
    rows = [
        {
            "airport_icao": a.icao,
            "airport_iata": a.iata,
            "name": a.name,
            "city": a.city,
            "country": a.country,
            "tz": a.tz,
            "lat": a.lat,
            "lon": a.lon,
        }
        for a in known
    ]
    return pa.Table.from_pylist(rows, schema=DIM_AIRPORT_SCHEMA)
