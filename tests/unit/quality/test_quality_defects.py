"""The simulated source injects each kind of defect on request, and each is caught by its rule."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import SourceError
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.sources import open_source
from flightpipe.pipeline.transform import record_rules
from flightpipe.quality.api import Outcome, RuleResult
from flightpipe.quality.quarantine import read_entries
from flightpipe.quality.rules import RECORD_RULES
from flightpipe.sources.simulated.defects import DefectSettings
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.stages.check import board_facts, check_board
from flightpipe.stages.collect import collect_board
from flightpipe.stages.transform import transform_raw_object

DAY = dt.date(2026, 6, 8)
AS_OF = dt.datetime(2026, 6, 12, 6, 0, tzinfo=dt.UTC)
RECORD_RULE_NAMES = [rule.name for rule in RECORD_RULES]


class _History:
    def __init__(self, volumes: dict[dt.date, float]) -> None:
        self.volumes = volumes

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        return {d: v for d, v in self.volumes.items() if d in dates}


def _results(
    store: ObjectStore, defects: dict[str, float], board: Board = Board.ARRIVALS, history: _History | None = None
) -> tuple[dict[str, RuleResult], str]:
    source = SimulatedSource(seed=7, defects=DefectSettings(**defects))
    raw_key = collect_board(store, source, icao="EDDH", day=DAY, board=board, run_id="r1", as_of=AS_OF).raw_key
    transform_raw_object(store, raw_key)
    facts = board_facts(store, "EDDH", board, DAY, history or _History({}))
    configs = load_settings().quality.rule_configs()
    return {r.rule: r for r in check_board(facts, configs)}, raw_key


@pytest.mark.parametrize(
    ("defect", "rule"),
    [
        ("missing_key", "required_keys"),
        ("bad_code", "codes_well_formed"),
        ("bad_timestamp", "timestamps_parse"),
        ("arrival_before_departure", "arrival_after_departure"),
        ("inconsistent_delay", "delay_consistent"),
        ("wrong_shape", "parse"),
    ],
)
def test_each_record_defect_is_quarantined_under_its_rule_and_no_other(
    store: ObjectStore, defect: str, rule: str
) -> None:
    results, raw_key = _results(store, {defect: 0.03})
    caught = results[rule]
    assert caught.outcome is Outcome.QUARANTINED and caught.counts["violations"] > 0
    others = {name: results[name].counts.get("violations") for name in RECORD_RULE_NAMES if name != rule}
    # Codeshares of a broken operator record go to quarantine with it (operator_quarantined, under required_keys).
    entries = [json.loads(line) for line in store.get(RawKey.parse(raw_key).quarantine_key).splitlines()]
    orphaned = [e for e in entries if e["reason"].startswith("operator_quarantined:")]
    if rule != "required_keys":
        assert others.pop("required_keys") == len(orphaned)
    assert set(others.values()) == {0}, others
    assert {e["rule"] for e in entries if e not in orphaned} == {rule}


def test_an_unknown_status_is_kept_and_warned_by_status_known(store: ObjectStore) -> None:
    results, raw_key = _results(store, {"unknown_status": 0.05})
    assert results["status_known"].outcome is Outcome.WARN and results["status_known"].counts["violations"] > 0
    assert not store.exists(RawKey.parse(raw_key).quarantine_key)


def test_missing_arrival_times_are_caught_by_null_share(store: ObjectStore) -> None:
    results, _ = _results(store, {"null_times": 0.3})
    assert results["null_share"].outcome is Outcome.FAIL
    assert results["null_share"].message.startswith("arr_scheduled_utc is null in")


def test_repeated_records_are_caught_by_duplicate_records(store: ObjectStore) -> None:
    results, _ = _results(store, {"duplicate": 0.05})
    assert results["duplicate_records"].outcome is Outcome.WARN
    assert results["duplicate_records"].counts["duplicates"] > 0


def test_many_broken_records_are_caught_by_quarantine_share(store: ObjectStore) -> None:
    results, _ = _results(store, {"missing_key": 0.2})
    assert results["quarantine_share"].outcome is Outcome.FAIL


def test_a_board_missing_half_its_records_is_caught_by_volume_band(tmp_path: Path) -> None:
    clean, _ = _results(ObjectStore(str(tmp_path / "clean")), {})
    volume = clean["volume_band"].counts["records"]
    history = _History({DAY - dt.timedelta(weeks=w): volume for w in (1, 2, 3)})
    results, _ = _results(ObjectStore(str(tmp_path / "dropped")), {"volume_drop": 1.0}, history=history)
    assert results["volume_band"].outcome is Outcome.FAIL
    assert "below the median" in results["volume_band"].message


def test_a_board_the_source_does_not_deliver_is_caught_by_board_collected(store: ObjectStore) -> None:
    source = SimulatedSource(seed=7, defects=DefectSettings(missing_board=1.0))
    with pytest.raises(SourceError, match="simulated outage: EDDH arrivals 2026-06-08 not delivered"):
        source.fetch_board("EDDH", DAY, Board.ARRIVALS, as_of=AS_OF)
    facts = board_facts(store, "EDDH", Board.ARRIVALS, DAY, _History({}))
    result = next(r for r in check_board(facts, load_settings().quality.rule_configs()) if r.rule == "board_collected")
    assert result.outcome is Outcome.FAIL


def test_defects_are_deterministic_by_seed() -> None:
    defects = DefectSettings(missing_key=0.1, duplicate=0.1, volume_drop=0.5)

    def pages(seed: int) -> list[dict[str, object]]:
        source = SimulatedSource(seed=seed, defects=defects)
        return source.fetch_board("EDDF", DAY, Board.DEPARTURES, as_of=AS_OF).pages

    assert pages(3) == pages(3)
    assert pages(3) != pages(4)


def test_no_defects_by_default_and_the_config_reaches_the_source() -> None:
    assert SimulatedSource(seed=1).defects is None
    settings = load_settings(source={"defects": {"bad_code": 0.25}})
    source = open_source(settings)
    assert isinstance(source, SimulatedSource) and source.defects == DefectSettings(bad_code=0.25)


def test_at_level_fail_an_unknown_status_goes_to_quarantine_under_status_known(store: ObjectStore) -> None:
    source = SimulatedSource(seed=7, defects=DefectSettings(unknown_status=0.05))
    raw_key = collect_board(store, source, icao="EDDH", day=DAY, board=Board.ARRIVALS, run_id="r1", as_of=AS_OF).raw_key
    key = RawKey.parse(raw_key)
    transform_raw_object(store, raw_key)  # the default (warn): kept, as status 'unknown'
    kept = pq.read_table(io.BytesIO(store.get(key.transformed_key))).column("status").to_pylist()
    settings = load_settings(quality={"status_known": {"level": "fail"}})

    transform_raw_object(store, raw_key, record_rules(settings))

    every_entry = read_entries(store, key.quarantine_key)
    # Codeshares of an operator record quarantined here go with it (operator_quarantined, sources/codeshares.py).
    entries = [e for e in every_entry if not e.reason.startswith("operator_quarantined:")]
    reasons = {(e.rule, e.reason) for e in entries}
    assert reasons == {("status_known", "status is not in the vocabulary (stored as unknown)")}
    assert len(entries) == kept.count("unknown") > 0
    statuses = pq.read_table(io.BytesIO(store.get(key.transformed_key))).column("status").to_pylist()
    assert "unknown" not in statuses and len(statuses) == len(kept) - len(every_entry)


def test_every_record_defect_at_once_breaks_each_record_without_crashing_the_simulator() -> None:
    # A garbage time cannot be made late, an arrival that is no object has no time to null: the record stays
    # broken the earlier way (these combinations raised ValueError and TypeError in the simulator).
    every = {kind: 1.0 for kind in ("bad_timestamp", "inconsistent_delay", "arrival_before_departure")}
    source = SimulatedSource(seed=7, scale=0.1, defects=DefectSettings(**every, wrong_shape=1.0, null_times=1.0))

    fetched = source.fetch_board(
        "EDDH", dt.date(2026, 6, 9), Board.DEPARTURES, as_of=dt.datetime(2026, 6, 20, tzinfo=dt.UTC)
    )

    records = [r for page in fetched.pages for r in page["data"]]
    assert records and all(isinstance(r["arrival"], str) for r in records)
    assert all(r["departure"]["scheduled"].endswith("25:61:00+00:00") for r in records)
