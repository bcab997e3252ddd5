"""Simulated data folders built once per test session and copied for each test that needs one.

Many tests need "a data folder where a few simulated days have already run" only as their starting point; running
the whole pipeline again for each of them is most of the suite's time. ``SimulatedStores.copy`` builds a folder
for given airports and runs once per session (the first xdist worker that needs it builds it, the others wait for
it) with the real runner, then hands each test its own copy, so a test may change its copy freely.

A run is a collection day (a plain date), or a ``SimulatedRun`` when the run needs its own clock, kind, source
defects or outcome. A folder whose runs start with the runs of a folder already built is built on a copy of that
one, so the days in common run once. What a copy cannot change: the absolute paths the runs wrote (the report
path in the ledger, the warehouse path in a report) name the template's folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import chdir, contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from flightpipe.config import Settings, load_settings

#: A run's clock unless it names one: 06:00 UTC the day after the collection day.
RUN_HOUR = 6


def run_clock(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(RUN_HOUR), tzinfo=dt.UTC)


@dataclass(frozen=True)
class SimulatedRun:
    """One run of a template: ``run_day(settings, day, kind=kind, clock=lambda: at)`` must end in ``state``."""

    day: dt.date
    at: dt.datetime | None = None  # None: run_clock(day)
    kind: str = "run"
    #: ``[source.defects]`` rates for this run alone (DefectSettings' keys).
    defects: tuple[tuple[str, float], ...] = ()
    state: str = "succeeded"

    @classmethod
    def of(cls, run: SimulatedRun | dt.date) -> SimulatedRun:
        return run if isinstance(run, SimulatedRun) else cls(run)

    @classmethod
    def with_defects(cls, day: dt.date, defects: Mapping[str, float], **fields: object) -> SimulatedRun:
        return cls(day, defects=tuple(sorted(defects.items())), **fields)  # type: ignore[arg-type]

    @property
    def clock(self) -> dt.datetime:
        return self.at or run_clock(self.day)


TemplateKey = tuple[tuple[str, ...], tuple[SimulatedRun, ...]]

#: Written into a template's folder once it is complete.
COMPLETE = "complete"


@dataclass(frozen=True)
class SimulatedStores:
    """Templates under ``root``, one folder per airports and runs, shared by every xdist worker of the session.

    A file lock per template makes the first worker that needs it build it while the others wait.
    """

    root: Path

    def template(self, airports: Sequence[str], runs: Sequence[SimulatedRun | dt.date]) -> Path:
        key: TemplateKey = (tuple(airports), tuple(SimulatedRun.of(r) for r in runs))
        folder = self._folder(key)
        with FileLock(f"{folder}.lock"):
            if not (folder / COMPLETE).exists():
                shutil.rmtree(folder, ignore_errors=True)  # what a worker that died while building left
                self._build(folder / "data", key)
                (folder / COMPLETE).touch()
        return folder / "data"

    def copy(self, destination: Path, airports: Sequence[str], runs: Sequence[SimulatedRun | dt.date]) -> Settings:
        """A fresh copy of the template at ``destination`` (the data folder) and settings pointing at it."""
        shutil.copytree(self.template(airports, runs), destination)
        return load_settings(data_dir=str(destination), airports=",".join(airports))

    def _folder(self, key: TemplateKey) -> Path:
        airports, runs = key
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:12]
        return self.root / f"{'-'.join(airports)}_{len(runs)}-runs_{digest}"

    def _build(self, data: Path, key: TemplateKey) -> None:
        from flightpipe.pipeline.runner import run_day

        airports, runs = key
        done = 0
        for n in range(len(runs) - 1, 0, -1):  # the longest complete template of the first n runs
            prefix = self._folder((airports, runs[:n]))
            if (prefix / COMPLETE).exists():
                shutil.copytree(prefix / "data", data)
                done = n
                break
        data.mkdir(parents=True, exist_ok=True)
        with _hermetic(data.parent):
            for run in runs[done:]:
                source = {"defects": dict(run.defects)} if run.defects else None
                settings = load_settings(data_dir=str(data), airports=",".join(airports), source=source)
                summary = run_day(settings, run.day, kind=run.kind, clock=lambda at=run.clock: at)
                assert summary.state == run.state, (run, summary.state, summary.failed_steps)


@contextmanager
def _hermetic(cwd: Path) -> Iterator[None]:
    """A template depends on its key alone: not on the FLIGHTPIPE variables or ./flightpipe.toml of the test
    that happens to ask for it first."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("FLIGHTPIPE")}
    for name in saved:
        del os.environ[name]
    try:
        with chdir(cwd):
            yield
    finally:
        os.environ.update(saved)
