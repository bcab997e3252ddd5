"""``flightpipe init``: write a starter config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from flightpipe.cli.output import console
from flightpipe.core.errors import ConfigError
from flightpipe.core.paths import DEFAULT_CONFIG_FILE


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
