"""The dispatcher: once per problem per day, every chosen notifier, and a failing notifier never raises."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from flightpipe.monitoring import events as ev
from flightpipe.monitoring.alerts import AlertDispatcher
from flightpipe.monitoring.events import Event
from flightpipe.monitoring.notifiers import LogNotifier, NotifierError, build_notifiers
from flightpipe.monitoring.settings import AlertsSettings, LogNotifierSettings
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 8)
MORNING = dt.datetime(2026, 6, 9, 3, 0, tzinfo=dt.UTC)


class Recording:
    def __init__(self, name: str = "recording", events: list[str] | None = None, fail: Exception | None = None) -> None:
        self.name = name
        self.sent: list[Event] = []
        self._events = events
        self._fail = fail

    def accepts(self, event: Event) -> bool:
        return self._events is None or event.name in self._events

    def send(self, event: Event) -> None:
        if self._fail is not None:
            raise self._fail
        self.sent.append(event)


def missing(run_id: str = "r1", airport: str = "EDDM") -> Event:
    return ev.data_missing(run_id=run_id, day=DAY, missing=[(airport, "departures")], time=MORNING)


def dispatcher(tmp_path: Path, *notifiers: Recording, now: dt.datetime = MORNING, **alerts: object) -> AlertDispatcher:
    """A dispatcher over its own connection to the state file, as each run opens its own (closed when collected)."""
    state = StateStore.open(tmp_path / "ledger.sqlite")
    return AlertDispatcher(AlertsSettings.model_validate(alerts), state.alerts, notifiers, clock=lambda: now)


def test_the_same_problem_is_sent_once_a_day_however_often_it_recurs(tmp_path: Path) -> None:
    inbox = Recording()
    first = dispatcher(tmp_path, inbox).dispatch(missing("r1"))
    retry = dispatcher(tmp_path, inbox).dispatch(missing("r2"))
    assert (first.sent, retry.sent, retry.suppressed) == (True, False, "duplicate")
    assert [e.run_id for e in inbox.sent] == ["r1"]


def test_a_problem_that_persists_is_sent_again_the_next_day(tmp_path: Path) -> None:
    inbox = Recording()
    dispatcher(tmp_path, inbox).dispatch(missing("r1"))
    dispatcher(tmp_path, inbox, now=MORNING + dt.timedelta(days=1)).dispatch(missing("r2"))
    assert [e.run_id for e in inbox.sent] == ["r1", "r2"]


def test_a_different_problem_the_same_day_is_sent(tmp_path: Path) -> None:
    inbox = Recording()
    dispatcher(tmp_path, inbox).dispatch(missing(airport="EDDM"))
    dispatcher(tmp_path, inbox).dispatch(missing(airport="EDDF"))
    assert len(inbox.sent) == 2


def test_a_failing_notifier_does_not_raise_and_does_not_stop_the_others(tmp_path: Path) -> None:
    broken, working = Recording("broken", fail=RuntimeError("SMTP down")), Recording("working")
    outcome = dispatcher(tmp_path, broken, working).dispatch(missing())
    assert outcome.sent and outcome.delivered_to == ["working"]
    assert outcome.failed == ["broken: RuntimeError: SMTP down"]
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        [sent] = state.alerts.recent()
    assert (sent.delivered_to, sent.failed) == (["working"], ["broken: RuntimeError: SMTP down"])


def test_an_alert_nobody_could_deliver_is_tried_again_by_the_next_attempt(tmp_path: Path) -> None:
    outcome = dispatcher(tmp_path, Recording("dead", fail=NotifierError("refused"))).dispatch(missing("r1"))
    assert not outcome.sent and outcome.failed == ["dead: NotifierError: refused"]
    inbox = Recording()
    assert dispatcher(tmp_path, inbox).dispatch(missing("r2")).sent
    assert [e.run_id for e in inbox.sent] == ["r2"]


def test_the_succeeded_event_is_off_by_default_and_sent_when_enabled(tmp_path: Path) -> None:
    succeeded = ev.run_succeeded(
        run_id="r1",
        day=DAY,
        records_collected=1,
        rows_loaded=1,
        flight_dates=[],
        duration_s=1,
        source="s",
        time=MORNING,
    )
    off, on = Recording(), Recording()
    assert dispatcher(tmp_path / "a", off).dispatch(succeeded).suppressed == "disabled"
    assert dispatcher(tmp_path / "b", on, run_succeeded=True).dispatch(succeeded).sent
    assert (off.sent, len(on.sent)) == ([], 1)


def test_a_notifier_gets_only_the_events_it_is_configured_for(tmp_path: Path) -> None:
    settings = AlertsSettings.model_validate({"notifiers": ["log"], "log": {"events": ["flightpipe.run.failed"]}})
    [log_notifier] = build_notifiers(settings)
    assert not log_notifier.accepts(missing())


def test_an_unknown_event_name_in_a_notifier_filter_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="'flightpipe.run.exploded' is not an event; allowed: flightpipe.run.failed"):
        LogNotifierSettings(events=["flightpipe.run.exploded"])


def test_the_log_notifier_logs_warnings_at_warning_with_the_event(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="flightpipe.alerts")
    LogNotifier(LogNotifierSettings()).send(missing())
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("flightpipe.data.missing: no data for 2026-06-08: EDDM departures")
    assert record.data["detail"]["missing"] == [{"airport": "EDDM", "board": "departures"}]  # type: ignore[attr-defined]
