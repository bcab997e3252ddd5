"""The batch transform path gives, byte for byte, what the per-file event path gives on the same raw files."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from flightpipe.core.envelope import Envelope
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.quality.records import RecordRuleSet
from flightpipe.quality.settings import QualitySettings
from flightpipe.sources.base import Source
from flightpipe.sources.simulated.aerodatabox import SimulatedAeroDataBoxSource
from flightpipe.sources.simulated.defects import DefectSettings
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.stages.transform import TransformResult, transform_raw_object, transform_raw_objects
from flightpipe.stages.transform_batch import (
    _FORK_WITH_THREADS,
    MAX_FILES_PER_PASS,
    Batch,
    TransformWorkers,
    passes,
    start_method,
    transform_batches,
)
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


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])  # 2: a worker process
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


def test_files_read_one_by_one_beside_files_read_together_write_the_per_file_paths_bytes(tmp_path: Path) -> None:
    # A pass reads the envelopes of one format together (core.envelope.read_envelopes); these files need the
    # one-file reader: two envelopes in one file, an empty file, text that is not UTF-8 (repaired), a null pages.
    per_file = ObjectStore(str(tmp_path / "per-file"))
    keys = land_sample_by_departure_airport(per_file, FIXTURE_SAMPLE_PAGE)
    good = per_file.get(keys[0])
    hostile = {
        "two": good + b"\n" + good,
        "empty": b"",
        "latin1": good.replace(b'"name":"', b'"name":"\xe9', 3),
        "nullpages": good.replace(b'"pages":[', b'"pages":null,"x":[', 1),
    }
    for run_id, data in hostile.items():
        key = RawKey(RawKey.parse(keys[0]).icao, DAY, Board.DEPARTURES, run_id).key
        per_file.put(key, data)
        keys.append(key)
    shutil.copytree(tmp_path / "per-file", tmp_path / "batch")
    batch = ObjectStore(str(tmp_path / "batch"))
    expected = [transform_raw_object(per_file, key, RecordRuleSet.defaults()) for key in keys]

    assert transform_raw_objects(batch, keys, RecordRuleSet.defaults()) == expected
    assert _written(batch.local_path()) == _written(per_file.local_path())
    by_run = {RawKey.parse(r.raw_key).run_id: r for r in expected}
    assert [by_run[run_id].corrupt_reason is not None for run_id in hostile] == [True, True, False, True]
    assert by_run["latin1"].rows_out == expected[0].rows_out


def test_a_file_that_cannot_be_read_is_reported_and_the_rest_of_its_batch_is_transformed(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path / "data"))
    keys = land_sample_by_departure_airport(store, FIXTURE_SAMPLE_PAGE)[:2]
    missing = RawKey("EDDF", DAY, Board.DEPARTURES, "gone").key

    [outcome] = transform_batches(store.url, [Batch("day", (keys[0], missing, keys[1]))], {}, workers=1)

    assert [r.raw_key for r in outcome.results] == keys
    assert [key for key, _ in outcome.errors] == [missing]


# ------------------------------------------------------------------ one vectorised pass over several formats

SIM_DAY = dt.date(2026, 11, 20)
SIM_AS_OF = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SIM_DEFECTS = DefectSettings(missing_key=0.03, bad_timestamp=0.03, wrong_shape=0.02, inconsistent_delay=0.03)
#: The defects the AeroDataBox rendering carries over (it cannot render an unparseable time or a wrong shape).
SIM_AERODATABOX_DEFECTS = DefectSettings(missing_key=0.03, inconsistent_delay=0.03, arrival_before_departure=0.03)


def _land_pages(
    store: ObjectStore, source: str, fmt: str, icao: str, board: Board, run_id: str, pages: list[Any]
) -> str:
    envelope = Envelope(source, fmt, icao, board, SIM_DAY, run_id, SIM_AS_OF, pages)
    key = RawKey(icao, SIM_DAY, board, run_id).key
    store.put(key, envelope.to_bytes())
    return key


def _simulated_pages(source: Source, icao: str, board: Board) -> list[Any]:
    return list(source.fetch_board(icao, SIM_DAY, board, as_of=SIM_AS_OF).pages)


def _without_operators_of_codeshares(pages: list[Any], board: Board) -> list[Any]:
    """An AeroDataBox board re-collected without the operator records its codeshare records point to: alone, its
    codeshares have no operator; they must not find one in another file of the same pass."""
    listed = "departures" if board == Board.DEPARTURES else "arrivals"
    pages = copy.deepcopy(pages)
    for page in pages:
        page[listed] = [r for r in page[listed] if r.get("codeshareStatus") != "IsOperator"]
    return pages


def _operators_unreadable(pages: list[Any]) -> list[Any]:
    """An aviationstack board re-collected with the operators' scheduled departure unreadable: their codeshares go
    to quarantine with them, but the same codeshares in another file of the same pass must not."""
    pages = copy.deepcopy(pages)
    for page in pages:
        for record in page["data"]:
            if not (record.get("flight") or {}).get("codeshared"):
                record["departure"]["scheduled"] = "soon"
    return pages


def _opensky_pages() -> list[Any]:
    first = int(dt.datetime(2026, 11, 20, 7, 5, tzinfo=dt.UTC).timestamp())
    return [
        [
            {"icao24": "3c6444", "firstSeen": first, "estDepartureAirport": "EDDH", "lastSeen": first + 3600,
             "estArrivalAirport": "EDDM", "callsign": "DLH4AB  "},
            {"icao24": "3c6445", "firstSeen": first + 600, "estDepartureAirport": "EDDH", "lastSeen": None,
             "estArrivalAirport": None, "callsign": None},  # no callsign: quarantined
            {"icao24": "3c6446", "firstSeen": first + 900, "estDepartureAirport": "EDDH", "lastSeen": first + 5000,
             "estArrivalAirport": "LFPG", "callsign": "AFR1035 "},
        ]
    ]  # fmt: skip


@pytest.fixture(scope="module")
def mixed_raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Raw files of every format (aviationstack, AeroDataBox withLeg and movement, OpenSky), two collections of
    some boards, injected defects, an empty board and a corrupt file, in one store."""
    root = tmp_path_factory.mktemp("mixed") / "raw-only"
    store = ObjectStore(str(root))
    simulated = SimulatedSource(scale=0.1, defects=SIM_DEFECTS)
    for_aerodatabox = SimulatedSource(scale=0.1, defects=SIM_AERODATABOX_DEFECTS)
    keys = []
    for icao in ("EDDH", "EDDL"):
        for board in Board:
            pages = _simulated_pages(simulated, icao, board)
            keys.append(_land_pages(store, simulated.name, "aviationstack", icao, board, "avs", pages))
            keys.append(
                _land_pages(store, simulated.name, "aviationstack", icao, board, "avs2", _operators_unreadable(pages))
            )
            for shape in ("withleg", "movement"):
                source = SimulatedAeroDataBoxSource(for_aerodatabox, shape)
                pages = _simulated_pages(source, icao, board)
                keys.append(_land_pages(store, source.name, "aerodatabox", icao, board, shape, pages))
                recollected = _without_operators_of_codeshares(pages, board)
                keys.append(_land_pages(store, source.name, "aerodatabox", icao, board, f"{shape}2", recollected))
    keys.append(_land_pages(store, "opensky", "opensky", "EDDH", Board.DEPARTURES, "osn", _opensky_pages()))
    empty = [{"pagination": {"limit": 100, "offset": 0, "count": 0, "total": 0}, "data": []}]
    keys.append(_land_pages(store, simulated.name, "aviationstack", "EDDF", Board.ARRIVALS, "empty", empty))
    corrupt = RawKey("EDDF", SIM_DAY, Board.DEPARTURES, "corrupt").key
    store.put(corrupt, b'{"envelope_version": 1, "format": "aerodatabox", "pages": [{"departures": [')
    keys.append(corrupt)
    return root, keys


