"""``flightpipe sql | summary``: asking the warehouse."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console
from flightpipe.core.errors import ConfigError


def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="SQL; tables fact_flights, dim_airport, dim_airline, "
            "flight_codeshares, quality_results; views transformed, processed, quarantine."
        ),
    ],
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """Query the warehouse (read-only). On DuckDB also the views over the Parquet layers; on PostgreSQL and
    Redshift the query runs there, on the warehouse tables and the analytics views."""
    from flightpipe.pipeline.warehouse_access import query_warehouse

    if output not in {"table", "csv", "json"}:
        raise ConfigError(f"--format must be table, csv or json, got {output!r}")
    result = query_warehouse(options.load(config), query)
    columns, rows = result.columns, result.rows
    if output == "json":
        sys.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=_json_value) + "\n")
    elif output == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table()
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if v is None else escape(str(v)) for v in row))
        console.print(table)


def _json_value(value: Any) -> Any:
    from decimal import Decimal

    # PostgreSQL's sum() and avg() give NUMERIC: a number in JSON, not a string.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def summary(
    start: Annotated[str | None, typer.Option("--start", help="First day (default: yesterday UTC).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day (default: --start).")] = None,
    config: ConfigOption = None,
) -> None:
    """Per airport: flights, cancellations, on-time share, median departure delay, from the warehouse."""
    from flightpipe.pipeline.warehouse_access import reading_warehouse
    from flightpipe.report.summary import ON_TIME_MINUTES, airport_summary

    settings = options.load(config)
    first = options.parse_date(start, "--start") or options.yesterday()
    last = options.parse_date(end, "--end") or first
    with reading_warehouse(settings) as warehouse:
        rows = airport_summary(warehouse, first, last, settings.airports)
    sources = sorted({s for r in rows for s in r.sources.split(",") if s})
    title = f"flights {first}" + (f" to {last}" if last != first else "")
    if "simulated" in sources:
        title += " - SIMULATED DATA (source: simulated)"
    table = Table(title=title)
    for column in (
        "airport",
        "flights",
        "departures",
        "arrivals",
        "cancelled",
        f"on-time (dep <= {ON_TIME_MINUTES} min)",
        "median dep delay",
    ):
        table.add_column(column, justify="left" if column == "airport" else "right")
    for row in rows:
        table.add_row(
            row.airport_icao,
            str(row.movements),
            str(row.departures),
            str(row.arrivals),
            str(row.cancelled),
            f"{row.on_time_share:.1%}" if row.on_time_share is not None else "-",
            f"{row.median_dep_delay_min:.0f} min" if row.median_dep_delay_min is not None else "-",
        )
    console.print(table)
