"""A run against a local server that fails 10% of requests (500, 429, timeouts) lands the same records as a run
without faults."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer

from flightpipe.config import Settings
from flightpipe.core.schema import LINEAGE_COLUMNS
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.runner import run_day
from flightpipe.sources.aerodatabox.client import AeroDataBoxSource
from flightpipe.sources.aviationstack.client import AviationstackSource
from flightpipe.sources.base import Source
from flightpipe.sources.credentials import resolve_credentials
from flightpipe.sources.opensky.client import OpenSkySource
from flightpipe.state.runs import SUCCEEDED
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FaultInjector, wait_for_log
from tests.helpers.pipeline_fakes import AS_OF, DAY, settings_for, setup_fake

AIRPORTS = ["EDDB", "EDDM", "EDDH", "EDDL", "EDDF"]
#: A 10% rate from a seed whose first ten draws already hold a 500, a 429 and a timeout, so even the smallest
#: run here (OpenSky: 11 requests) meets every kind of fault.
SEED = 83


def _source(settings: Settings, fake_time: FakeTime) -> Source:
    name = settings.source.type
    credentials = resolve_credentials(name, settings.sources.by_name(name))
    timing = {"sleep": fake_time.sleep, "clock": fake_time.monotonic}
    if name == "aviationstack":
        return AviationstackSource(settings.sources.aviationstack, credentials["access_key"], **timing)
    if name == "aerodatabox":
        return AeroDataBoxSource(settings.sources.aerodatabox, credentials["api_key"], **timing)
    return OpenSkySource(settings.sources.opensky, credentials["client_id"], credentials["client_secret"], **timing)


def _processed(data_dir: Path) -> pa.Table:
    store = ObjectStore(str(data_dir))
    tables = [pq.read_table(io.BytesIO(store.get(key))) for key in sorted(store.list("processed/"))]
    table = pa.concat_tables(tables)
    table = table.drop_columns([c for c in (*LINEAGE_COLUMNS,) if c in table.column_names])
    return table.sort_by([(name, "ascending") for name in ("flight_date", "dep_airport_icao", "flight_icao")])


@pytest.mark.parametrize("source", ["aviationstack", "aerodatabox", "opensky"])
@pytest.mark.slow
def test_a_run_with_ten_percent_faults_lands_the_same_records_as_a_clean_run(
    source: str, api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_time: FakeTime
) -> None:
    account = {"timeout_s": "0.3", "max_attempts": "8"}
    if source == "aviationstack":
        account["page_limit"] = "10"  # more pages, more requests to fail
    setup = setup_fake(source, api_server, AIRPORTS, **account)
    clean = settings_for(setup, monkeypatch, str(tmp_path / "clean"), AIRPORTS)
    clean_run = run_day(clean, DAY, clock=lambda: AS_OF, source=_source(clean, fake_time))
    clean_requests = len(api_server.log)

    setup.fake.faults = FaultInjector(rate=0.10, seed=SEED, timeout_sleep_s=0.6)
    faulty = settings_for(setup, monkeypatch, str(tmp_path / "faulty"), AIRPORTS)
    faulty_run = run_day(faulty, DAY, clock=lambda: AS_OF, source=_source(faulty, fake_time))

    counts = setup.fake.faults.counts
    assert min(counts["500"], counts["429"], counts["timeout"]) >= 1, counts
    assert (clean_run.state, faulty_run.state) == (SUCCEEDED, SUCCEEDED), faulty_run.failed_steps
    assert faulty_run.records_collected == clean_run.records_collected > 0
    assert len(api_server.log) > 2 * clean_requests  # the retries really happened
    expected = _processed(tmp_path / "clean")
    assert expected.num_rows > 0
    assert _processed(tmp_path / "faulty").equals(expected)


def test_the_collect_steps_record_api_requests_and_retries_for_the_metrics(
    api_server: HTTPServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from flightpipe.monitoring.metrics import run_metrics
    from flightpipe.state.store import StateStore

    setup = setup_fake("aviationstack", api_server, AIRPORTS)
    setup.fake.faults = FaultInjector(rate=0.10, seed=SEED, timeout_sleep_s=0.6)
    settings = settings_for(setup, monkeypatch, str(tmp_path / "data"), AIRPORTS)
    summary = run_day(settings, DAY, clock=lambda: AS_OF, source=_source(settings, fake_time))
    counts = setup.fake.faults.counts
    state = StateStore.open(settings.resolved_ledger_path())
    steps = [s for s in state.steps.of_run(summary.run_id) if s.stage == "collect"]
    requests = sum(s.detail.get("api_requests", 0) for s in steps)
    retries = sum(s.detail.get("api_retries", 0) for s in steps)
    wait_for_log(api_server, requests)  # a request the client gave up on is logged once the server has answered it
    assert requests == len(api_server.log) and retries == counts["500"] + counts["429"] + counts["timeout"] > 0
    exported = run_metrics(state.runs.recent()[0], state.steps.of_run(summary.run_id))
    state.close()
    assert (exported.stages["collect"].api_requests, exported.stages["collect"].api_retries) == (requests, retries)


def test_failed_collect_steps_record_their_exact_api_requests_and_retries(
    api_server: HTTPServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from flightpipe.monitoring.metrics import run_metrics
    from flightpipe.state.store import StateStore

    airports = AIRPORTS[:2]
    setup = setup_fake("aviationstack", api_server, airports, timeout_s="0.2", max_attempts="3")
    setup.fake.faults = FaultInjector(rate=1.0, seed=SEED, timeout_sleep_s=0.3)  # every request fails
    settings = settings_for(setup, monkeypatch, str(tmp_path / "data"), airports)
    summary = run_day(settings, DAY, clock=lambda: AS_OF, source=_source(settings, fake_time))
    state = StateStore.open(settings.resolved_ledger_path())
    steps = [s for s in state.steps.of_run(summary.run_id) if s.stage == "collect"]
    # Each board's first request is tried three times and fails: three requests, of which two are retries.
    assert [(s.state, s.detail["api_requests"], s.detail["api_retries"]) for s in steps] == [("failed", 3, 2)] * 4
    wait_for_log(api_server, 4 * 3)  # a request the client gave up on is logged once the server has answered it
    assert len(api_server.log) == 4 * 3
    exported = run_metrics(state.runs.recent()[0], state.steps.of_run(summary.run_id))
    state.close()
    assert (exported.stages["collect"].api_requests, exported.stages["collect"].api_retries) == (12, 8)
