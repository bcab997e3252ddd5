"""The board checks give the same results from the facts a batch transform counted as from the store."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

import flightpipe.stages.check as check_module
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import MAX_EXAMPLES, Outcome, RuleConfig, RuleResult
from flightpipe.quality.records import RecordRuleSet
from flightpipe.quality.settings import QualitySettings
from flightpipe.sources.simulated.defects import DefectSettings
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.stages.check import RangeVolumes, check_boards
from flightpipe.stages.collect import collect_board
from flightpipe.stages.transform_batch import Batch, BatchOutcome, transform_batches, transform_pass
from tests.helpers.sample_envelopes import land

DAY = dt.date(2026, 6, 8)
AS_OF = dt.datetime(2026, 6, 12, 6, 0, tzinfo=dt.UTC)
#: EDDH collected with defects (EDDH departures twice), EDDF an empty board and a corrupt one, EDDM not at all.
AIRPORTS = ["EDDH", "EDDF", "EDDM"]
BOARDS = [Board.DEPARTURES, Board.ARRIVALS]
DEFECTS = DefectSettings(
    missing_key=0.03,
    bad_code=0.03,
    inconsistent_delay=0.05,
    unknown_status=0.05,
    wrong_shape=0.02,
    null_times=0.15,
    duplicate=0.05,
)


class _History:
    def __init__(self, volumes: dict[dt.date, float]) -> None:
        self.volumes = volumes
        self.asked = 0

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        self.asked += 1
        return {d: v for d, v in self.volumes.items() if d in dates}


def _history() -> _History:
    return _History({DAY - dt.timedelta(weeks=w): volume for w, volume in ((1, 200.0), (2, 180.0), (3, 210.0))})


def _configs() -> dict[str, RuleConfig]:
    # delay_consistent at warn: its rows are kept and counted, so the warn-level counts are compared too.
    return QualitySettings.model_validate({"delay_consistent": {"level": "warn"}}).rule_configs()


def _collect_day(store: ObjectStore) -> list[str]:
    defective = SimulatedSource(seed=7, defects=DEFECTS)
    keys = [
        collect_board(store, defective, icao="EDDH", day=DAY, board=board, run_id=run_id, as_of=AS_OF).raw_key
        for board, run_id in ((Board.DEPARTURES, "r0"), (Board.DEPARTURES, "r1"), (Board.ARRIVALS, "r1"))
    ]
    keys.append(land(store, [], icao="EDDF", day=DAY, board=Board.DEPARTURES, run_id="r1", fetched_at=AS_OF))
    corrupt = RawKey("EDDF", DAY, Board.ARRIVALS, "r1").key
    store.put(corrupt, b'{"envelope_version": 1, "source": "simulated", "pages": [{"data": [')
    return [*keys, corrupt]


@pytest.fixture(scope="module")
def transformed_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[ObjectStore, BatchOutcome]:
    store = ObjectStore(str(tmp_path_factory.mktemp("counted") / "data"))
    keys = _collect_day(store)
    [outcome] = transform_batches(store.url, [Batch(DAY.isoformat(), tuple(keys))], _configs(), workers=1)
    return store, outcome


def _by_rule(results: list[RuleResult]) -> dict[tuple[str | None, str | None, str], RuleResult]:
    return {(r.partition.airport_icao, r.partition.board, r.rule): r for r in results if r.partition}


def test_board_checks_from_the_transforms_counted_facts_equal_the_checks_reading_the_store(
    transformed_day: tuple[ObjectStore, BatchOutcome],
) -> None:
    store, outcome = transformed_day
    configs = _configs()

    counted = check_boards(store, configs, AIRPORTS, BOARDS, DAY, _history(), counted=outcome.board_facts)
    stored = check_boards(store, configs, AIRPORTS, BOARDS, DAY, _history())

    assert counted == stored
    # The cases the comparison is about are in it.
    results = _by_rule(stored)
    assert results["EDDH", "departures", "required_keys"].outcome is Outcome.QUARANTINED
    assert results["EDDH", "arrivals", "parse"].outcome is Outcome.QUARANTINED
    assert results["EDDH", "departures", "delay_consistent"].outcome is Outcome.WARN
    assert results["EDDH", "departures", "status_known"].outcome is Outcome.WARN
    assert results["EDDH", "arrivals", "duplicate_records"].outcome is Outcome.WARN
    assert results["EDDH", "arrivals", "null_share"].outcome is Outcome.FAIL
    assert results["EDDH", "departures", "volume_band"].outcome is not Outcome.SKIP
    assert "r1" in results["EDDH", "departures", "board_collected"].message  # the latest collection judges
    assert results["EDDF", "departures", "board_collected"].message.endswith(
        "collected: 0 records in raw/EDDF/2026-06-08/departures-r1.json"
    )
    assert results["EDDF", "arrivals", "board_collected"].outcome is Outcome.FAIL  # corrupt
    assert results["EDDM", "departures", "board_collected"].outcome is Outcome.FAIL  # not collected


def test_the_transform_counts_the_latest_file_of_each_board_and_carries_no_rows(
    transformed_day: tuple[ObjectStore, BatchOutcome],
) -> None:
    _, outcome = transformed_day

    facts = {(f.partition.airport_icao, f.partition.board): f for f in outcome.board_facts}

    assert sorted(facts) == [("EDDF", "arrivals"), ("EDDF", "departures"), ("EDDH", "arrivals"), ("EDDH", "departures")]
    assert facts["EDDH", "departures"].raw_key == RawKey("EDDH", DAY, Board.DEPARTURES, "r1").key
    transformed = [f for f in facts.values() if f.corrupt_reason is None]
    assert all(f.rows is None and f.counts is not None for f in transformed)
    for f in facts.values():  # of the quarantine entries only the examples a result shows
        assert all(sum(e.rule == rule for e in f.entries) <= MAX_EXAMPLES for rule in f.quarantined_by_rule)
    # They travel back from a worker process: as pickled, they check the same.
    assert pickle.loads(pickle.dumps(outcome)).board_facts == outcome.board_facts


def test_board_checks_of_counted_facts_read_no_transformed_or_quarantine_file(
    transformed_day: tuple[ObjectStore, BatchOutcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, outcome = transformed_day
    read: list[str] = []
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda key: read.append(key) or real_get(key))

    check_boards(store, _configs(), AIRPORTS, BOARDS, DAY, _history(), counted=outcome.board_facts)
    assert read == []
    check_boards(store, _configs(), AIRPORTS, BOARDS, DAY, _history())  # what it reads without them
    assert sorted(k.split("/")[0] for k in read) == ["quarantine"] * 3 + ["transformed"] * 3


def test_the_boards_of_several_days_counted_in_one_pass_check_as_they_do_from_the_store(
    transformed_day: tuple[ObjectStore, BatchOutcome],
) -> None:
    store, first = transformed_day
    next_day = DAY + dt.timedelta(days=1)
    # (wrong_shape off: the simulator's null_times defect cannot break a record wrong_shape already broke)
    defective = SimulatedSource(seed=8, defects=DEFECTS.model_copy(update={"wrong_shape": 0.0}))
    next_keys = [
        collect_board(store, defective, icao=icao, day=next_day, board=board, run_id="r1", as_of=AS_OF).raw_key
        for icao in ("EDDH", "EDDF")
        for board in BOARDS
    ]
    batches = [Batch(DAY.isoformat(), tuple(r.raw_key for r in first.results)), Batch("next", tuple(next_keys))]

    # Both days' files in one pass: counted together, each board's facts still its own.
    outcomes = transform_pass(store, batches, RecordRuleSet.from_configs(_configs()))

    configs = _configs()
    for day, outcome in zip((DAY, next_day), outcomes, strict=True):
        counted = check_boards(store, configs, AIRPORTS, BOARDS, day, _history(), counted=outcome.board_facts)
        assert counted == check_boards(store, configs, AIRPORTS, BOARDS, day, _history())
    assert outcomes[0].board_facts == first.board_facts
    results = _by_rule(counted)  # the next day's: every board with repeats and warned rows of its own
    for icao in ("EDDH", "EDDF"):
        for board in BOARDS:
            assert results[icao, str(board), "duplicate_records"].outcome is Outcome.WARN
            assert results[icao, str(board), "status_known"].outcome is Outcome.WARN


def test_range_volumes_answer_as_the_history_does_with_one_question_per_board() -> None:
    history = _history()
    days = [DAY + dt.timedelta(days=n) for n in range(10)]

    volumes = RangeVolumes(history, AIRPORTS, BOARDS, days)
    answers = [
        check_module.past_volumes(icao, str(board), day, volumes)
        for day in days
        for icao in AIRPORTS
        for board in BOARDS
    ]

    assert answers == [
        check_module.past_volumes(icao, str(board), day, _history())
        for day in days
        for icao in AIRPORTS
        for board in BOARDS
    ]
    assert history.asked == len(AIRPORTS) * len(BOARDS)
