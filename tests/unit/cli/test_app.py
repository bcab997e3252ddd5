"""The command line's surface: every command listed in the help, and the help cheap to print."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flightpipe.cli.app import app

COMMANDS = ("init", "run", "backfill", "reprocess", "sources", "sql", "summary", "report", "check", "status",
            "quarantine", "metrics", "schedule", "doctor", "ui", "runs", "warehouse")  # fmt: skip
#: What a command may load when it runs, never to print help.
ENGINES = ("duckdb", "pyarrow", "matplotlib", "boto3", "pandas")


def _command_column(help_text: str) -> list[str]:
    """The command names in the order the help's Commands box lists them."""
    box = help_text.split("Commands", 1)[1]
    return [line.strip("│ ").split(" ", 1)[0] for line in box.splitlines() if line.startswith("│ ") and line[2] != " "]


def _engines_loaded_by(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(m for m in {ENGINES!r} if m in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_help_lists_every_command_group_in_order() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert _command_column(result.output) == list(COMMANDS)


@pytest.mark.parametrize("group", ["runs", "warehouse"])
def test_the_command_groups_list_their_subcommands(group: str) -> None:
    result = CliRunner().invoke(app, [group, "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert _command_column(result.output) == (["show"] if group == "runs" else ["init", "status", "rebuild"])


def test_importing_the_command_line_loads_no_engine() -> None:
    assert _engines_loaded_by("import flightpipe.cli.app") == []


def test_printing_the_help_loads_no_engine() -> None:
    code = "sys.argv = ['flightpipe', '--help']\nfrom flightpipe.cli import main\n"
    code += "try:\n    main()\nexcept SystemExit:\n    pass"

    assert _engines_loaded_by(code) == []


def test_the_command_line_keeps_pyarrow_from_importing_pandas() -> None:
    code = "sys.argv = ['flightpipe', '--version']\nfrom flightpipe.cli import main\n"
    code += "try:\n    main()\nexcept SystemExit:\n    pass\nimport pyarrow\npyarrow.scalar('a value from Python')"

    assert _engines_loaded_by(code) == ["pyarrow"]
