"""Where flightpipe's transform time goes: cProfile over the benchmark's raw files, grouped by pipeline step.

    .venv/bin/python bench/profile_transform.py --days 30       # after bench/run.py rendered those days

The benchmark says how fast; this says why. It prints the cumulative time of the steps of
``transform_raw_object`` (parse, normalise and its parts, Parquet write, store I/O) and the top functions.
cProfile adds overhead per Python call, so the shares matter more than the absolute seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
from pathlib import Path

from workload import WorkloadSpec, ensure_workload

WORK_DIR = Path(__file__).resolve().parent / "work"
#: (module file suffix, function name) of the steps worth naming, in pipeline order.
STEPS = (
    ("flightpipe/stages/transform.py", "transform_raw_object"),
    ("flightpipe/store.py", "get"),
    ("flightpipe/envelope.py", "read_envelope"),
    ("flightpipe/sources/aviationstack.py", "normalise"),
    ("flightpipe/sources/aviationstack.py", "_side"),
    ("flightpipe/sources/aviationstack.py", "_wall_to_utc"),
    ("flightpipe/sources/aviationstack.py", "_zone"),
    ("flightpipe/sources/aviationstack.py", "_first_reason"),
    ("flightpipe/stages/transform.py", "_parquet_bytes"),
    ("flightpipe/store.py", "put"),
)


def profile(days: int, top: int) -> None:
    from flightpipe.core.store import ObjectStore
    from flightpipe.reference.airports import DEFAULT_AIRPORTS
    from flightpipe.stages.transform import transform_raw_object

    workload = ensure_workload(WorkloadSpec(days=days, airports=DEFAULT_AIRPORTS), WORK_DIR)
    out = workload.root / "runs" / "profile"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "raw").symlink_to(workload.root / "raw", target_is_directory=True)
    store = ObjectStore(str(out))

    profiler = cProfile.Profile()
    profiler.enable()
    for key in workload.raw_keys:
        transform_raw_object(store, key)
    profiler.disable()

    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{len(workload.raw_keys)} files, {workload.records:,} records, {total:.2f} s under cProfile\n")
    print(f"{'step':<58} {'calls':>8} {'cum s':>8} {'share':>6}")
    for suffix, name in STEPS:
        for (path, _line, func), (_cc, calls, _tt, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if func == name and path.endswith(suffix):
                print(f"{suffix.split('/')[-1] + ':' + name:<58} {calls:>8} {cum:>8.2f} {cum / total:>6.0%}")
    print()
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--top", type=int, default=15, help="how many functions to list by own time")
    args = parser.parse_args(argv)
    profile(args.days, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
