"""``process_range``, the batch path of a reprocess: what the per-run path writes and counts, chunk by chunk."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flightpipe.core.errors import ProcessError
from flightpipe.core.layout import PROCESSED, TRANSFORMED, flight_dates_touched
from flightpipe.core.schema import LOCAL_OFFSET_COLUMNS
from flightpipe.core.store import ObjectStore
from flightpipe.stages.process import (
    ProcessResult,
    distinct_records,
    process_flight_dates,
    read_partition,
    read_transformed_rows,
    transformed_keys,
)
from flightpipe.stages.process_range import process_range
from tests.helpers.simulated_store import SimulatedStores

DAYS = (dt.date(2026, 6, 8), dt.date(2026, 6, 9))
FLIGHT_DATES = flight_dates_touched(list(DAYS))


def _transformed(tmp_path: Path, simulated_stores: SimulatedStores, name: str) -> ObjectStore:
    """Two collection days of EDDH transformed, no partition processed yet; one transformed file is there twice
    (a record delivered twice), so the counts see duplicates and the SQL a record's identity given twice."""
    settings = simulated_stores.copy(tmp_path / name, ("EDDH",), DAYS)
    store = ObjectStore(settings.data_dir)
    for key in store.list(PROCESSED):
        store.delete(key)
    first = next(k for k in store.list(f"{TRANSFORMED}/EDDH/{DAYS[0]}/") if k.endswith(".parquet"))
    store.put(first.replace(".parquet", "-again.parquet"), store.get(first))
    return store


def _per_run(store: ObjectStore) -> list[ProcessResult]:
    return [result for day in FLIGHT_DATES for result in process_flight_dates(store, [day])]


def _processed(store: ObjectStore) -> dict[str, bytes]:
    return {key: store.get(key) for key in store.list(PROCESSED)}


def test_a_range_in_chunks_writes_the_partitions_and_counts_of_the_per_run_path(
    tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    per_run, batch = (_transformed(tmp_path, simulated_stores, name) for name in ("per-run", "batch"))
    expected = _per_run(per_run)
    assert sum(r.duplicates_merged for r in expected) > 0 and sum(r.flights_out for r in expected) > 0
    assert process_range(batch, FLIGHT_DATES, chunk_size=3) == expected
    assert _processed(batch) == _processed(per_run) != {}


def test_a_pass_counts_the_rows_in_and_the_duplicates_as_distinct_records_does_over_the_dates_rows(
    tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    store = _transformed(tmp_path, simulated_stores, "data")
    counted = [(r.rows_in, r.duplicates_merged) for r in process_range(store, FLIGHT_DATES)]
    expected = []
    for day in FLIGHT_DATES:
        rows = read_transformed_rows(store, transformed_keys(store, [day]), [day])
        expected.append((rows.num_rows, rows.num_rows - distinct_records(rows)))
    assert counted == expected


def test_a_store_that_is_no_local_folder_is_read_through_arrow_with_the_same_result(
    tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    local = _transformed(tmp_path, simulated_stores, "local")
    remote = ObjectStore(f"memory://process-range-{uuid.uuid4().hex}")
    for key in local.list(TRANSFORMED):
        remote.put(key, local.get(key))
    assert not remote.is_local
    assert process_range(remote, FLIGHT_DATES) == process_range(local, FLIGHT_DATES)
    assert _processed(remote) == _processed(local)


@pytest.mark.parametrize("older", ["every file", "the first day's files"])
def test_files_written_before_a_column_was_added_read_it_as_null_as_through_arrow(
    older: str, tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    local = _transformed(tmp_path, simulated_stores, "local")
    prefix = TRANSFORMED if older == "every file" else f"{TRANSFORMED}/EDDH/{DAYS[0]}/"
    for key in local.list(prefix):
        table = pq.read_table(io.BytesIO(local.get(key)))
        sink = io.BytesIO()
        pq.write_table(table.drop_columns(list(LOCAL_OFFSET_COLUMNS)), sink)
        local.put(key, sink.getvalue())
    remote = ObjectStore(f"memory://process-range-{uuid.uuid4().hex}")
    for key in local.list(TRANSFORMED):
        remote.put(key, local.get(key))
    assert process_range(local, FLIGHT_DATES) == process_range(remote, FLIGHT_DATES)
    assert _processed(local) == _processed(remote)
    offsets = pa.concat_tables(read_partition(local, day) for day in FLIGHT_DATES).column("dep_utc_offset_min")
    if older == "every file":
        assert offsets.null_count == len(offsets) > 0
    else:
        assert 0 < offsets.null_count < len(offsets)


def test_an_unreadable_transformed_file_fails_the_range_with_a_process_error_naming_it_on_one_line(
    tmp_path: Path, simulated_stores: SimulatedStores
) -> None:
    store = _transformed(tmp_path, simulated_stores, "data")
    store.put(f"{TRANSFORMED}/EDDH/{DAYS[1]}/departures-broken.parquet", b"not parquet")
    with pytest.raises(ProcessError, match=r"is unreadable \(.*departures-broken\.parquet") as caught:
        process_range(store, FLIGHT_DATES)
    assert str(caught.value).endswith("delete it and run again to transform its raw file anew")
    assert "\n" not in str(caught.value)
