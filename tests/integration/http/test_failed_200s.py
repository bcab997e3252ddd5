"""Failed attempts answered with HTTP 200 (an HTML page, cut-off JSON) count as failed attempts and their
successors as retries; after a refused key, the requests not sent say so for themselves."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flightpipe.core.errors import SourceAuthError
from flightpipe.sources.http import Answer, ApiClient, RequestLog
from flightpipe.sources.settings import ApiSettings
from flightpipe.stages.collect import ApiCalls
from tests.conftest import FakeTime
from tests.helpers.fake_apis import FakeApi, html_response, json_response, malformed_response


class Scripted(FakeApi):
    def answer(self, request: Request) -> Response:
        return json_response({"ok": True})


def _nothing(answer: Answer) -> None:
    return None


def _client(server: HTTPServer, fake_time: FakeTime) -> ApiClient:
    settings = ApiSettings(base_url=server.url_for("/"), backoff_initial_s=1.0, requests_per_second=100.0)
    return ApiClient("testapi", settings, sleep=fake_time.sleep, clock=fake_time.monotonic)


def test_http_200_failures_are_logged_as_failed_attempts_and_counted_as_retries(
    api_server: HTTPServer, fake_time: FakeTime
) -> None:
    fake = Scripted()
    api_server.expect_request("/thing").respond_with_handler(fake)
    fake.script.push(html_response(), malformed_response())
    log = RequestLog()
    _client(api_server, fake_time).request("GET", api_server.url_for("/thing"), classify=_nothing, log_to=log)
    assert [(e["status"], "error" in e) for e in log.entries] == [(200, True), (200, True), (200, False)]
    assert log.entries[0]["error"].startswith("HTTP 200 with an HTML page")
    calls = ApiCalls()
    calls.count(log.entries)
    assert (calls.requests, calls.retries) == (3, 2)


def test_after_a_refused_key_each_request_not_sent_names_itself(api_server: HTTPServer, fake_time: FakeTime) -> None:
    api_server.expect_request("/EDDF").respond_with_response(Response("invalid key", status=401))
    client = _client(api_server, fake_time)
    with pytest.raises(SourceAuthError):
        client.request("GET", api_server.url_for("/EDDF"), classify=_nothing, log_to=RequestLog())
    with pytest.raises(SourceAuthError) as second:
        client.request("GET", api_server.url_for("/EDDM"), classify=_nothing, log_to=RequestLog())
    message = str(second.value)
    assert message.startswith(f"testapi: GET {api_server.url_for('/EDDM')} not sent: an earlier request of this run")
    assert len(api_server.log) == 1
