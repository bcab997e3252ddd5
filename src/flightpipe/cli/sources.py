"""``flightpipe sources``: the flight-data sources, their credentials (set or not), limits and use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console

if TYPE_CHECKING:
    from flightpipe.sources.report import SourceRow

#: Below this many columns each source is a block of its own.
WIDE_TABLE = 140
_COLUMNS = ("source", "in use", "credentials", "base url", "rate", "concurrency", "timeout, attempts", "budget")


def sources_list(config: ConfigOption = None) -> None:
    """List the flight-data sources: which one runs use, whether its credentials are set (never their values),
    its limits, its monthly budget and the requests made this month (for OpenSky also the daily credits it last
    reported)."""
    from flightpipe.pipeline.sources import source_rows

    settings = options.load(config)
    rows = source_rows(settings)
    if console.width < WIDE_TABLE:
        for row in rows:  # one block per source: the credential variables' names alone are 40 characters
            console.print(_source_block(row))
        return
    table = Table(title="flightpipe sources")
    for column in (*_COLUMNS, "used this month"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.name,
            "[bold green]yes[/]" if row.in_use else "",
            row.credentials,
            row.base_url,
            row.rate,
            row.concurrency,
            row.retries,
            row.budget,
            row.used,
        )
    console.print(table)


def _source_block(row: SourceRow) -> Table:
    in_use = " [bold green](in use)[/]" if row.in_use else ""
    table = Table(title=f"[bold]{row.name}[/]{in_use}", title_justify="left", show_header=False, box=box.SIMPLE)
    table.add_column("what", style="dim", no_wrap=True)
    table.add_column("value", overflow="fold")
    for what, value in (
        ("credentials", row.credentials.replace(", ", ",\n")),
        ("base url", row.base_url),
        ("rate", row.rate),
        ("concurrency", row.concurrency),
        ("timeout, attempts", row.retries),
        ("budget", row.budget),
        ("used this month", row.used),
    ):
        table.add_row(what, Text(value))
    return table
