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
#: Wall seconds per phase a task reports besides its counts (raw -> warehouse), printed with them.
PHASES: dict[str, float] = {}


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


def transform_flightpipe_batch(job: dict[str, Any]) -> Callable[[], Counts]:
    """flightpipe's batch transform, as reprocess calls it: the raw keys by collection day (one batch a day),
    ``TransformWorkers`` (one process per core, the calling one included), each running vectorised passes over
    many files. Starting the worker processes is inside the timed region: a range pays it every time."""
    from flightpipe.core.layout import RawKey
    from flightpipe.quality.settings import QualitySettings
    from flightpipe.stages.transform_batch import Batch, TransformWorkers, default_workers

    by_day: dict[str, list[str]] = {}
    for key in job["keys"]:
        by_day.setdefault(RawKey.parse(key).collection_date.isoformat(), []).append(key)
    batches = [Batch(day, tuple(keys)) for day, keys in sorted(by_day.items())]
    rule_configs = QualitySettings().rule_configs()
    workers = default_workers()

    def work() -> Counts:
        records = rows = quarantined = errors = 0
        with TransformWorkers(job["out"], rule_configs, workers) as pool:
            for outcome in pool.run(batches):
                records += sum(r.records_in for r in outcome.results)
                rows += sum(r.rows_out for r in outcome.results)
                quarantined += sum(r.quarantined for r in outcome.results)
                errors += len(outcome.errors)
        # How its workers started (forked or spawned: stages/transform_batch.py), for the report to say.
        forked = int(pool.method == "fork")
        return {
            "records": records,
            "rows_out": rows,
            "quarantined": quarantined,
            "errors": errors,
            "workers": workers,
            "forked": forked,
        }

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


def transform_duckdb_typed(job: dict[str, Any]) -> Callable[[], Counts]:
    """DuckDB in one statement over every raw file: flightpipe's typed columns, UTC included (alternatives.py)."""
    import duckdb

    from alternatives import typed_select

    raw_root, out, keys = Path(job["raw_root"]), Path(job["out"]), job["keys"]
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    target = out / "transformed.parquet"

    def work() -> Counts:
        con.execute(f"COPY ({typed_select(raw_root, keys)}) TO {_sql_text(target)} (FORMAT parquet)")
        return {
            "records": _parquet_rows(target),
            "rows_out": _parquet_rows(target),
            "schema_matches": _schema_ok(target),
        }

    return work


def transform_pyarrow_typed(job: dict[str, Any]) -> Callable[[], Counts]:
    """pyarrow alone, the mapping flightpipe already has: pyarrow's JSON reader with the explicit record type
    (``read_envelope``) and the vectorised aviationstack normaliser, per file; every file's rows concatenated
    and written as one Parquet file. No store, no quality rules, no quarantine, no per-file output."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from flightpipe.core.envelope import read_envelope
    from flightpipe.core.layout import RawKey
    from flightpipe.core.schema import TRANSFORMED_SCHEMA
    from flightpipe.sources.aviationstack.normalise import RECORD_TYPE, normalise
    from flightpipe.sources.normalising import BoardContext

    raw_root, out, keys = Path(job["raw_root"]), Path(job["out"]), job["keys"]
    out.mkdir(parents=True, exist_ok=True)
    target = out / "transformed.parquet"

    def work() -> Counts:
        tables = []
        for key in keys:
            raw = RawKey.parse(key)
            parsed = read_envelope((raw_root / key).read_bytes(), RECORD_TYPE, "data")
            ctx = BoardContext(
                source=parsed.meta.source,
                board=str(raw.board),
                board_airport_icao=raw.icao,
                collected_at_utc=parsed.meta.fetched_at,
                raw_key=key,
                run_id=raw.run_id,
            )
            normalised = normalise(parsed.records, ctx)
            kept = np.ones(len(parsed.records), dtype=bool)
            kept[normalised.rejected_index.to_numpy(zero_copy_only=False)] = False
            rows = normalised.rows
            index = pa.array(parsed.ordinals()[kept], pa.int32())
            tables.append(rows.append_column("raw_record_index", index).cast(TRANSFORMED_SCHEMA))
        pq.write_table(pa.concat_tables(tables), target)
        rows_out = _parquet_rows(target)
        return {"records": rows_out, "rows_out": rows_out, "schema_matches": _schema_ok(target)}

    return work


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _schema_ok(path: Path) -> int:
    """1 when the file has TRANSFORMED_SCHEMA's names and types, in order (nullability aside)."""
    import pyarrow.parquet as pq

    from flightpipe.core.schema import TRANSFORMED_SCHEMA

    schema = pq.read_schema(path)
    return int([(f.name, f.type) for f in schema] == [(f.name, f.type) for f in TRANSFORMED_SCHEMA])


