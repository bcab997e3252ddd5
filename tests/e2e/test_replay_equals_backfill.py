"""After a mapping change (here: a rule that quarantined records now only warns), re-deriving a day from its raw
data with ``flightpipe quarantine --replay`` and running it again with ``flightpipe backfill --force`` give the
same warehouse (issue 14: until ``flightpipe reprocess`` exists, both must give the same result)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.schema import LINEAGE_COLUMNS
from flightpipe.pipeline.backfill import run_backfill
from flightpipe.pipeline.runner import run_day

DAY = dt.date(2026, 6, 9)
AFTER = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


def _settings(data_dir: Path, **quality: Any) -> Settings:
    return load_settings(
        data_dir=str(data_dir),
        airports="EDDH",
        source={"scale": 0.3, "defects": {"inconsistent_delay": 0.02}},
        quality=quality,
    )


def _snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True)
    columns = [r[0] for r in con.execute("DESCRIBE fact_flights").fetchall() if r[0] not in LINEAGE_COLUMNS]
    snapshot = {
        "fact_flights": con.execute(f"SELECT {', '.join(columns)} FROM fact_flights ORDER BY ALL").fetchall(),
        "flight_codeshares": con.execute("SELECT * FROM flight_codeshares ORDER BY ALL").fetchall(),
        "dim_airport": con.execute("SELECT * FROM dim_airport ORDER BY ALL").fetchall(),
        "dim_airline": con.execute("SELECT * FROM dim_airline ORDER BY ALL").fetchall(),
    }
    con.close()
    return snapshot


@pytest.mark.slow
def test_replay_and_forced_backfill_after_a_rule_change_give_the_same_warehouse(tmp_path: Path) -> None:
    replayed, backfilled = tmp_path / "replayed", tmp_path / "backfilled"
    first = run_day(_settings(replayed), DAY, clock=lambda: AFTER)
    assert first.records_quarantined > 0
    shutil.copytree(replayed, backfilled)  # the same day collected once, two ways to apply the change
    before = _snapshot(_settings(replayed))

    fixed = {"delay_consistent": {"level": "warn"}}
    replay = run_day(_settings(replayed, **fixed), DAY, kind="replay", clock=lambda: AFTER + dt.timedelta(hours=1))
    settings = _settings(backfilled, **fixed)
    result = run_backfill(
        settings,
        [DAY],
        force=True,
        run=lambda day: run_day(settings, day, kind="backfill", clock=lambda: AFTER + dt.timedelta(hours=1)),
    )

    assert replay.state == "succeeded" and (result.ran, result.failed) == ([DAY], [])
    after = _snapshot(_settings(replayed))
    assert len(after["fact_flights"]) > len(before["fact_flights"])  # the change let records through
    assert _snapshot(settings) == after
