"""The one HTTP layer every real source uses: httpx for the requests, tenacity for the retries.

Per request: a timeout; retries with exponential backoff and jitter on 429, 5xx, timeouts, dropped connections
and unreadable bodies, waiting exactly what ``Retry-After`` or ``X-Rate-Limit-Retry-After-Seconds`` asks when the
server says; the source's request rate and concurrency limits; its monthly budget checked before every attempt.
Answers become typed errors: a refused key (``SourceAuthError``) is never retried, a used-up quota
(``QuotaExceeded``) stops the source for the rest of the run, and each source's ``classify`` inspects bodies so an
error answered with HTTP 200 is caught too.

Secrets: every URL in a log line, the request log (which lands in the raw envelope) or an error message goes
through ``flightpipe.core.redact``; httpx's own loggers get the same filter. Tests inject the transport (or point
``base_url`` at a local server), the clock and the sleep, so nothing really waits for a backoff.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from flightpipe.core.errors import QuotaExceeded, SourceAuthError, SourceError, SourceResponseError, SourceUnavailable
from flightpipe.core.redact import redact, redact_obj
from flightpipe.sources.account import ApiSettings

if TYPE_CHECKING:
    # httpx and tenacity are imported where a request is made, not with this module: collect imports this module
    # for ``watch_request_logs`` on every run, and the simulated source (and ``--help``) needs no HTTP (~75 ms).
    import httpx
    from tenacity import RetryCallState

log = logging.getLogger("flightpipe.sources.http")

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class Retryable(Exception):
    """A transient failure: try again after ``retry_after`` seconds (the server's word) or the backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None, quota_when_too_long: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        #: A 429 whose wait is longer than we accept means a used-up allowance, not a blip.
        self.quota_when_too_long = quota_when_too_long


class UsageGuard(Protocol):
    """Counts requests per source and month; refuses one that would go over the budget (``QuotaExceeded``)."""

    def reserve_request(self, source: str) -> None: ...


#: Inspects an answer (status, headers, parsed JSON or ``NOT_JSON``); raises a typed error or ``Retryable``.
Classifier = Callable[["Answer"], None]


class _NotJson:
    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Any = _NotJson()


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer as the classifiers see it."""

    status: int
    headers: httpx.Headers
    body: Any  # parsed JSON, None for an empty body, NOT_JSON for anything else
    text: str

    def snippet(self, limit: int = 160) -> str:
        """The start of the body, redacted and on one line, for error messages."""
        return redact(" ".join(self.text[:limit].split()))


@dataclass
class RequestLog:
    """Every attempt of one board's requests, redacted: it lands in the raw envelope's ``requests``."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        watching = _watched_logs.get()
        if watching is not None:
            watching.append(self)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.entries.append(redact_obj(entry))


#: The request logs made in this context since ``watch_request_logs`` began (None: nobody is watching).
_watched_logs: ContextVar[list[RequestLog] | None] = ContextVar("flightpipe_request_logs", default=None)


@contextmanager
def watch_request_logs() -> Iterator[list[RequestLog]]:
    """Every RequestLog a source makes in this thread while the block runs. A fetch that fails returns no
    FetchedBoard, so this is how collect still knows the requests and retries a failed board cost."""
    logs: list[RequestLog] = []
    token = _watched_logs.set(logs)
    try:
        yield logs
    finally:
        _watched_logs.reset(token)


class RateLimiter:
    """At most ``per_second`` request starts per second, across threads (each start reserves the next slot)."""

    def __init__(self, per_second: float, *, clock: Clock, sleep: Sleep) -> None:
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = now if self._next is None else max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_filter_installed = False
_filter_lock = threading.Lock()


def install_log_redaction() -> None:
    """httpx logs every request URL at INFO; aviationstack's key is in that URL."""
    global _filter_installed
    with _filter_lock:
        if _filter_installed:
            return
        for name in ("httpx", "httpcore", "flightpipe"):
            logging.getLogger(name).addFilter(_RedactingFilter())
        _filter_installed = True


class ApiClient:
    """A source's HTTP client: limits, retries, typed errors, redaction. Thread-safe."""

    def __init__(
        self,
        name: str,
        settings: ApiSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        usage: UsageGuard | None = None,
    ) -> None:
        import httpx

        install_log_redaction()
        self.name = name
        self.settings = settings
        self._sleep = sleep
        self._usage = usage
        self._http = httpx.Client(transport=transport, timeout=httpx.Timeout(settings.timeout_s))
        self._slots = threading.BoundedSemaphore(settings.max_concurrency)
        self._limiter = RateLimiter(settings.requests_per_second, clock=clock, sleep=sleep)
        self._stopped: SourceError | None = None
        self._stop_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        classify: Classifier,
        log_to: RequestLog,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        empty_statuses: frozenset[int] = frozenset({204}),
        counts_against_budget: bool = True,
    ) -> Answer:
        """Send one logical request (retried as the policy says); the answer, or a typed SourceError."""
        import httpx
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(Retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        shown = redact(str(httpx.URL(url, params=params or {})))
        try:
            return retrying(
                self._attempt,
                method,
                url,
                shown,
                classify,
                log_to,
                params,
                headers,
                data,
                empty_statuses,
                counts_against_budget,
            )
        except Retryable as exc:
            raise SourceUnavailable(
                f"{self.name}: {method} {shown} failed {self.settings.max_attempts} times; last: {exc}"
            ) from None
        except (QuotaExceeded, SourceAuthError) as exc:
            self._stop(exc)
            raise

    # One attempt ------------------------------------------------------------------------------------------

    def _attempt(
        self,
        method: str,
        url: str,
        shown: str,
        classify: Classifier,
        log_to: RequestLog,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        empty_statuses: frozenset[int],
        counts_against_budget: bool,
    ) -> Answer:
        import httpx

        with self._stop_lock:
            if self._stopped is not None:
                # Not sent: say so for this request, and quote the refusal as the earlier request's.
                raise type(self._stopped)(
                    f"{self.name}: {method} {shown} not sent: an earlier request of this run was refused "
                    f"({self._stopped})"
                )
        entry: dict[str, Any] = {"method": method, "url": shown}
        with self._slots:
            self._limiter.wait()
            if counts_against_budget and self._usage is not None:
                self._usage.reserve_request(self.name)
            try:
                response = self._http.request(method, url, params=params, headers=headers, data=data)
            except httpx.TimeoutException as exc:
                log_to.add({**entry, "error": f"timeout ({type(exc).__name__})"})
                raise Retryable(f"timed out after {self.settings.timeout_s:g} s ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                log_to.add({**entry, "error": f"connection failed ({type(exc).__name__})"})
                raise Retryable(f"connection failed: {type(exc).__name__}: {redact(str(exc))}") from None
        answer = _answer(response)
        entry["status"] = answer.status
        remaining = answer.headers.get("x-rate-limit-remaining")
        if remaining is not None:
            entry["rate_limit_remaining"] = remaining
        log.debug("%s %s -> HTTP %s", method, shown, answer.status)
        try:
            classify(answer)
            _classify_generic(answer, empty_statuses)
        except (SourceError, Retryable) as exc:
            # A failed attempt says so in the log, whatever its status: an HTTP 200 with an error body, an HTML
            # page or cut-off JSON failed as much as a 500 did, and the next attempt is its retry.
            entry["error"] = redact(str(exc))[:300]
            log_to.add(entry)
            raise _with_context(exc, self.name, method, shown) from None
        log_to.add(entry)
        return answer

    # Waiting ----------------------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            if exc.retry_after > self.settings.max_retry_after_s:
                message = (
                    f"{self.name}: {exc} - the server asks to wait {exc.retry_after:g} s, longer than "
                    f"sources.{self.name}.max_retry_after_s = {self.settings.max_retry_after_s:g} s"
                )
                if exc.quota_when_too_long:
                    raise QuotaExceeded(f"{message}: its rate limit or credits are used up; try again later")
                raise SourceUnavailable(message)
            return exc.retry_after
        from tenacity import wait_exponential_jitter

        backoff = wait_exponential_jitter(
            initial=self.settings.backoff_initial_s,
            max=self.settings.backoff_max_s,
            jitter=self.settings.backoff_initial_s,
        )
        return float(backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning("%s: attempt %d failed (%s); retrying in %.1f s", self.name, state.attempt_number, exc, wait)

    def _stop(self, exc: SourceError) -> None:
        with self._stop_lock:
            if self._stopped is None:
                self._stopped = exc
                log.error("%s: stopped for this run: %s", self.name, exc)


def _answer(response: httpx.Response) -> Answer:
    text = response.text
    body: Any
    if not text.strip():
        body = None
    else:
        try:
            body = json.loads(text)
        except ValueError:
            body = NOT_JSON
    return Answer(status=response.status_code, headers=response.headers, body=body, text=text)


def _classify_generic(answer: Answer, empty_statuses: frozenset[int]) -> None:
    """What every API means by a status code, once the source's own classifier had its say."""
    status = answer.status
    if status == 429:
        raise Retryable("HTTP 429 Too Many Requests", retry_after=retry_after(answer.headers), quota_when_too_long=True)
    if status >= 500:
        raise Retryable(f"HTTP {status}: {answer.snippet()}", retry_after=retry_after(answer.headers))
    if status in (401, 403):
        raise SourceAuthError(f"HTTP {status}: the credentials were refused: {answer.snippet()}")
    if status in empty_statuses:
        return
    if status >= 400:
        raise SourceResponseError(f"HTTP {status}: the request was refused: {answer.snippet()}")
    if answer.body is NOT_JSON:
        looks_html = answer.text.lstrip()[:1] == "<"
        raise Retryable(f"HTTP {status} with {'an HTML page' if looks_html else 'malformed JSON'}: {answer.snippet()}")
    if answer.body is None:
        raise Retryable(f"HTTP {status} with an empty body")


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``X-Rate-Limit-Retry-After-Seconds``."""
    for name in ("x-rate-limit-retry-after-seconds", "retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        return max(0.0, when.timestamp() - time.time())
    return None


def _with_context(exc: Exception, name: str, method: str, shown: str) -> Exception:
    """The same error, its message saying which source and (redacted) request it came from."""
    if isinstance(exc, Retryable):
        return exc  # the final error, after the retries, names the request
    return type(exc)(f"{name}: {method} {shown}: {exc}")
