"""Quota planning before a run or backfill, the usage ledger, and `flightpipe sources`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.core.errors import QuotaExceeded
from flightpipe.pipeline.sources import ensure_quota
from flightpipe.sources.quota import QuotaPlan, check_budget, plan_requests
from flightpipe.state.store import StateStore
from flightpipe.state.usage import BudgetedUsage
from tests.helpers.cli_process import flightpipe

NOW = dt.datetime(2024, 6, 15, 12, 0, tzinfo=dt.UTC)
DAYS = [dt.date(2024, 6, 13), dt.date(2024, 6, 14)]


class _Clock:
    def __call__(self) -> dt.datetime:
        return NOW


def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, budget: int | None = None) -> Settings:
    monkeypatch.setenv("FLIGHTPIPE__SOURCE__TYPE", source)
    if budget is not None:
        monkeypatch.setenv(f"FLIGHTPIPE__SOURCES__{source.upper()}__MONTHLY_BUDGET", str(budget))
    return load_settings(data_dir=str(tmp_path / "data"))


def _usage(settings: Settings) -> BudgetedUsage:
    budgets = {
        name: settings.sources.by_name(name).monthly_budget for name in ("aviationstack", "aerodatabox", "opensky")
    }
    return BudgetedUsage(StateStore.open(settings.resolved_ledger_path()).usage, budgets, clock=_Clock())


def _plan(settings: Settings, usage: BudgetedUsage, days: list[dt.date] = DAYS) -> QuotaPlan | None:
    boards = [str(board) for board in settings.boards]
    return plan_requests(settings.source, settings.sources, settings.airports, boards, days, usage=usage, now=NOW)


def test_aviationstack_plans_two_passes_of_the_estimated_pages_per_board_then_of_the_pages_it_last_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, monkeypatch, "aviationstack")
    usage = _usage(settings)
    plan = _plan(settings, usage)
    # A board of several pages lands when two passes agree: two requests per page.
    assert plan is not None and (plan.requests, plan.boards) == (2 * 5 * 2 * (2 * 10), 20)
    for icao in settings.airports:
        usage.note_pages("aviationstack", icao, "departures", 7)
        usage.note_pages("aviationstack", icao, "arrivals", 6)
    plan = _plan(settings, usage)
    assert plan is not None and plan.requests == 2 * 5 * (2 * 7 + 2 * 6)


def test_an_aviationstack_board_of_one_page_is_planned_as_one_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, monkeypatch, "aviationstack")
    usage = _usage(settings)
    for icao in settings.airports:
        for board in ("departures", "arrivals"):
            usage.note_pages("aviationstack", icao, board, 1)
    plan = _plan(settings, usage)
    assert plan is not None and plan.requests == 2 * 5 * 2 * 1


@pytest.mark.parametrize(("source", "per_board"), [("aerodatabox", 2), ("opensky", 1)])
def test_fixed_requests_per_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, per_board: int) -> None:
    settings = _settings(tmp_path, monkeypatch, source)
    plan = _plan(settings, _usage(settings))
    assert plan is not None and plan.requests == 2 * 5 * 2 * per_board


class _Untouched:
    """A usage counter that must not be read."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"usage.{name} was used")


def test_the_simulated_source_needs_no_plan_and_its_check_creates_no_state_file(settings: Settings) -> None:
    boards = [str(board) for board in settings.boards]
    assert plan_requests(settings.source, settings.sources, settings.airports, boards, DAYS, usage=_Untouched()) is None
    assert ensure_quota(settings, DAYS) is None and not settings.resolved_ledger_path().exists()


