"""The shared HTTP layer against a real local server: retries, waits, limits, typed errors, redaction."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flightpipe.core.errors import QuotaExceeded, SourceAuthError, SourceResponseError, SourceUnavailable
from flightpipe.core.redact import MASK, register_secret
from flightpipe.sources.http import Answer, ApiClient, RequestLog
from flightpipe.sources.settings import ApiSettings
from flightpipe.state.store import StateStore
from flightpipe.state.usage import BudgetedUsage
from tests.conftest import FakeTime
from tests.helpers.fake_apis import (
    FakeApi,
    dropped_connection,
    html_response,
    json_response,
    malformed_response,
    slow_response,
)

KEY = "api-client-test-key-9f8e7d"


class Echo(FakeApi):
    def answer(self, request: Request) -> Response:
        return json_response({"ok": True, "n": request.args.get("n")})


def _nothing(answer: Answer) -> None:
    return None


@pytest.fixture
def echo(api_server: HTTPServer) -> Echo:
    fake = Echo()
    api_server.expect_request("/thing").respond_with_handler(fake)
    return fake


def _client(server: HTTPServer, fake_time: FakeTime, usage: BudgetedUsage | None = None, **limits: object) -> ApiClient:
    settings = ApiSettings(
        base_url=server.url_for("/"),
        **{"backoff_initial_s": 1.0, "backoff_max_s": 8.0, "requests_per_second": 100.0, **limits},  # type: ignore[arg-type]
    )
    return ApiClient("testapi", settings, sleep=fake_time.sleep, clock=fake_time.monotonic, usage=usage)


def _get(client: ApiClient, server: HTTPServer, log: RequestLog | None = None, **params: str) -> Answer:
    return client.request(
        "GET",
        server.url_for("/thing"),
        params={"access_key": KEY, **params},
        classify=_nothing,
        log_to=log or RequestLog(),
    )


def test_a_500_then_success_is_retried_once_after_an_exponential_backoff_with_jitter(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime
) -> None:
    echo.script.push(json_response({"error": "boom"}, 500))
    answer = _get(_client(api_server, fake_time), api_server)
    assert answer.body == {"ok": True, "n": None}
    assert len(api_server.log) == 2
    assert len(fake_time.sleeps) == 1 and 1.0 <= fake_time.sleeps[0] <= 2.0  # initial 1 s plus up to 1 s jitter


def test_backoff_doubles_between_attempts_up_to_the_maximum(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime
) -> None:
    echo.script.push(*[json_response({}, 503) for _ in range(5)])
    _get(_client(api_server, fake_time, max_attempts=6, backoff_max_s=5.0), api_server)
    waits = fake_time.sleeps
    assert len(waits) == 5
    assert [1.0 <= waits[0] <= 2.0, 2.0 <= waits[1] <= 3.0, 4.0 <= waits[2] <= 5.0] == [True, True, True]
    assert waits[3] == waits[4] == 5.0  # capped


def test_a_429_waits_exactly_what_retry_after_says(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    echo.script.push(json_response({}, 429, {"Retry-After": "7"}))
    _get(_client(api_server, fake_time), api_server)
    assert fake_time.sleeps == [7.0]
    assert len(api_server.log) == 2


def test_a_429_waits_what_x_rate_limit_retry_after_seconds_says(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime
) -> None:
    echo.script.push(json_response({}, 429, {"X-Rate-Limit-Retry-After-Seconds": "11"}))
    _get(_client(api_server, fake_time), api_server)
    assert fake_time.sleeps == [11.0]


def test_a_503_with_retry_after_waits_what_it_says(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    echo.script.push(json_response({}, 503, {"Retry-After": "3"}))
    _get(_client(api_server, fake_time), api_server)
    assert fake_time.sleeps == [3.0]


def test_a_timeout_then_success_is_retried(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    echo.script.push(slow_response(1.0))
    log = RequestLog()
    answer = _get(_client(api_server, fake_time, timeout_s=0.3), api_server, log)
    assert answer.body == {"ok": True, "n": None}
    assert [e.get("status", e.get("error")) for e in log.entries] == ["timeout (ReadTimeout)", 200]


def test_a_dropped_connection_then_success_is_retried(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    echo.script.push(dropped_connection())
    log = RequestLog()
    answer = _get(_client(api_server, fake_time), api_server, log)
    assert answer.body == {"ok": True, "n": None}
    assert log.entries[0]["error"] == "connection failed (RemoteProtocolError)"
    assert len(log.entries) == 2


def test_malformed_json_then_success_is_retried(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    echo.script.push(malformed_response())
    assert _get(_client(api_server, fake_time), api_server).body == {"ok": True, "n": None}
    assert len(api_server.log) == 2


def test_an_html_page_every_time_gives_up_after_max_attempts_saying_what_came_back(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime
) -> None:
    echo.script.push(*[html_response(200) for _ in range(3)])
    with pytest.raises(SourceUnavailable) as exc:
        _get(_client(api_server, fake_time, max_attempts=3), api_server)
    message = str(exc.value)
    assert "failed 3 times" in message and "HTTP 200 with an HTML page" in message and "502 Bad Gateway" in message
    assert len(api_server.log) == 3


def test_a_refused_key_is_not_retried(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    echo.script.push(json_response({"message": "Invalid API key"}, 401))
    with pytest.raises(SourceAuthError, match="HTTP 401: the credentials were refused"):
        _get(_client(api_server, fake_time), api_server)
    assert len(api_server.log) == 1 and fake_time.sleeps == []


def test_a_400_is_a_refused_request_not_retried(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    echo.script.push(json_response({"message": "bad date"}, 400))
    with pytest.raises(SourceResponseError, match="HTTP 400: the request was refused"):
        _get(_client(api_server, fake_time), api_server)
    assert len(api_server.log) == 1


def test_a_429_asking_for_a_longer_wait_than_allowed_stops_the_source(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime
) -> None:
    echo.script.push(json_response({}, 429, {"X-Rate-Limit-Retry-After-Seconds": "40000"}))
    client = _client(api_server, fake_time, max_retry_after_s=60)
    with pytest.raises(QuotaExceeded, match="asks to wait 40000 s, longer than sources.testapi.max_retry_after_s"):
        _get(client, api_server)
    with pytest.raises(QuotaExceeded):
        _get(client, api_server)  # stopped: nothing more is sent
    assert len(api_server.log) == 1 and fake_time.sleeps == []


def test_request_starts_are_spaced_by_the_rate_limit(api_server: HTTPServer, echo: Echo, fake_time: FakeTime) -> None:
    client = _client(api_server, fake_time, requests_per_second=2.0)
    for n in range(5):
        _get(client, api_server, n=str(n))
    assert fake_time.sleeps == [0.5, 0.5, 0.5, 0.5]


def test_no_more_requests_are_in_flight_than_the_concurrency_limit(api_server: HTTPServer, fake_time: FakeTime) -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def slow(request: Request) -> Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.15)
        with lock:
            in_flight -= 1
        return json_response({"ok": True})

    api_server.expect_request("/thing").respond_with_handler(slow)
    client = _client(api_server, fake_time, max_concurrency=2)
    threads = [threading.Thread(target=_get, args=(client, api_server)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api_server.log) == 6 and peak == 2


def test_the_monthly_budget_refuses_the_request_that_would_exceed_it(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime, tmp_path: Path
) -> None:
    usage = BudgetedUsage(StateStore.open(tmp_path / "ledger.sqlite").usage, {"testapi": 2})
    client = _client(api_server, fake_time, usage=usage)
    _get(client, api_server)
    _get(client, api_server)
    with pytest.raises(QuotaExceeded, match="monthly budget of 2 requests for .* is used up"):
        _get(client, api_server)
    assert len(api_server.log) == 2 and usage.used("testapi") == 2


def test_retries_count_against_the_budget(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime, tmp_path: Path
) -> None:
    usage = BudgetedUsage(StateStore.open(tmp_path / "ledger.sqlite").usage)
    echo.script.push(json_response({}, 500))
    _get(_client(api_server, fake_time, usage=usage), api_server)
    assert usage.used("testapi") == 2


def test_urls_in_the_request_log_errors_and_httpx_logs_are_redacted(
    api_server: HTTPServer, echo: Echo, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    register_secret(KEY)
    echo.script.push(json_response({}, 500), json_response({"message": "nope"}, 400))
    log = RequestLog()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceResponseError) as exc:
        _get(_client(api_server, fake_time), api_server, log)
    assert KEY not in str(exc.value) and f"access_key={MASK}" in str(exc.value)
    assert [e["url"] for e in log.entries] == [api_server.url_for("/thing") + f"?access_key={MASK}"] * 2
    assert caplog.records and KEY not in caplog.text
    assert any(r.name == "httpx" for r in caplog.records)
