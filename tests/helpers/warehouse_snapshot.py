"""A DuckDB warehouse's content without lineage columns: two warehouses built two ways compare equal."""

from __future__ import annotations

from typing import Any

import duckdb

from flightpipe.config import Settings
from flightpipe.core.schema import LINEAGE_COLUMNS


def warehouse_snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of the fact, codeshare and dimension tables, sorted; lineage (run ids, load times) left out."""
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    columns = [row[0] for row in con.execute("DESCRIBE fact_flights").fetchall() if row[0] not in LINEAGE_COLUMNS]
    snapshot = {
        "fact_flights": con.execute(f"SELECT {', '.join(columns)} FROM fact_flights ORDER BY ALL").fetchall(),
        "flight_codeshares": con.execute("SELECT * FROM flight_codeshares ORDER BY ALL").fetchall(),
        "dim_airport": con.execute("SELECT * FROM dim_airport ORDER BY ALL").fetchall(),
        "dim_airline": con.execute("SELECT * FROM dim_airline ORDER BY ALL").fetchall(),
    }
    con.close()
    return snapshot
