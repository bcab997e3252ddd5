"""The sources as the runtimes build them: usage and credits from the state store, and no state file where a
source needs none."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.pipeline.sources import open_source, source_rows


def test_the_simulated_source_is_opened_without_creating_the_state_file(settings: Settings) -> None:
    assert open_source(settings).name == "simulated"
    assert not settings.paths().ledger.exists()


def test_listing_the_sources_before_any_run_reads_no_credits_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTPIPE__SOURCE__TYPE", "opensky")
    settings = load_settings(data_dir=str(tmp_path / "data"))
    rows = {row.name: row.used for row in source_rows(settings)}
    assert rows["opensky"] == "0; credits left unknown (none reported yet)"
    assert not (tmp_path / "data").exists()
