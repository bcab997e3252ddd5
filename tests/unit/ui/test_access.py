"""Who may reach the console: loopback by default, a token off loopback, no forged request, no foreign asset."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.ui.access import COOKIE, check_binding, is_loopback
from flightpipe.ui.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx; the client works the same
    from starlette.testclient import TestClient

LOCAL = "http://127.0.0.1:8765"


def _client(tmp_path: Path, **options: object) -> TestClient:
    app = create_app(load_settings(data_dir=str(tmp_path / "data")), **options)  # type: ignore[arg-type]
    return TestClient(app, base_url=LOCAL, follow_redirects=False)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_addresses_need_no_token(host: str) -> None:
    assert is_loopback(host)
    check_binding(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_any_other_address_needs_a_token(host: str) -> None:
    with pytest.raises(ConfigError, match=f"--host {host} is reachable from other machines: pass --token"):
        check_binding(host, None)
    check_binding(host, "s3cret")


def test_a_page_of_a_new_data_folder_says_there_is_no_run_yet(tmp_path: Path) -> None:
    answer = _client(tmp_path).get("/")
    assert answer.status_code == 200 and 'id="no-runs"' in answer.text


def test_every_page_allows_only_its_own_scripts_styles_and_images(tmp_path: Path) -> None:
    answer = _client(tmp_path).get("/")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_a_loopback_console_refuses_another_host_name(tmp_path: Path) -> None:
    # DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
    answer = _client(tmp_path).get("/", headers={"host": "evil.example:8765"})
    assert answer.status_code == 421


def test_a_post_from_another_site_is_refused(tmp_path: Path) -> None:
    client = _client(tmp_path, allow_actions=True)
    answer = client.post("/actions/run", data={"day": "2026-06-01"}, headers={"origin": "http://evil.example"})
    assert answer.status_code == 403 and answer.text == "cross-site request refused"


def test_actions_are_off_unless_allowed(tmp_path: Path) -> None:
    client = _client(tmp_path)
    assert client.get("/actions").status_code == 403
    assert client.post("/actions/run", data={"day": "2026-06-01"}, headers={"origin": LOCAL}).status_code == 403
    assert 'href="/actions"' not in client.get("/").text


def test_with_a_token_a_request_without_it_is_refused(tmp_path: Path) -> None:
    answer = _client(tmp_path, token="s3cret", loopback_only=False).get("/runs")
    assert answer.status_code == 401


def test_the_token_in_the_url_becomes_a_cookie_and_leaves_the_address(tmp_path: Path) -> None:
    client = _client(tmp_path, token="s3cret", loopback_only=False)
    answer = client.get("/runs?token=s3cret&day=2026-06-01")
    assert answer.status_code == 303 and answer.headers["location"] == f"{LOCAL}/runs?day=2026-06-01"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=s3cret") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    client.cookies.set(COOKIE, "s3cret")
    assert client.get("/runs").status_code == 200


def test_a_wrong_token_is_refused_and_a_bearer_token_accepted(tmp_path: Path) -> None:
    client = _client(tmp_path, token="s3cret", loopback_only=False)
    assert client.get("/runs?token=guess").status_code == 401
    assert client.get("/runs", headers={"authorization": "Bearer s3cret"}).status_code == 200


def test_pages_over_a_folder_without_a_warehouse_say_so(tmp_path: Path) -> None:
    client = _client(tmp_path)
    assert "no warehouse at" in client.get("/flights?number=LH1").text
    answer = client.get("/flights/2026-06-01/EDDF/LH1")
    assert answer.status_code == 503 and "no warehouse at" in answer.text
