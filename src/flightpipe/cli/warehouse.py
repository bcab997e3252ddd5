"""``flightpipe warehouse init | status``, and opening the configured warehouse for reading (sql, summary)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flightpipe.config import DEFAULT_CONFIG_FILE, Settings, load_settings
from flightpipe.core.errors import ConfigError, LoadError
from flightpipe.stages.load import loader_lock
from flightpipe.warehouse.base import SqlWarehouse
from flightpipe.warehouse.factory import open_warehouse

warehouse_app = typer.Typer(
    help="The warehouse named by warehouse.type / the warehouse URL: create or migrate it, show what it holds.",
    no_args_is_help=True,
)
console = Console(width=None if sys.stdout.isatty() else 160)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help=f"Config file (default: ./{DEFAULT_CONFIG_FILE} if present).")
]


def open_for_reading(settings: Settings) -> SqlWarehouse:
    if settings.warehouse.type == "duckdb" and not settings.resolved_warehouse_path().exists():
        raise ConfigError(
            f"no warehouse at {settings.resolved_warehouse_path()} yet; run `flightpipe run` or "
            "`flightpipe warehouse init` first"
        )
    return open_warehouse(settings, read_only=True)


def query_warehouse(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of ``sql`` on the configured warehouse (read-only where the engine enforces it)."""
    warehouse = open_for_reading(settings)
    try:
        return warehouse.columns_and_rows(sql)
    except LoadError as exc:
        raise ConfigError(f"query failed: {exc}") from None
    finally:
        warehouse.close()


@warehouse_app.command("init")
def init(config: ConfigOption = None) -> None:
    """Create the tables and views that are missing, and add columns the schema gained (never drops any)."""
    settings = load_settings(config)
    with loader_lock(settings, "initialising the warehouse"):
        warehouse = open_warehouse(settings)
        try:
            statements = warehouse.init()
        finally:
            warehouse.close()
    changes = [s.split("(", 1)[0].split(" AS", 1)[0].strip() for s in statements if not s.startswith("DROP VIEW")]
    console.print(f"warehouse [bold]{warehouse.url}[/] ({warehouse.dialect}) is ready:")
    for change in changes:
        console.print(f"  {change}")


@warehouse_app.command("status")
def status(config: ConfigOption = None) -> None:
    """Tables and their row counts, rows per flight date with the run that loaded it, the last load."""
    settings = load_settings(config)
    warehouse = open_for_reading(settings)
    try:
        found = warehouse.status()
    finally:
        warehouse.close()
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