def test_a_run_over_the_monthly_budget_is_refused_saying_how_many_it_needs_and_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, monkeypatch, "aerodatabox", budget=100)
    usage = _usage(settings)
    for _ in range(70):
        usage.reserve_request("aerodatabox")
    with pytest.raises(QuotaExceeded) as exc:
        check_budget(_plan(settings, usage))
    assert str(exc.value) == (
        "refusing to start: aerodatabox: needs 40 requests (20 boards, about 2.0 each); 30 of the monthly budget of "
        "100 are left for 2024-06 (70 used). Collect fewer days or airports, or raise "
        "sources.aerodatabox.monthly_budget if your plan allows more"
    )
    assert check_budget(_plan(settings, usage, DAYS[:1])) is not None  # 20 fit in 30


def test_the_configured_check_reads_this_months_usage_from_the_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, monkeypatch, "opensky", budget=25)
    with StateStore.open(settings.resolved_ledger_path()) as state:
        usage = BudgetedUsage(state.usage)
        for _ in range(10):
            usage.reserve_request("opensky")
    with pytest.raises(QuotaExceeded, match="opensky: needs 20 requests .* 15 of the monthly budget of 25 are left"):
        ensure_quota(settings, DAYS)
    assert ensure_quota(settings, DAYS[:1]) is not None


def test_usage_is_counted_per_calendar_month(tmp_path: Path) -> None:
    clock = {"now": dt.datetime(2024, 5, 31, 23, 59, tzinfo=dt.UTC)}
    usage = BudgetedUsage(StateStore.open(tmp_path / "ledger.sqlite").usage, {"opensky": 1}, clock=lambda: clock["now"])
    usage.reserve_request("opensky")
    with pytest.raises(QuotaExceeded, match="monthly budget of 1 requests for 2024-05 is used up"):
        usage.reserve_request("opensky")
    clock["now"] = dt.datetime(2024, 6, 1, 0, 0, tzinfo=dt.UTC)
    usage.reserve_request("opensky")
    assert (usage.used("opensky", "2024-05"), usage.used("opensky", "2024-06")) == (1, 1)


def test_cli_run_is_refused_before_any_request_when_the_budget_is_too_small(tmp_path: Path) -> None:
    env = {
        "FLIGHTPIPE__SOURCE__TYPE": "aviationstack",
        "FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY": "cli-key-13579bdf",
        "FLIGHTPIPE__SOURCES__AVIATIONSTACK__MONTHLY_BUDGET": "99",
        "FLIGHTPIPE__SOURCES__AVIATIONSTACK__BASE_URL": "https://127.0.0.1:9/v1",  # never reached
    }
    result = flightpipe("run", "--date", "2024-06-14", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "refusing to start: aviationstack: needs 200 requests (10 boards, about 20.0 each); 99 of the monthly" in (
        " ".join(result.stderr.split())
    )
    backfill = flightpipe("backfill", "--start", "2024-06-10", "--end", "2024-06-14", cwd=tmp_path, env=env)
    assert backfill.returncode == 1 and "needs 1000 requests (50 boards" in " ".join(backfill.stderr.split())
    assert "cli-key-13579bdf" not in result.stdout + result.stderr + backfill.stdout + backfill.stderr


def test_cli_sources_lists_every_source_with_credential_status_and_limits_never_values(tmp_path: Path) -> None:
    env = {
        "FLIGHTPIPE__SOURCE__TYPE": "opensky",
        "FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY": "listed-key-24680ace",
        "FLIGHTPIPE__SOURCES__AVIATIONSTACK__MONTHLY_BUDGET": "100",
        "FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_ID": "listed-client",
        "FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_SECRET": "listed-secret-97531",
    }
    result = flightpipe("sources", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 3}
    assert set(lines) >= {"simulated", "aviationstack", "aerodatabox", "opensky"}
    assert "set (environment)" in lines["aviationstack"] and "100/month" in lines["aviationstack"]
    assert "missing:" in lines["aerodatabox"] and "yes" in lines["opensky"]
    for secret in ("listed-key-24680ace", "listed-secret-97531", "listed-client"):
        assert secret not in result.stdout + result.stderr
    assert not (tmp_path / "flightpipe-data").exists()
