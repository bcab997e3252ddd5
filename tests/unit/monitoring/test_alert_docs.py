"""docs/operations.md stays true to the event contract: every event has its row in the alerts table."""

from __future__ import annotations

import datetime as dt
import re

from flightpipe.monitoring import events as ev
from tests.conftest import REPO

DOC = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")


def _rows() -> dict[str, list[list[str]]]:
    """The alerts table's rows by event name (``processing.delayed`` has one row per kind)."""
    rows: dict[str, list[list[str]]] = {}
    for line in DOC.splitlines():
        match = re.match(r"^\| `(flightpipe\.[a-z_.]+)`", line)
        if match:
            rows.setdefault(match.group(1), []).append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_every_event_is_described_in_the_alerts_table() -> None:
    assert sorted(_rows()) == sorted(ev.EVENT_NAMES)


def test_both_kinds_of_processing_delayed_have_their_row() -> None:
    kinds = [row[0] for row in _rows()[ev.PROCESSING_DELAYED]]
    assert kinds == [
        f"`{ev.PROCESSING_DELAYED}` (`kind: {ev.DELAY_DEADLINE}`)",
        f"`{ev.PROCESSING_DELAYED}` (`kind: {ev.DELAY_SLOW_STEP}`)",
    ]


def test_the_quality_failed_row_gives_the_commands_the_alert_gives() -> None:
    [row] = _rows()[ev.QUALITY_FAILED]
    remedy = ev.quality_failed(run_id="r1", day=dt.date(2026, 6, 8), failures=[], time=dt.datetime.now(dt.UTC)).remedy
    for command in ("flightpipe check --date", "flightpipe quarantine --date"):
        assert f"`{command} D`" in row[-1] and f"`{command} 2026-06-08`" in remedy, command
