"""Simulated data folders built once per test session and copied for each test that needs one.

Many tests need "a data folder where a few simulated days have already run" only as their starting point; running
the whole pipeline again for each of them is most of the suite's time. ``SimulatedStores.copy`` builds a folder
for given airports and runs once per session (per xdist worker) with the real runner, then hands each test its
own copy, so a test may change its copy freely.

A run is a collection day (a plain date), or a ``SimulatedRun`` when the run needs its own clock, kind, source
defects or outcome. A folder whose runs start with the runs of a folder already built is built on a copy of that
one, so the days in common run once.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import chdir, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class SimulatedStores:
    """Templates under ``root``, keyed by the airports and the runs that were run."""

    root: Path
    _built: dict[TemplateKey, Path] = field(default_factory=dict)

    def template(self, airports: Sequence[str], runs: Sequence[SimulatedRun | dt.date]) -> Path:
        key: TemplateKey = (tuple(airports), tuple(SimulatedRun.of(r) for r in runs))
        if key not in self._built:
            self._built[key] = self._build(*key)
        return self._built[key]

    def copy(
        self, destination: Path, airports: Sequence[str], runs: Sequence[SimulatedRun | dt.date]
    ) -> Settings:
        """A fresh copy of the template at ``destination`` (the data folder) and settings pointing at it."""
        shutil.copytree(self.template(airports, runs), destination)
        return load_settings(data_dir=str(destination), airports=",".join(airports))

    def _build(self, airports: tuple[str, ...], runs: tuple[SimulatedRun, ...]) -> Path:
        from flightpipe.pipeline.runner import run_day

        folder = self.root / f"template-{len(self._built)}" / "data"
        done = self._longest_built_prefix(airports, runs)
        if done:
            shutil.copytree(self._built[(airports, runs[:done])], folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        with _hermetic(folder.parent):
            for run in runs[done:]:
                source = {"defects": dict(run.defects)} if run.defects else None
                settings = load_settings(data_dir=str(folder), airports=",".join(airports), source=source)
                summary = run_day(settings, run.day, kind=run.kind, clock=lambda at=run.clock: at)
                assert summary.state == run.state, (run, summary.state, summary.failed_steps)
        return folder

    def _longest_built_prefix(self, airports: tuple[str, ...], runs: tuple[SimulatedRun, ...]) -> int:
        return max((n for n in range(1, len(runs)) if (airports, runs[:n]) in self._built), default=0)


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
