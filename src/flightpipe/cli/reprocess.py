"""``flightpipe reprocess``: the layers and the warehouse again from stored raw data, without one API call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flightpipe.cli import options
from flightpipe.cli.options import AirportsOption, ConfigOption, DataDirOption
from flightpipe.cli.output import console, print_days
from flightpipe.cli.progress import DaysProgress, days_progress
from flightpipe.core.errors import ConfigError

if TYPE_CHECKING:
    from flightpipe.config import Settings
    from flightpipe.pipeline.reprocess import ReprocessResult
    from flightpipe.pipeline.runner import RunSummary


class _RangeBars:
    """The backfill display for a reprocess: the range's line moves on as each collection day is transformed;
    the stage lines are the range's (transform, quality, process, load), not one day's."""

    def __init__(self, display: DaysProgress) -> None:
        self.display = display
        self.stages = display.stages

    def stage_total(self, stage: str, total: int) -> None:
        self.stages.stage_total(stage, total)

    def step_done(self, stage: str, target: str, ok: bool) -> None:
        self.stages.step_done(stage, target, ok)
        if stage == "transform":
            self.display.finish_day()


def reprocess(
    start: Annotated[
        str | None, typer.Option("--start", help="First collection date, YYYY-MM-DD (default: the first raw/ holds).")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--end", help="Last collection date, YYYY-MM-DD, inclusive (default: the last raw/ holds)."),
    ] = None,
    airports: AirportsOption = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Transform processes (default: one per core).")
    ] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Transform, process and load stored raw data again under today's mapping and rules; no API call.

    Resumes an interrupted reprocess of the same range; a reprocess after a succeeded one does it all again."""
    from flightpipe.core.store import ObjectStore
    from flightpipe.pipeline.reprocess import reprocess_range, stored_raw_days
    from flightpipe.stages.transform_batch import TransformWorkers, worker_count

    settings = options.load(config, airports, None, data_dir)
    first, last = options.parse_date(start, "--start"), options.parse_date(end, "--end")
    if first and last and last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    chosen = list(settings.airports) if airports else None
    store = ObjectStore(settings.data_dir)
    stored = stored_raw_days(store, chosen)
    days = sum(1 for day in stored if (first is None or day >= first) and (last is None or day <= last))
    # The transform's worker processes first, while this process runs one thread: they are forked then, and start
    # at once; the progress display's thread comes after.
    with (
        TransformWorkers(store.url, settings.quality.rule_configs(), worker_count(workers, days)) as pool,
        days_progress(max(days, 1)) as display,
    ):
        result = reprocess_range(settings, first, last, chosen, workers=pool, observer=_RangeBars(display))
    print_days(_day_rows(settings, result), [], title=f"reprocess {result.first} to {result.last}")
    _print_result(result)
    if result.state != "succeeded":
        raise typer.Exit(1)


def _day_rows(settings: Settings, result: ReprocessResult) -> list[RunSummary]:
    """The days as the backfill table shows them: records read, flights of that flight date, rows loaded for it."""
    from flightpipe.pipeline.runner import RunSummary

    return [
        RunSummary(
            run_id=result.run_id,
            day=day.day,
            state="failed" if day.errors else "succeeded",
            source="raw",
            simulated=settings.is_simulated,
            airports=result.airports,
            records_collected=day.records_in,
            raw_files=day.raw_files,
            rows_transformed=day.rows_out,
            records_quarantined=day.quarantined,
            corrupt_files=day.corrupt_files,
            flights_processed=result.flights.get(day.day, 0),
            rows_loaded=result.loaded.get(day.day, 0),
            duration_s=day.duration_s,
            report_path=result.report_path if day is result.days[-1] else None,
        )
        for day in result.days
    ]


def _print_result(result: ReprocessResult) -> None:
    resumed = sum(1 for d in result.days if d.resumed)
    if result.resumed_from:
        console.print(f"resumed {result.resumed_from}: {resumed} days it had transformed were not done again")
    console.print(
        f"{result.state} reprocess {result.run_id}: {result.raw_files} raw files, {result.records_in} records, "
        f"{len(result.flight_dates)} flight dates processed, {result.rows_loaded} rows loaded "
        f"({result.duration_s:.1f} s); no API call"
    )
    for line in result.held + result.failed_steps:
        console.print(f"[red]  {line}[/]")
    if result.report_error:
        console.print(f"[yellow]  the report was not written: {result.report_error}[/]")
