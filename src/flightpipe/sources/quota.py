"""Quota planning: how many requests a run or backfill will make, checked against the monthly budget first.

Requests per board come from the source's registration (``SourceSpec.requests_per_board``): aviationstack two
per page (the pages the board needed last time, from the usage counter, else ``pages_per_board_estimate``: a
board of several pages lands only when two passes agree), one for a board of one page; AeroDataBox two (the
two 12-hour windows), OpenSky one (token requests cost no credits and are not counted). A source without an
account (the simulated one) makes none. With ``sources.<api>.monthly_budget`` set, a run whose plan does not fit
what is left of this month's budget is refused before anything is sent, naming how many requests it needs and
how many are left. The HTTP layer enforces the same budget request by request, so an estimate that was too low
still stops at the budget.

Credits: OpenSky limits credits per *day*, not requests per month, and a day-long query costs several credits,
so the plan (requests) cannot say whether a run fits them. The last ``X-Rate-Limit-Remaining`` OpenSky sent is
kept in the injected ``CreditsMemory`` so ``flightpipe sources`` can show it; the source stops itself at 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flightpipe.core.clock import utc_now
from flightpipe.core.errors import QuotaExceeded
from flightpipe.sources.account import SourceAccounts, SourceChoice
from flightpipe.sources.registry import source_spec
from flightpipe.sources.spec import UsageCounter


@dataclass(frozen=True, slots=True)
class QuotaPlan:
    source: str
    requests: int
    boards: int
    budget: int | None
    used: int
    month: str

    @property
    def left(self) -> int | None:
        return None if self.budget is None else max(self.budget - self.used, 0)

    @property
    def fits(self) -> bool:
        return self.left is None or self.requests <= self.left

    def describe(self) -> str:
        per_board = self.requests / self.boards if self.boards else 0
        needs = f"{self.requests} requests ({self.boards} boards, about {per_board:.1f} each)"
        if self.budget is None:
            return f"{self.source}: needs {needs}; no monthly budget configured ({self.used} used in {self.month})"
        return (
            f"{self.source}: needs {needs}; {self.left} of the monthly budget of {self.budget} are left "
            f"for {self.month} ({self.used} used)"
        )


def month_of(when: dt.datetime) -> str:
    """The calendar month (UTC) a request counts in, as the usage counter keys it: ``2024-06``."""
    return f"{when.astimezone(dt.UTC):%Y-%m}"


def plan_requests(
    choice: SourceChoice,
    accounts: SourceAccounts,
    airports: Sequence[str],
    boards: Sequence[str],
    days: Sequence[dt.date],
    *,
    usage: UsageCounter,
    now: dt.datetime | None = None,
) -> QuotaPlan | None:
    """The plan for collecting ``boards`` of ``airports`` on ``days`` from ``choice`` (None for a source that
    sends no requests)."""
    spec = source_spec(choice.type)
    if spec.requests_per_board is None:
        return None
    account = accounts.by_name(spec.name)
    pairs = [(icao, str(board)) for icao in airports for board in boards]
    per_day = sum(spec.requests_per_board(account, usage.pages(spec.name, icao, board)) for icao, board in pairs)
    month = month_of(now or utc_now())
    return QuotaPlan(
        source=spec.name,
        requests=per_day * len(days),
        boards=len(pairs) * len(days),
        budget=account.monthly_budget,
        used=usage.used(spec.name, month),
        month=month,
    )


def check_budget(plan: QuotaPlan | None) -> QuotaPlan | None:
    """Refuse (``QuotaExceeded``) a plan that would go over the source's monthly budget; return it otherwise."""
    if plan is not None and not plan.fits:
        raise QuotaExceeded(
            f"refusing to start: {plan.describe()}. Collect fewer days or airports, or raise "
            f"sources.{plan.source}.monthly_budget if your plan allows more"
        )
    return plan
