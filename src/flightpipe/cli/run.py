"""``flightpipe run | backfill | schedule``: running the pipeline for a day, a range of days, or on a schedule."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from flightpipe.cli import options
from flightpipe.cli.options import AirportsOption, AllowQualityOption, ConfigOption, DataDirOption, SourceOption
from flightpipe.cli.output import console, print_attention, print_days, print_range, print_run
from flightpipe.cli.progress import days_progress, run_with_progress
from flightpipe.core.errors import ConfigError

if TYPE_CHECKING:
    from flightpipe.config import Settings
    from flightpipe.pipeline.range_finish import RangeFinish


def run(
    date: Annotated[
        str | None, typer.Option("--date", help="Collection date YYYY-MM-DD (default: yesterday UTC).")
    ] = None,
    airports: AirportsOption = None,
    source: SourceOption = None,
    data_dir: DataDirOption = None,
    wait: Annotated[bool, typer.Option("--wait", help="If a run of this date is going, wait for it.")] = False,
    allow_quality_failures: AllowQualityOption = False,
    config: ConfigOption = None,
) -> None:
    """Run the pipeline for one day: collect, transform, check quality, process, load."""
    from flightpipe.pipeline.sources import ensure_quota
    from flightpipe.state.runs import SUCCEEDED

    settings = options.load(config, airports, source, data_dir)
    day = options.parse_date(date, "--date") or options.yesterday()
    options.check_not_future(day, "--date")
    check_credentials(settings)
    ensure_quota(settings, [day])
    summary = run_with_progress(settings, day, kind="run", wait=wait, allow_quality_failures=allow_quality_failures)
    print_run(summary)
    if summary.state != SUCCEEDED:
        raise typer.Exit(1)


def backfill(
    start: Annotated[str, typer.Option("--start", help="First collection date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last collection date, YYYY-MM-DD (inclusive).")],
    force: Annotated[bool, typer.Option("--force", help="Run days that are already complete again.")] = False,
    airports: AirportsOption = None,
    source: SourceOption = None,
    data_dir: DataDirOption = None,
    allow_quality_failures: AllowQualityOption = False,
    config: ConfigOption = None,
) -> None:
    """Run a range of days in order, skipping days already complete unless --force.

    Each day is collected, transformed and checked; then every flight date of the range is processed and
    loaded once, and the report written once. An interrupted backfill, run again, finishes the days it had
    collected without collecting them again."""
    from flightpipe.pipeline.backfill import collection_days, run_backfill
    from flightpipe.pipeline.range_finish import finish_range
    from flightpipe.pipeline.runner import RunSummary

    settings = options.load(config, airports, source, data_dir)
    first, last = options.parse_required_date(start, "--start"), options.parse_required_date(end, "--end")
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    options.check_not_future(last, "--end")

    check_credentials(settings)
    days = collection_days(first, last)
    # On a terminal the live display and the final table tell the story; piped, every day's line is kept.
    every_day = not console.is_terminal
    with days_progress(len(days)) as display:

        def run_one(day: dt.date, *, defer: bool) -> RunSummary:
            summary = run_with_progress(
                settings,
                day,
                kind="backfill",
                allow_quality_failures=allow_quality_failures,
                display=display,
                defer=defer,
            )
            if every_day:
                print_run(summary)
            elif not defer:
                print_attention(summary, report=False)
            return summary

        def skipped(day: dt.date) -> None:
            display.finish_day()
            if every_day:
                console.print(f"[dim]skip {day}: already complete (use --force to run it again)[/]")

        def finish(summaries: list[RunSummary]) -> RangeFinish:
            return finish_range(
                settings, summaries, allow_quality_failures=allow_quality_failures, observer=display.start_range()
            )

        result = run_backfill(settings, days, force=force, run=run_one, on_skip=skipped, finish=finish)
    if result.range is not None:
        print_range(result.range, result.resumed)
    print_days(result.summaries, result.skipped, title=f"backfill {first} to {last}")
    for day, why in result.busy:
        console.print(f"[yellow]busy {day}:[/] {why}; run the backfill again when that run is done")
    if result.failed:
        raise typer.Exit(1)
    if result.busy:
        raise typer.Exit(3)  # as a busy `run` does


def check_credentials(settings: Settings) -> None:
    """A ``ConfigError`` (exit 2) when the configured API's credentials are missing, before anything runs: a
    run started without them would fail at collect, stay in the history as failed and raise an alert."""
    from flightpipe.sources.credentials import resolve_credentials
    from flightpipe.sources.registry import source_spec

    spec = source_spec(settings.source.type)
    if spec.account is not None:
        resolve_credentials(spec.name, settings.sources.by_name(spec.name))


def schedule(config: ConfigOption = None) -> None:
    """Run as a daemon on the configured cron schedule (UTC), catching up missed days; stop with SIGTERM."""
    from flightpipe.pipeline.scheduler import Scheduler

    scheduler = Scheduler(options.load(config))
    scheduler.install_signal_handlers()
    scheduler.run_forever()
