"""Simulated data folders built once per test session and copied for each test that needs one.

Many tests need "a data folder where a few simulated days have already run" only as their starting point; running
the whole pipeline again for each of them is most of the suite's time. ``SimulatedStores.copy`` builds a folder
for a given (airports, days) once per session (per xdist worker) with the real runner, then hands each test its
own copy, so a test may change its copy freely.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from flightpipe.config import Settings, load_settings

#: Every template run uses this clock: a run at 06:00 UTC the day after the collection day.
RUN_HOUR = 6


def run_clock(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(RUN_HOUR), tzinfo=dt.UTC)


@dataclass
class SimulatedStores:
    """Templates under ``root``, keyed by the airports and days that were run."""

    root: Path
    _built: dict[tuple[tuple[str, ...], tuple[dt.date, ...]], Path] = field(default_factory=dict)

    def template(self, airports: tuple[str, ...], days: tuple[dt.date, ...]) -> Path:
        key = (airports, days)
        if key not in self._built:
            from flightpipe.pipeline.runner import run_day

            folder = self.root / f"{'-'.join(airports)}_{days[0]:%Y%m%d}_{len(days)}d" / "data"
            settings = load_settings(data_dir=str(folder), airports=",".join(airports))
            for day in days:
                summary = run_day(settings, day, kind="backfill", clock=lambda day=day: run_clock(day))
                assert summary.state == "succeeded", summary.failed_steps
            self._built[key] = folder
        return self._built[key]

    def copy(self, destination: Path, airports: tuple[str, ...], days: tuple[dt.date, ...]) -> Settings:
        """A fresh copy of the template at ``destination`` (the data folder) and settings pointing at it."""
        shutil.copytree(self.template(airports, days), destination)
        return load_settings(data_dir=str(destination), airports=",".join(airports))
