"""``flightpipe sql | summary``: asking the warehouse."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console, err
from flightpipe.cli.result_table import print_expanded, result_table
from flightpipe.core.errors import ConfigError

#: Rows a table shows unless --limit or --all says otherwise (csv and json have no cap unless --limit is given).
DEFAULT_TABLE_ROWS = 100
#: A statement that returns rows and may be wrapped in ``SELECT * FROM (...) LIMIT n`` (not SHOW, DESCRIBE, ...).
_QUERY_WORDS = ("select", "with", "from", "values", "table", "(")


def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="SQL; tables fact_flights, dim_airport, dim_airline, "
            "flight_codeshares, quality_results; views transformed, processed, quarantine."
        ),
    ],
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help=f"At most this many rows (default: {DEFAULT_TABLE_ROWS} for a table, all for csv and json).",
        ),
    ] = None,
    every_row: Annotated[bool, typer.Option("--all", help="Every row, however many (a table too).")] = False,
    expanded: Annotated[
        bool, typer.Option("--expanded", "-x", help="One block per row, a line per column (for wide results).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Query the warehouse (read-only). On DuckDB also the views over the Parquet layers; on PostgreSQL and
    Redshift the query runs there, on the warehouse tables and the analytics views."""
    from flightpipe.pipeline.warehouse_access import query_warehouse

    if output not in {"table", "csv", "json"}:
        raise ConfigError(f"--format must be table, csv or json, got {output!r}")
    statement = query.strip().rstrip(";").strip()
    if not statement:
        raise ConfigError('the query is empty; e.g. flightpipe sql "SELECT count(*) FROM fact_flights"')
    cap = None if every_row else limit or (DEFAULT_TABLE_ROWS if output == "table" else None)
    result = query_warehouse(options.load(config), _capped(statement, cap))
    columns, rows = result.columns, result.rows
    more = cap is not None and len(rows) > cap and _is_query(statement)
    rows = rows[:cap] if more else rows
    if output == "json":
        sys.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=_json_value) + "\n")
    elif output == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif expanded:
        print_expanded(console, columns, rows)
    else:
        table, left_out = result_table(columns, rows, width=console.width)
        console.print(table)
        if left_out:
            err.print(
                Text(
                    f"{len(left_out)} more columns not shown ({', '.join(left_out)}); "
                    "use --expanded, select fewer columns, or --format csv"
                )
            )
    if more:
        err.print(f"showing the first {cap} rows; there are more (--limit N for more, --all for every row)")


def _is_query(statement: str) -> bool:
    return statement.lower().startswith(_QUERY_WORDS)


def _capped(statement: str, cap: int | None) -> str:
    """``statement`` asking for at most ``cap`` + 1 rows (one more tells that there are more), so a capped query
    never fetches the whole table; statements that are not queries run as they are."""
    if cap is None or not _is_query(statement):
        return statement
    # On its own line: a trailing -- comment in the statement must not swallow the closing parenthesis.
    return f"SELECT * FROM (\n{statement}\n) AS flightpipe_capped LIMIT {cap + 1}"


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
    """Per airport: movements (departures and arrivals), cancellations, on-time share, median departure delay,
    from the warehouse; the same figures, in the same words, as the report's scorecards."""
    from flightpipe.pipeline.warehouse_access import reading_warehouse
    from flightpipe.report.summary import ON_TIME_MINUTES, airport_summary

    settings = options.load(config)
    first = options.parse_date(start, "--start") or options.yesterday()
    last = options.parse_date(end, "--end") or first
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    with reading_warehouse(settings) as warehouse:
        rows = airport_summary(warehouse, first, last, settings.airports)
    sources = sorted({s for r in rows for s in r.sources.split(",") if s})
    title = f"movements {first}" + (f" to {last}" if last != first else "")
    if "simulated" in sources:
        title += " - SIMULATED DATA (source: simulated)"
    table = Table(title=title)
    for column in ("airport", "movements", "dep", "arr", "cancelled", "on time", "median delay"):
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
    console.print(
        "[dim]Movements and cancellations count departures (dep) and arrivals (arr); "
        f"on time (at most {ON_TIME_MINUTES} minutes late) and median delay are the departures'.[/]"
    )
