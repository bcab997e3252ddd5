"""``flightpipe reprocess`` as a user runs it: the layers and warehouse again from raw/, with no API at hand."""

from __future__ import annotations

import datetime as dt
import sqlite3
from importlib import resources
from pathlib import Path

import pytest

from tests.helpers.cli_process import flightpipe
from tests.helpers.simulated_store import SimulatedRun, SimulatedStores

DAY1, DAY2 = "2026-06-08", "2026-06-09"
#: A real API configured, and no credentials for it: a reprocess that opened the source would fail.
NO_API_CONFIG = 'data_dir = "flightpipe-data"\nairports = ["EDDH"]\n\n[source]\ntype = "aviationstack"\n'


@pytest.fixture
def project(tmp_path: Path, simulated_stores: SimulatedStores) -> Path:
    """A folder with a config for one small airport and two days already backfilled (as tests/e2e/test_cli.py)."""
    folder = tmp_path / "project"
    folder.mkdir()
    starter = resources.files("flightpipe").joinpath("starter.toml").read_text()
    (folder / "flightpipe.toml").write_text(
        starter.replace('airports = ["EDDB", "EDDM", "EDDH", "EDDL", "EDDF"]', 'airports = ["EDDH"]')
    )
    backfilled = [SimulatedRun(dt.date.fromisoformat(day), kind="backfill") for day in (DAY1, DAY2)]
    simulated_stores.copy(folder / "flightpipe-data", ("EDDH",), backfilled)
    return folder


@pytest.mark.slow
def test_reprocess_rebuilds_the_range_without_an_api_and_is_recorded_with_its_days_table(project: Path) -> None:
    (project / "flightpipe.toml").write_text(NO_API_CONFIG)

    done = flightpipe("reprocess", "--start", DAY1, "--end", DAY2, "--workers", "1", cwd=project)

    assert done.returncode == 0, done.stderr
    assert "reprocess 2026-06-08 to 2026-06-09" in done.stdout
    assert "2 days: 2 succeeded, 0 failed" in done.stdout
    assert "succeeded reprocess reprocess-20260608-20260609-" in done.stdout and "no API call" in done.stdout
    ledger = sqlite3.connect(project / "flightpipe-data" / "ledger.sqlite")
    kinds = ledger.execute("SELECT kind, source, state FROM runs WHERE kind = 'reprocess'").fetchall()
    assert kinds == [("reprocess", "raw", "succeeded")]


def test_reprocess_of_a_range_without_raw_data_says_so(project: Path) -> None:
    done = flightpipe("reprocess", "--start", "2026-01-01", "--end", "2026-01-02", cwd=project)

    assert done.returncode == 2
    assert "no raw data to reprocess" in done.stderr


@pytest.mark.slow
def test_a_reprocess_killed_in_its_load_then_run_again_gives_the_warehouse_the_runs_gave(project: Path) -> None:
    from flightpipe.config import load_settings
    from tests.helpers.warehouse_snapshot import warehouse_snapshot

    (project / "flightpipe.toml").write_text(NO_API_CONFIG)
    settings = load_settings(data_dir=str(project / "flightpipe-data"))
    backfilled = warehouse_snapshot(settings)
    settings.resolved_warehouse_path().unlink()  # what the reprocess rebuilds
    args = ("reprocess", "--start", DAY1, "--end", DAY2, "--workers", "1")

    killed = flightpipe(*args, cwd=project, env={"FLIGHTPIPE_FAILPOINTS": "load.before_commit"})
    again = flightpipe(*args, cwd=project)

    assert killed.returncode == -9, killed.stderr
    assert again.returncode == 0, again.stderr
    assert "2 days it had transformed were not done again" in again.stdout
    assert warehouse_snapshot(settings) == backfilled
