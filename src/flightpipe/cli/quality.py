"""``flightpipe check | quarantine [--replay]``: the quality results of a date, and what it has in quarantine."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flightpipe.cli import options
from flightpipe.cli.options import AirportsOption, AllowQualityOption, ConfigOption, DataDirOption
from flightpipe.cli.output import console, print_run
from flightpipe.cli.progress import run_with_progress
from flightpipe.core.errors import ConfigError

if TYPE_CHECKING:
    from flightpipe.pipeline.quarantined import QuarantineRow
    from flightpipe.quality.api import RuleResult

#: By ``Outcome`` (a str enum, so its values look them up).
_COLOURS = {"pass": "green", "warn": "yellow", "fail": "bold red", "quarantined": "magenta", "skip": "dim"}


def check(
    date: Annotated[str, typer.Option("--date", help="Collection date of the boards and flight date, YYYY-MM-DD.")],
    failed: Annotated[
        bool, typer.Option("--failed", help="Show only what did not pass: fail, quarantined and warn results.")
    ] = False,
    airports: AirportsOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Check data quality of one date as a table; exit 1 when a rule fails.

    Every record and board rule for each airport's boards collected that day, and the flight-date rules of that
    flight date, judged now from the stored layers (docs/quality.md).
    """
    from flightpipe.pipeline.check import check_date

    settings = options.load(config, airports, None, data_dir)
    day = options.parse_required_date(date, "--date")
    if (missing := options.missing_data_folder(settings)) is not None:
        raise ConfigError(f"no data folder {missing} yet: nothing was collected; run `flightpipe run --date {day}`")
    results = check_date(settings, day)
    print_results(console, results, title=f"quality {day}", only_problems=failed)
    if any(r.failed for r in results):
        raise typer.Exit(1)


def quarantine(
    date: Annotated[str, typer.Option("--date", help="Collection date, YYYY-MM-DD.")],
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="After a fix (code or quality settings): transform again every raw file of the date that has "
            "quarantined records, then process, check and load as a run does.",
        ),
    ] = False,
    airports: AirportsOption = None,
    data_dir: DataDirOption = None,
    allow_quality_failures: AllowQualityOption = False,
    config: ConfigOption = None,
) -> None:
    """Show what was rejected on a date and why (by airport, board, rule and reason), or replay it."""
    from flightpipe.pipeline.quarantined import ReplayAccount, quarantine_summary
    from flightpipe.state.runs import SUCCEEDED

    settings = options.load(config, airports, None, data_dir)
    day = options.parse_required_date(date, "--date")
    if not replay and (missing := options.missing_data_folder(settings)) is not None:
        console.print(f"quarantine {day}: nothing quarantined (no data folder {missing} yet)")
        return
    before = quarantine_summary(settings, day)
    print_quarantine(console, before, title=f"quarantine {day}")
    if not replay:
        return
    summary = run_with_progress(settings, day, kind="replay", allow_quality_failures=allow_quality_failures)
    print_run(summary)
    account = ReplayAccount(before, quarantine_summary(settings, day))
    console.print(f"replay recovered {account.recovered} records; {account.still_quarantined} still quarantined")
    print_quarantine(console, account.after, title=f"quarantine {day} after replay")
    if summary.state != SUCCEEDED:
        raise typer.Exit(1)


#: Below this many columns the results are grouped by partition, so the messages keep room to be read.
WIDE_RESULTS = 120


def print_results(console: Console, results: list[RuleResult], *, title: str, only_problems: bool = False) -> None:
    """Every result as a table (``only_problems``: only those that did not pass), then the tally of all."""
    from flightpipe.quality.api import Outcome

    shown = [r for r in results if r.outcome not in {Outcome.PASS, Outcome.SKIP}] if only_problems else results
    if not shown:
        console.print(f"{title}: every result passed" if only_problems else f"{title}: no results")
    elif console.width >= WIDE_RESULTS:
        console.print(_results_table(shown, title=title))
    else:
        console.print(Text(title, style="bold"))
        groups: dict[str, list[RuleResult]] = {}
        for r in shown:
            groups.setdefault(r.partition.label if r.partition else "", []).append(r)
        for partition, group in groups.items():
            console.print(_partition_table(group, title=partition or "(no partition)"))
    tally = Counter(str(r.outcome) for r in results)
    console.print(", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items())))
    failed = [r for r in results if r.failed]
    if failed:
        console.print(
            f"[bold red]{len(failed)} fail-level results[/]: a run stops loading what they concern "
            "(QualityGateFailed); fix the cause and run again, or run with --allow-quality-failures"
        )


def _level(result: RuleResult) -> str:
    from flightpipe.quality.rules import RULES

    return "report" if result.rule in RULES and RULES[result.rule].report_only else str(result.level)


def _examples(result: RuleResult) -> str:
    from flightpipe.quality.api import Outcome

    return "\n".join(result.examples[:3]) if result.outcome is not Outcome.PASS else ""


def _results_table(results: list[RuleResult], *, title: str) -> Table:
    table = Table(title=title)
    for column in ("partition", "rule", "kind", "level", "outcome", "message", "examples"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.partition.label if r.partition else "",
            r.rule,
            str(r.kind),
            _level(r),
            f"[{_COLOURS[r.outcome]}]{r.outcome}[/]",
            Text(r.message),
            Text(_examples(r)),
        )
    return table


def _partition_table(results: list[RuleResult], *, title: str) -> Table:
    """One partition's results on a narrow terminal: rule, outcome (and level), message with its examples."""
    from flightpipe.quality.api import Outcome

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("rule", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("message", overflow="fold")
    for r in results:
        message = Text(r.message)
        if examples := _examples(r):
            message.append("\n" + examples, style="dim")
        outcome = f"[{_COLOURS[r.outcome]}]{r.outcome}[/]"
        if r.outcome not in {Outcome.PASS, Outcome.SKIP} and _level(r) != str(r.outcome):
            outcome += f"\n[dim]{_level(r)} level[/]"
        table.add_row(r.rule, outcome, message)
    return table


def print_quarantine(console: Console, rows: list[QuarantineRow], *, title: str) -> None:
    if not rows:
        console.print(f"{title}: nothing quarantined")
        return
    if console.width < WIDE_RESULTS:
        # One block per airport, board and rule: the reasons and examples keep the width to be read.
        console.print(Text(title, style="bold"))
        for row in rows:
            block = Table(
                title=f"{row.airport_icao} {row.board} · {row.rule} · {row.count} records",
                title_justify="left",
                show_header=False,
                box=box.SIMPLE,
            )
            block.add_column("what", style="dim", no_wrap=True)
            block.add_column("value", overflow="fold")
            for what, value in (("reason", row.reason), ("run", row.run_id), ("examples", "\n".join(row.examples))):
                block.add_row(what, Text(value))
            console.print(block)
        console.print(f"{sum(r.count for r in rows)} records quarantined")
        return
    table = Table(title=title)
    for column in ("airport", "board", "run", "rule", "reason", "records", "examples"):
        table.add_column(column, overflow="fold", justify="right" if column == "records" else "left")
    for row in rows:
        table.add_row(
            row.airport_icao, row.board, row.run_id, row.rule, row.reason, str(row.count), "\n".join(row.examples)
        )
    console.print(table)
    console.print(f"{sum(r.count for r in rows)} records quarantined")
