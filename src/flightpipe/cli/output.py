"""Where the command line prints (stdout for results, stderr for logs, progress and errors), and how a run looks.

Output that is not a terminal is $COLUMNS wide, else 160, so tables piped to a file or a test stay readable.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import datetime as dt

    from flightpipe.pipeline.range_finish import RangeFinish
    from flightpipe.pipeline.runner import RunSummary


def _width(stream: TextIO) -> int | None:
    # None: rich asks the terminal, or takes $COLUMNS when set (so `COLUMNS=80 flightpipe runs | less` is 80 wide).
    return None if stream.isatty() or os.environ.get("COLUMNS", "").isdigit() else 160


console = Console(width=_width(sys.stdout))
err = Console(stderr=True, width=_width(sys.stderr))

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
    colour = {"succeeded": "green", "partial": "yellow", "collected": "cyan"}.get(summary.state, "red")
    simulated = " [bold magenta](SIMULATED DATA)[/]" if summary.simulated else ""
    if summary.deferred and summary.range_run_id is None:  # a range's day: its flight dates wait for the range
        console.print(
            f"[{colour}]{summary.state}[/] run {summary.run_id} for {summary.day} from source "
            f"[bold]{summary.source}[/]{simulated}: {summary.records_collected} records collected in "
            f"{summary.raw_files} raw files, {summary.rows_transformed} rows transformed, "
            f"{summary.records_quarantined} quarantined; flight dates "
            f"{', '.join(d.isoformat() for d in summary.flight_dates) or '-'} are processed and loaded with the "
            f"range ({summary.duration_s:.1f} s)"
        )
        return
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
        if not failed.startswith(_GATE_STEP):  # the holds below say it readably
            console.print(f"  [red]failed[/] {escape(failed)}")
    print_holds(summary.held)
    for line in summary.quality_overridden:
        console.print(f"  [yellow]quality failure loaded anyway (--allow-quality-failures)[/] {escape(line)}")
    if summary.held:
        console.print(
            "  fix the cause and run again, or rerun with --allow-quality-failures to load anyway; "
            f"`flightpipe check --date {summary.day} --failed` lists every failure"
        )
    if summary.report_path and report:
        console.print(f"  report: {escape(summary.report_path)}")
    if summary.report_error:
        console.print(f"  [yellow]report not written[/] {escape(summary.report_error)} (try `flightpipe report`)")


#: A held flight date is a failed ``gate`` step (pipeline.load); its message is the hold's description.
_GATE_STEP = "gate "
#: ``Hold.describe()``: "flight date D: held WHAT (REASON; REASON)".
_HOLD = re.compile(r"^flight date (?P<date>\S+): held (?P<what>.*?) \((?P<reasons>.*)\)$")


def print_holds(held: list[str]) -> None:
    """What the quality gate held back: a line per flight date, a line per reason under it."""
    if not held:
        return
    console.print("  [bold red]held by the quality gate[/] (not loaded):")
    for line in held:
        match = _HOLD.match(line)
        if match is None:
            console.print(Text(f"    {line}"))
            continue
        console.print(Text(f"    flight date {match['date']}: {match['what']}"))
        for reason in match["reasons"].split("; "):
            console.print(Text(f"      - {reason}"))


def print_range(finished: RangeFinish, resumed: list[dt.date]) -> None:
    """The range's step of a backfill: what it loaded, then each day's attention lines (holds, failures)."""
    if resumed:
        console.print(
            f"finished {len(resumed)} day(s) an interrupted backfill had collected, without collecting them again: "
            + ", ".join(d.isoformat() for d in resumed)
        )
    colour = {"succeeded": "green", "partial": "yellow"}.get(finished.state, "red")
    dates = finished.flight_dates
    span = f"{dates[0]} to {dates[-1]}" if dates else "-"
    console.print(
        f"[{colour}]{finished.state}[/] {finished.run_id}: {len(dates)} flight dates ({span}) processed and "
        f"loaded once ({finished.duration_s:.1f} s)"
    )
    if finished.error:
        console.print(
            f"  [red]failed[/] {escape(finished.error)}; the days stay collected: run the backfill again to "
            "finish them (nothing is collected again)"
        )
    for summary in finished.days:
        if summary.held or summary.failed_steps or summary.quality_overridden:
            console.print(f"[bold]{summary.day}[/] {summary.state}")
            print_attention(summary, report=False)


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
    why_skipped = " (already complete; --force runs them again)" if skipped else ""
    console.print(
        f"{len(ran) + len(skipped)} days: {len(ran) - failed} succeeded, {failed} failed, "
        f"{len(skipped)} skipped{why_skipped}{simulated}"
    )
    reports = [s.report_path for s in ran if s.report_path]
    if reports:
        console.print(f"report of the last day: {escape(reports[-1])}")


def fits(console: Console, table: Table) -> bool:
    """Whether ``table`` fits ``console`` at its natural width (else rich squeezes its columns to "…" cells)."""
    unbounded = console.options.update_width(10_000)  # measured within the console, it never exceeds it
    return Measurement.get(console, unbounded, table).maximum <= console.width
