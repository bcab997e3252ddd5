"""A run that collected nothing (every board's requests failed) failed: it is not a partial success."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from flightpipe.pipeline.runner import run_day
from flightpipe.sources.aviationstack.client import AviationstackSource
from flightpipe.sources.credentials import resolve_credentials
from flightpipe.state.runs import FAILED
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FaultInjector
from tests.helpers.pipeline_fakes import AS_OF, DAY, settings_for, setup_fake


def test_a_run_whose_every_board_failed_to_collect_is_failed(
    api_server: HTTPServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    airports = ["EDDB", "EDDM"]
    setup = setup_fake("aviationstack", api_server, airports, timeout_s="0.2", max_attempts="2")
    setup.fake.faults = FaultInjector(rate=1.0, seed=83, timeout_sleep_s=0.3)
    settings = settings_for(setup, monkeypatch, str(tmp_path / "data"), airports)
    key = resolve_credentials("aviationstack", settings.sources.aviationstack)["access_key"]
    source = AviationstackSource(settings.sources.aviationstack, key, sleep=fake_time.sleep, clock=fake_time.monotonic)
    summary = run_day(settings, DAY, clock=lambda: AS_OF, source=source)
    assert (summary.state, summary.raw_files, len(summary.failed_steps)) == (FAILED, 0, 4)
