"""The benchmark's input: N simulated days of raw envelopes, rendered once and reused while nothing changed.

Every contender reads the same files, so they are rendered by flightpipe's own ``collect_board`` (the exact
bytes the pipeline lands) into ``bench/work/<dataset>/raw/``. A manifest beside them records the parameters
and a hash of the simulator's source: a rerun with the same manifest reuses the files (rendering 30 days takes
a while), anything else renders them anew.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
#: First collection day. Fixed so every run measures the same data; the window (from mid-March) crosses the
#: European switch to summer time, which the transform's time-zone handling has to get right.
DEFAULT_START = dt.date(2025, 3, 15)
DEFAULT_SEED = 20240601
RUN_ID = "bench"
#: How long after the last day the boards are "collected": every flight has landed, so boards are final.
AS_OF_LAG = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    days: int
    start: dt.date = DEFAULT_START
    seed: int = DEFAULT_SEED
    airports: tuple[str, ...] = ()
    page_size: int = 100
    scale: float = 1.0

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    @property
    def as_of(self) -> dt.datetime:
        end = self.dates[-1] + AS_OF_LAG
        return dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC)

    @property
    def dirname(self) -> str:
        return f"days{self.days}-{self.start.isoformat()}-seed{self.seed}"

    def manifest_params(self) -> dict[str, Any]:
        """What the files depend on: a change in any of these means the cached files are stale."""
        return {
            "days": self.days,
            "start": self.start.isoformat(),
            "seed": self.seed,
            "airports": list(self.airports),
            "boards": _board_names(),
            "page_size": self.page_size,
            "scale": self.scale,
            "run_id": RUN_ID,
            "as_of": self.as_of.isoformat(),
            "simulator_sha256": _simulator_fingerprint(),
        }


@dataclass(frozen=True, slots=True)
class RawFile:
    key: str
    records: int
    bytes: int


@dataclass(slots=True)
class Workload:
    spec: WorkloadSpec
    root: Path
    files: list[RawFile]
    reused: bool
    render_s: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def raw_keys(self) -> list[str]:
        return [f.key for f in self.files]

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def raw_bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def raw_mb(self) -> float:
        return self.raw_bytes / 1e6


def ensure_workload(spec: WorkloadSpec, work_dir: Path) -> Workload:
    """The raw files of ``spec`` under ``work_dir``: reused when the manifest matches, else rendered."""
    root = work_dir / spec.dirname
    params = spec.manifest_params()
    cached = _read_manifest(root, params)
    if cached is not None:
        return Workload(spec, root, cached, reused=True, params=params)
    # Stale or half-written: start from nothing so no old file is measured by mistake.
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    files = _render(spec, root)
    render_s = time.perf_counter() - started
    manifest = {"params": params, "files": [asdict(f) for f in files]}
    # The manifest is written last: its presence means the files are complete.
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return Workload(spec, root, files, reused=False, render_s=render_s, params=params)


def warm_page_cache(workload: Workload) -> None:
    """Read every raw file once, so no contender pays for a cold disk that the others do not."""
    for key in workload.raw_keys:
        (workload.root / key).read_bytes()


def _read_manifest(root: Path, params: dict[str, Any]) -> list[RawFile] | None:
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("params") != params:
        return None
    files = [RawFile(**f) for f in manifest["files"]]
    if not all((root / f.key).is_file() for f in files):
        return None
    return files


def _render(spec: WorkloadSpec, root: Path) -> list[RawFile]:
    # One task per collection day: the simulator caches a day's flights, so a day's ten boards share the work.
    # The simulator is seeded per flight (not per process or call order), so processes render identical files.
    tasks = [(spec, root, day) for day in spec.dates]
    with ProcessPoolExecutor(max_workers=2) as pool:
        per_day = list(pool.map(_render_day, tasks))
    return sorted((f for day in per_day for f in day), key=lambda f: f.key)


def _render_day(task: tuple[WorkloadSpec, Path, dt.date]) -> list[RawFile]:
    from flightpipe.core.layout import Board
    from flightpipe.core.store import ObjectStore
    from flightpipe.sources.simulated.model import SimulatedSource
    from flightpipe.stages.collect import collect_board

    spec, root, day = task
    store = ObjectStore(str(root))
    source = SimulatedSource(seed=spec.seed, page_size=spec.page_size, scale=spec.scale)
    files = []
    for icao in spec.airports:
        for board in Board:
            result = collect_board(store, source, icao=icao, day=day, board=board, run_id=RUN_ID, as_of=spec.as_of)
            files.append(RawFile(result.raw_key, result.records, result.bytes_written))
    return files


def _board_names() -> list[str]:
    from flightpipe.core.layout import Board

    return [str(b) for b in Board]


def _simulator_fingerprint() -> str:
    """A hash of the code that renders the pages: a changed simulator means different raw files."""
    import flightpipe.core.envelope
    import flightpipe.sources.simulated.model
    import flightpipe.sources.simulated.network

    digest = hashlib.sha256()
    for module in (flightpipe.sources.simulated.model, flightpipe.sources.simulated.network, flightpipe.core.envelope):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]
