"""``flightpipe doctor [--fix]``: check the data folder, the ledger and the warehouse; repair what is safe."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from flightpipe.cli import options
from flightpipe.cli.options import ConfigOption
from flightpipe.cli.output import console
from flightpipe.core.errors import ConfigError


def doctor(
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Repair what is safe: move a damaged ledger aside and recover the run history from the layers, "
            "rebuild a damaged or missing warehouse from processed/, delete leftover temporary files.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Check the data folder, ledger and warehouse: integrity, leftovers, days whose layers disagree (exit 1 if
    anything is left to repair). Never calls a source's API."""
    from flightpipe.pipeline.doctor import examine

    settings = options.load(config)
    if (missing := options.missing_data_folder(settings)) is not None:  # examining must not create it
        raise ConfigError(f"no data folder {missing} yet: nothing to examine; run `flightpipe run` first")
    report = examine(settings, fix=fix)
    if not report.findings:
        console.print("[green]healthy:[/] data folder, ledger and warehouse are sound")
        return
    for finding in report.findings:
        mark = "[green]fixed[/]" if finding.fixed else "[red]problem[/]"
        console.print(f"{mark} [bold]{finding.area}[/]: {escape(finding.problem)}")
        console.print(f"    {escape(finding.repair)}")
    if not report.healthy:
        if not fix:
            console.print("run `flightpipe doctor --fix` to repair what can be repaired safely")
        raise typer.Exit(1)
