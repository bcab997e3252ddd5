"""A file in a layer folder that is not one of flightpipe's keys is ignored with a warning, never fatal."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from flightpipe.core.layout import PROCESSED, processed_keys, raw_keys, transformed_keys
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.check import check_date
from flightpipe.pipeline.quarantined import quarantine_summary
from flightpipe.pipeline.runner import run_day
from flightpipe.pipeline.warehouse_access import query_warehouse
from flightpipe.state.runs import SUCCEEDED
from tests.helpers.simulated_store import SimulatedStores, run_clock

DAY = dt.date(2026, 6, 8)
STRAY = ("README.json", "departures-copy (1).json", "arrivals-20260609T060000Z-x.json.bak", "sub/departures-r.json")


def test_raw_keys_keeps_flightpipe_keys_and_warns_about_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    folder = "raw/EDDH/2026-06-08/"
    keys = [folder + "departures-r1.json", *(folder + name for name in STRAY), "raw/EDDH/2026-13-45/arrivals-r.json"]
    with caplog.at_level(logging.WARNING, logger="flightpipe.core.layout"):
        assert raw_keys(keys) == [folder + "departures-r1.json"]
    assert len(caplog.records) == len(STRAY) + 1
    assert "ignoring raw/EDDH/2026-06-08/README.json: not a raw file of flightpipe" in caplog.records[0].message


def test_transformed_and_processed_keys_keep_flightpipe_files_and_warn_about_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    twin = "transformed/EDDH/2026-06-08/departures-r1.parquet"
    partition = f"{PROCESSED}/flight-date=2026-06-08/"
    spark = partition + "part-00001-5b1c0d2e-7f0a-4c1e-9d55-0e8f2a6b7c10.c000.snappy.parquet"
    with caplog.at_level(logging.WARNING, logger="flightpipe.core.layout"):
        assert transformed_keys([twin, "transformed/EDDH/2026-06-08/README.parquet", "transformed/x.parquet"]) == [twin]
        assert processed_keys([partition + "part-00000.parquet", spark, partition + "copy.parquet"]) == [
            partition + "part-00000.parquet",
            spark,
        ]
    assert [r.message for r in caplog.records] == [
        "ignoring transformed/EDDH/2026-06-08/README.parquet: not a transformed file of flightpipe",
        "ignoring transformed/x.parquet: not a transformed file of flightpipe",
        f"ignoring {partition}copy.parquet: not a processed file of flightpipe",
    ]


@pytest.mark.slow
def test_stray_files_in_the_raw_and_quarantine_folders_do_not_stop_run_check_quarantine_or_sql(
    tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    settings = simulated_stores.copy(tmp_path / "data", ("EDDH",), (DAY,))
    store = ObjectStore(settings.data_dir)
    for name in STRAY:
        store.put(f"raw/EDDH/{DAY}/{name}", b"{}")
    store.put(f"quarantine/EDDH/{DAY}/README.jsonl", b"not json\n")
    store.put(f"transformed/EDDH/{DAY}/README.parquet", b"not parquet")  # breaks a glob over transformed/
    store.put(f"{PROCESSED}/README.parquet", b"not parquet")
    rerun = run_day(settings, DAY, clock=lambda: run_clock(DAY) + dt.timedelta(hours=1))
    assert (rerun.state, rerun.failed_steps) == (SUCCEEDED, [])
    assert check_date(settings, DAY)  # the day's rule results, computed from the real raw files
    assert quarantine_summary(settings, DAY) == []
    assert query_warehouse(settings, "SELECT count(*) FROM quarantine").rows == [(0,)]  # the view ignores it too
    for view in ("transformed", "processed"):
        assert query_warehouse(settings, f"SELECT count(*) > 0 FROM {view}").rows == [(True,)]
    assert store.get(f"raw/EDDH/{DAY}/README.json") == b"{}"  # ignored, never deleted
