"""The command line: ``flightpipe run | backfill | runs | sql | summary | check | quarantine | status | metrics |
schedule | init | sources | warehouse``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from flightpipe.cli.warehouse import warehouse_app
from flightpipe.config import DEFAULT_CONFIG_FILE, Settings, load_settings
from flightpipe.core.errors import ConfigError, FlightpipeError, LockBusy
from flightpipe.core.logs import LOG_FORMATS, configure_logging
from flightpipe.core.redact import redact
from flightpipe.pipeline.runner import RunSummary, run_day
from flightpipe.sources.quota import ensure_quota
from flightpipe.state.ledger import SUCCEEDED, Ledger, RunRecord, StepRecord

app = typer.Typer(
    help="flightpipe: collect airport departure and arrival boards, land raw JSON, transform to Parquet, "
    "deduplicate by flight date and load a warehouse. Embedded defaults: a local folder and DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
runs_app = typer.Typer(help="Past runs: each step's state, row counts and duration.", invoke_without_command=True)
app.add_typer(runs_app, name="runs")
app.add_typer(warehouse_app, name="warehouse")

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help=f"Config file (default: ./{DEFAULT_CONFIG_FILE} if present).")
]
AirportsOption = Annotated[
    str | None, typer.Option("--airports", help="Comma-separated ICAO codes, e.g. EDDF,EDDM (default: config).")
]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="Source type: simulated, aviationstack, aerodatabox or opensky (default: config)."),
]
DataDirOption = Annotated[str | None, typer.Option("--data-dir", help="Data folder or s3:// URL (default: config).")]
AllowQualityOption = Annotated[
    bool,
    typer.Option(
        "--allow-quality-failures",
        help="Load what the quality gate would hold, for this run only; the override is recorded in the ledger.",
    ),
]


@app.callback()
def _logging(
    log_level: Annotated[
        str, typer.Option("--log-level", envvar="FLIGHTPIPE_LOG_LEVEL", help="DEBUG, INFO, WARNING or ERROR.")
    ] = "INFO",
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format", envvar="FLIGHTPIPE_LOG_FORMAT", help="auto (JSON unless stderr is a terminal), json, text."
        ),
    ] = "auto",
) -> None:
    """Logs go to stderr: JSON lines, or rich text on a terminal; every line names the run and the step."""
    if log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"--log-level must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"--log-format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    configure_logging(log_level, log_format, console=err)  # type: ignore[arg-type]  # checked just above


def _settings(
    config: Path | None, airports: str | None = None, source: str | None = None, data_dir: str | None = None
) -> Settings:
    overrides: dict[str, Any] = {"airports": airports, "data_dir": data_dir}
    if source is not None:
        base = load_settings(config)
        # Keep the configured source's options only when --source names the same type (a union member each).
        overrides["source"] = (
            {**base.source.model_dump(), "type": source} if base.source.type == source else {"type": source}
        )
    return load_settings(config, **overrides)


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def _yesterday() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def _check_not_future(day: dt.date, option: str) -> None:
    today = dt.datetime.now(dt.UTC).date()
    if day > today:
        raise ConfigError(f"{option} {day.isoformat()} is in the future (today is {today.isoformat()} UTC)")


class RichObserver:
    """Progress bars, one per stage."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def stage_total(self, stage: str, total: int) -> None:
        if stage in self.tasks:
            self.progress.update(self.tasks[stage], total=total)
        else:
            self.tasks[stage] = self.progress.add_task(stage, total=total)

    def step_done(self, stage: str, target: str, ok: bool) -> None:
        if stage in self.tasks:
            self.progress.advance(self.tasks[stage])


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


def _run_one(settings: Settings, day: dt.date, *, kind: str, wait: bool, allow: bool = False) -> RunSummary:
    with _progress() as progress:
        return run_day(
            settings,
            day,
            kind=kind,
            observer=RichObserver(progress),
            wait_for_lock=wait,
            allow_quality_failures=allow,
        )


def _print_run(summary: RunSummary) -> None:
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


