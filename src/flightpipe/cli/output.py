"""Where the command line prints (stdout for results, stderr for logs, progress and errors), and how a run looks.

Output that is not a terminal is 160 columns wide, so tables piped to a file or a test stay readable.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from flightpipe.pipeline.runner import RunSummary

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

_STATE_COLOURS = {"succeeded": "green", "partial": "yellow", "running": "cyan"}


def state(value: str) -> str:
    """A run or step state in its colour (red for every kind of failure)."""
    return f"[{_STATE_COLOURS.get(value, 'red')}]{value}[/]"


def count(value: int | None) -> str:
    return "" if value is None else str(value)


def print_run(summary: RunSummary) -> None:
    """One run as it finished: its counts, then whatever needs the user's attention."""
    colour = {"succeeded": "green", "partial": "yellow"}.get(summary.state, "red")
    simulated = " [bold magenta](SIMULATED DATA)[/]" if summary.simulated else ""
    console.print(
        f"[{colour}]{summary.state}[/] run {summary.run_id} for {summary.day} from source "
        f"[bold]{summary.source}[/]{simulated}: {summary.records_collected} records collected in "
        f"{summary.raw_files} raw files, {summary.rows_transformed} rows transformed, "
        f"{summary.records_quarantined} quarantined, {summary.flights_processed} flights on {summary.day}, "
        f"{summary.rows_loaded} rows loaded for flight dates "
        f"{', '.join(d.isoformat() for d in summary.flight_dates) or '-'} ({summary.duration_s:.1f} s)"
    )
    for corrupt in summary.corrupt_files:
        console.print(f"  [yellow]quarantined corrupt raw file[/] {escape(corrupt)}")
    for failed in summary.failed_steps:
        console.print(f"  [red]failed[/] {escape(failed)}")
    for line in summary.quality_overridden:
        console.print(f"  [yellow]quality failure loaded anyway (--allow-quality-failures)[/] {escape(line)}")
    if summary.held:
        console.print(f"  see `flightpipe check --date {summary.day}` for every quality result")
    if summary.report_path:
        console.print(f"  report: {escape(summary.report_path)}")
    if summary.report_error:
        console.print(f"  [yellow]report not written[/] {escape(summary.report_error)} (try `flightpipe report`)")
