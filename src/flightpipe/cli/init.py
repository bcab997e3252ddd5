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
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give the config file's name, e.g. {path / DEFAULT_CONFIG_FILE}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        resources.files("flightpipe").joinpath("starter.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    use = "" if path == Path(DEFAULT_CONFIG_FILE) else f" --config {path}"
    console.print(f"wrote {path}; run `flightpipe run{use}` to collect yesterday on the simulated source")
