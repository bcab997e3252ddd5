"""Global options anywhere on the line, the log level a terminal gets, flags shown as flags."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flightpipe.cli.app import app
from flightpipe.cli.options import hoist_global_options, log_level


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--log-level", "WARNING"], ["--log-level", "WARNING", "run"]),
        (["run", "--date", "2026-06-08", "-v"], ["-v", "run", "--date", "2026-06-08"]),
        (["runs", "show", "x", "--log-format=json"], ["--log-format=json", "runs", "show", "x"]),
        (["sql", "SELECT '--log-level'", "--format", "csv"], ["sql", "SELECT '--log-level'", "--format", "csv"]),
        (["run", "--", "-v"], ["run", "--", "-v"]),
    ],
)
def test_global_options_after_the_command_move_before_it(argv: list[str], expected: list[str]) -> None:
    assert hoist_global_options(argv) == expected


@pytest.mark.parametrize(
    ("explicit", "verbose", "terminal", "json_logs", "expected"),
    [
        (None, 0, True, False, "WARNING"),
        (None, 1, True, False, "INFO"),
        (None, 2, True, False, "DEBUG"),
        (None, 0, False, False, "INFO"),
        (None, 0, True, True, "INFO"),
        ("error", 2, True, False, "ERROR"),
    ],
)
def test_a_terminal_logs_warnings_only_unless_verbose(
    explicit: str | None, verbose: int, terminal: bool, json_logs: bool, expected: str
) -> None:
    assert log_level(explicit, verbose, terminal=terminal, json_logs=json_logs) == expected


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0 and result.output == f"flightpipe {version('flightpipe')}\n"


def test_flags_are_shown_without_a_value_type() -> None:
    result = CliRunner().invoke(app, ["backfill", "--help"], env={"COLUMNS": "200"})

    force = next(line for line in result.output.splitlines() if "--force" in line)
    dates = next(line for line in result.output.splitlines() if "--start" in line)
    assert "<bool>" not in result.output and "<str>" in dates and "--force" in force
