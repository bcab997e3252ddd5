"""``flightpipe warehouse init | status | rebuild``: create or migrate the configured warehouse, show what it
holds, load it again from processed/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console, fits

if TYPE_CHECKING:
    from rich.console import Console

    from flightpipe.warehouse.base import DateStatus, WarehouseStatus

warehouse_app = typer.Typer(
    help="The warehouse named by warehouse.type / the warehouse URL: create or migrate it, show what it holds, "
    "rebuild it from processed/.",
    no_args_is_help=True,
)


@warehouse_app.command("init")
def init(config: ConfigOption = None) -> None:
    """Create the tables and views that are missing, and add columns the schema gained (never drops any)."""
    from flightpipe.core.errors import LoadError
    from flightpipe.pipeline.rebuild import warehouse_damage
    from flightpipe.pipeline.warehouse_access import init_warehouse

    settings = options.load(config)
    prepared = init_warehouse(settings)
    damage = warehouse_damage(settings)  # init reads the catalog only: a truncated file can pass it
    if damage is not None:
        raise LoadError(f"{damage}; the warehouse is damaged: run `flightpipe warehouse rebuild`")
    where = f", file {settings.resolved_warehouse_path().absolute()}" if settings.warehouse.type == "duckdb" else ""
    if not prepared.changes:
        console.print(
            f"warehouse [bold]{prepared.url}[/] ({prepared.dialect}{where}) is ready; nothing to change "
            "(every table, column and view is there)"
        )
        return
    console.print(f"warehouse [bold]{prepared.url}[/] ({prepared.dialect}{where}) is ready; created or changed:")
    for change in prepared.changes:
        console.print(f"  {change}")


@warehouse_app.command("status")
def status(config: ConfigOption = None) -> None:
    """Tables and their row counts, rows per flight date with the run that loaded it, the last load."""
    from flightpipe.pipeline.warehouse_access import warehouse_status

    render_warehouse_status(warehouse_status(options.load(config)), console)


def render_warehouse_status(found: WarehouseStatus, console: Console) -> None:
    """What ``warehouse status`` prints: the loaded dates' table stacks its cells where a line would not fit."""
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
        dates = _dates_wide(found.dates)
        console.print(dates if fits(console, dates) else _dates_narrow(found.dates))
    last = found.last_load
    if last is not None and last.loaded_at is not None:
        console.print(
            f"last load: flight date {last.flight_date} by run {last.run_id} at {last.loaded_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    else:
        console.print("last load: none yet")


def _dates_wide(loaded: list[DateStatus]) -> Table:
    dates = Table(title="rows per flight date")
    for column in ("flight date", "rows", "loaded by run", "loaded at (UTC)"):
        dates.add_column(column, justify="right" if column == "rows" else "left")
    for day in loaded:
        dates.add_row(day.flight_date.isoformat(), str(day.rows), day.run_id or "-", _loaded_at(day))
    return dates


def _dates_narrow(loaded: list[DateStatus]) -> Table:
    """The run and the time it loaded a date stacked in one cell, the run id whole (it is what `runs show` takes)."""
    dates = Table(title="rows per flight date")
    dates.add_column("flight date")
    dates.add_column("rows", justify="right")
    dates.add_column("loaded by run\nat (UTC)", no_wrap=True, min_width=23)
    for day in loaded:
        dates.add_row(day.flight_date.isoformat(), str(day.rows), f"{day.run_id or '-'}\n{_loaded_at(day)}")
    return dates


def _loaded_at(day: DateStatus) -> str:
    return f"{day.loaded_at:%Y-%m-%d %H:%M:%S}" if day.loaded_at else "-"


@warehouse_app.command("rebuild")
def rebuild(
    start: Annotated[str | None, typer.Option("--start", help="First flight date to load, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last flight date to load, YYYY-MM-DD.")] = None,
    config: ConfigOption = None,
) -> None:
    """Load the warehouse again from processed/ (no API calls): after it was deleted, truncated or damaged.

    A DuckDB file that cannot be read is moved aside (<file>.damaged-<time>) and created anew."""
    from flightpipe.core.errors import ConfigError
    from flightpipe.pipeline.rebuild import rebuild_warehouse
    from flightpipe.warehouse.base import LoadResult

    first, last = options.parse_date(start, "--start"), options.parse_date(end, "--end")
    if first is not None and last is not None and last < first:
        raise ConfigError(f"--end {last} is before --start {first}")

    def loaded(result: LoadResult) -> None:
        console.print(f"  loaded flight date {result.flight_date}: {result.rows_loaded} rows")

    rebuilt = rebuild_warehouse(options.load(config), start=first, end=last, on_loaded=loaded)
    if rebuilt.moved_aside is not None:
        console.print(f"[yellow]the warehouse file could not be read; moved aside to {rebuilt.moved_aside}[/]")
    rows = sum(result.rows_loaded for result in rebuilt.loaded)
    console.print(
        f"warehouse [bold]{rebuilt.url}[/] rebuilt from processed/: {len(rebuilt.loaded)} flight dates, "
        f"{rows} rows (run {rebuilt.run_id})"
    )
