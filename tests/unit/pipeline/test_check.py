"""``flightpipe check``'s judgement: every rule of a date from the stored layers."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq

from flightpipe.config import load_settings
from flightpipe.core.layout import processed_partition
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.check import check_date
from flightpipe.quality.api import Outcome, Scope
from tests.helpers.warehouse_helpers import DAYS, partition


def test_check_judges_a_flight_date_the_glue_job_wrote_as_part_files(tmp_path: Path) -> None:
    day = DAYS[0]
    settings = load_settings(data_dir=str(tmp_path / "data"))
    flights = partition(day)
    half = flights.num_rows // 2
    store = ObjectStore(settings.data_dir)
    for number, part in enumerate((flights.slice(0, half), flights.slice(half))):
        buffer = io.BytesIO()
        pq.write_table(part, buffer)
        store.put(f"{processed_partition(day)}part-0000{number}-4f1c.c000.snappy.parquet", buffer.getvalue())

    results = [r for r in check_date(settings, day) if r.partition and r.partition.scope is Scope.FLIGHT_DATE]

    assert [(r.rule, r.outcome) for r in results] == [("null_share", Outcome.PASS), ("dedup_report", Outcome.PASS)]
    assert results[0].message.endswith(f" in {flights.num_rows} rows")  # both part files


def test_a_flight_date_not_processed_skips_its_rules_and_a_board_not_collected_fails(tmp_path: Path) -> None:
    day = DAYS[0]
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH")

    results = check_date(settings, day)

    flight_date = [
        (r.rule, r.outcome, r.message) for r in results if r.partition and r.partition.scope is Scope.FLIGHT_DATE
    ]
    skipped = "flight date not processed (no processed partition)"
    assert flight_date == [("null_share", Outcome.SKIP, skipped), ("dedup_report", Outcome.SKIP, skipped)]
    failed = [(r.partition.label, r.rule) for r in results if r.failed and r.partition]
    assert failed == [(f"EDDH departures {day}", "board_collected"), (f"EDDH arrivals {day}", "board_collected")]


def test_checking_where_nothing_ran_yet_creates_no_ledger(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH")

    check_date(settings, DAYS[0])

    assert not settings.resolved_ledger_path().exists()
