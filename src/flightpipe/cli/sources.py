"""``flightpipe sources``: the flight-data sources, their credentials (set or not), limits and use."""

from __future__ import annotations

from rich.table import Table

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console


def sources_list(config: ConfigOption = None) -> None:
    """List the flight-data sources: which one runs use, whether its credentials are set (never their values),
    its limits, its monthly budget and the requests made this month (for OpenSky also the daily credits it last
    reported)."""
    from flightpipe.pipeline.sources import source_rows

    settings = options.load(config)
    table = Table(title="flightpipe sources")
    columns = ("source", "in use", "credentials", "base url", "rate", "concurrency", "timeout, attempts", "budget")
    for column in (*columns, "used this month"):
        table.add_column(column, overflow="fold")
    for row in source_rows(settings):
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
