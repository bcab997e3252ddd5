"""The daily run's overhead and ``flightpipe --help``: the command line measured from outside, as a user runs it.

A daily run on the simulated source: the whole ``flightpipe run`` process (start-up, imports, pipeline, report,
exit) minus the source's own time, read from the run's JSON log lines: the span from the first collect step's
start to the last one's end (the collect steps run side by side, so their durations do not add up).
Every measured day runs in a fresh data folder in which the day before has just run (unmeasured), so the
warehouse, the ledger and the report's history exist as on any day after the first.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

from measure import CommandRun, RunStats, Series, run_command

#: A fixed past day: the simulated source renders it the same every time.
DAILY_DAY = dt.date(2025, 3, 20)


def cli_env(repo: Path, data_dir: Path) -> dict[str, str]:
    """This checkout's flightpipe, JSON log lines on stderr at INFO, the data in ``data_dir``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo / "src"), env.get("PYTHONPATH", "")) if p)
    env["FLIGHTPIPE__DATA_DIR"] = str(data_dir)
    env["FLIGHTPIPE_LOG_FORMAT"] = "json"
    env["FLIGHTPIPE_LOG_LEVEL"] = "INFO"
    env.pop("FLIGHTPIPE_CONFIG", None)
    # An installed flightpipe has its bytecode compiled (pip compiles it at install); a shell that forbids writing
    # .pyc files would make every measured process compile the package again. The unmeasured warm-up run writes it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def log_times(stderr: str) -> dict[str, float]:
    """From a run's JSON log lines (seconds since the epoch): ``run_started``, the collect span
    (``collect_start``, ``collect_end``), the last step's end (``steps_end``) and ``run_finished``; and what the
    report cost (``report_s``) and opening the source (``source_open_s``), durations, where the run logs them."""
    starts: list[float] = []
    ends: list[float] = []
    step_ends: list[float] = []
    found: dict[str, float] = {}
    for line in stderr.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or "time" not in entry:
            continue
        at = dt.datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00")).timestamp()
        message = str(entry.get("message", ""))
        step = str(entry.get("step") or "")
        if message.startswith("run started"):
            found["run_started"] = at
        elif message.startswith("run succeeded") or message.startswith("run failed"):
            found["run_finished"] = at
        elif message == "source opened":
            found["source_open_s"] = float((entry.get("data") or {}).get("duration_s", 0.0))
        elif message == "report written":
            found["report_s"] = float((entry.get("data") or {}).get("duration_s", 0.0))
        elif message == "step succeeded":
            step_ends.append(at)
            if step.startswith("collect "):
                duration = float((entry.get("data") or {}).get("duration_s", 0.0))
                starts.append(at - duration)
                ends.append(at)
    if starts:
        found["collect_start"], found["collect_end"] = min(starts), max(ends)
    if step_ends:
        found["steps_end"] = max(step_ends)
    return found


def daily_stats(run: CommandRun, started_at: float) -> RunStats:
    """One measured day as a RunStats; the counts are milliseconds (the source's collect span, the overhead
    beyond it, the start-up before the run began, the time after the last step: the report and the run's
    bookkeeping, and of that the report's own time where the run logs it; where the run logs opening the
    source, that time and the overhead beyond the source's whole own time, collect span and opening)."""
    times = log_times(run.stderr)
    needed = ("run_started", "collect_start", "collect_end", "steps_end", "run_finished")
    if run.returncode != 0 or any(k not in times for k in needed):
        raise RuntimeError(f"flightpipe run failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    source_s = times["collect_end"] - times["collect_start"]
    counts = {
        "source_ms": round(source_s * 1000),
        "overhead_ms": round((run.wall_s - source_s) * 1000),
        "startup_ms": round((times["run_started"] - started_at) * 1000),
        "after_steps_ms": round((times["run_finished"] - times["steps_end"]) * 1000),
    }
    if "report_s" in times:  # part of the time after the last step
        counts["report_ms"] = round(times["report_s"] * 1000)
    if "source_open_s" in times:  # opening the source (the simulator builds its season; an API client is built)
        counts["source_open_ms"] = round(times["source_open_s"] * 1000)
        # The source's own time is its collect span and its opening: the simulator renders its season's schedule
        # there, the work an API's servers do. What is left is flightpipe's.
        counts["beyond_source_ms"] = round((run.wall_s - source_s - times["source_open_s"]) * 1000)
    return RunStats(run.wall_s, run.cpu_s, run.peak_rss_mb, 0.0, counts)


def measure_daily(repo: Path, work: Path, runs: int) -> Series:
    import time

    series = Series("daily run")
    flightpipe = [sys.executable, "-m", "flightpipe.cli"]
    for i in range(runs):
        data_dir = work / f"daily-{i}"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        env = cli_env(repo, data_dir)
        before = DAILY_DAY - dt.timedelta(days=1)
        warm = run_command([*flightpipe, "run", "--date", before.isoformat()], env, data_dir)
        if warm.returncode != 0:
            raise RuntimeError(f"flightpipe run {before} failed:\n{warm.stderr[-3000:]}")
        started_at = time.time()
        run = run_command([*flightpipe, "run", "--date", DAILY_DAY.isoformat()], env, data_dir)
        series.runs.append(daily_stats(run, started_at))
    return series


def measure_daily_with_history(repo: Path, work: Path, history: Path, first_day: dt.date, runs: int) -> Series:
    """Daily runs in a data folder that already holds many days: a copy of ``history`` (the output of a reprocess
    of those days: layers, warehouse, ledger, quality history; not its raw files, linked to the workload), then
    ``runs`` days in a row from ``first_day`` (the day after the history), each one measured. Beside the runs of
    ``measure_daily`` (one day of history) they show whether the run's time and memory grow with the days the
    folder holds."""
    import time

    series = Series("daily run after history")
    data_dir = work / "daily-history"
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(history, data_dir, ignore=lambda folder, names: ["raw"] if Path(folder) == history else [])
    (data_dir / "raw").mkdir()
    env = cli_env(repo, data_dir)
    for i in range(runs):
        day = first_day + dt.timedelta(days=i)
        started_at = time.time()
        run = run_command([sys.executable, "-m", "flightpipe.cli", "run", "--date", day.isoformat()], env, data_dir)
        series.runs.append(daily_stats(run, started_at))
    return series


def measure_help(repo: Path, work: Path, runs: int) -> Series:
    series = Series("flightpipe --help")
    env = cli_env(repo, work)
    run_command([sys.executable, "-m", "flightpipe.cli", "--help"], env, work)  # unmeasured: writes the bytecode
    for _ in range(runs):
        run = run_command([sys.executable, "-m", "flightpipe.cli", "--help"], env, work)
        if run.returncode != 0:
            raise RuntimeError(f"flightpipe --help failed:\n{run.stderr[-3000:]}")
        series.runs.append(RunStats(run.wall_s, run.cpu_s, run.peak_rss_mb, 0.0, {}))
    return series