@app.command()
def init(
    path: Annotated[Path, typer.Option("--path", help="Where to write the starter config.")] = Path(
        DEFAULT_CONFIG_FILE
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter flightpipe.toml (simulated source, local folder, DuckDB)."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it")
    path.write_text(
        resources.files("flightpipe").joinpath("starter.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    console.print(f"wrote {path}; run `flightpipe run` to collect yesterday on the simulated source")


@app.command()
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
    settings = _settings(config, airports, source, data_dir)
    day = _parse_date(date, "--date") or _yesterday()
    _check_not_future(day, "--date")
    ensure_quota(settings, [day])
    summary = _run_one(settings, day, kind="run", wait=wait, allow=allow_quality_failures)
    _print_run(summary)
    if summary.state != SUCCEEDED:
        raise typer.Exit(1)


@app.command()
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
    """Run a range of days in order, skipping days already complete unless --force."""
    settings = _settings(config, airports, source, data_dir)
    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")
    assert first is not None and last is not None
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    _check_not_future(last, "--end")
    ledger = Ledger(settings.resolved_ledger_path())
    boards = [str(b) for b in settings.boards]
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    try:
        ensure_quota(settings, [d for d in days if force or not ledger.is_day_complete(d, settings.airports, boards)])
    except FlightpipeError:
        ledger.close()
        raise
    failures = 0
    day = first
    while day <= last:
        if not force and ledger.is_day_complete(day, settings.airports, [str(b) for b in settings.boards]):
            console.print(f"[dim]skip {day}: already complete (use --force to run it again)[/]")
        else:
            summary = _run_one(settings, day, kind="backfill", wait=False, allow=allow_quality_failures)
            _print_run(summary)
            failures += summary.state != SUCCEEDED
        day += dt.timedelta(days=1)
    ledger.close()
    if failures:
        raise typer.Exit(1)


@app.command("sources")
def sources_list(config: ConfigOption = None) -> None:
    """List the flight-data sources: which one runs use, whether its credentials are set (never their values),
    its limits, its monthly budget and the requests made this month (for OpenSky also the daily credits it last
    reported)."""
    from flightpipe.sources.report import source_rows

    settings = load_settings(config)
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


@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs to show.")] = 20,
    date: Annotated[str | None, typer.Option("--date", help="Only runs of this collection date.")] = None,
    config: ConfigOption = None,
) -> None:
    """List past runs, newest first: state, steps succeeded per stage, records, rows loaded, duration."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings(config)
    ledger = Ledger(settings.resolved_ledger_path())
    records = ledger.runs(limit=limit, day=_parse_date(date, "--date"))
    table = Table(title="flightpipe runs")
    for column in ("run id", "kind", "day", "source", "state", "steps", "records", "loaded", "duration"):
        table.add_column(column, justify="right" if column in {"records", "loaded", "duration"} else "left")
    for record in records:
        source = record.source
        if record.simulated and source != "simulated":
            source += " (simulated)"
        table.add_row(
            record.run_id,
            record.kind,
            record.day,
            source,
            _state(record.state),
            "\n".join(_stage_states(ledger.steps(record.run_id))),
            str(record.summary.get("records_collected", "")),
            str(record.summary.get("rows_loaded", "")),
            f"{record.duration_s:.1f} s" if record.duration_s is not None else "",
        )
    ledger.close()
    console.print(table)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    config: ConfigOption = None,
) -> None:
    """Show one run: every step with its state, counts and duration."""
    settings = load_settings(config)
    ledger = Ledger(settings.resolved_ledger_path())
    record = ledger.run(run_id)
    if record is None:
        ledger.close()
        raise ConfigError(f"no run {run_id!r} in {settings.resolved_ledger_path()} (see `flightpipe runs`)")
    _print_run_record(record)
    table = Table(title=f"steps of {record.run_id}")
    for column in ("stage", "target", "state", "in", "out", "quarantined", "duration", "error"):
        table.add_column(column)
    for step in ledger.steps(record.run_id):
        table.add_row(
            step.stage,
            step.target,
            _state(step.state),
            _n(step.records_in),
            _n(step.records_out),
            _n(step.quarantined),
            f"{step.duration_s:.2f} s" if step.duration_s is not None else "",
            escape(step.error or ""),
        )
    ledger.close()
    console.print(table)


def _stage_states(steps: list[StepRecord]) -> list[str]:
    """One line per stage, in the order the run reached them: how many of its steps succeeded, in red when
    not all did (``collect 9/10``), so the list shows where a run went wrong without ``runs show``."""
    totals: dict[str, list[int]] = {}
    for step in steps:
        counts = totals.setdefault(step.stage, [0, 0])
        counts[0] += step.state == SUCCEEDED
        counts[1] += 1
    return [
        f"{stage} {ok}/{total}" if ok == total else f"[red]{stage} {ok}/{total}[/]"
        for stage, (ok, total) in totals.items()
    ]


def _print_run_record(record: RunRecord) -> None:
    simulated = " [bold magenta](SIMULATED DATA)[/]" if record.simulated else ""
    console.print(f"run [bold]{record.run_id}[/] ({record.kind}) for {record.day}: {_state(record.state)}")
    console.print(
        f"  source {record.source}{simulated}; airports {', '.join(record.airports)}; boards {', '.join(record.boards)}"
    )
    console.print(f"  started {record.started_at}, finished {record.finished_at or '-'}, pid {record.pid}")
    if record.error:
        console.print(f"  [red]error[/] {escape(record.error)}")
    if record.summary:
        console.print("  summary " + escape(json.dumps(record.summary, default=str)))


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="SQL; tables fact_flights, dim_airport, dim_airline, "
            "flight_codeshares, quality_results; views transformed, processed, quarantine."
        ),
    ],
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """Query the warehouse (read-only). On DuckDB also the views over the Parquet layers; on PostgreSQL and
    Redshift the query runs there, on the warehouse tables and the analytics views."""
    import duckdb

    from flightpipe.warehouse.catalog import open_catalog

    if output not in {"table", "csv", "json"}:
        raise ConfigError(f"--format must be table, csv or json, got {output!r}")
    settings = load_settings(config)
    if settings.warehouse.type != "duckdb":
        from flightpipe.cli.warehouse import query_warehouse

        columns, rows = query_warehouse(settings, query)
    else:
        con = open_catalog(settings)
        try:
            cursor = con.execute(query)
        except duckdb.Error as exc:
            raise ConfigError(f"query failed: {exc}") from None
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
        con.close()
    if output == "json":
        sys.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=_json_value) + "\n")
    elif output == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table()
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if v is None else escape(str(v)) for v in row))
        console.print(table)


@app.command()
def summary(
    start: Annotated[str | None, typer.Option("--start", help="First day (default: yesterday UTC).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day (default: --start).")] = None,
    config: ConfigOption = None,
) -> None:
    """Per airport: flights, cancellations, on-time share, median departure delay, from the warehouse."""
    from flightpipe.cli.warehouse import open_for_reading
    from flightpipe.report.summary import ON_TIME_MINUTES, airport_summary

    settings = load_settings(config)
    first = _parse_date(start, "--start") or _yesterday()
    last = _parse_date(end, "--end") or first
    warehouse = open_for_reading(settings)
    try:
        rows = airport_summary(warehouse, first, last, settings.airports)
    finally:
        warehouse.close()
    sources = sorted({s for r in rows for s in r.sources.split(",") if s})
    title = f"flights {first}" + (f" to {last}" if last != first else "")
    if "simulated" in sources:
        title += " - SIMULATED DATA (source: simulated)"
    table = Table(title=title)
    for column in (
        "airport",
        "flights",
        "departures",
        "arrivals",
        "cancelled",
        f"on-time (dep <= {ON_TIME_MINUTES} min)",
        "median dep delay",
    ):
        table.add_column(column, justify="left" if column == "airport" else "right")
    for row in rows:
        table.add_row(
            row.airport_icao,
            str(row.movements),
            str(row.departures),
            str(row.arrivals),
            str(row.cancelled),
            f"{row.on_time_share:.1%}" if row.on_time_share is not None else "-",
            f"{row.median_dep_delay_min:.0f} min" if row.median_dep_delay_min is not None else "-",
        )
    console.print(table)


@app.command()
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
    from flightpipe.cli.warehouse import open_for_reading
    from flightpipe.report.render import MAX_DAYS, write_report

    settings = load_settings(config)
    day = _parse_date(date, "--date") or _yesterday()
    _check_not_future(day, "--date")
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days must be between 1 and {MAX_DAYS}, got {days}")
    warehouse = open_for_reading(settings)
    try:
        where = write_report(settings, warehouse, day, days, out)
    finally:
        warehouse.close()
    console.print(f"report for {day}: {escape(where)}")


def _json_value(value: Any) -> Any:
    from decimal import Decimal

    # PostgreSQL's sum() and avg() give NUMERIC: a number in JSON, not a string.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


@app.command()
def check(
    date: Annotated[str, typer.Option("--date", help="Collection date of the boards and flight date, YYYY-MM-DD.")],
    airports: AirportsOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Check data quality of one date as a table; exit 1 when a rule fails.

    Every record and board rule for each airport's boards collected that day, and the flight-date rules of that
    flight date, judged now from the stored layers (docs/quality.md).
    """
    from flightpipe.cli.quality import check_date, print_results

    settings = _settings(config, airports, None, data_dir)
    day = _parse_date(date, "--date")
    assert day is not None
    results = check_date(settings, day)
    print_results(console, results, title=f"quality {day}")
    if any(r.failed for r in results):
        raise typer.Exit(1)


@app.command()
def status(
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How many recent days to show.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Last run per day, steps, duration trend, next scheduled run, anything late or failing (exit 1 if so)."""
    from flightpipe.cli.status import render_status
    from flightpipe.monitoring.status import build_status

    report = build_status(load_settings(config), dt.datetime.now(dt.UTC), days=days)
    if as_json:
        sys.stdout.write(report.to_json())
    else:
        render_status(report, console)
    if not report.healthy:
        raise typer.Exit(1)


@app.command()
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
    from flightpipe.cli.quality import print_quarantine, quarantine_summary

    settings = _settings(config, airports, None, data_dir)
    day = _parse_date(date, "--date")
    assert day is not None
    before = quarantine_summary(settings, day)
    print_quarantine(console, before, title=f"quarantine {day}")
    if not replay:
        return
    summary = _run_one(settings, day, kind="replay", wait=False, allow=allow_quality_failures)
    _print_run(summary)
    after = quarantine_summary(settings, day)
    recovered = sum(row.count for row in before) - sum(row.count for row in after)
    console.print(f"replay recovered {recovered} records; {sum(row.count for row in after)} still quarantined")
    print_quarantine(console, after, title=f"quarantine {day} after replay")
    if summary.state != SUCCEEDED:
        raise typer.Exit(1)


@app.command()
def metrics(
    run_id: Annotated[str | None, typer.Argument(help="Run id or a unique prefix (default: the latest run).")] = None,
    output: Annotated[str, typer.Option("--format", help="json or prometheus.")] = "json",
    config: ConfigOption = None,
) -> None:
    """Metrics of one run: every step's duration, records in/out, quarantined, bytes, API requests and retries."""
    from flightpipe.monitoring.metrics import run_metrics, to_json, to_prometheus

    if output not in {"json", "prometheus"}:
        raise ConfigError(f"--format must be json or prometheus, got {output!r}")
    settings = load_settings(config)
    ledger = Ledger(settings.resolved_ledger_path())
    try:
        record = ledger.run(run_id) if run_id else next(iter(ledger.runs(limit=1)), None)
        if record is None:
            raise ConfigError(
                f"no run {run_id!r} in {settings.resolved_ledger_path()} (see `flightpipe runs`)"
                if run_id
                else f"no run yet in {settings.resolved_ledger_path()}; run `flightpipe run` first"
            )
        measured = run_metrics(record, ledger.steps(record.run_id))
    finally:
        ledger.close()
    sys.stdout.write(to_json(measured) if output == "json" else to_prometheus(measured))


@app.command()
def schedule(config: ConfigOption = None) -> None:
    """Run as a daemon on the configured cron schedule (UTC), catching up missed days; stop with SIGTERM."""
    from flightpipe.pipeline.scheduler import Scheduler

    scheduler = Scheduler(load_settings(config))
    scheduler.install_signal_handlers()
    scheduler.run_forever()


def _state(state: str) -> str:
    colour = {"succeeded": "green", "partial": "yellow", "running": "cyan"}.get(state, "red")
    return f"[{colour}]{state}[/]"


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


def main() -> None:
    try:
        app()
    except LockBusy as exc:
        err.print(f"[yellow]busy:[/] {escape(redact(str(exc)))}")
        sys.exit(3)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(redact(str(exc)))}")
        sys.exit(2)
    except FlightpipeError as exc:
        err.print(f"[red]{type(exc).__name__}:[/] {escape(redact(str(exc)))}")
        sys.exit(1)


if __name__ == "__main__":
    main()