def duckdb_three_statements(job: dict[str, Any]) -> Callable[[], Counts]:
    """Raw -> warehouse in DuckDB: (1) the typed transform into a table, (2) the project's own process SQL,
    (3) the fact tables; one warehouse file on disk, DuckDB's own threads."""
    import duckdb

    from alternatives import FACT_TABLES_SQL, process_sql, typed_select

    raw_root, keys, path = Path(job["raw_root"]), job["keys"], Path(job["warehouse"])
    dates = ", ".join(f"DATE '{d}'" for d in job["dates"])

    def work() -> Counts:
        con = duckdb.connect(str(path))
        try:
            started = time.perf_counter()
            con.execute(f"CREATE TABLE transformed_rows AS {typed_select(raw_root, keys)}")
            PHASES["transform"] = time.perf_counter() - started
            con.execute(f"CREATE TABLE processed AS SELECT * FROM ({process_sql()}) WHERE flight_date IN ({dates})")
            PHASES["process"] = time.perf_counter() - started - PHASES["transform"]
            con.execute(FACT_TABLES_SQL)
            PHASES["load"] = time.perf_counter() - started - PHASES["transform"] - PHASES["process"]
            counts = {
                "records": _count(con, "transformed_rows"),
                "flights": _count(con, "fact_flights"),
                "codeshares": _count(con, "flight_codeshares"),
            }
        finally:
            con.close()
        return counts

    return work


def _count(con: Any, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def flightpipe_raw_to_warehouse(job: dict[str, Any]) -> Callable[[], Counts]:
    """flightpipe from raw to warehouse without API calls: ``reprocess_range`` when this commit has it
    (issue 17's batch path), else its stage functions in a row (transform per file, process, load)."""
    import importlib.util

    from flightpipe.core.store import ObjectStore

    first, last = dt.date.fromisoformat(job["dates"][0]), dt.date.fromisoformat(job["dates"][-1])
    if job.get("reprocess") and importlib.util.find_spec("flightpipe.pipeline.reprocess") is not None:
        from flightpipe.config import Settings
        from flightpipe.pipeline.reprocess import reprocess_range  # type: ignore[import-not-found,unused-ignore]

        settings = Settings(data_dir=job["store"], airports=job["airports"])

        def work_reprocess() -> Counts:
            # No report: the alternatives write none, and a range's report is one call after the load.
            result = reprocess_range(settings, first, last, report=False)
            PHASES.update(getattr(result, "phases", {}))
            return {"records": result.records_in, "flights": sum(result.flights.values())}

        return work_reprocess

    from flightpipe.stages.load import load_flight_date
    from flightpipe.stages.process import process_flight_dates
    from flightpipe.stages.transform import transform_raw_object
    from flightpipe.warehouse.duckdb.adapter import DuckDBWarehouse

    store = ObjectStore(job["store"])
    dates = [dt.date.fromisoformat(d) for d in job["dates"]]

    def work() -> Counts:
        records = sum(transform_raw_object(store, key).records_in for key in job["keys"])
        processed = process_flight_dates(store, dates)
        warehouse = DuckDBWarehouse(Path(job["warehouse"]))
        try:
            loaded = [load_flight_date(store, warehouse, d, run_id="bench") for d in dates]
        finally:
            warehouse.close()
        return {
            "records": records,
            "flights": sum(p.flights_out for p in processed),
            "rows_loaded": sum(r.rows_loaded for r in loaded),
        }

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
    "transform-flightpipe-batch": transform_flightpipe_batch,
    "transform-naive": transform_naive,
    "transform-duckdb-typed": transform_duckdb_typed,
    "transform-pyarrow-typed": transform_pyarrow_typed,
    "duckdb-three-statements": duckdb_three_statements,
    "flightpipe-raw-to-warehouse": flightpipe_raw_to_warehouse,
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
    # Children too: reprocess transforms in worker processes (reaped when its pool closes), whose CPU is its cost.
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


#: Tasks that run flightpipe's or pyarrow's code without pandas. pyarrow imports pandas the first time it converts
#: a Python value, only to ask whether it is a pandas object; flightpipe's command line keeps it from doing so
#: (core/pandas_probe.py), and these tasks are set up the same way. The import would otherwise fall inside the
#: timed region, 0.2 to 0.3 s of a library import the region leaves out for every contender (see above).
WITHOUT_PANDAS = frozenset(
    {
        "transform-flightpipe",
        "transform-flightpipe-batch",
        "transform-pyarrow-typed",
        "flightpipe-raw-to-warehouse",
        "process",
        "load",
    }
)


def measure(job: dict[str, Any]) -> dict[str, Any]:
    if job["task"] in WITHOUT_PANDAS:
        from flightpipe.core.pandas_probe import skip_pyarrow_pandas_probe

        skip_pyarrow_pandas_probe()
    work = TASKS[job["task"]](job)
    base_rss = _rss_now_mb()
    cpu_before = _cpu_s()
    started = time.perf_counter()
    counts = work()
    wall = time.perf_counter() - started
    cpu = _cpu_s() - cpu_before
    # Linux reports ru_maxrss in KiB; it is the peak of this whole process, imports included, plus the peak of
    # its largest worker process if it had any (an upper bound: the two peaks need not coincide).
    peak_rss = sum(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    peak_rss /= 1024
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": peak_rss,
        "base_rss_mb": base_rss,
        "counts": counts,
        "phases": PHASES,
    }


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(measure(job)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
