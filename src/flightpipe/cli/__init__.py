"""The command line: one module per command group (typer + rich), no business logic.

``main`` imports the commands only when called, so importing ``flightpipe.cli.<group>`` stays cheap.
``entry`` is the program (the ``flightpipe`` script, ``python -m flightpipe.cli``): ``main``, then a quick exit.
"""

from __future__ import annotations

from typing import NoReturn

#: True in the ``flightpipe`` program (``entry``); False where the commands run inside another process (tests,
#: typer's ``CliRunner``), whose garbage collector is not theirs to tune.
running_as_program = False


def main() -> None:
    from flightpipe.cli.app import main as run

    run()


def entry() -> NoReturn:
    """Run the command line as a program and exit with its code, without tearing the interpreter down.

    A daily run has imported pyarrow, numpy, DuckDB, pydantic and some thousand modules by the time it is done;
    freeing them one by one at interpreter exit took 0.2 to 0.4 s of the run for nothing. Once the command has
    finished, the exit handlers have run (logging's flush among them) and the output is flushed, the process
    leaves at once. Should a thread still be running (none of the commands leaves one), or a profiler or tracer
    be watching (``python -m cProfile`` writes its output after the program returns), it exits the usual way.
    """
    global running_as_program
    running_as_program = True
    _collect_garbage_less_often()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    _leave(code)


#: Allocations between two collections of the youngest generation (Python's default: 700).
YOUNG_COLLECTION_THRESHOLD = 20_000


def _collect_garbage_less_often() -> None:
    """Let the cycle collector run after 20,000 new container objects instead of 700.

    Reference counting frees nearly everything a command creates; the collector is only for reference cycles.
    At Python's default a daily run collected the youngest generation some 270 times and the whole heap (the
    million objects the imports of pyarrow, numpy, pydantic and DuckDB leave, traversed each time) twice, which
    found next to nothing and cost about 0.1 s of CPU. With this threshold it collects the youngest generation a
    few dozen times and the whole heap, in a day's run, not at all; a long backfill still has its cycles
    collected, only in bigger batches."""
    import gc

    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)


def _exit_code(exc: SystemExit) -> int:
    import sys

    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)  # what ``sys.exit("message")`` prints
    return 1


def _leave(code: int) -> NoReturn:
    import atexit
    import contextlib
    import os
    import sys
    import threading

    if threading.active_count() > 1 or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (`| head`) or stream: nothing more can be said there
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
