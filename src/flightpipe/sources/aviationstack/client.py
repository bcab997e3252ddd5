"""aviationstack ``GET /v1/flights``: one airport's board for one day, every page of it.

Requests: ``dep_icao`` (departures) or ``arr_icao`` (arrivals), ``flight_date`` for a past day (historical data;
today's board is the real-time listing), ``limit`` and ``offset`` until ``pagination.total``. The key travels in
the query string as ``access_key``: every URL that is logged, stored or raised is redacted by the HTTP layer.

A listing can change while it is being paged: a flight added or removed before the current offset shifts every
later record by one, which doubles a record at a page boundary or loses one, and an addition and a removal
between two page requests cancel out in every count. So a board is read in *passes* from offset 0. A pass is
*consistent* when every page reported the same ``total``, no record (by its identity: flight date, marketing
flight, departure airport and time, arrival airport) came twice, and the records add up to that total. A board
of one page is one answer, a snapshot: its consistent pass lands. A board of several pages lands only when a
consistent pass lists exactly the identities of the pass before it: a record lost or doubled by a shift shows
as a difference between the two (the record that caused the shift was read in one pass and not the other), so
no record still listed is lost or doubled. Each pass that does not land is logged with the reason and the board
is read again, up to ``max_passes`` passes (a stable board of several pages takes two); a listing that never
settles fails the board and lands nothing. Every request of every pass is in the envelope's request log.

Errors come as ``{"error": {"code", "message"}}``, sometimes with HTTP 200 on older plans, so the body is checked
whatever the status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx

from flightpipe.core.errors import QuotaExceeded, SourceAuthError, SourceResponseError, SourceUnavailable
from flightpipe.core.layout import Board
from flightpipe.sources.aviationstack.normalise import FORMAT, record_identity
from flightpipe.sources.aviationstack.settings import AviationstackSettings
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.http import (
    NOT_JSON,
    Answer,
    ApiClient,
    Clock,
    RequestLog,
    Retryable,
    Sleep,
    UsageGuard,
    retry_after,
)
from flightpipe.sources.spec import UsageCounter

NAME = "aviationstack"

#: Error codes (DESIGN.md, aviationstack's documentation) and what they mean for flightpipe.
_AUTH_ERRORS = {
    "invalid_access_key": "the access key is invalid",
    "missing_access_key": "no access key was sent",
    "inactive_user": "the account is inactive",
    "function_access_restricted": "the plan does not include this endpoint (historical flights need a paid plan)",
}
_QUOTA_ERRORS = {"usage_limit_reached": "the plan's monthly request allowance is used up"}
_RETRY_ERRORS = {"rate_limit_reached": "too many requests per second", "internal_error": "aviationstack internal error"}


_FIRST_OF_TWO = "kept for comparison"


class AviationstackPagesError(SourceUnavailable):
    """The board's listing never held still for a whole pass."""


