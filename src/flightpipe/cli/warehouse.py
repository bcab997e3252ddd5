"""``flightpipe warehouse init | status``: create or migrate the configured warehouse, show what it holds."""

from __future__ import annotations

import typer
from rich.table import Table

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console

warehouse_app = typer.Typer(
    help="The warehouse named by warehouse.type / the warehouse URL: create or migrate it, show what it holds.",
    no_args_is_help=True,
)


@warehouse_app.command("init")
def init(config: ConfigOption = None) -> None:
    """Create the tables and views that are missing, and add columns the schema gained (never drops any)."""
    from flightpipe.pipeline.warehouse_access import init_warehouse

    prepared = init_warehouse(options.load(config))
    if not prepared.changes:
        console.print(
            f"warehouse [bold]{prepared.url}[/] ({prepared.dialect}) is ready; nothing to change "
            "(every table, column and view is there)"
        )
        return
    console.print(f"warehouse [bold]{prepared.url}[/] ({prepared.dialect}) is ready; created or changed:")
    for change in prepared.changes:
        console.print(f"  {change}")


@warehouse_app.command("status")
def status(config: ConfigOption = None) -> None:
    """Tables and their row counts, rows per flight date with the run that loaded it, the last load."""
    from flightpipe.pipeline.warehouse_access import warehouse_status

    found = warehouse_status(options.load(config))
    console.print(f"warehouse [bold]{found.url}[/] ({found.engine})")
    tables = Table(title="tables")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, rows in found.tables.items():
        tables.add_row(name, "[red]missing[/]" if rows is None else str(rows))
    for name, present in found.views.items():
        tables.add_row(f"{name} (view)", "" if present else "[red]missing[/]")
    console.print(tables)
    if not found.initialised:
        console.print("[yellow]not initialised:[/] run `flightpipe warehouse init` (or `flightpipe run`)")
    for migration in found.pending_migrations:
        console.print(f"[yellow]pending migration:[/] {migration}  (run `flightpipe warehouse init`)")
    if found.dates:
        dates = Table(title="rows per flight date")
        for column in ("flight date", "rows", "loaded by run", "loaded at (UTC)"):
            dates.add_column(column, justify="right" if column == "rows" else "left")
        for day in found.dates:
            loaded_at = f"{day.loaded_at:%Y-%m-%d %H:%M:%S}" if day.loaded_at else "-"
            dates.add_row(day.flight_date.isoformat(), str(day.rows), day.run_id or "-", loaded_at)
        console.print(dates)
    last = found.last_load
    if last is not None and last.loaded_at is not None:
        console.print(
            f"last load: flight date {last.flight_date} by run {last.run_id} at {last.loaded_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    else:
        console.print("last load: none yet")