def test_one_vectorised_pass_over_every_format_writes_the_per_file_paths_bytes_and_results(
    mixed_raw: tuple[Path, list[str]], tmp_path: Path
) -> None:
    root, keys = mixed_raw
    shutil.copytree(root, tmp_path / "per-file")
    shutil.copytree(root, tmp_path / "one-pass")
    per_file, one_pass = ObjectStore(str(tmp_path / "per-file")), ObjectStore(str(tmp_path / "one-pass"))
    expected = [transform_raw_object(per_file, key) for key in keys]

    results = transform_raw_objects(one_pass, keys)

    assert results == expected
    assert _written(tmp_path / "one-pass") == _written(tmp_path / "per-file")

    # What the comparison is about is in it: every format with quarantined records beside kept rows, a board
    # with no records, a corrupt file, and codeshares whose operator is in another file of the same pass.
    def of_run(run_id: str) -> list[TransformResult]:
        return [r for r in results if RawKey.parse(r.raw_key).run_id == run_id]

    for run_id in ("avs", "withleg", "movement", "osn"):
        assert sum(r.quarantined for r in of_run(run_id)) and sum(r.rows_out for r in of_run(run_id)), run_id
    [empty] = of_run("empty")
    assert (empty.records_in, empty.rows_out, empty.transformed_key is not None) == (0, 0, True)
    assert [bool(r.corrupt_reason) for r in of_run("corrupt")] == [True]
    for run_id in ("avs2", "withleg2", "movement2"):  # codeshares without their operator go to quarantine
        assert _operatorless(of_run(run_id)) > _operatorless(of_run(run_id[:-1])), run_id


