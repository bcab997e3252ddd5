"""API usage: requests counted per source and month against the budget, pages per board remembered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightpipe.core.errors import QuotaExceeded
from flightpipe.sources.quota import month_of
from flightpipe.state.store import StateStore
from flightpipe.state.usage import ApiUsage, BudgetedUsage

JUNE = dt.datetime(2026, 6, 30, 23, 0, tzinfo=dt.UTC)


@pytest.fixture
def usage(tmp_path: Path) -> Iterator[ApiUsage]:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        yield state.usage


def test_each_request_is_counted_per_source_and_month(usage: ApiUsage) -> None:
    for _ in range(3):
        usage.reserve_request("aviationstack", month="2026-06", budget=None)
    usage.reserve_request("aviationstack", month="2026-07", budget=None)
    usage.reserve_request("opensky", month="2026-06", budget=None)
    assert [usage.used("aviationstack", "2026-06"), usage.used("aviationstack", "2026-07")] == [3, 1]
    assert [usage.used("opensky", "2026-06"), usage.used("aerodatabox", "2026-06")] == [1, 0]


def test_a_request_over_the_budget_is_refused_and_not_counted(usage: ApiUsage) -> None:
    usage.reserve_request("aviationstack", month="2026-06", budget=2)
    usage.reserve_request("aviationstack", month="2026-06", budget=2)
    with pytest.raises(QuotaExceeded, match="the monthly budget of 2 requests for 2026-06 is used up \\(2 made\\)"):
        usage.reserve_request("aviationstack", month="2026-06", budget=2)
    assert usage.used("aviationstack", "2026-06") == 2


def test_the_pages_a_board_needed_last_are_remembered(usage: ApiUsage) -> None:
    assert usage.pages("aviationstack", "EDDF", "departures") is None
    usage.note_pages("aviationstack", "EDDF", "departures", 3, at=JUNE)
    usage.note_pages("aviationstack", "EDDF", "departures", 2, at=JUNE)
    assert (usage.pages("aviationstack", "EDDF", "departures"), usage.pages("aviationstack", "EDDF", "arrivals")) == (
        2,
        None,
    )


def test_the_month_is_the_utc_month() -> None:
    assert month_of(dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == "2026-06"


def test_the_budgeted_usage_counts_against_its_budgets_in_the_month_of_its_clock(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        usage = BudgetedUsage(state.usage, {"aviationstack": 1}, clock=lambda: JUNE)
        usage.reserve_request("aviationstack")
        with pytest.raises(QuotaExceeded):
            usage.reserve_request("aviationstack")
        usage.reserve_request("opensky")  # no budget configured: never refused
        assert (usage.used("aviationstack"), usage.budget("aviationstack"), usage.budget("opensky")) == (1, 1, None)
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        assert state.usage.used("aviationstack", "2026-06") == 1
