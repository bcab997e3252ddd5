"""Dimension rows computed outside the warehouse: airports from airportsdata."""

from __future__ import annotations

import pyarrow as pa

from flightpipe.core.schema import DIM_AIRPORT_SCHEMA
from flightpipe.reference.airports import all_airports


def dim_airport_rows(flights: pa.Table) -> pa.Table:
    """One row per airport a partition mentions (either end) that airportsdata knows."""
    codes = {c for c in flights.column("dep_airport_icao").to_pylist() if c}
    codes |= {c for c in flights.column("arr_airport_icao").to_pylist() if c}
    reference = all_airports()
    rows = [
        {
            "airport_icao": code,
            "airport_iata": reference[code]["iata"] or None,
            "name": reference[code]["name"],
            "city": reference[code]["city"],
            "country": reference[code]["country"],
            "tz": reference[code]["tz"],
            "lat": float(reference[code]["lat"]),
            "lon": float(reference[code]["lon"]),
        }
        for code in sorted(codes)
        if code in reference
    ]
    return pa.Table.from_pylist(rows, schema=DIM_AIRPORT_SCHEMA)
