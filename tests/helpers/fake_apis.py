"""Local stand-ins for the three flight-data APIs, served by a real HTTP server (pytest-httpserver).

Each fake answers in the recorded shape of its API from in-memory boards, checks the credentials the way the
real one does, and can be told to misbehave: scripted answers for the next requests (``script``), or random
faults at a rate (``FaultInjector``). Everything a fake receives stays in ``httpserver.log``, so tests assert
the exact requests made.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Handler = Callable[[Request], Response]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def html_response(status: int = 200) -> Response:
    page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    return Response(page, status=status, content_type="text/html")


def malformed_response() -> Response:
    return Response('{"pagination": {"limit": 100, "offset": 0', status=200, content_type="application/json")


def dropped_connection() -> Response:
    # Announce more body than is sent: the client sees the connection end mid-message.
    response = Response("{", status=200, content_type="application/json")
    response.headers["Content-Length"] = "5000"
    response.automatically_set_content_length = False
    return response


def slow_response(seconds: float, then: Response | None = None) -> Callable[[], Response]:
    def answer() -> Response:
        time.sleep(seconds)
        return then or json_response({"late": True})

    return answer


@dataclass
class Script:
    """Answers to give instead of the fake's own, one per request, in order (a callable is called first)."""

    answers: deque[Response | Callable[[], Response]] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, *answers: Response | Callable[[], Response]) -> None:
        with self.lock:
            self.answers.extend(answers)

    def next(self) -> Response | None:
        with self.lock:
            if not self.answers:
                return None
            answer = self.answers.popleft()
        return answer if isinstance(answer, Response) else answer()


@dataclass
class FaultInjector:
    """Fails a share of requests with 500, 429 (Retry-After: 1) or a timeout (a sleep longer than the client's
    timeout), from a seeded generator, and counts what it did."""

    rate: float
    seed: int
    timeout_sleep_s: float
    counts: dict[str, int] = field(default_factory=lambda: {"500": 0, "429": 0, "timeout": 0, "ok": 0})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def fault(self) -> Response | None:
        with self.lock:
            roll = self._rng.random()
            kind = self._rng.choice(["500", "429", "timeout"]) if roll < self.rate else "ok"
            self.counts[kind] += 1
        if kind == "500":
            return json_response({"error": {"code": "internal_error", "message": "injected"}}, 500)
        if kind == "429":
            return json_response({"message": "Too many requests"}, 429, {"Retry-After": "1"})
        if kind == "timeout":
            time.sleep(self.timeout_sleep_s)
            return json_response({"late": True}, 503)
        return None


class FakeApi:
    """Shared plumbing: a script, optional faults, and registration on the server."""

    def __init__(self) -> None:
        self.script = Script()
        self.faults: FaultInjector | None = None

    def __call__(self, request: Request) -> Response:
        scripted = self.script.next()
        if scripted is not None:
            return scripted
        if self.faults is not None:
            fault = self.faults.fault()
            if fault is not None:
                return fault
        return self.answer(request)

    def answer(self, request: Request) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError


