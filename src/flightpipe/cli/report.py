"""``flightpipe report``: the day's HTML report from the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console
from flightpipe.core.errors import ConfigError


def report(
    date: Annotated[str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: yesterday UTC).")] = None,
    days: Annotated[int, typer.Option("--days", help="Days of the on-time trend, ending with --date (1-92).")] = 7,
    out: Annotated[
        Path | None, typer.Option("--out", help="HTML file to write (default: <data_dir>/reports/<date>.html).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write the day's report: one self-contained HTML file with charts (scorecards, on-time trend, delays,
    movements by hour, top routes and airlines, worst delays, cancellations, freshness and quality)."""
    from flightpipe.pipeline.warehouse_access import reading_warehouse
    from flightpipe.report.render import MAX_DAYS, write_report

    settings = options.load(config)
    day = options.parse_date(date, "--date") or options.yesterday()
    options.check_not_future(day, "--date")
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days must be between 1 and {MAX_DAYS}, got {days}")
    with reading_warehouse(settings) as warehouse:
        where = write_report(settings.report_scope(), warehouse, day, days, out)
    console.print(f"report for {day}: {escape(where)}")
