"""Run the whole pipeline with known fake keys against local servers; no file it wrote, no ledger row and no
log line may contain a key (or an OpenSky token)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from flightpipe.core.redact import MASK
from flightpipe.pipeline.runner import run_day
from flightpipe.state.runs import PARTIAL
from flightpipe.state.store import StateStore
from tests.helpers.fake_apis import json_response
from tests.helpers.pipeline_fakes import AS_OF, DAY, settings_for, setup_fake

AIRPORTS = ["EDDF", "EDDH"]

#: One board fails with an error that is not retried, so an error message (with its URL) reaches the ledger.
FAILURES = {
    "aviationstack": json_response({"error": {"code": "invalid_api_function", "message": "no such function"}}, 404),
    "aerodatabox": json_response({"message": "Invalid airport code"}, 400),
    "opensky": json_response({"error": "bad request"}, 400),
}


@pytest.mark.parametrize("source", ["aviationstack", "aerodatabox", "opensky"])
def test_no_written_file_ledger_row_or_log_line_contains_a_secret(
    source: str,
    api_server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    data_dir = tmp_path / "data"
    setup = setup_fake(source, api_server, AIRPORTS)
    if source == "opensky":
        setup.fake.script.push(json_response({"access_token": "x"}, 500))  # a retried token request, too
    setup.fake.script.push(FAILURES[source])
    settings = settings_for(setup, monkeypatch, str(data_dir), AIRPORTS)

    summary = run_day(settings, DAY, clock=lambda: AS_OF)

    # One board fails (its error carries the key in the URL); the quality gate may hold what that board feeds.
    assert summary.state in {PARTIAL, "failed quality"} and summary.raw_files == 3
    assert len([step for step in summary.failed_steps if step.startswith("collect ")]) == 1
    secrets = setup.secrets()
    assert len(secrets) >= 1 and all(len(s) >= 8 for s in secrets)
    written = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "ledger.sqlite" for p in written) and any(p.suffix == ".parquet" for p in written)
    for path in written:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret!r} found in {path}"
    state = StateStore.open(settings.resolved_ledger_path())
    rows = [repr(run) + repr(state.steps.of_run(run.run_id)) for run in state.runs.recent()]
    state.close()
    logs = caplog.text + "".join(capsys.readouterr())
    for secret in secrets:
        assert all(secret not in row for row in rows)
        assert secret not in logs
    assert any(r.name == "httpx" for r in caplog.records)
    if source == "aviationstack":
        # The key travels in the URL: the failed step's error and every envelope's request log had it masked.
        assert MASK in "".join(rows)
        assert all(MASK in p.read_text() for p in (data_dir / "raw").rglob("*.json"))
