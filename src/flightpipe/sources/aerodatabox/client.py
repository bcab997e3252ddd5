"""AeroDataBox FIDS through RapidAPI: one airport's board for one local day, in two 12-hour windows.

``GET /flights/airports/icao/{ICAO}/{fromLocal}/{toLocal}`` accepts at most 12 hours, so a day is two calls:
``00:00-11:59`` and ``12:00-23:59`` local time (minute resolution, so the windows neither overlap nor leave a
gap). Each call asks for one ``direction`` with ``withLeg=true`` (both ends of every flight, which the flight
date of an arriving flight needs), codeshares and cancellations included. The key travels in the
``X-RapidAPI-Key`` header, with ``X-RapidAPI-Host``. ``204 No Content`` is an empty window. Errors come as
``{"message": ...}``; RapidAPI answers a used-up plan with 429 and a message about the quota.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx

from flightpipe.core.errors import QuotaExceeded, SourceAuthError, SourceResponseError
from flightpipe.core.layout import Board
from flightpipe.sources.aerodatabox.normalise import FORMAT, records_key
from flightpipe.sources.aerodatabox.settings import AeroDataBoxSettings
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.http import NOT_JSON, Answer, ApiClient, Clock, RequestLog, Retryable, Sleep, UsageGuard

NAME = "aerodatabox"

#: The two windows of a local day (AeroDataBox refuses more than 12 hours per call).
WINDOWS: tuple[tuple[dt.time, dt.time], ...] = ((dt.time(0, 0), dt.time(11, 59)), (dt.time(12, 0), dt.time(23, 59)))

_QUOTA = re.compile(r"(?i)quota|exceeded the (monthly|daily)")
_AUTH = re.compile(r"(?i)not subscribed|invalid api key|api key|unauthori[sz]ed|forbidden")


class AeroDataBoxSource:
    name = NAME
    format = FORMAT

    def __init__(
        self,
        settings: AeroDataBoxSettings,
        api_key: str,
        *,
        usage: UsageGuard | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self._headers = {"X-RapidAPI-Key": api_key, "X-RapidAPI-Host": settings.rapidapi_host}
        extra: dict[str, Any] = {}
        if sleep is not None:
            extra["sleep"] = sleep
        if clock is not None:
            extra["clock"] = clock
        self._client = ApiClient(NAME, settings, transport=transport, usage=usage, **extra)
        self._base = settings.base_url.rstrip("/")

    def close(self) -> None:
        self._client.close()

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        board = Board(board)
        params = {
            "direction": "Departure" if board is Board.DEPARTURES else "Arrival",
            "withLeg": "true",
            "withCancelled": "true",
            "withCodeshared": "true",
            "withCargo": _flag(self.settings.with_cargo),
            "withPrivate": _flag(self.settings.with_private),
            "withLocation": "false",
        }
        log = RequestLog()
        pages: list[dict[str, Any]] = []
        key = records_key(str(board))
        for start, end in WINDOWS:
            url = (
                f"{self._base}/flights/airports/icao/{icao}/"
                f"{dt.datetime.combine(day, start):%Y-%m-%dT%H:%M}/{dt.datetime.combine(day, end):%Y-%m-%dT%H:%M}"
            )
            answer = self._client.request(
                "GET", url, params=params, headers=self._headers, classify=_classifier(key), log_to=log
            )
            if answer.status == 204 or answer.body is None:
                continue  # an empty window: no page, the request log shows the 204
            pages.append(answer.body)
        return FetchedBoard(pages=pages, requests=log.entries, records_key=key)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _classifier(key: str) -> Any:
    def classify(answer: Answer) -> None:
        body = answer.body
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
        if answer.status == 429 and _QUOTA.search(message or answer.text):
            raise QuotaExceeded(f"the plan's quota is used up ({message or answer.snippet()}); stopped for this run")
        if answer.status in (401, 403):
            raise SourceAuthError(f"RapidAPI refused the key (HTTP {answer.status}: {message or answer.snippet()})")
        if answer.status == 400:
            raise SourceResponseError(f"AeroDataBox refused the request: {message or answer.snippet()}")
        if answer.status != 200 or body is None or body is NOT_JSON:
            return  # the generic rules: retry 429/5xx and unreadable bodies, 204 is an empty window
        if not isinstance(body, dict):
            raise Retryable(f"HTTP 200 with JSON that is not an object: {answer.snippet()}")
        if key not in body and message:
            # An error answered with HTTP 200.
            if _QUOTA.search(message):
                raise QuotaExceeded(f"the plan's quota is used up ({message}); stopped for this run")
            if _AUTH.search(message):
                raise SourceAuthError(f"RapidAPI refused the key ({message})")
            raise SourceResponseError(f"AeroDataBox answered an error with HTTP 200: {message}")
        if body.get(key) is not None and not isinstance(body.get(key), list):
            raise Retryable(f"HTTP 200 whose '{key}' is not a list: {answer.snippet()}")

    return classify
