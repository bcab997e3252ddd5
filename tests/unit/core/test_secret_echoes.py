"""Secrets an endpoint echoes back are masked too: a webhook quoting its bare token, an API quoting the
access_key in the body that lands in the raw envelope."""

from __future__ import annotations

import datetime as dt
import json
import secrets

from flightpipe.core.envelope import Envelope
from flightpipe.core.layout import Board
from flightpipe.core.redact import MASK, redact, register_secret
from flightpipe.monitoring.settings import AlertsSettings


def test_the_bare_token_of_a_webhook_url_is_masked_where_it_appears_alone() -> None:
    token = secrets.token_hex(12)  # 24 characters, as Slack's
    url = f"https://hooks.slack.com/services/T0ABCDEF/B0ABCDEF/{token}"
    AlertsSettings(notifiers=["webhook"], webhook={"url": url})  # type: ignore[arg-type]
    echoed = f'webhook answered HTTP 403: {{"error": "invalid_token", "token": "{token}"}}'
    assert token not in redact(echoed) and MASK in redact(echoed)
    assert redact("services T0ABCDEF") == "services T0ABCDEF"  # the short ids and words are no secrets


def test_a_registered_secret_an_api_echoes_in_its_body_is_masked_in_the_raw_envelope() -> None:
    access_key = secrets.token_hex(16)
    register_secret(access_key)
    page = {"error": {"code": "invalid_access_key", "message": f"You have supplied an invalid key: {access_key}"}}
    envelope = Envelope(
        source="aviationstack",
        format="aviationstack",
        airport_icao="EDDF",
        board=Board.DEPARTURES,
        collection_date=dt.date(2026, 6, 8),
        run_id="r1",
        fetched_at=dt.datetime(2026, 6, 9, 6, tzinfo=dt.UTC),
        pages=[page, {"data": [{"flight": {"iata": "LH900"}, "gate": "A12"}]}],
    )
    stored = json.loads(envelope.to_bytes())
    assert stored["pages"][0]["error"]["message"] == f"You have supplied an invalid key: {MASK}"
    assert stored["pages"][1] == {"data": [{"flight": {"iata": "LH900"}, "gate": "A12"}]}  # data untouched