class FakeAviationstack(FakeApi):
    """``GET /v1/flights`` with ``access_key``, ``dep_icao`` / ``arr_icao``, ``flight_date``, ``limit``, ``offset``."""

    def __init__(self, access_key: str, boards: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        super().__init__()
        self.access_key = access_key
        self.boards = boards
        #: Called before each page is cut, with the board's list and the request: lets a test change the listing.
        self.before_page: Callable[[list[dict[str, Any]], Request], None] | None = None

    def register(self, server: HTTPServer) -> None:
        server.expect_request("/v1/flights").respond_with_handler(self)

    def answer(self, request: Request) -> Response:
        args = request.args
        if args.get("access_key") != self.access_key:
            code = "missing_access_key" if "access_key" not in args else "invalid_access_key"
            return json_response(
                {"error": {"code": code, "message": "You have not supplied a valid API Access Key."}}, 401
            )
        board = "departures" if "dep_icao" in args else "arrivals"
        icao = args.get("dep_icao") or args.get("arr_icao") or ""
        records = self.boards.setdefault((icao, board), [])
        if self.before_page is not None:
            self.before_page(records, request)
        limit, offset = int(args.get("limit", 100)), int(args.get("offset", 0))
        page = records[offset : offset + limit]
        return json_response(
            {
                "pagination": {"limit": limit, "offset": offset, "count": len(page), "total": len(records)},
                "data": page,
            }
        )


class FakeAeroDataBox(FakeApi):
    """``GET /flights/airports/icao/{ICAO}/{from}/{to}`` with RapidAPI headers; 204 for an empty window."""

    def __init__(self, api_key: str, boards: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        super().__init__()
        self.api_key = api_key
        self.boards = boards

    def register(self, server: HTTPServer) -> None:
        import re

        server.expect_request(re.compile(r"^/flights/airports/icao/.+")).respond_with_handler(self)

    def answer(self, request: Request) -> Response:
        if request.headers.get("X-RapidAPI-Key") != self.api_key:
            return json_response({"message": "You are not subscribed to this API."}, 403)
        _, _, _, _, icao, start, end = request.path.split("/")
        begin, finish = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
        if finish - begin > dt.timedelta(hours=12) or finish <= begin:
            return json_response({"message": "The time range must be positive and at most 12 hours."}, 400)
        board = "departures" if request.args.get("direction") == "Departure" else "arrivals"
        side = "departure" if board == "departures" else "arrival"
        chosen = [
            r
            for r in self.boards.get((icao, board), [])
            # withLeg=true records hold the board's own leg, default ones the ``movement`` (own times).
            if begin <= _local_scheduled(r.get(side) or r["movement"]) <= finish
        ]
        if not chosen:
            return Response(status=204)
        return json_response({board: chosen})


def _local_scheduled(leg: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(leg["scheduledTime"]["local"][:16])


class FakeOpenSky(FakeApi):
    """``POST /token`` (client credentials) and ``GET /api/flights/departure|arrival`` with a bearer token."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        boards: dict[tuple[str, str], list[dict[str, Any]]],
        *,
        expires_in: int = 1800,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.boards = boards
        self.expires_in = expires_in
        self.valid_tokens: set[str] = set()
        self.issued: list[str] = []
        self.credits = 4000
        #: Answers for the next token requests instead of the fake's own (``script`` is the flights API's).
        self.token_script = Script()
        self._lock = threading.Lock()

    def register(self, server: HTTPServer) -> None:
        server.expect_request("/token", method="POST").respond_with_handler(self.token)
        server.expect_request("/api/flights/departure").respond_with_handler(self)
        server.expect_request("/api/flights/arrival").respond_with_handler(self)

    def token(self, request: Request) -> Response:
        scripted = self.token_script.next()
        if scripted is not None:
            return scripted
        form = request.form
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return json_response({"error": "invalid_client", "error_description": "Invalid client credentials"}, 401)
        with self._lock:
            token = f"tok-{len(self.issued) + 1}-{self.client_id}-0123456789abcdef"
            self.issued.append(token)
            self.valid_tokens.add(token)
        return json_response({"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"})

    def expire_all_tokens(self) -> None:
        with self._lock:
            self.valid_tokens.clear()

    def answer(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.valid_tokens:
            return Response("", status=401)
        kind = request.path.rsplit("/", 1)[1]
        board = "departures" if kind == "departure" else "arrivals"
        icao = request.args["airport"]
        begin, end = int(request.args["begin"]), int(request.args["end"])
        field_name = "firstSeen" if board == "departures" else "lastSeen"
        flights = [f for f in self.boards.get((icao, board), []) if begin <= f[field_name] <= end]
        with self._lock:
            self.credits -= 4
            headers = {"X-Rate-Limit-Remaining": str(self.credits)}
        if not flights:
            return Response("", status=404, headers=headers)
        return json_response(flights, headers=headers)


def request_lines(server: HTTPServer, *, path_prefix: str = "") -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, query args) of every request the server received, in order."""
    return [
        (request.method, request.path, dict(request.args.items()))
        for request, _ in server.log
        if request.path.startswith(path_prefix)
    ]


def wait_for_log(server: HTTPServer, count: int, timeout_s: float = 5.0) -> None:
    """Wait until the server has finished answering ``count`` requests (a timed-out one finishes late)."""
    deadline = time.monotonic() + timeout_s
    while len(server.log) < count and time.monotonic() < deadline:
        time.sleep(0.02)
