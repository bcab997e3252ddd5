"""One measured run, in a fresh process: ``python bench/child.py JOB.json`` prints one JSON line of figures.

A fresh process per run makes ``ru_maxrss`` (peak resident memory) belong to that one contender, and each task
imports only what it needs, so pandas' memory is not charged to flightpipe. The timed region is the work
itself: interpreter start-up and library imports are outside it (they are the same for every run of a
contender and say nothing about throughput), one-time caches inside the library are inside it.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Counts = dict[str, int]


def transform_flightpipe(job: dict[str, Any]) -> Callable[[], Counts]:
    """flightpipe's transform stage, one raw key at a time, as the S3-event worker calls it."""
    from flightpipe.core.store import ObjectStore
    from flightpipe.stages.transform import transform_raw_object

    # The parent linked <out>/raw to the shared raw files, so the stage reads and writes one store as in production.
    store = ObjectStore(job["out"])
    keys: list[str] = job["keys"]

    def work() -> Counts:
        records = rows = quarantined = 0
        for key in keys:
            result = transform_raw_object(store, key)
            records += result.records_in
            rows += result.rows_out
            quarantined += result.quarantined
        return {"records": records, "rows_out": rows, "quarantined": quarantined}

    return work


def transform_naive(job: dict[str, Any]) -> Callable[[], Counts]:
    """The baseline many first versions start from: json.load, pandas.json_normalize, to_parquet."""
    import pandas as pd

    raw_root, out, keys = Path(job["raw_root"]), Path(job["out"]), job["keys"]

    def work() -> Counts:
        records = 0
        for key in keys:
            with open(raw_root / key, "rb") as handle:
                body = json.load(handle)
            frame = pd.json_normalize([record for page in body["pages"] for record in page["data"]])
            target = _parquet_path(out, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(target, engine="pyarrow")
            records += len(frame)
        return {"records": records, "rows_out": records}

    return work


def transform_duckdb(job: dict[str, Any]) -> Callable[[], Counts]:
    """DuckDB's plain conversion: read_json of the whole envelope to Parquet, no unnesting, no typing."""
    import duckdb

    raw_root, out, keys = Path(job["raw_root"]), Path(job["out"]), job["keys"]
    con = duckdb.connect(":memory:")

    def work() -> Counts:
        for key in keys:
            target = _parquet_path(out, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"COPY (SELECT * FROM read_json({_sql_text(raw_root / key)})) TO {_sql_text(target)} (FORMAT parquet)"
            )
        # It writes one row per envelope; the records inside are counted from the manifest by the parent.
        return {"files": len(keys)}

    return work


def reference_duckdb(job: dict[str, Any]) -> Callable[[], Counts]:
    """DuckDB read_json to Parquet on other shapes of the same records: where its time goes (see report.py)."""
    import duckdb

    inputs = [Path(p) for p in job["inputs"]]
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")

    def work() -> Counts:
        if job["one_call"]:
            files = "[" + ", ".join(_sql_text(p) for p in inputs) + "]"
            con.execute(f"COPY (SELECT * FROM read_json({files})) TO {_sql_text(out / 'all.parquet')} (FORMAT parquet)")
            return {"files": len(inputs), "calls": 1}
        for i, path in enumerate(inputs):
            target = out / f"{i}.parquet"
            con.execute(f"COPY (SELECT * FROM read_json({_sql_text(path)})) TO {_sql_text(target)} (FORMAT parquet)")
        return {"files": len(inputs), "calls": len(inputs)}

    return work


def process(job: dict[str, Any]) -> Callable[[], Counts]:
    from flightpipe.core.store import ObjectStore
    from flightpipe.stages.process import process_flight_dates, transformed_keys

    store = ObjectStore(job["store"])
    dates = [dt.date.fromisoformat(d) for d in job["dates"]]
    # Sized before the timed region: the transformed Parquet files the stage will read for these flight dates.
    input_bytes = _stored_bytes(store, transformed_keys(store, dates))

    def work() -> Counts:
        results = process_flight_dates(store, dates)
        return {
            "rows_in": sum(r.rows_in for r in results),
            "flights_out": sum(r.flights_out for r in results),
            "partitions": len(results),
            "input_bytes": input_bytes,
        }

    return work


def load(job: dict[str, Any]) -> Callable[[], Counts]:
    from flightpipe.core.layout import processed_partition
    from flightpipe.core.store import ObjectStore
    from flightpipe.stages.load import load_flight_date
    from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse

    store = ObjectStore(job["store"])
    dates = [dt.date.fromisoformat(d) for d in job["dates"]]
    path = Path(job["warehouse"])
    # Sized before the timed region: the processed partitions (Parquet) the stage will read, one per flight date.
    partitions = [k for d in dates for k in store.list(processed_partition(d)) if k.endswith(".parquet")]
    input_bytes = _stored_bytes(store, partitions)

    def work() -> Counts:
        # Opening and closing (the final checkpoint to disk) are part of loading a fresh warehouse.
        warehouse = DuckDBWarehouse(path)
        try:
            results = [load_flight_date(store, warehouse, d, run_id="bench") for d in dates]
        finally:
            warehouse.close()
        return {
            "rows_loaded": sum(r.rows_loaded for r in results),
            "codeshares": sum(r.codeshares_loaded for r in results),
            "input_bytes": input_bytes,
        }

    return work


TASKS: dict[str, Callable[[dict[str, Any]], Callable[[], Counts]]] = {
    "transform-flightpipe": transform_flightpipe,
    "transform-naive": transform_naive,
    "transform-duckdb": transform_duckdb,
    "reference-duckdb": reference_duckdb,
    "process": process,
    "load": load,
}


def _parquet_path(out: Path, raw_key: str) -> Path:
    """The same layout flightpipe writes (transformed/<ICAO>/<date>/<board>-<run>.parquet), for comparable folders."""
    return out / "transformed" / (raw_key.removeprefix("raw/").removesuffix(".json") + ".parquet")


def _stored_bytes(store: Any, keys: list[str]) -> int:
    """Bytes on disk of ``keys`` in a local ``ObjectStore``: the input a stage's MB/s is measured against."""
    return sum(store.local_path(key).stat().st_size for key in keys)


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _rss_now_mb() -> float:
    """Current resident memory, to show how much of the peak is the interpreter and its libraries."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(job: dict[str, Any]) -> dict[str, Any]:
    work = TASKS[job["task"]](job)
    base_rss = _rss_now_mb()
    cpu_before = _cpu_s()
    started = time.perf_counter()
    counts = work()
    wall = time.perf_counter() - started
    cpu = _cpu_s() - cpu_before
    # Linux reports ru_maxrss in KiB; it is the peak of this whole process, imports included.
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_rss, "base_rss_mb": base_rss, "counts": counts}


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(measure(job)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
