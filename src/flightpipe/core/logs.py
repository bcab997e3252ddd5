"""Structured logs: JSON lines for machines, rich text for people, run id and step on every line, secrets masked.

The command line calls :func:`configure_logging` once. Everything else only does
``logging.getLogger(__name__)`` and, where a run or a step begins, binds the context with :func:`log_context`
(context variables, so parallel steps in worker threads each carry their own step).

A JSON line looks like::

    {"time": "2026-06-09T02:30:01.123Z", "level": "INFO", "logger": "flightpipe.pipeline.runner",
     "message": "step succeeded", "run_id": "20260609T023000Z-ab12cd", "step": "collect EDDF/departures",
     "data": {"duration_s": 0.41, "records_out": 412}}

``run_id`` and ``step`` are on every line (``null`` outside a run or a step). ``data`` holds what the caller passed
as ``extra={"data": {...}}``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Literal

from flightpipe.core.redact import redact, redact_obj

if TYPE_CHECKING:
    from rich.console import Console

LogFormat = Literal["auto", "json", "text"]
LOG_FORMATS: tuple[str, ...] = ("auto", "json", "text")

_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("flightpipe_run_id", default=None)
_step: contextvars.ContextVar[str | None] = contextvars.ContextVar("flightpipe_step", default=None)

#: Marks the handler this module installed, so configuring twice replaces it instead of doubling every line.
_HANDLER_NAME = "flightpipe"


class LogContext:
    """Tokens of a bound context, to restore what was there before."""

    def __init__(self, tokens: list[tuple[contextvars.ContextVar[str | None], contextvars.Token[str | None]]]) -> None:
        self._tokens = tokens

    def reset(self) -> None:
        for var, token in reversed(self._tokens):
            var.reset(token)
        self._tokens = []


def bind_log_context(*, run_id: str | None = None, step: str | None = None) -> LogContext:
    """Bind ``run_id`` and/or ``step`` for the current thread (or task) until ``reset()``."""
    tokens: list[tuple[contextvars.ContextVar[str | None], contextvars.Token[str | None]]] = []
    if run_id is not None:
        tokens.append((_run_id, _run_id.set(run_id)))
    if step is not None:
        tokens.append((_step, _step.set(step)))
    return LogContext(tokens)


@contextmanager
def log_context(*, run_id: str | None = None, step: str | None = None) -> Iterator[None]:
    bound = bind_log_context(run_id=run_id, step=step)
    try:
        yield
    finally:
        bound.reset()


def current_run_id() -> str | None:
    return _run_id.get()


class ContextFilter(logging.Filter):
    """Adds ``run_id`` and ``step`` to every record and masks secrets in the message and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = getattr(record, "run_id", None) or _run_id.get()
        record.step = getattr(record, "step", None) or _step.get()
        # Render the message once, redacted; args are dropped so no formatter can re-insert a secret.
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        data = getattr(record, "data", None)
        if data is not None:
            record.data = redact_obj(data)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "run_id": getattr(record, "run_id", None),
            "step": getattr(record, "step", None),
        }
        data = getattr(record, "data", None)
        if data is not None:
            line["data"] = data
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``[run_id step] message`` for a terminal (rich adds time and level)."""

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(str(v) for v in (getattr(record, "run_id", None), getattr(record, "step", None)) if v)
        message = f"[{context}] {record.getMessage()}" if context else record.getMessage()
        data = getattr(record, "data", None)
        if data:
            message += " " + json.dumps(data, default=str, ensure_ascii=False)
        if record.exc_text:
            message += "\n" + record.exc_text
        return message


def configure_logging(
    level: str = "INFO",
    fmt: LogFormat = "auto",
    *,
    stream: IO[str] | None = None,
    console: Console | None = None,
) -> logging.Handler:
    """Install the one flightpipe log handler on the root logger (replacing an earlier one).

    ``fmt="auto"`` writes JSON lines unless ``stream`` (default stderr) is a terminal. flightpipe's own loggers
    log at ``level``; other libraries only from WARNING up, so their debug chatter stays out. ``console``: the
    rich console text goes through (the CLI passes its stderr console, so log lines and progress bars share it).
    """
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not _is_terminal(stream))
    handler: logging.Handler
    if use_json:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
    else:
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(
            console=console or Console(file=stream),
            show_path=False,
            rich_tracebacks=False,
            markup=False,
            log_time_format="%X",
        )
        handler.setFormatter(TextFormatter())
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("flightpipe").setLevel(level.upper())
    return handler


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
