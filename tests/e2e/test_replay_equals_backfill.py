"""After a mapping change (here: a rule that quarantined records now only warns), re-deriving a day from its raw
data with ``flightpipe quarantine --replay`` and running it again with ``flightpipe backfill --force`` give the
same warehouse (issue 14: until ``flightpipe reprocess`` exists, both must give the same result)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.pipeline.backfill import run_backfill
from flightpipe.pipeline.runner import run_day
from tests.helpers.warehouse_snapshot import warehouse_snapshot

DAY = dt.date(2026, 6, 9)
AFTER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


def _settings(data_dir: Path, **quality: Any) -> Settings:
    return load_settings(
        data_dir=str(data_dir),
        airports="EDDH",
        source={"scale": 0.3, "defects": {"inconsistent_delay": 0.02}},
        quality=quality,
    )


@pytest.mark.slow
def test_replay_and_forced_backfill_after_a_rule_change_give_the_same_warehouse(tmp_path: Path) -> None:
    replayed, backfilled = tmp_path / "replayed", tmp_path / "backfilled"
    first = run_day(_settings(replayed), DAY, clock=lambda: AFTER)
    assert first.records_quarantined > 0
    shutil.copytree(replayed, backfilled)  # the same day collected once, two ways to apply the change
    before = warehouse_snapshot(_settings(replayed))

    fixed = {"delay_consistent": {"level": "warn"}}
    replay = run_day(_settings(replayed, **fixed), DAY, kind="replay", clock=lambda: AFTER + dt.timedelta(hours=1))
    settings = _settings(backfilled, **fixed)
    result = run_backfill(
        settings,
        [DAY],
        force=True,
        run=lambda day, defer: run_day(
            settings, day, kind="backfill", clock=lambda: AFTER + dt.timedelta(hours=1), defer=defer
        ),
    )

    assert replay.state == "succeeded" and (result.ran, result.failed) == ([DAY], [])
    after = warehouse_snapshot(_settings(replayed))
    assert len(after["fact_flights"]) > len(before["fact_flights"])  # the change let records through
    assert warehouse_snapshot(settings) == after
