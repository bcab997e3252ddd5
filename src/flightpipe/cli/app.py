"""The command line: ``flightpipe run | backfill | reprocess | runs | sql | summary | report | check | quarantine |
status | metrics | schedule | ui | init | sources | warehouse``.

This module is the whole command surface at a glance: the typer app, the global logging options, each command
registered from its group's module, and the mapping of errors to exit codes. The group modules import only typer,
rich and the standard library at the top; each command imports what it works with when it runs, so
``flightpipe --help`` loads no engine (pyarrow, duckdb, matplotlib, boto3).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from flightpipe.cli import doctor, init, options, quality, query, report, run, runs, sources, status, ui, warehouse
from flightpipe.cli import reprocess as reprocess_cli
from flightpipe.cli.output import err
from flightpipe.core.errors import ConfigError, FlightpipeError, LockBusy
from flightpipe.core.logs import LOG_FORMATS, configure_logging
from flightpipe.core.pandas_probe import skip_pyarrow_pandas_probe
from flightpipe.core.redact import redact

app = typer.Typer(
    help="flightpipe: collect airport departure and arrival boards, land raw JSON, transform to Parquet, "
    "deduplicate by flight date and load a warehouse. Embedded defaults: a local folder and DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# In the order `flightpipe --help` lists them; the groups with subcommands come last.
app.command()(init.init)
app.command()(run.run)
app.command()(run.backfill)
app.command("reprocess")(reprocess_cli.reprocess)
app.command("sources")(sources.sources_list)
app.command()(query.sql)
app.command()(query.summary)
app.command()(report.report)
app.command()(quality.check)
app.command()(status.status)
app.command()(quality.quarantine)
app.command()(runs.metrics)
app.command()(run.schedule)
app.command()(doctor.doctor)
app.command()(ui.ui)
app.add_typer(runs.runs_app, name="runs")
app.add_typer(warehouse.warehouse_app, name="warehouse")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"flightpipe {version('flightpipe')}")
        raise typer.Exit()


@app.callback()
def _logging(
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            envvar="FLIGHTPIPE_LOG_LEVEL",
            help="DEBUG, INFO, WARNING or ERROR (default: WARNING on a terminal, INFO for JSON lines).",
        ),
    ] = None,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format", envvar="FLIGHTPIPE_LOG_FORMAT", help="auto (JSON unless stderr is a terminal), json, text."
        ),
    ] = "auto",
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Log INFO on a terminal too (-vv: DEBUG).")
    ] = 0,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    """Logs go to stderr: JSON lines, or rich text on a terminal; every line names the run and the step.
    The options here may also come after the command (`flightpipe run -v`)."""
    if log_level is not None and log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"--log-level must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"--log-format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    level = options.log_level(log_level, verbose, terminal=err.is_terminal, json_logs=log_format == "json")
    configure_logging(level, log_format, console=err)  # type: ignore[arg-type]  # checked just above


def main() -> None:
    """Run the command line; a typed error exits with its code: 3 busy (a lock), 2 bad input, 1 anything else."""
    skip_pyarrow_pandas_probe()  # core/pandas_probe.py: pyarrow's pandas probe costs a daily run ~0.8 s CPU
    try:
        app(args=options.hoist_global_options(sys.argv[1:]))
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
