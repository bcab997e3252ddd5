"""Structured logs: JSON lines off a terminal, text on one, run id and step on every line, secrets masked."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightpipe.config import load_settings
from flightpipe.core.logs import configure_logging, log_context
from flightpipe.core.redact import register_secret
from flightpipe.pipeline.runner import run_day
from tests.helpers.alert_services import source_down

DAY = dt.date(2026, 6, 8)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    # The "flightpipe" logger's level is restored as it was, not reset: the AWS handlers' powertools Logger
    # (service "flightpipe") set it when imported, and a later test in the same process relies on it.
    root, ours = logging.getLogger(), logging.getLogger("flightpipe")
    handlers, level, our_level = list(root.handlers), root.level, ours.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    ours.setLevel(our_level)


def test_every_line_of_a_run_is_json_with_the_run_id_and_the_steps_name_the_step(
    tmp_path: Path, restore_logging: None
) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "auto", stream=stream)
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH")
    summary = run_day(
        settings, DAY, clock=lambda: dt.datetime(2026, 6, 20, tzinfo=dt.UTC), source=source_down("EDDH", "arrivals")
    )
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all(line["run_id"] == summary.run_id for line in lines)
    steps = {line["step"] for line in lines if line["logger"] == "flightpipe.pipeline.runner"}
    assert {"collect EDDH/departures", "collect EDDH/arrivals", "process 2026-06-08", "load 2026-06-08"} <= steps
    failed = [line for line in lines if line["message"].startswith("step failed")]
    # The collect step, then the quality gate holding what the missing board feeds.
    assert [(f["level"], f["step"]) for f in failed] == [
        ("ERROR", "collect EDDH/arrivals"),
        *[("ERROR", line["step"]) for line in failed[1:] if line["step"].startswith("gate ")],
    ] and len(failed) >= 2
    alerts = {line["data"]["detail-type"] for line in lines if line["logger"] == "flightpipe.alerts"}
    assert alerts == {"flightpipe.run.failed", "flightpipe.quality.failed"}
    assert set(lines[0]) >= {"time", "level", "logger", "message", "run_id", "step"}


def test_lines_outside_a_run_have_null_run_id_and_step(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    logging.getLogger("flightpipe.test").info("hello %s", "world")
    line = json.loads(stream.getvalue())
    assert (line["message"], line["run_id"], line["step"]) == ("hello world", None, None)


def test_a_terminal_gets_readable_text_with_the_run_and_step(restore_logging: None) -> None:
    stream = Terminal()
    configure_logging("INFO", "auto", stream=stream)
    with log_context(run_id="20260609T023000Z-abc123", step="collect EDDF/departures"):
        logging.getLogger("flightpipe.test").warning("slow answer")
    text = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())  # rich colours a terminal
    assert "WARNING" in text and "[20260609T023000Z-abc123 collect EDDF/departures] slow answer" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_secrets_are_masked_in_messages_data_and_tracebacks(restore_logging: None) -> None:
    register_secret("very-secret-token-42")
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    log = logging.getLogger("flightpipe.test")
    log.info(
        "GET https://api.example/v1?access_key=abc123",
        extra={"data": {"password": "hunter22", "x": "very-secret-token-42"}},
    )
    try:
        raise RuntimeError("token very-secret-token-42 refused")
    except RuntimeError:
        log.exception("failed")
    output = stream.getvalue()
    assert "abc123" not in output and "hunter22" not in output and "very-secret-token-42" not in output
    first, second = (json.loads(line) for line in output.splitlines())
    assert first["message"] == "GET https://api.example/v1?access_key=***REDACTED***"
    assert "RuntimeError: token ***REDACTED*** refused" in second["exception"]


def test_configuring_twice_replaces_the_handler_instead_of_doubling_lines(restore_logging: None) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "json", stream=first)
    configure_logging("INFO", "json", stream=second)
    logging.getLogger("flightpipe.test").info("once")
    assert first.getvalue() == "" and len(second.getvalue().splitlines()) == 1


def test_other_libraries_log_only_warnings(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    logging.getLogger("botocore.endpoint").info("chatter")
    logging.getLogger("flightpipe.test").debug("ours")
    assert [json.loads(line)["message"] for line in stream.getvalue().splitlines()] == ["ours"]
