"""The benchmark's report writer (bench/report.py): the columns and figures it writes to docs/benchmarks.md.

Fed with made-up runs, so these tests take no time; the measuring itself is ``make bench``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    """bench/'s modules, imported as ``bench/run.py`` imports them (the folder on sys.path)."""
    monkeypatch.syspath_prepend(str(BENCH))
    return {name: importlib.import_module(name) for name in ("measure", "report", "workload")}


def _series(bench: dict[str, ModuleType], name: str, wall_s: float, **counts: int) -> Any:
    measure = bench["measure"]
    run = measure.RunStats(wall_s=wall_s, cpu_s=wall_s, peak_rss_mb=300.0, base_rss_mb=80.0, counts=counts)
    return measure.Series(name, [run])


def _results(bench: dict[str, ModuleType], references: bool = False) -> Any:
    """10 raw files of 1,000 records; process reads 50 MB of Parquet in 2 s, load 20 MB in 4 s."""
    workload = bench["workload"]
    spec = workload.WorkloadSpec(days=1, airports=("EDDF",))
    files = [workload.RawFile(key=f"raw/EDDF/2025-03-15/{i}.json", records=1000, bytes=1_000_000) for i in range(10)]
    transform = {
        "flightpipe": _series(bench, "flightpipe transform", 1.0, records=10_000, rows_out=10_000, quarantined=0),
        "naive": _series(bench, "naive pandas", 2.0, records=10_000, rows_out=10_000),
        "duckdb": _series(bench, "DuckDB plain", 2.5, files=10),
    }
    refs = {}
    if references:
        refs = {
            "envelopes-one-call": _series(bench, "one call", 0.5, files=10, calls=1),
            "flat-per-file": _series(bench, "flat per file", 2.0, files=10, calls=10),
            "flat-one-file": _series(bench, "flat one file", 0.25, files=1, calls=1),
        }
    return bench["report"].Results(
        workload=workload.Workload(spec, Path("/nowhere"), files, reused=True),
        facts={"CPU": "test"},
        repeats=1,
        transform=transform,
        transform_out_mb={"flightpipe": 1.0, "naive": 2.0, "duckdb": 3.0},
        process=_series(bench, "process", 2.0, rows_in=10_000, flights_out=7_000, input_bytes=50_000_000),
        load=_series(bench, "load", 4.0, rows_loaded=7_000, input_bytes=20_000_000),
        references=refs,
    )


def test_process_and_load_rows_give_mb_per_second_of_the_parquet_they_read(bench: dict[str, ModuleType]) -> None:
    report = bench["report"]
    rows = {row[0]: dict(zip(report.STAGE_HEADER, row, strict=True)) for row in report.stage_rows(_results(bench))}
    assert {k: rows["process"][k] for k in ("rows/s", "Parquet in MB", "MB/s (Parquet in)", "peak RSS MB")} == {
        "rows/s": "5,000",
        "Parquet in MB": "50.0",
        "MB/s (Parquet in)": "25.0",
        "peak RSS MB": "300",
    }
    assert {k: rows["load"][k] for k in ("rows/s", "Parquet in MB", "MB/s (Parquet in)", "peak RSS MB")} == {
        "rows/s": "1,750",
        "Parquet in MB": "20.0",
        "MB/s (Parquet in)": "5.0",
        "peak RSS MB": "300",
    }


def test_the_markdown_stage_table_has_the_mb_per_second_column_and_says_what_bytes(
    bench: dict[str, ModuleType],
) -> None:
    text = bench["report"].markdown(_results(bench), "bench/run.py --test")
    assert (
        "| stage | runs | wall s | wall min-max | rows in | rows/s | Parquet in MB | MB/s (Parquet in) | out | CPU s |"
        " peak RSS MB |"
    ) in text
    assert "| process | 1 | 2.00 | 2.00-2.00 | 10,000 | 5,000 | 50.0 | 25.0 | 7,000 flights | 2.00 | 300 |" in text
    assert "| load | 1 | 4.00 | 4.00-4.00 | 7,000 | 1,750 | 20.0 | 5.0 | 7,000 fact rows | 4.00 | 300 |" in text
    assert "MB/s the\nbytes of the Parquet files the stage reads" in text


def test_the_markdown_sets_duckdb_plain_beside_its_references_on_the_same_records(
    bench: dict[str, ModuleType],
) -> None:
    text = bench["report"].markdown(_results(bench, references=True), "bench/run.py --test")
    assert "## Why DuckDB plain is far below DESIGN.md's 135,000 records/s" in text
    assert "| envelopes, one file each (DuckDB plain above) | 10 | 10 | 1 | 2.50 | 4,000 |" in text
    assert "| envelopes, all files in one read_json call | 10 | 1 | 1 | 0.50 | 20,000 |" in text
    assert "| records as flat NDJSON, one file per envelope | 10 | 10 | 1 | 2.00 | 5,000 |" in text
    assert "| records as flat NDJSON, one file | 1 | 1 | 1 | 0.25 | 40,000 |" in text
    assert "Here the bigger factor is the number of read_json calls." in text
    assert "is about 200 ms: 80% of DuckDB plain's wall time" in text


def test_without_references_the_markdown_has_no_duckdb_explanation(bench: dict[str, ModuleType]) -> None:
    assert "## Why DuckDB plain" not in bench["report"].markdown(_results(bench), "bench/run.py --test")
