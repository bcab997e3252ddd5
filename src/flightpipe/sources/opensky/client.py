"""OpenSky Network: departures and arrivals of one airport for one UTC day.

``GET /flights/departure|arrival?airport=ICAO&begin=&end=`` (Unix seconds, ``end = begin + 86399``: one UTC day
per call). OpenSky fills these from a nightly batch, so a day exists only some hours after it ended: asking
earlier raises ``DayNotAvailableYet`` (the board is reported as not available, never as an empty day).
``404`` with an empty body means "no flights". Credits left are read from ``X-Rate-Limit-Remaining``, noted in the
credits memory (``flightpipe sources`` shows them) and, once they reach 0, stop the source for the rest of the
run (``QuotaExceeded``) instead of spending requests on 429s; a 429 waits ``X-Rate-Limit-Retry-After-Seconds``
(the shared HTTP layer).

Authentication is OAuth2 client credentials only: a bearer token from the realm's token endpoint
(``grant_type=client_credentials``), kept until shortly before it expires and renewed then, or at once when the
API answers 401 (the request is then sent again, once). The token is a secret like the others: registered for
redaction as soon as it arrives.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import httpx

from flightpipe.core.errors import DayNotAvailableYet, QuotaExceeded, SourceAuthError, SourceError, SourceResponseError
from flightpipe.core.layout import Board
from flightpipe.core.redact import register_secret
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.http import NOT_JSON, Answer, ApiClient, Clock, RequestLog, Retryable, Sleep, UsageGuard
from flightpipe.sources.opensky.normalise import FORMAT
from flightpipe.sources.opensky.settings import OpenSkySettings
from flightpipe.sources.spec import CreditsMemory

NAME = "opensky"
DAY_SECONDS = 86_400
#: Renew a token this long before it expires, so it cannot run out between check and use.
TOKEN_MARGIN_S = 60.0


class _TokenRejected(SourceError):
    """The API answered 401 to a bearer token: renew it and try once more."""


class OpenSkySource:
    name = NAME
    format = FORMAT

    def __init__(
        self,
        settings: OpenSkySettings,
        client_id: str,
        client_secret: str,
        *,
        usage: UsageGuard | None = None,
        credits_memory: CreditsMemory | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self._credits_memory = credits_memory
        self._credentials = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._clock: Clock = clock or time.monotonic
        extra: dict[str, Any] = {"clock": self._clock}
        if sleep is not None:
            extra["sleep"] = sleep
        self._client = ApiClient(NAME, settings, transport=transport, usage=usage, **extra)
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        #: Credits left as of the last answer (``X-Rate-Limit-Remaining``), None before the first.
        self.credits_remaining: int | None = None

    def close(self) -> None:
        self._client.close()

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        if self.credits_remaining is not None and self.credits_remaining <= 0:
            # Every further request would cost a 429 (and the HTTP layer's waits): stop here, clearly.
            raise QuotaExceeded(
                f"{NAME}: no API credits left (X-Rate-Limit-Remaining: {self.credits_remaining} on the last "
                "answer); OpenSky's credits are per day: stopped for this run, collect the rest again tomorrow"
            )
        ready = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC) + dt.timedelta(
            hours=self.settings.batch_delay_hours
        )
        if as_of < ready:
            raise DayNotAvailableYet(
                f"{NAME}: {day} (UTC) is not processed by OpenSky's nightly batch yet; it is expected after "
                f"{ready:%Y-%m-%d %H:%M} UTC (sources.opensky.batch_delay_hours = "
                f"{self.settings.batch_delay_hours:g}); collect this day again after that"
            )
        begin = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
        params = {"airport": icao, "begin": str(begin), "end": str(begin + DAY_SECONDS - 1)}
        kind = "departure" if Board(board) is Board.DEPARTURES else "arrival"
        url = f"{self.settings.base_url.rstrip('/')}/flights/{kind}"
        log = RequestLog()
        answer = self._get_with_token(url, params, log)
        self._note_credits(answer)
        pages: list[Any] = [] if answer.status == 404 else [answer.body]
        return FetchedBoard(pages=pages, requests=log.entries, records_key=None)

    def _note_credits(self, answer: Answer) -> None:
        remaining = answer.headers.get("x-rate-limit-remaining")
        if remaining is None or not remaining.strip().lstrip("-").isdigit():
            return
        self.credits_remaining = int(remaining)
        if self._credits_memory is not None:
            self._credits_memory.note_credits(NAME, self.credits_remaining)

    def _get_with_token(self, url: str, params: dict[str, str], log: RequestLog) -> Answer:
        for attempt in (1, 2):
            token = self._bearer(log)
            try:
                return self._client.request(
                    "GET",
                    url,
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                    classify=_classify_flights,
                    log_to=log,
                    empty_statuses=frozenset({404}),
                )
            except _TokenRejected:
                self._forget(token)
                if attempt == 2:
                    raise SourceAuthError(
                        f"{NAME}: the API refused a freshly issued token (HTTP 401); check the client's API access"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # Tokens -----------------------------------------------------------------------------------------------

    def _bearer(self, log: RequestLog) -> str:
        with self._token_lock:
            if self._token is not None and self._clock() < self._token_expires - TOKEN_MARGIN_S:
                return self._token
            answer = self._client.request(
                "POST",
                self.settings.token_url,
                data=self._credentials,
                classify=_classify_token,
                log_to=log,
                counts_against_budget=False,
            )
            token = str(answer.body["access_token"])
            register_secret(token)
            expires_in = answer.body.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, int | float) else 1800.0
            self._token, self._token_expires = token, self._clock() + lifetime
            return token

    def _forget(self, token: str) -> None:
        with self._token_lock:
            if self._token == token:
                self._token = None


def _classify_token(answer: Answer) -> None:
    body = answer.body
    if answer.status in (400, 401, 403):
        error = body.get("error") if isinstance(body, dict) else None
        raise SourceAuthError(f"OpenSky refused the client credentials (HTTP {answer.status}, {error or 'no detail'})")
    if answer.status == 200 and not (isinstance(body, dict) and isinstance(body.get("access_token"), str)):
        raise Retryable("the token endpoint answered HTTP 200 without an access_token")


def _classify_flights(answer: Answer) -> None:
    if answer.status == 401:
        raise _TokenRejected("HTTP 401: the bearer token was refused")
    if answer.status == 404 and answer.text.strip():
        raise SourceResponseError(f"HTTP 404 with a body (is base_url right?): {answer.snippet()}")
    body = answer.body
    if answer.status == 200 and body is not None and body is not NOT_JSON and not isinstance(body, list):
        raise Retryable(f"HTTP 200 with JSON that is not a list of flights: {answer.snippet()}")
