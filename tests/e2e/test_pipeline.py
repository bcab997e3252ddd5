"""End to end on the simulated source: ground truth, idempotence, crash recovery, accounting."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from filelock import FileLock

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import LockBusy
from flightpipe.core.layout import Board
from flightpipe.core.schema import LINEAGE_COLUMNS, PROCESSED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.runner import run_day
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.simulated.model import SimulatedSource, expected_processed_rows
from flightpipe.stages.process import processed_flight_dates, read_partition
from flightpipe.state.store import StateStore
from tests.helpers.warehouse_snapshot import warehouse_snapshot

FIRST = dt.date(2026, 6, 8)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(7)]
LONG_AFTER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)
BUSINESS_COLUMNS = [c for c in PROCESSED_SCHEMA.names if c not in LINEAGE_COLUMNS]


def _clock(when: dt.datetime = LONG_AFTER) -> Any:
    return lambda: when


def _settings(data_dir: Path, airports: str | None = None) -> Settings:
    return load_settings(data_dir=str(data_dir), airports=airports)


def _processed_rows(store: ObjectStore) -> list[dict[str, Any]]:
    rows = []
    for day in processed_flight_dates(store):
        rows.extend(read_partition(store, day).select(BUSINESS_COLUMNS).to_pylist())
    return sorted(rows, key=_key)


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["flight_date"].isoformat(), row["flight_iata"] or "", row["dep_airport_icao"])


@pytest.mark.slow
def test_seven_days_of_five_airports_equal_the_simulated_ground_truth(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    for day in DAYS:
        summary = run_day(settings, day, clock=_clock())
        assert summary.state == "succeeded", summary.failed_steps
    truth = expected_processed_rows(
        SimulatedSource(seed=settings.source.seed),
        settings.airports,
        [Board.DEPARTURES, Board.ARRIVALS],
        DAYS,
        LONG_AFTER,
    )
    truth_rows = sorted(({k: row[k] for k in BUSINESS_COLUMNS} for row in truth), key=_key)
    processed = _processed_rows(ObjectStore(settings.data_dir))
    assert len(processed) == len(truth_rows)
    # Every physical flight exactly once, and no codeshare counted as a flight.
    assert len({_key(r) for r in processed}) == len(processed)
    for got, want in zip(processed, truth_rows, strict=True):
        assert got == want, (_key(got), {k: (got[k], want[k]) for k in got if got[k] != want[k]})


@pytest.mark.slow
def test_running_the_same_day_twice_leaves_the_warehouse_identical(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDF,EDDM,EDDH")
    run_day(settings, DAYS[0], clock=_clock())
    first = warehouse_snapshot(settings)
    second_run = run_day(settings, DAYS[0], clock=_clock(LONG_AFTER + dt.timedelta(hours=5)))
    assert second_run.state == "succeeded"
    assert warehouse_snapshot(settings) == first
    assert sum(len(v) for v in first.values()) > 1000


def test_every_raw_record_is_transformed_or_quarantined(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH,EDDL")

    class Defective:
        """The simulated source with three broken records per board: a missing date, a bad time, a wrong shape."""

        name, format = "simulated", "aviationstack"

        def __init__(self) -> None:
            self.inner = SimulatedSource(seed=settings.source.seed)

        def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
            fetched = self.inner.fetch_board(icao, day, board, as_of=as_of)
            data = fetched.pages[0]["data"]
            data[0]["flight_date"] = None
            data[1]["departure"]["scheduled"] = "soon"
            data[2]["arrival"] = ["not", "an", "object"]
            return fetched

    summary = run_day(settings, DAYS[0], clock=_clock(), source=Defective())
    store = ObjectStore(settings.data_dir)
    raw_records = sum(len(page["data"]) for key in store.list("raw/") for page in json.loads(store.get(key))["pages"])
    transformed = sum(pq.read_metadata(store.local_path(k)).num_rows for k in store.list("transformed/"))
    quarantined = sum(len(store.get(k).splitlines()) for k in store.list("quarantine/"))
    assert quarantined == 3 * 4
    assert raw_records == transformed + quarantined
    assert (summary.records_collected, summary.rows_transformed, summary.records_quarantined) == (
        raw_records,
        transformed,
        quarantined,
    )


def test_a_corrupt_raw_file_is_quarantined_while_the_rest_of_the_day_loads(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH,EDDL")
    store = ObjectStore(settings.data_dir)
    broken = f"raw/EDDH/{DAYS[0]}/arrivals-20260609T000000Z-dead00.json"
    store.put(broken, b'{"envelope_version":1,"source":"simulated","format":"aviationstack","pages":[{"da')
    summary = run_day(settings, DAYS[0], clock=_clock())
    assert summary.state == "succeeded"
    assert summary.corrupt_files == [broken]
    assert summary.rows_loaded > 0
    entry = json.loads(store.get(broken.replace("raw/", "quarantine/").replace(".json", ".jsonl")))
    assert entry["reason"].startswith("corrupt raw file: raw file is not valid JSON")


def test_transform_starts_as_raw_files_land_not_after_all_collection(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH")
    first_transform_done = threading.Event()

    class HoldsLastBoard:
        name, format = "simulated", "aviationstack"

        def __init__(self) -> None:
            self.inner = SimulatedSource(seed=1)

        def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
            if board == Board.ARRIVALS:
                # If transform waited for all collection, this would time out.
                assert first_transform_done.wait(timeout=20), "no transform ran while a board was still collecting"
            return self.inner.fetch_board(icao, day, board, as_of=as_of)

    class Observer:
        def stage_total(self, stage: str, total: int) -> None:
            pass

        def step_done(self, stage: str, target: str, ok: bool) -> None:
            if stage == "transform":
                first_transform_done.set()

    summary = run_day(settings, DAYS[0], clock=_clock(), source=HoldsLastBoard(), observer=Observer())
    assert summary.state == "succeeded" and summary.raw_files == 2


def test_a_second_run_of_the_same_day_refuses_the_lock_with_a_clear_message(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH")
    settings.lock_dir().mkdir(parents=True)
    with FileLock(str(settings.lock_dir() / f"run-{DAYS[0]}.lock")), pytest.raises(LockBusy) as exc:
        run_day(settings, DAYS[0], clock=_clock())
    assert f"a run for {DAYS[0]} is already in progress" in str(exc.value)
    assert "--wait" in str(exc.value)


@pytest.mark.slow
def test_recollecting_a_day_updates_statuses(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH")
    midday = dt.datetime.combine(DAYS[0], dt.time(11, 0), tzinfo=dt.UTC)
    run_day(settings, DAYS[0], clock=_clock(midday))
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    early = dict(
        con.execute("SELECT status, count(*) FROM fact_flights WHERE flight_date = ? GROUP BY 1", [DAYS[0]]).fetchall()
    )
    con.close()
    run_day(settings, DAYS[0], clock=_clock())
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    late = dict(
        con.execute("SELECT status, count(*) FROM fact_flights WHERE flight_date = ? GROUP BY 1", [DAYS[0]]).fetchall()
    )
    con.close()
    assert early.get("scheduled", 0) > 0 and late.get("scheduled", 0) == 0
    assert late["landed"] > early.get("landed", 0)


def test_every_output_of_a_simulated_run_says_it_is_simulated(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH")
    summary = run_day(settings, DAYS[0], clock=_clock())
    assert summary.simulated and summary.source == "simulated"
    state = StateStore.open(settings.resolved_ledger_path())
    run = state.runs.recent()[0]
    assert (run.simulated, run.source) == (True, "simulated")
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    assert con.execute("SELECT DISTINCT source FROM fact_flights").fetchall() == [("simulated",)]


def test_the_ledger_records_every_step_with_counts(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH,EDDL")
    summary = run_day(settings, DAYS[0], clock=_clock())
    state = StateStore.open(settings.resolved_ledger_path())
    steps = state.steps.of_run(summary.run_id)
    by_stage: dict[str, int] = {}
    for step in steps:
        by_stage[step.stage] = by_stage.get(step.stage, 0) + 1
        assert step.state == "succeeded" and step.duration_s is not None
    # quality: the boards of the day, then the flight dates; load: each flight date, then the quality results.
    assert by_stage == {
        "collect": 4,
        "transform": 4,
        "quality": 2,
        "process": 1,
        "load": len(summary.flight_dates) + 1,
    }
    collect_out = sum(s.records_out or 0 for s in steps if s.stage == "collect")
    transform_in = sum(s.records_in or 0 for s in steps if s.stage == "transform")
    assert collect_out == transform_in == summary.records_collected


# --- crash recovery: kill -9 during each stage, run again, compare with one clean run ----------------------

FAILPOINTS = ["collect.after_write", "transform.after_write", "process.after_write", "load.before_commit"]


def _cli(data_dir: Path, *args: str, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    env.update(FLIGHTPIPE__DATA_DIR=str(data_dir), FLIGHTPIPE__AIRPORTS="EDDH,EDDL", FLIGHTPIPE__COLLECT_WORKERS="1")
    if failpoint:
        env["FLIGHTPIPE_FAILPOINTS"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "flightpipe.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def clean_run_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    data_dir = tmp_path_factory.mktemp("clean") / "data"
    result = _cli(data_dir, "run", "--date", DAYS[0].isoformat())
    assert result.returncode == 0, result.stderr
    return warehouse_snapshot(load_settings(data_dir=str(data_dir)))


@pytest.mark.slow
@pytest.mark.parametrize("failpoint", FAILPOINTS)
def test_killed_during_a_stage_then_run_again_gives_the_clean_run_warehouse(
    tmp_path: Path, failpoint: str, clean_run_snapshot: dict[str, list[tuple[Any, ...]]]
) -> None:
    data_dir = tmp_path / "data"
    crashed = _cli(data_dir, "run", "--date", DAYS[0].isoformat(), failpoint=failpoint)
    assert crashed.returncode == -9, (crashed.returncode, crashed.stderr)
    again = _cli(data_dir, "run", "--date", DAYS[0].isoformat())
    assert again.returncode == 0, again.stderr
    assert warehouse_snapshot(load_settings(data_dir=str(data_dir))) == clean_run_snapshot
    runs = StateStore.open(data_dir / "ledger.sqlite").runs.recent()
    assert [r.state for r in runs] == ["succeeded", "abandoned"]


@pytest.mark.slow
def test_one_failing_board_leaves_the_run_partial_and_the_others_loaded(tmp_path: Path) -> None:
    from flightpipe.core.errors import SourceError

    # At its default level (fail) board_collected would hold EDDL's arrivals (see test_quality_gate.py); as a
    # warning the run is what any failed step makes it: partial.
    settings = load_settings(
        data_dir=str(tmp_path / "data"), airports="EDDH,EDDL", quality={"board_collected": {"level": "warn"}}
    )

    class EddlDown:
        name, format = "simulated", "aviationstack"

        def __init__(self) -> None:
            self.inner = SimulatedSource(seed=1)

        def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
            if icao == "EDDL" and board == Board.ARRIVALS:
                raise SourceError("EDDL arrivals: HTTP 503 from the source")
            return self.inner.fetch_board(icao, day, board, as_of=as_of)

    summary = run_day(settings, DAYS[0], clock=_clock(), source=EddlDown())
    assert summary.state == "partial"
    assert summary.failed_steps == ["collect EDDL/arrivals: SourceError: EDDL arrivals: HTTP 503 from the source"]
    assert summary.raw_files == 3 and summary.rows_loaded > 0
    run = StateStore.open(settings.resolved_ledger_path()).runs.recent()[0]
    assert run.state == "partial" and not StateStore.open(settings.resolved_ledger_path()).runs.is_day_complete(
        DAYS[0], settings.airports, ["departures", "arrivals"]
    )


@pytest.mark.slow
def test_progress_reaches_the_total_of_every_stage(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", "EDDH,EDDL")

    class Counting:
        def __init__(self) -> None:
            self.totals: dict[str, int] = {}
            self.done: dict[str, int] = {}

        def stage_total(self, stage: str, total: int) -> None:
            self.totals[stage] = total

        def step_done(self, stage: str, target: str, ok: bool) -> None:
            self.done[stage] = self.done.get(stage, 0) + 1

    observer = Counting()
    summary = run_day(settings, DAYS[0], clock=_clock(), observer=observer)
    assert observer.totals == {
        "collect": 4,
        "transform": 4,
        "verify": 0,
        "process": 1,
        "quality": 2,  # the day's boards, then the flight dates
        "load": len(summary.flight_dates) + 1,  # each flight date, then the quality results
    }
    assert observer.done == {stage: total for stage, total in observer.totals.items() if total}
