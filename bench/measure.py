"""Run one measured child process and summarise repeated runs by their median."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHILD = Path(__file__).resolve().parent / "child.py"


class ChildFailed(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class RunStats:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    base_rss_mb: float
    counts: dict[str, int]
    #: Wall seconds per phase, where the contender reports them (raw -> warehouse).
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Series:
    """Every run of one contender or stage; figures are the median over runs."""

    name: str
    runs: list[RunStats] = field(default_factory=list)
    note: str = ""

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def wall_min_s(self) -> float:
        return min(r.wall_s for r in self.runs)

    @property
    def wall_max_s(self) -> float:
        return max(r.wall_s for r in self.runs)

    @property
    def cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return statistics.median(r.peak_rss_mb for r in self.runs)

    @property
    def base_rss_mb(self) -> float:
        return statistics.median(r.base_rss_mb for r in self.runs)

    def phase_s(self, name: str) -> float | None:
        """The median wall seconds of phase ``name`` (None: the runs did not report it)."""
        values = [r.phases[name] for r in self.runs if name in r.phases]
        return statistics.median(values) if values else None

    def count(self, name: str) -> int:
        """A count every run must agree on (the work is the same each time)."""
        values = {r.counts[name] for r in self.runs}
        if len(values) != 1:
            raise ValueError(f"{self.name}: runs disagree on {name}: {sorted(values)}")
        return values.pop()


def run_child(job: dict[str, Any], job_file: Path) -> RunStats:
    """Run ``job`` in a fresh interpreter and read the JSON line it prints last."""
    job_file.parent.mkdir(parents=True, exist_ok=True)
    job_file.write_text(json.dumps(job), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(CHILD), str(job_file)], capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise ChildFailed(f"{job['task']} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return RunStats(**json.loads(lines[-1]))


@dataclass(frozen=True, slots=True)
class CommandRun:
    """A whole command measured from outside: wall, CPU (user + system) and peak RSS of that one process."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_command(argv: list[str], env: dict[str, str], cwd: Path) -> CommandRun:
    """Run ``argv`` once. ``os.wait4`` reaps it and gives the resource use of that one child (peak RSS, CPU),
    which ``RUSAGE_CHILDREN`` could not (it keeps the maximum over every child so far)."""
    import os
    import tempfile
    import time

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)  # noqa: S603 - our own argv
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return CommandRun(
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=usage.ru_maxrss / 1024,
            returncode=proc.returncode,
            stdout=out.read(),
            stderr=err.read(),
        )