def _operatorless(results: list[TransformResult]) -> int:
    return sum(r.quarantined_by_rule.get("required_keys", 0) for r in results)


def test_a_month_of_days_is_joined_into_a_few_passes_per_worker_none_over_the_cap_and_no_day_split() -> None:
    days = [Batch(f"day{d}", tuple(f"raw/EDDF/day{d}/{i}.json" for i in range(10))) for d in range(30)]

    joined = passes(days, workers=2)

    assert [len(p) for p in joined] == [5] * 6  # 6 passes of 50 files: 3 per worker
    assert [b for p in joined for b in p] == days
    assert [len(p) for p in passes(days * 4, workers=2)] == [6] * 20  # capped at MAX_FILES_PER_PASS (60) files
    assert MAX_FILES_PER_PASS == 60


@pytest.mark.slow  # spawns a worker process
def test_a_caller_that_stops_reading_ends_the_batches_and_their_feeding_thread(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path / "data"))
    keys = land_sample_by_departure_airport(store, FIXTURE_SAMPLE_PAGE)
    outcomes = transform_batches(store.url, [Batch(key, (key,)) for key in keys], {}, workers=2)

    first = next(outcomes)
    outcomes.close()

    assert (len(first.results), first.errors) == (1, [])
    assert len(keys) > 6  # several passes: some were never handed out
    assert not [t for t in threading.enumerate() if t.name == "transform-feeder"]


# ------------------------------------------------------------------ how the workers start

_FORKED_RUN = """
import json, sys
from flightpipe.quality.settings import QualitySettings
from flightpipe.stages.transform_batch import Batch, TransformWorkers

url, keys = sys.argv[1], json.loads(sys.argv[2])
with TransformWorkers(url, QualitySettings().rule_configs(), workers=2) as pool:
    results = [r.raw_key for o in pool.run([Batch("first", tuple(keys[:3])), Batch("rest", tuple(keys[3:]))])
               for r in o.results]
print(json.dumps({"method": pool.method, "results": sorted(results)}))
"""


@pytest.mark.slow  # a fresh interpreter, forking a worker
def test_a_process_without_other_threads_forks_its_workers_and_they_write_the_per_file_paths_bytes(
    twin_stores: tuple[ObjectStore, ObjectStore, list[str]],
) -> None:
    per_file, batch, keys = twin_stores
    for key in keys:
        transform_raw_object(per_file, key, RecordRuleSet.defaults())

    # A fresh interpreter: the test process itself runs other threads (pytest-xdist's), so it would spawn.
    done = subprocess.run(
        [sys.executable, "-c", _FORKED_RUN, batch.url, json.dumps(keys)], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"method": "fork", "results": sorted(keys)}
    assert _written(batch.local_path()) == _written(per_file.local_path())


def test_workers_are_spawned_while_another_python_thread_runs_as_it_could_hold_a_lock_a_fork_would_copy() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="holds-nothing-yet")
    other.start()
    try:
        method = start_method()
    finally:
        release.set()
        other.join()

    assert method == "spawn"


def test_one_worker_starts_no_process(tmp_path: Path) -> None:
    with TransformWorkers(ObjectStore(str(tmp_path)).url, {}, workers=1) as pool:
        assert list(pool.run([])) == []

    assert pool.method is None


def test_the_fork_warning_of_python_3_12_is_the_one_silenced_and_no_other() -> None:
    # CPython 3.12's words (Modules/posixmodule.c, warn_about_fork_with_threads), as 3.12.1 printed them here.
    said = "This process (pid=10365) is multi-threaded, use of fork() may lead to deadlocks in the child."

    assert re.match(_FORK_WITH_THREADS, said)
    assert not re.match(_FORK_WITH_THREADS, "This process is multi-threaded")
