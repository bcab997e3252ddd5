from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from flightpipe.config import Settings, load_settings
from flightpipe.core.store import ObjectStore
from tests.helpers.simulated_store import SimulatedStores

REPO = Path(__file__).resolve().parents[1]
FIXTURE_SAMPLE_PAGE = REPO / "tests" / "fixtures" / "aviationstack" / "aviationstack-flights-2023-07-19-page1.json"


# Spreading tests over xdist workers (`make test` runs `pytest -n auto`) -----------------------------------

#: Tests that share a costly module-scoped fixture, kept together on one worker so it is set up once: a local
#: Spark session, a CDK synth through Node, Chromium with its loaded warehouses, one clean run to compare crashes with.
ONE_WORKER = (
    "tests/integration/spark/test_glue_job.py::",
    "tests/integration/infra/",
    "tests/integration/chromium/test_report.py::",
    "tests/integration/chromium/test_ui.py::",
    "tests/e2e/test_pipeline.py::test_killed_during_a_stage",
)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load`` (the default with -n), except that each ONE_WORKER prefix is one unit of work.

    Not ``--dist loadgroup`` with xdist_group marks: pytest-xdist 3.8 groups by rewriting ``item._nodeid``, which
    pytest 9 no longer reads, so the marks are silently ignored. Units are handed out largest first (the groups),
    then the single tests in collection order, each to whichever worker is free.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next((prefix for prefix in ONE_WORKER if nodeid.startswith(prefix)), nodeid)

    return OneWorkerGroups(config, log)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's FLIGHTPIPE__ variables or ./flightpipe.toml."""
    for name in list(os.environ):
        if name.startswith("FLIGHTPIPE"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> ObjectStore:
    return ObjectStore(str(data_dir))


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(data_dir=str(data_dir))


@pytest.fixture(scope="session")
def simulated_stores(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStores:
    """Simulated data folders built once per session; ``simulated_stores.copy(dest, airports, runs)`` per test."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is a folder of the session's base: templates there serve every worker.
    session = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = session / "simulated-stores"
    root.mkdir(exist_ok=True)
    return SimulatedStores(root)


@pytest.fixture
def sample_page_path() -> Path:
    return FIXTURE_SAMPLE_PAGE


def at(text: str) -> dt.datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# A real PostgreSQL server, one per test session ---------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """Start a throwaway cluster; without PostgreSQL, FAIL under CI=true, else skip and say why."""
    from tests.helpers.pgserver import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs PostgreSQL for the warehouse tests: {exc}")
        pytest.skip(f"no PostgreSQL for the warehouse tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_database(postgres_server: Any) -> str:
    """A fresh database per test, so tests never see each other's tables; returns a warehouse URL."""
    import uuid

    from tests.helpers.pgserver import SUPERUSER

    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    return f"postgresql://{SUPERUSER}@127.0.0.1:{postgres_server.port}/{name}"


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The same warehouse test on the embedded DuckDB file and on a real PostgreSQL server."""
    from tests.helpers.warehouse_helpers import make_engine

    url = request.getfixturevalue("postgres_database") if request.param == "postgres" else None
    return make_engine(request.param, tmp_path, url)


# Local HTTP servers and fake time for the real-source adapters --------------------------------------------


class FakeTime:
    """A monotonic clock that only moves when something sleeps: backoff and rate limits cost no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api_server() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 that handles requests in threads (timeouts, concurrency)."""
    # The fake servers' own access log shows the URLs flightpipe sent (keys and all): it is not flightpipe's log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()
