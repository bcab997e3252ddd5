"""The batch transform path gives, byte for byte, what the per-file event path gives on the same raw files."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.quality.records import RecordRuleSet
from flightpipe.quality.settings import QualitySettings
from flightpipe.stages.transform import transform_raw_object
from flightpipe.stages.transform_batch import Batch, transform_batches
from tests.conftest import FIXTURE_SAMPLE_PAGE
from tests.helpers.sample_envelopes import land, land_sample_by_departure_airport

DAY = dt.date(2023, 7, 19)
FETCHED = dt.datetime(2023, 7, 20, 6, 0, tzinfo=dt.UTC)


def _records_with_rejects() -> list[dict[str, Any]]:
    """Records of the sample page, three of them made unreadable (quarantined)."""
    records: list[dict[str, Any]] = json.loads(FIXTURE_SAMPLE_PAGE.read_text())["data"][:40]
    broken = copy.deepcopy(records)
    broken[3]["flight_date"] = None  # required_keys
    broken[7]["departure"]["scheduled"] = "yesterday at ten"  # timestamps_parse
    broken[11]["arrival"] = "Heathrow"  # parse: not the format's shape
    return broken


def _raw_files(store: ObjectStore) -> list[str]:
    """The sample split per airport, a board with quarantined records, and a corrupt file."""
    keys = land_sample_by_departure_airport(store, FIXTURE_SAMPLE_PAGE)
    records = _records_with_rejects()
    icao = records[0]["arrival"]["icao"]
    for record in records:  # an arrivals board of one airport: every record arrives there
        if isinstance(record["arrival"], dict):
            record["arrival"]["icao"] = icao
    keys.append(land(store, records, icao=icao, day=DAY, board=Board.ARRIVALS, run_id="mixed", fetched_at=FETCHED))
    corrupt = RawKey("EDDF", DAY, Board.ARRIVALS, "corrupt").key
    store.put(corrupt, b'{"envelope_version": 1, "source": "simulated", "pages": [{"data": [')
    keys.append(corrupt)
    return keys


def _written(root: Path) -> dict[str, bytes]:
    """Every file transform wrote (transformed/ and quarantine/), by key."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for folder in ("transformed", "quarantine")
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def twin_stores(tmp_path: Path) -> tuple[ObjectStore, ObjectStore, list[str]]:
    """Two stores holding the same raw files (nothing transformed yet)."""
    per_file = ObjectStore(str(tmp_path / "per-file"))
    keys = _raw_files(per_file)
    shutil.copytree(tmp_path / "per-file", tmp_path / "batch")
    return per_file, ObjectStore(str(tmp_path / "batch")), keys


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])  # 2: spawned processes
def test_batch_path_writes_the_per_file_paths_bytes_and_results_including_quarantine_and_a_corrupt_file(
    twin_stores: tuple[ObjectStore, ObjectStore, list[str]], workers: int
) -> None:
    per_file, batch, keys = twin_stores
    expected = [transform_raw_object(per_file, key, RecordRuleSet.defaults()) for key in keys]

    outcomes = list(
        transform_batches(
            batch.url,
            [Batch("first", tuple(keys[:3])), Batch("rest", tuple(keys[3:]))],
            QualitySettings().rule_configs(),
            workers=workers,
        )
    )

    assert sorted((r for o in outcomes for r in o.results), key=lambda r: r.raw_key) == sorted(
        expected, key=lambda r: r.raw_key
    )
    assert [o.errors for o in outcomes] == [[], []]
    written = _written(batch.local_path())
    assert written == _written(per_file.local_path())
    # The case the test is about is in it: records quarantined beside kept rows, and a file quarantined whole.
    assert sum(1 for r in expected if r.corrupt_reason) == 1
    assert sum(r.quarantined for r in expected if not r.corrupt_reason) == 3
    assert sum(1 for key in written if key.startswith("quarantine/")) == 2


def test_a_file_that_cannot_be_read_is_reported_and_the_rest_of_its_batch_is_transformed(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path / "data"))
    keys = land_sample_by_departure_airport(store, FIXTURE_SAMPLE_PAGE)[:2]
    missing = RawKey("EDDF", DAY, Board.DEPARTURES, "gone").key

    [outcome] = transform_batches(store.url, [Batch("day", (keys[0], missing, keys[1]))], {}, workers=1)

    assert [r.raw_key for r in outcome.results] == keys
    assert [key for key, _ in outcome.errors] == [missing]