class AviationstackSource:
    name = NAME
    format = FORMAT

    def __init__(
        self,
        settings: AviationstackSettings,
        access_key: str,
        *,
        usage: UsageGuard | None = None,
        pages_memory: UsageCounter | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self._key = access_key
        self._pages_memory = pages_memory
        extra: dict[str, Any] = {}
        if sleep is not None:
            extra["sleep"] = sleep
        if clock is not None:
            extra["clock"] = clock
        self._client = ApiClient(NAME, settings, transport=transport, usage=usage, **extra)
        self._url = settings.base_url.rstrip("/") + "/flights"

    def close(self) -> None:
        self._client.close()

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        params = {
            "access_key": self._key,
            ("dep_icao" if Board(board) is Board.DEPARTURES else "arr_icao"): icao,
            "limit": str(self.settings.page_limit),
        }
        if day < as_of.astimezone(dt.UTC).date():
            params["flight_date"] = day.isoformat()
        log = RequestLog()
        previous: frozenset[tuple[object, ...]] | None = None
        problem = "no pass was read"
        for pass_no in range(1, self.settings.max_passes + 1):
            read = self._one_pass(params, log)
            verdict = read.verdict(previous)
            if verdict is None:
                if self._pages_memory is not None:
                    self._pages_memory.note_pages(NAME, icao, str(board), max(len(read.pages), 1))
                return FetchedBoard(pages=read.pages, requests=log.entries)
            problem = verdict
            log.add({"pass": pass_no, "discarded": problem})
            previous = read.identities
        if problem.startswith(_FIRST_OF_TWO):
            raise AviationstackPagesError(
                f"{NAME}: the {board} of {icao} on {day} has several pages, which land only when two passes "
                f"agree; sources.aviationstack.max_passes = {self.settings.max_passes} allows one"
            )
        raise AviationstackPagesError(
            f"{NAME}: the {board} of {icao} on {day} kept changing while it was paged "
            f"({self.settings.max_passes} passes, last: {problem}); try again later"
        )

    def _one_pass(self, params: dict[str, str], log: RequestLog) -> _Pass:
        """Every page from offset 0, with what the pass saw of the listing."""
        read = _Pass()
        offset = 0
        while True:
            answer = self._client.request(
                "GET", self._url, params={**params, "offset": str(offset)}, classify=_classify, log_to=log
            )
            page: dict[str, Any] = answer.body
            records: list[Any] = page["data"]
            read.add_page(page, int(page["pagination"]["total"]))
            offset += len(records)
            if not records or len(records) < self.settings.page_limit or offset >= read.totals[-1]:
                return read
            if len(read.pages) > 10_000:
                raise SourceResponseError(f"{NAME}: more than 10000 pages for one board; refusing to go on")


@dataclass
class _Pass:
    """One read of a board from offset 0: its pages, the totals they reported and the identities they held."""

    pages: list[dict[str, Any]] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    seen: set[tuple[object, ...]] = field(default_factory=set)
    doubled: int = 0

    def add_page(self, page: dict[str, Any], total: int) -> None:
        self.pages.append(page)
        self.totals.append(total)
        for record in page["data"]:
            identity = record_identity(record) if isinstance(record, dict) else (repr(record),)
            self.doubled += identity in self.seen
            self.seen.add(identity)

    @property
    def identities(self) -> frozenset[tuple[object, ...]]:
        return frozenset(self.seen)

    def verdict(self, previous: frozenset[tuple[object, ...]] | None) -> str | None:
        """None when this pass may land (given the identities of the pass before), else why not."""
        if len(set(self.totals)) > 1:
            return f"listing changed while paging: total moved from {self.totals[0]} to {self.totals[-1]} between pages"
        if self.doubled:
            return f"listing changed while paging: {self.doubled} record(s) came twice"
        if len(self.seen) != self.totals[-1]:
            return f"listing changed while paging: {len(self.seen)} records read but the total says {self.totals[-1]}"
        if len(self.pages) == 1:
            return None  # one answer is one snapshot of the listing: nothing could move between pages
        if previous is None:
            return f"{_FIRST_OF_TWO}: a board of several pages lands when two passes in a row list the same records"
        if self.seen != previous:
            return (
                f"listing changed between passes: {len(self.seen - previous)} record(s) new, "
                f"{len(previous - self.seen)} gone since the pass before"
            )
        return None


def _classify(answer: Answer) -> None:
    """aviationstack's error body (whatever the HTTP status), then the shape of a good page."""
    body = answer.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")
        detail = f"{code}: {message}" if message else code
        if code in _AUTH_ERRORS:
            raise SourceAuthError(f"{_AUTH_ERRORS[code]} ({detail}); not retried")
        if code == "https_access_restricted":
            raise SourceAuthError(
                f"the plan does not allow HTTPS ({detail}): set sources.aviationstack.allow_http = true and an "
                "http:// base_url (the key then travels unencrypted)"
            )
        if code in _QUOTA_ERRORS:
            raise QuotaExceeded(f"{_QUOTA_ERRORS[code]} ({detail}); aviationstack is stopped for this run")
        if code in _RETRY_ERRORS:
            raise Retryable(f"{_RETRY_ERRORS[code]} ({detail})", retry_after=retry_after(answer.headers))
        raise SourceResponseError(f"aviationstack refused the request ({detail}, HTTP {answer.status})")
    if answer.status == 200 and isinstance(body, dict):
        pagination = body.get("pagination")
        if not isinstance(body.get("data"), list) or not isinstance(pagination, dict):
            raise Retryable(f"HTTP 200 without 'data' and 'pagination': {answer.snippet()}")
        if not isinstance(pagination.get("total"), int):
            raise Retryable(f"HTTP 200 whose pagination has no integer 'total': {answer.snippet()}")
    elif answer.status == 200 and body is not None and body is not NOT_JSON:
        raise Retryable(f"HTTP 200 with JSON that is not an object: {answer.snippet()}")
