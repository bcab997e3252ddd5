"""The benchmark's report writer (bench/report.py): the columns and figures it writes to docs/benchmarks.md.

Fed with made-up runs, so these tests take no time; the measuring itself is ``make bench``.
"""

from __future__ import annotations

import importlib
import json
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


def _series(bench: dict[str, ModuleType], name: str, wall_s: float, rss_mb: float = 300.0, **counts: int) -> Any:
    measure = bench["measure"]
    run = measure.RunStats(wall_s=wall_s, cpu_s=wall_s, peak_rss_mb=rss_mb, base_rss_mb=80.0, counts=counts)
    return measure.Series(name, [run])


def _results(bench: dict[str, ModuleType], **extra: Any) -> Any:
    """10 raw files of 1,000 records; process reads 50 MB of Parquet in 2 s, load 20 MB in 4 s."""
    workload = bench["workload"]
    spec = workload.WorkloadSpec(days=1, airports=("EDDF",))
    files = [workload.RawFile(key=f"raw/EDDF/2025-03-15/{i}.json", records=1000, bytes=1_000_000) for i in range(10)]
    typed = {"records": 10_000, "rows_out": 10_000, "schema_matches": 1}
    transform = {
        "flightpipe": _series(bench, "flightpipe transform", 1.0, records=10_000, rows_out=10_000, quarantined=0),
        "duckdb-typed": _series(bench, "DuckDB typed, one statement", 0.5, **typed),
        "pyarrow": _series(bench, "pyarrow typed", 0.8, **typed),
        "naive": _series(bench, "naive pandas", 2.0, records=10_000, rows_out=10_000),
    }
    return bench["report"].Results(
        workload=workload.Workload(spec, Path("/nowhere"), files, reused=True),
        facts={"CPU": "test"},
        repeats=1,
        transform=transform,
        transform_out_mb={"flightpipe": 1.0, "duckdb-typed": 0.5, "pyarrow": 0.5, "naive": 2.0},
        process=_series(bench, "process", 2.0, rows_in=10_000, flights_out=7_000, input_bytes=50_000_000),
        load=_series(bench, "load", 4.0, rows_loaded=7_000, input_bytes=20_000_000),
        **extra,
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


def test_transform_ratios_are_taken_against_duckdb_typed_by_wall_and_by_cpu(bench: dict[str, ModuleType]) -> None:
    report = bench["report"]
    rows = {
        row[0]: dict(zip(report.TRANSFORM_HEADER, row, strict=True)) for row in report.transform_rows(_results(bench))
    }
    assert {name: row["records/s ÷ DuckDB (wall)"] for name, row in rows.items()} == {
        "flightpipe transform": "0.50",
        "DuckDB typed, one statement": "1.00",
        "pyarrow typed": "0.62",
        "naive pandas": "0.25",
    }
    assert rows["flightpipe transform"]["÷ DuckDB (CPU)"] == "0.50"


def test_a_transform_below_the_target_ratio_is_reported_not_met(bench: dict[str, ModuleType]) -> None:
    transform = bench["report"].targets(_results(bench))[0]
    assert (transform.figure, transform.verdict) == (
        "0.50x by wall, 0.50x by CPU (per-file path: the batch path is not on this commit)",
        "**not met**",
    )


def test_the_transform_target_is_judged_on_the_batch_paths_own_row_and_names_it(
    bench: dict[str, ModuleType],
) -> None:
    results = _results(bench)
    results.transform["flightpipe-batch"] = _series(
        bench, "flightpipe batch transform", 0.55, records=10_000, rows_out=10_000, quarantined=0, workers=2
    )
    rows = [row[0] for row in bench["report"].transform_rows(results)]
    transform = bench["report"].targets(results)[0]

    assert rows[1] == "flightpipe batch transform, 2 processes"
    assert (transform.figure, transform.verdict) == (
        "0.91x by wall, 0.91x by CPU (measured: flightpipe batch transform, 2 processes, `TransformWorkers`; the "
        "per-file path in one process: 0.50x by wall, 0.50x by CPU)",
        "met",
    )


@pytest.mark.parametrize(("forked", "label"), [(1, "2 processes (forked)"), (0, "2 processes (spawned)")])
def test_the_batch_row_says_how_its_worker_processes_started(
    bench: dict[str, ModuleType], forked: int, label: str
) -> None:
    results = _results(bench)
    results.transform["flightpipe-batch"] = _series(
        bench, "flightpipe batch transform", 0.55, records=10_000, rows_out=10_000, workers=2, forked=forked
    )

    assert bench["report"].transform_rows(results)[1][0] == f"flightpipe batch transform, {label}"


def test_the_year_is_extrapolated_from_the_measured_days_and_said_so(bench: dict[str, ModuleType]) -> None:
    workload = bench["workload"]
    spec = workload.WorkloadSpec(days=73, airports=("EDDF",))
    files = [workload.RawFile(key="raw/EDDF/2025-03-15/0.json", records=5, bytes=10)]
    year = bench["report"].YearRun(
        workload.Workload(spec, Path("/nowhere"), files, reused=True),
        _series(bench, "flightpipe", 10.0),
        _series(bench, "duckdb", 4.0),
    )
    results = _results(bench, year=year)
    wall = next(t for t in bench["report"].targets(results) if t.what.startswith("a year <= 60 s"))
    assert (wall.figure, wall.verdict) == ("50 s, extrapolated from 73 measured days (10.0 s)", "met")
    assert "**the year columns are that figure x 365/73, an extrapolation, not a measurement**" in bench[
        "report"
    ].markdown(results, "bench/run.py --test")


def test_a_year_measured_several_times_takes_the_median_run_and_says_so(bench: dict[str, ModuleType]) -> None:
    workload = bench["workload"]
    spec = workload.WorkloadSpec(days=73, airports=("EDDF",))
    files = [workload.RawFile(key="raw/EDDF/2025-03-15/0.json", records=5, bytes=10)]
    runs = [_series(bench, "flightpipe", wall).runs[0] for wall in (14.0, 10.0, 11.0)]
    year = bench["report"].YearRun(
        workload.Workload(spec, Path("/nowhere"), files, reused=True),
        bench["measure"].Series("flightpipe", runs),
        _series(bench, "duckdb", 4.0),
    )
    results = _results(bench, year=year)
    wall = next(t for t in bench["report"].targets(results) if t.what.startswith("a year <= 60 s"))
    assert (wall.figure, wall.verdict) == ("55 s, extrapolated from 73 measured days (11.0 s, median of 3 runs)", "met")
    assert "Medians of 3 runs each, interleaved, on 73 days" in bench["report"].markdown(results, "bench/run.py --test")


def _memory_results(
    bench: dict[str, ModuleType], *, reprocess_mb: tuple[float, float], daily_mb: tuple[float, float]
) -> Any:
    """A 30-day and a 90-day reprocess, a daily run after 1 and after 90 days of history, with these peaks."""
    workload = bench["workload"]
    files = [workload.RawFile(key="raw/EDDF/2025-03-15/0.json", records=5, bytes=10)]
    year = bench["report"].YearRun(
        workload.Workload(workload.WorkloadSpec(days=90, airports=("EDDF",)), Path("/nowhere"), files, reused=True),
        _series(bench, "flightpipe", 10.0, rss_mb=reprocess_mb[1]),
        _series(bench, "duckdb", 4.0),
    )
    daily = {"source_ms": 500, "overhead_ms": 1000, "startup_ms": 400, "after_steps_ms": 200}
    results = _results(
        bench,
        year=year,
        raw_to_warehouse={
            "flightpipe": _series(bench, "flightpipe", 3.0, rss_mb=reprocess_mb[0]),
            "duckdb": _series(bench, "duckdb", 2.5),
        },
        daily=_series(bench, "daily", 1.5, rss_mb=daily_mb[0], **daily),
        daily_history=_series(bench, "daily after", 1.6, rss_mb=daily_mb[1], **daily),
    )
    results.workload.spec = workload.WorkloadSpec(days=30, airports=("EDDF",))
    return results


def _target(bench: dict[str, ModuleType], results: Any, starts: str) -> Any:
    return next(t for t in bench["report"].targets(results) if t.what.startswith(starts))


def test_a_years_peak_is_extrapolated_along_the_line_through_the_30_and_90_days_peaks(
    bench: dict[str, ModuleType],
) -> None:
    results = _memory_results(bench, reprocess_mb=(600.0, 720.0), daily_mb=(300.0, 300.0))

    target = _target(bench, results, "a year <= 2 GB")

    assert (target.figure, target.verdict) == (
        "1,270 MB extrapolated: 720 MB over 90 days, 600 MB over 30, so 2.0 MB a day more, carried on to 365 days "
        "(an upper bound where memory levels off)",
        "met",
    )


def test_memory_is_flat_in_the_days_when_neither_reprocess_nor_the_daily_run_grows_past_the_bound(
    bench: dict[str, ModuleType],
) -> None:
    flat = _target(bench, _memory_results(bench, reprocess_mb=(600.0, 720.0), daily_mb=(300.0, 310.0)), "memory flat")
    grows = _target(bench, _memory_results(bench, reprocess_mb=(600.0, 720.0), daily_mb=(300.0, 400.0)), "memory flat")

    assert (flat.figure, flat.verdict) == (
        "reprocess 1.20x (600 MB for 30 days, 720 MB for 90); daily run 1.03x (300 MB after 1 day of history, "
        "310 MB after 90)",
        "met",
    )
    assert (grows.verdict, grows.figure.endswith("1.33x (300 MB after 1 day of history, 400 MB after 90)")) == (
        "**not met**",
        True,
    )


def test_the_daily_run_after_history_has_its_own_row(bench: dict[str, ModuleType]) -> None:
    results = _memory_results(bench, reprocess_mb=(600.0, 720.0), daily_mb=(300.0, 310.0))

    rows = bench["report"].daily_rows(results)

    assert [(row[0], row[-1]) for row in rows] == [
        ("flightpipe run (simulated source)", "300"),
        ("flightpipe run after 90 days of history", "310"),
    ]


def _log(*lines: tuple[str, str, str | None, float | None]) -> str:
    """A run's JSON log: (seconds of 2026-01-01 00:00, message, step, the line's duration_s) per line."""
    return "\n".join(
        json.dumps(
            {"time": f"2026-01-01T00:00:{at}Z", "message": message, "step": step}
            | ({"data": {"duration_s": duration}} if duration is not None else {})
        )
        for at, message, step, duration in lines
    )


def test_the_daily_overhead_is_the_wall_time_minus_the_source_span_from_the_log(bench: dict[str, ModuleType]) -> None:
    daily, measure = importlib.import_module("daily"), bench["measure"]
    log = _log(
        ("01.000", "run started for 2025-03-20", None, None),
        ("02.000", "step succeeded", "collect EDDF/departures", 0.5),
        ("02.250", "step succeeded", "collect EDDF/arrivals", 0.5),
        ("03.000", "step succeeded", "load 2025-03-20", 0.1),
        ("05.000", "run succeeded for 2025-03-20 in 4 s", None, None),
    )
    run = measure.CommandRun(wall_s=6.0, cpu_s=3.0, peak_rss_mb=300.0, returncode=0, stdout="", stderr=log)
    started = daily.log_times(log)["run_started"] - 0.5

    stats = daily.daily_stats(run, started)

    assert stats.counts == {"source_ms": 750, "overhead_ms": 5250, "startup_ms": 500, "after_steps_ms": 2000}


def test_opening_the_source_is_the_source_s_own_time_and_the_target_is_judged_beyond_it(
    bench: dict[str, ModuleType],
) -> None:
    daily, measure = importlib.import_module("daily"), bench["measure"]
    log = _log(
        ("01.000", "run started for 2025-03-20", None, None),
        ("01.200", "source opened", None, 0.25),
        ("02.000", "step succeeded", "collect EDDF/departures", 0.5),
        ("05.000", "run succeeded for 2025-03-20 in 4 s", None, None),
    )
    run = measure.CommandRun(wall_s=2.0, cpu_s=2.0, peak_rss_mb=300.0, returncode=0, stdout="", stderr=log)

    stats = daily.daily_stats(run, daily.log_times(log)["run_started"] - 0.5)
    results = _memory_results(bench, reprocess_mb=(600.0, 720.0), daily_mb=(300.0, 300.0))
    results.daily = _series(bench, "daily", 2.0, rss_mb=300.0, **stats.counts)
    target = _target(bench, results, "daily run")

    assert (stats.counts["source_ms"], stats.counts["source_open_ms"], stats.counts["beyond_source_ms"]) == (
        500,
        250,
        1250,
    )
    assert stats.counts["overhead_ms"] == 1500
    assert (target.figure, target.verdict) == (
        "1.25 s (medians of 1: wall 2.00 s - collect span 0.50 s - opening the simulated source 0.25 s; "
        "1.50 s beyond the collect span alone)",
        "met",
    )


def test_the_daily_run_s_report_time_is_read_from_its_log_line(bench: dict[str, ModuleType]) -> None:
    daily = importlib.import_module("daily")
    log = (
        '{"time": "2026-01-01T00:00:04.000Z", "message": "report written", "step": null, "data": {"duration_s": 0.25}}'
    )
    assert daily.log_times(log)["report_s"] == 0.25


def test_the_daily_run_s_source_opening_time_is_read_from_its_log_line(bench: dict[str, ModuleType]) -> None:
    daily = importlib.import_module("daily")
    log = '{"time": "2026-01-01T00:00:01.500Z", "message": "source opened", "step": null, "data": {"duration_s": 0.3}}'
    assert daily.log_times(log)["source_open_s"] == 0.3


def test_raw_to_warehouse_phases_are_set_beside_duckdbs_statements_with_their_ratio(
    bench: dict[str, ModuleType],
) -> None:
    measure, report = bench["measure"], bench["report"]

    def series(name: str, **phases: float) -> Any:
        return measure.Series(name, [measure.RunStats(5.0, 5.0, 300.0, 80.0, {}, phases)])

    mine = series("flightpipe", transform=2.0, process=1.0, quality=0.5, load=0.3)
    duck = series("duckdb", transform=1.0, process=2.0, load=0.6)
    rows = report.phase_rows(_results(bench, raw_to_warehouse={"flightpipe": mine, "duckdb": duck}))

    assert [row[1:] for row in rows] == [
        ["2.00", "1.00", "2.00"],
        ["1.00", "2.00", "0.50"],
        ["0.50", "-", "-"],
        ["0.30", "0.60", "0.50"],
    ]
    assert report.phase_rows(_results(bench)) == []  # nothing measured, no table


def test_a_ratio_that_rounds_to_the_target_is_shown_with_the_digit_that_decides_it(
    bench: dict[str, ModuleType],
) -> None:
    ratio = bench["report"]._ratio

    assert (ratio(1.503, 1.5), ratio(1.497, 1.5), ratio(1.46, 1.5), ratio(1.5, 1.5)) == (
        "1.503",
        "1.497",
        "1.46",
        "1.50",
    )
