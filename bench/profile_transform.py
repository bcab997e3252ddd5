"""Where flightpipe's transform time goes: cProfile over the benchmark's raw files, grouped by pipeline step.

    .venv/bin/python bench/profile_transform.py --days 30              # the per-file path, file by file
    .venv/bin/python bench/profile_transform.py --days 30 --pass-files 50   # the batch path's vectorised passes

The benchmark says how fast; this says why. It prints the cumulative time of the steps of the transform
(``transform_raw_objects``: parse, normalise and its parts, record rules, Parquet write, store I/O) and the top
functions, in one process (the batch path's worker processes each run such passes). cProfile adds overhead per
Python call, so the shares matter more than the absolute seconds.
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
    ("flightpipe/stages/transform.py", "transform_raw_objects"),
    ("flightpipe/core/store.py", "get"),
    ("flightpipe/core/envelope.py", "read_envelope"),
    ("flightpipe/core/envelope.py", "_read_fast"),
    ("flightpipe/core/envelope.py", "valid_utf8"),
    ("flightpipe/sources/aviationstack/normalise.py", "normalise"),
    ("flightpipe/sources/aviationstack/normalise.py", "_side"),
    ("flightpipe/sources/aviationstack/normalise.py", "_walls_to_utc"),
    ("flightpipe/sources/normalising.py", "utc_offset_minutes"),
    ("flightpipe/sources/normalising.py", "assemble"),
    ("flightpipe/sources/normalising.py", "first_reason"),
    ("flightpipe/stages/transform.py", "_check_guarded"),
    ("flightpipe/sources/codeshares.py", "with_orphaned_codeshares"),
    ("flightpipe/stages/transform.py", "_write_file"),
    ("flightpipe/stages/transform.py", "_parquet_bytes"),
    ("flightpipe/core/store.py", "put"),
)


def profile(days: int, top: int, pass_files: int) -> None:
    from flightpipe.core.store import ObjectStore
    from flightpipe.reference.airports import DEFAULT_AIRPORTS
    from flightpipe.stages.transform import transform_raw_objects

    workload = ensure_workload(WorkloadSpec(days=days, airports=DEFAULT_AIRPORTS), WORK_DIR)
    out = workload.root / "runs" / "profile"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "raw").symlink_to(workload.root / "raw", target_is_directory=True)
    store = ObjectStore(str(out))

    profiler = cProfile.Profile()
    profiler.enable()
    keys = workload.raw_keys
    for start in range(0, len(keys), pass_files):
        transform_raw_objects(store, keys[start : start + pass_files])
    profiler.disable()

    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{len(keys)} files in passes of {pass_files}, {workload.records:,} records, {total:.2f} s under cProfile\n")
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
    parser.add_argument(
        "--pass-files", type=int, default=1, help="raw files per vectorised pass (1: the per-file path; default 1)"
    )
    args = parser.parse_args(argv)
    profile(args.days, args.top, max(1, args.pass_files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
