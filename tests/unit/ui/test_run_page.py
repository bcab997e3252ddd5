"""A run's page: every step with the counts the ledger recorded for it."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

from flightpipe.config import load_settings
from flightpipe.state.store import StateStore
from flightpipe.ui.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx; the client works the same
    from starlette.testclient import TestClient


def test_a_collect_step_shows_its_api_requests_and_retries(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"))
    with StateStore.open(settings.paths().ledger) as state:
        state.runs.start(
            "run-1", kind="run", day=dt.date(2026, 6, 8), airports=["EDDH"], boards=["departures"],
            source="aerodatabox", simulated=False,
        )  # fmt: skip
        step = state.steps.start("run-1", "collect", "EDDH/departures")
        # What pipeline.collect records for a board whose API answered on the fourth attempt.
        state.steps.finish(step, "succeeded", duration_s=2.5, detail={"api_requests": 4, "api_retries": 3, "pages": 1})
        state.runs.finish("run-1", "succeeded", summary={})

    page = TestClient(create_app(settings), base_url="http://127.0.0.1:8765").get("/runs/run-1")

    row = re.search(r'<tr data-stage="collect" data-target="EDDH/departures".*?</tr>', page.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    # in, out, quarantined, bytes, API requests, retries (after the two time cells)
    assert cells[-2:] == ["4", "3"]
