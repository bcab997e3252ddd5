"""Where the command line prints (stdout for results, stderr for logs, progress and errors), and how a run looks.

Output that is not a terminal is 160 columns wide, so tables piped to a file or a test stay readable.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import datetime as dt

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
    print_run_line(summary)
    print_attention(summary)


def print_run_line(summary: RunSummary) -> None:
    """One run's counts on one line (wrapped to the terminal)."""
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


def print_attention(summary: RunSummary, *, report: bool = True) -> None:
    """Whatever of one run needs the user's attention: corrupt files, failed steps, quality, the report
    (``report=False``: not the report's path, which a range prints once)."""
    for corrupt in summary.corrupt_files:
        console.print(f"  [yellow]quarantined corrupt raw file[/] {escape(corrupt)}")
    for failed in summary.failed_steps:
        console.print(f"  [red]failed[/] {escape(failed)}")
    for line in summary.quality_overridden:
        console.print(f"  [yellow]quality failure loaded anyway (--allow-quality-failures)[/] {escape(line)}")
    if summary.held:
        console.print(f"  see `flightpipe check --date {summary.day}` for every quality result")
    if summary.report_path and report:
        console.print(f"  report: {escape(summary.report_path)}")
    if summary.report_error:
        console.print(f"  [yellow]report not written[/] {escape(summary.report_error)} (try `flightpipe report`)")


def print_days(ran: list[RunSummary], skipped: list[dt.date], *, title: str) -> None:
    """A range of days as it finished: one row per day (ran or skipped, oldest first), then the tally.

    Narrow on purpose (about 75 columns): it is what stays on screen after a backfill."""
    table = Table(title=title, title_justify="left")
    for column in ("day", "state", "records", "flights", "loaded", "quar.", "time"):
        table.add_column(column, justify="left" if column in {"day", "state"} else "right")
    rows: list[tuple[str, tuple[str, ...]]] = [
        (
            s.day.isoformat(),
            (
                state(s.state),
                str(s.records_collected),
                str(s.flights_processed),
                str(s.rows_loaded),
                str(s.records_quarantined),
                f"{s.duration_s:.1f} s",
            ),
        )
        for s in ran
    ]
    rows += [(day.isoformat(), ("[dim]skipped[/]", "", "", "", "", "")) for day in skipped]
    for day, cells in sorted(rows):
        table.add_row(day, *cells)
    console.print(table)
    failed = sum(1 for s in ran if s.state != "succeeded")
    simulated = " [bold magenta](SIMULATED DATA)[/]" if any(s.simulated for s in ran) else ""
    console.print(
        f"{len(ran) + len(skipped)} days: {len(ran) - failed} succeeded, {failed} failed, "
        f"{len(skipped)} skipped (already complete; --force runs them again){simulated}"
    )
    reports = [s.report_path for s in ran if s.report_path]
    if reports:
        console.print(f"report of the last day: {escape(reports[-1])}")
