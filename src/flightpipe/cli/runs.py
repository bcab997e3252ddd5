"""``flightpipe runs [show]`` and ``flightpipe metrics``: past runs, their steps and their measurements."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console, count, state
from flightpipe.core.errors import ConfigError

if TYPE_CHECKING:
    from flightpipe.pipeline.run_history import StageTally
    from flightpipe.state.runs import RunRecord

runs_app = typer.Typer(help="Past runs: each step's state, row counts and duration.", invoke_without_command=True)


#: Below this many columns the run list stacks two values per cell, so it stays readable at 80 columns.
WIDE_LIST = 120
#: How many ids an ambiguous prefix lists.
_AMBIGUOUS_SHOWN = 10


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
    ledger = settings.resolved_ledger_path()
    if not ledger.exists():  # listing must not create the data folder
        console.print(f"no runs yet ({ledger} does not exist); run `flightpipe run` first")
        return
    overviews = recent_runs(ledger, limit=limit, day=options.parse_date(date, "--date"))
    wide = console.width >= WIDE_LIST
    table = Table(title="flightpipe runs")
    headers: tuple[str, ...]
    if wide:
        headers = ("run id", "kind", "day", "source", "state", "steps", "records", "loaded", "duration")
    else:
        headers = ("run id\nkind", "day\nsource", "state\nduration", "steps", "records\nloaded")
    for column in headers:
        table.add_column(
            column,
            justify="right" if column.split("\n")[0] in {"records", "loaded", "duration"} else "left",
            # The id is what `runs show` takes: never cut or wrapped.
            no_wrap=column.startswith("run id"),
            min_width=23 if column.startswith("run id") else None,
        )
    for overview in overviews:
        record = overview.record
        source = record.source
        if record.simulated and source != "simulated":
            source += " (simulated)"
        steps = "\n".join(_stage_cell(tally) for tally in overview.stages)
        records = str(record.summary.get("records_collected", ""))
        loaded = str(record.summary.get("rows_loaded", ""))
        duration = f"{record.duration_s:.1f} s" if record.duration_s is not None else ""
        if wide:
            cells = (record.run_id, record.kind, record.day, source, state(record.state), steps, records, loaded)
            table.add_row(*cells, duration)
        else:
            table.add_row(
                f"{record.run_id}\n[dim]{record.kind}[/]",
                f"{record.day}\n{escape(source)}",
                f"{state(record.state)}\n{duration}",
                steps,
                f"{records}\n{loaded}",
            )
    console.print(table)


def _stage_cell(tally: StageTally) -> str:
    """``collect 9/10``, in red when not every step succeeded: the list shows where a run went wrong."""
    text = f"{tally.stage} {tally.succeeded}/{tally.steps}"
    return text if tally.all_succeeded else f"[red]{text}[/]"


def resolve_run_id(ledger: Path, run_id: str) -> str:
    """The one run id ``run_id`` is or starts with; an unknown id or an ambiguous prefix is a ``ConfigError``
    (an ambiguous one lists the runs it matches, newest first, instead of picking one)."""
    from flightpipe.pipeline.run_history import run_ids_starting_with

    if not ledger.exists():
        raise ConfigError(f"no runs yet ({ledger} does not exist); run `flightpipe run` first")
    matches = run_ids_starting_with(ledger, run_id, limit=_AMBIGUOUS_SHOWN + 1)
    if not matches:
        raise ConfigError(f"no run {run_id!r} in {ledger} (see `flightpipe runs`)")
    if len(matches) > 1:
        shown = matches[:_AMBIGUOUS_SHOWN]
        more = ", ..." if len(matches) > _AMBIGUOUS_SHOWN else ""
        raise ConfigError(
            f"{run_id!r} is the start of more than one run: {', '.join(shown)}{more}; give more of the id"
        )
    return matches[0]


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    config: ConfigOption = None,
) -> None:
    """Show one run: what it did, then every step with its state, counts and duration."""
    from flightpipe.pipeline.run_history import find_run

    settings = options.load(config)
    ledger = settings.resolved_ledger_path()
    found = find_run(ledger, resolve_run_id(ledger, run_id))
    if found is None:
        raise ConfigError(f"no run {run_id!r} in {ledger} (see `flightpipe runs`)")
    _print_run_record(found.record)
    table = Table(title=f"steps of {found.record.run_id}", title_justify="left")
    for column in ("stage", "target", "state", "in", "out", "quar.", "time"):
        table.add_column(column, justify="right" if column in {"in", "out", "quar.", "time"} else "left")
    errors: list[str] = []
    for step in found.steps:
        table.add_row(
            step.stage,
            Text(step.target, overflow="fold"),
            state(step.state) + (f" [{len(errors) + 1}]" if step.error else ""),
            count(step.records_in),
            count(step.records_out),
            count(step.quarantined),
            f"{step.duration_s:.2f} s" if step.duration_s is not None else "",
        )
        if step.error:
            errors.append(f"[{len(errors) + 1}] {step.stage} {step.target}: {step.error}")
    console.print(table)
    for error in errors:  # below the table, where a long message can wrap without squeezing the columns
        console.print(Text(error, style="red"))


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
        console.print(summary_table(record.summary))


def summary_table(summary: dict[str, Any]) -> Table:
    """A run's summary (as the ledger keeps it) as two columns: what, and its value (lists one item a line)."""
    table = Table(show_header=False, box=box.SIMPLE, padding=(0, 1))
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in summary.items():
        if key in _NOT_SHOWN or value in (None, [], ""):
            continue
        if isinstance(value, list):
            text = "\n".join(str(item) for item in value)
        elif isinstance(value, float):
            text = f"{value:.1f}"
        else:
            text = str(value)
        table.add_row(key.replace("_", " "), Text(text))
    return table


#: Summary entries the lines above the table already give.
_NOT_SHOWN = frozenset({"run_id", "day", "state", "source", "simulated", "airports"})


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
    ledger = settings.resolved_ledger_path()
    if not ledger.exists():  # reading must not create the data folder
        raise ConfigError(f"no run yet ({ledger} does not exist); run `flightpipe run` first")
    found = find_run(ledger, resolve_run_id(ledger, run_id) if run_id else None)
    if found is None:
        raise ConfigError(
            f"no run {run_id!r} in {settings.resolved_ledger_path()} (see `flightpipe runs`)"
            if run_id
            else f"no run yet in {settings.resolved_ledger_path()}; run `flightpipe run` first"
        )
    measured = run_metrics(found.record, found.steps)
    sys.stdout.write(to_json(measured) if output == "json" else to_prometheus(measured))
