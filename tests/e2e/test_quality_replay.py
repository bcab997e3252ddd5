"""Quarantine replay: after a fix, quarantined records are transformed again, counted once, lineage kept."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.layout import QUARANTINE, QUARANTINE_REPLAYED, RAW, TRANSFORMED, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.runner import run_day
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 9)
AFTER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


def _settings(tmp_path: Path, **quality: Any) -> Settings:
    return load_settings(
        data_dir=str(tmp_path / "data"),
        airports="EDDH",
        source={"defects": {"inconsistent_delay": 0.02, "bad_code": 0.01}},
        quality=quality,
    )


def _clock(hours: int = 0) -> Any:
    return lambda: AFTER + dt.timedelta(hours=hours)


def _layer_counts(store: ObjectStore) -> dict[str, int]:
    raw = sum(len(page["data"]) for k in store.list(f"{RAW}/") for page in json.loads(store.get(k))["pages"])
    rows = sum(pq.read_metadata(store.local_path(k)).num_rows for k in store.list(f"{TRANSFORMED}/"))
    quarantined = sum(len(store.get(k).splitlines()) for k in store.list(f"{QUARANTINE}/"))
    return {"raw": raw, "rows": rows, "quarantined": quarantined}


def _quarantined_rules(store: ObjectStore) -> set[str]:
    """The rules records broke; codeshares that went with their operator's record (operator_quarantined) left out."""
    entries = [json.loads(line) for k in store.list(f"{QUARANTINE}/") for line in store.get(k).splitlines()]
    return {e["rule"] for e in entries if not e["reason"].startswith("operator_quarantined:")}


def _fact_count(settings: Settings) -> int:
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    row = con.execute("SELECT count(*) FROM fact_flights").fetchone()
    con.close()
    return int(row[0]) if row else 0


@pytest.mark.slow
def test_replay_after_a_fix_recovers_the_records_and_counts_each_once(tmp_path: Path) -> None:
    broken = _settings(tmp_path)
    first = run_day(broken, DAY, clock=_clock())
    store = ObjectStore(broken.data_dir)
    before = _layer_counts(store)
    assert first.records_quarantined > 0 and _quarantined_rules(store) == {"delay_consistent", "codes_well_formed"}
    facts_before = _fact_count(broken)

    # The fix: the delay rule only warns now. Replay transforms again what was quarantined.
    fixed = _settings(tmp_path, delay_consistent={"level": "warn"})
    replay = run_day(fixed, DAY, kind="replay", clock=_clock(1))
    after = _layer_counts(store)

    assert replay.state == "succeeded"
    assert after["raw"] == before["raw"] == after["rows"] + after["quarantined"]  # accounting holds
    assert _quarantined_rules(store) == {"codes_well_formed"}  # exactly what still fails is left
    assert after["rows"] - before["rows"] == before["quarantined"] - after["quarantined"] > 0
    # one Parquet twin per raw file: recovered rows are not in a second file that could be counted twice
    twins = store.list(f"{TRANSFORMED}/")
    assert len(twins) == len(store.list(f"{RAW}/")) and all(k.endswith(f"-{first.run_id}.parquet") for k in twins)
    assert _fact_count(fixed) > facts_before


@pytest.mark.slow
def test_replay_keeps_the_superseded_quarantine_and_records_the_run(tmp_path: Path) -> None:
    broken = _settings(tmp_path)
    first = run_day(broken, DAY, clock=_clock())
    store = ObjectStore(broken.data_dir)
    originals = {k: store.get(k) for k in store.list(f"{QUARANTINE}/")}
    replay = run_day(_settings(tmp_path, delay_consistent={"level": "warn"}), DAY, kind="replay", clock=_clock(1))
    for key, content in originals.items():
        raw = RawKey.parse(key.replace(QUARANTINE, RAW, 1).replace(".jsonl", ".json"))
        assert store.get(raw.replayed_quarantine_key(replay.run_id)) == content
    assert all(k.startswith(f"{QUARANTINE_REPLAYED}/EDDH/{DAY}/") for k in store.list(f"{QUARANTINE_REPLAYED}/"))
    state = StateStore.open(broken.resolved_ledger_path())
    run = state.runs.find(replay.run_id)
    assert run is not None and run.kind == "replay"
    steps = [s for s in state.steps.of_run(replay.run_id) if s.stage == "replay"]
    assert len(steps) == len(originals) and sum(s.records_in or 0 for s in steps) > 0
    assert all(s.target.endswith(first.run_id) for s in steps)
    # rows keep the collection's lineage, not the replay's
    rows = pq.read_table(store.local_path(store.list(f"{TRANSFORMED}/")[0])).to_pylist()
    assert {r["run_id"] for r in rows} == {first.run_id}


@pytest.mark.slow
def test_replay_without_a_fix_changes_nothing_and_a_second_replay_is_a_no_op(tmp_path: Path) -> None:
    broken = _settings(tmp_path)
    run_day(broken, DAY, clock=_clock())
    store = ObjectStore(broken.data_dir)
    before = {k: store.get(k) for k in store.list(f"{QUARANTINE}/") + store.list(f"{TRANSFORMED}/")}
    run_day(broken, DAY, kind="replay", clock=_clock(1))
    assert {k: store.get(k) for k in store.list(f"{QUARANTINE}/") + store.list(f"{TRANSFORMED}/")} == before

    fixed = _settings(tmp_path, delay_consistent={"level": "warn"}, codes_well_formed={"off": True})
    run_day(fixed, DAY, kind="replay", clock=_clock(2))
    assert store.list(f"{QUARANTINE}/") == []
    settled = _layer_counts(store)
    again = run_day(fixed, DAY, kind="replay", clock=_clock(3))
    assert again.state == "succeeded" and _layer_counts(store) == settled
    with StateStore.open(fixed.resolved_ledger_path()) as state:
        assert [s.stage for s in state.steps.of_run(again.run_id)].count("replay") == 0
