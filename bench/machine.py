"""What the figures were measured on: they mean little without the machine and the library versions."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

LIBRARIES = ("pyarrow", "duckdb", "pandas", "numpy")


def load_average() -> tuple[float, float]:
    """(1 min, 5 min). Other work on the machine skews wall times; the load average says how busy it was."""
    one, five, _ = os.getloadavg()
    return one, five


def _load_text(load: tuple[float, float]) -> str:
    return f"{load[0]:.2f} (1 min), {load[1]:.2f} (5 min)"


def machine_facts(repo: Path, load_at_start: tuple[float, float]) -> dict[str, str]:
    facts = {
        "date (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "CPU": f"{_cpu_model()}, nproc = {os.cpu_count()}",
        "memory": f"{_mem_total_gib():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
    }
    for lib in LIBRARIES:
        facts[lib] = _version(lib)
    facts["DuckDB threads"] = _duckdb_threads()
    facts["load average at start"] = _load_text(load_at_start)
    facts["load average at end"] = _load_text(load_average())
    facts["flightpipe commit"] = _git_commit(repo)
    return facts


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _duckdb_threads() -> str:
    import duckdb

    with duckdb.connect(":memory:") as con:
        row = con.execute("SELECT current_setting('threads')").fetchone()
    return f"{row[0] if row else '?'} (default)"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def _git_commit(repo: Path) -> str:
    """HEAD, marked when the work tree differs from it (others work in this tree at the same time)."""
    try:
        head = _git(repo, "rev-parse", "--short", "HEAD")
        dirty = _git(repo, "status", "--porcelain", "--", "src")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (src/ has uncommitted changes)" if dirty else head


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
