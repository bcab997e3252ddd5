"""The sources as the runtimes use them: built from the settings, with the state store's usage and credits.

The sources layer knows nothing of the configuration or the state; this is where the two are wired in (the
runner, the Lambda collect handler and the CLI call these). A source that sends no requests (the simulated one)
is built without them, so it never creates the state file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from flightpipe.config import Settings
from flightpipe.sources.base import Source
from flightpipe.sources.quota import QuotaPlan, check_budget
from flightpipe.sources.quota import plan_requests as _plan_requests
from flightpipe.sources.registry import api_names, build_source, source_spec
from flightpipe.sources.report import SourceRow, list_sources
from flightpipe.sources.spec import SourceResources
from flightpipe.state.credits import CreditsMemory
from flightpipe.state.usage import UsageLedger


def open_usage(settings: Settings) -> UsageLedger:
    """The monthly request counts in the state file, with every API's configured budget."""
    budgets = {name: settings.sources.by_name(name).monthly_budget for name in api_names()}
    return UsageLedger(settings.resolved_ledger_path(), budgets)


def open_source(settings: Settings, *, usage: UsageLedger | None = None) -> Source:
    """The configured source. A real API gets its credentials resolved (environment, else Secrets Manager) and
    counts its requests in ``usage`` (default: the usage tables in the state file)."""
    spec = source_spec(settings.source.type)
    resources = SourceResources()
    if spec.sends_requests:
        resources = SourceResources(
            usage=usage if usage is not None else open_usage(settings),
            credits=CreditsMemory(settings.resolved_ledger_path()),
        )
    return build_source(settings.source, settings.sources, resources)


def plan_requests(
    settings: Settings, days: Sequence[dt.date], *, usage: UsageLedger | None = None, now: dt.datetime | None = None
) -> QuotaPlan | None:
    """The plan for running ``days`` with the configured source (None for a source that sends no requests)."""

    def plan(ledger: UsageLedger) -> QuotaPlan | None:
        return _plan_requests(
            settings.source, settings.sources, settings.airports, _boards(settings), days, usage=ledger, now=now
        )

    return _with_usage(settings, usage, plan)


def ensure_quota(
    settings: Settings, days: Sequence[dt.date], *, usage: UsageLedger | None = None, now: dt.datetime | None = None
) -> QuotaPlan | None:
    """Refuse (``QuotaExceeded``) a run or backfill that would go over the source's monthly budget."""
    return check_budget(plan_requests(settings, days, usage=usage, now=now))


def source_rows(settings: Settings) -> list[SourceRow]:
    """``flightpipe sources``: every registered source; reads usage only where it exists (listing the sources
    must not create a data folder)."""
    ledger_path = settings.resolved_ledger_path()
    usage = UsageLedger(ledger_path) if ledger_path.exists() else None
    try:
        return list_sources(settings.source, settings.sources, usage=usage, credits=CreditsMemory(ledger_path))
    finally:
        if usage is not None:
            usage.close()


def _boards(settings: Settings) -> list[str]:
    return [str(board) for board in settings.boards]


def _with_usage(
    settings: Settings, usage: UsageLedger | None, plan: Callable[[UsageLedger], QuotaPlan | None]
) -> QuotaPlan | None:
    if not source_spec(settings.source.type).sends_requests:
        return None  # without opening the state file: the simulated source has no quota
    if usage is not None:
        return plan(usage)
    ledger = UsageLedger(settings.resolved_ledger_path())
    try:
        return plan(ledger)
    finally:
        ledger.close()
