"""Alerts sent: claimed once per problem per UTC day, released when nobody heard them, remembered redacted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightpipe.core.redact import register_secret
from flightpipe.state.alerts import SentAlerts
from flightpipe.state.store import StateStore

DAY = dt.date(2026, 6, 8)
MORNING = dt.datetime(2026, 6, 9, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def alerts(tmp_path: Path) -> Iterator[SentAlerts]:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        yield state.alerts


def claim(alerts: SentAlerts, key: str = "run.failed:2026-06-08", now: dt.datetime = MORNING) -> bool:
    return alerts.claim(key, event="flightpipe.run.failed", day=DAY, run_id="r1", summary="the run failed", now=now)


def test_a_key_is_claimed_once_per_utc_day(alerts: SentAlerts) -> None:
    assert claim(alerts)
    assert not claim(alerts, now=MORNING + dt.timedelta(hours=20))  # 23:00 UTC, the same day
    assert claim(alerts, now=MORNING + dt.timedelta(days=1))
    assert claim(alerts, key="another problem")


def test_the_day_of_a_claim_is_the_utc_date(alerts: SentAlerts) -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    assert claim(alerts, now=dt.datetime(2026, 6, 10, 1, 0, tzinfo=berlin))  # 2026-06-09 23:00 UTC
    assert not claim(alerts, now=MORNING)
    assert [a.sent_on for a in alerts.recent()] == ["2026-06-09"]


def test_a_released_claim_can_be_claimed_again_the_same_day(alerts: SentAlerts) -> None:
    assert claim(alerts)
    alerts.release("run.failed:2026-06-08", now=MORNING)
    assert alerts.recent() == []
    assert claim(alerts, now=MORNING + dt.timedelta(hours=1))


def test_who_received_it_and_what_failed_is_recorded_redacted(alerts: SentAlerts) -> None:
    register_secret("hook-secret-4242")
    claim(alerts)
    alerts.record(
        "run.failed:2026-06-08", now=MORNING, delivered_to=["log", "email"], failed=["webhook: 500 hook-secret-4242"]
    )
    [sent] = alerts.recent()
    assert (sent.event, sent.day, sent.run_id, sent.sent_at, sent.summary) == (
        "flightpipe.run.failed",
        "2026-06-08",
        "r1",
        "2026-06-09T03:00:00+00:00",
        "the run failed",
    )
    assert (sent.delivered_to, sent.failed) == (["log", "email"], ["webhook: 500 ***REDACTED***"])


def test_recent_alerts_are_newest_first_and_limited(alerts: SentAlerts) -> None:
    for hour in range(3):
        claim(alerts, key=f"k{hour}", now=MORNING + dt.timedelta(hours=hour))
    assert [a.dedup_key for a in alerts.recent(2)] == ["k2", "k1"]
