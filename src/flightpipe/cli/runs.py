"""``flightpipe runs [show]`` and ``flightpipe metrics``: past runs, their steps and their measurements."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console, count, state
from flightpipe.core.errors import ConfigError

if TYPE_CHECKING:
    from flightpipe.pipeline.run_history import StageTally
    from flightpipe.state.runs import RunRecord

runs_app = typer.Typer(help="Past runs: each step's state, row counts and duration.", invoke_without_command=True)


@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs to show.")] = 20,
    date: Annotated[str | None, typer.Option("--date", help="Only runs of this collection date.")] = None,
    config: ConfigOption = None,
) -> None:
    """List past runs, newest first: state, steps succeeded per stage, records, rows loaded, duration."""
    if ctx.invoked_subcommand is not None:
        return
    from flightpipe.pipeline.run_history import recent_runs

    settings = options.load(config)
    overviews = recent_runs(settings.resolved_ledger_path(), limit=limit, day=options.parse_date(date, "--date"))
    table = Table(title="flightpipe runs")
    for column in ("run id", "kind", "day", "source", "state", "steps", "records", "loaded", "duration"):
        table.add_column(column, justify="right" if column in {"records", "loaded", "duration"} else "left")
    for overview in overviews:
        record = overview.record
        source = record.source
        if record.simulated and source != "simulated":
            source += " (simulated)"
        table.add_row(
            record.run_id,
            record.kind,
            record.day,
            source,
            state(record.state),
            "\n".join(_stage_cell(tally) for tally in overview.stages),
            str(record.summary.get("records_collected", "")),
            str(record.summary.get("rows_loaded", "")),
            f"{record.duration_s:.1f} s" if record.duration_s is not None else "",
        )
    console.print(table)


def _stage_cell(tally: StageTally) -> str:
    """``collect 9/10``, in red when not every step succeeded: the list shows where a run went wrong."""
    text = f"{tally.stage} {tally.succeeded}/{tally.steps}"
    return text if tally.all_succeeded else f"[red]{text}[/]"


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    config: ConfigOption = None,
) -> None:
    """Show one run: every step with its state, counts and duration."""
    from flightpipe.pipeline.run_history import find_run

    settings = options.load(config)
    found = find_run(settings.resolved_ledger_path(), run_id)
    if found is None:
        raise ConfigError(f"no run {run_id!r} in {settings.resolved_ledger_path()} (see `flightpipe runs`)")
    _print_run_record(found.record)
    table = Table(title=f"steps of {found.record.run_id}")
    for column in ("stage", "target", "state", "in", "out", "quarantined", "duration", "error"):
        table.add_column(column)
    for step in found.steps:
        table.add_row(
            step.stage,
            step.target,
            state(step.state),
            count(step.records_in),
            count(step.records_out),
            count(step.quarantined),
            f"{step.duration_s:.2f} s" if step.duration_s is not None else "",
            escape(step.error or ""),
        )
    console.print(table)


def _print_run_record(record: RunRecord) -> None:
    simulated = " [bold magenta](SIMULATED DATA)[/]" if record.simulated else ""
    console.print(f"run [bold]{record.run_id}[/] ({record.kind}) for {record.day}: {state(record.state)}")
    console.print(
        f"  source {record.source}{simulated}; airports {', '.join(record.airports)}; boards {', '.join(record.boards)}"
    )
    console.print(f"  started {record.started_at}, finished {record.finished_at or '-'}, pid {record.pid}")
    if record.error:
        console.print(f"  [red]error[/] {escape(record.error)}")
    if record.summary:
        console.print("  summary " + escape(json.dumps(record.summary, default=str)))


def metrics(
    run_id: Annotated[str | None, typer.Argument(help="Run id or a unique prefix (default: the latest run).")] = None,
    output: Annotated[str, typer.Option("--format", help="json or prometheus.")] = "json",
    config: ConfigOption = None,
) -> None:
    """Metrics of one run: every step's duration, records in/out, quarantined, bytes, API requests and retries."""
    from flightpipe.monitoring.metrics import run_metrics, to_json, to_prometheus
    from flightpipe.pipeline.run_history import find_run

    if output not in {"json", "prometheus"}:
        raise ConfigError(f"--format must be json or prometheus, got {output!r}")
    settings = options.load(config)
    found = find_run(settings.resolved_ledger_path(), run_id)
    if found is None:
        raise ConfigError(
            f"no run {run_id!r} in {settings.resolved_ledger_path()} (see `flightpipe runs`)"
            if run_id
            else f"no run yet in {settings.resolved_ledger_path()}; run `flightpipe run` first"
        )
    measured = run_metrics(found.record, found.steps)
    sys.stdout.write(to_json(measured) if output == "json" else to_prometheus(measured))
