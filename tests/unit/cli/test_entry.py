"""The program's entry: the command's exit code and output, the exit handlers run, no interpreter teardown."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import atexit, sys
class Teardown:
    def __del__(self):
        print("torn down")
kept = Teardown()
atexit.register(lambda: print("exit handler"))
sys.argv = ["flightpipe", *sys.argv[1:]]
from flightpipe.cli import entry
entry()
"""


def _program(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=60)


def test_the_program_exits_with_the_command_s_code_after_its_exit_handlers_without_tearing_down() -> None:
    result = _program("--version")
    assert result.returncode == 0
    first, *rest = result.stdout.splitlines()
    assert first.startswith("flightpipe ") and rest == ["exit handler"]


def test_a_refused_command_keeps_its_exit_code_and_message() -> None:
    result = _program("run", "--date", "not-a-date")
    assert result.returncode == 2
    assert "--date must be an ISO date (YYYY-MM-DD), got 'not-a-date'" in result.stderr
    assert result.stdout.splitlines() == ["exit handler"]


def test_the_program_collects_the_youngest_generation_after_20000_allocations_not_700() -> None:
    program = PROGRAM.replace(
        'atexit.register(lambda: print("exit handler"))',
        'import gc; atexit.register(lambda: print("thresholds", *gc.get_threshold()))',
    )
    result = subprocess.run([sys.executable, "-c", program, "--version"], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "thresholds 20000 10 10"
