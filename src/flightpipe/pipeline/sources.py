"""The sources as the runtimes use them: built from the settings, with the state store's usage and credits.

The sources layer knows nothing of the configuration or the state; this is where the two are wired in (the
runner, the Lambda collect handler and the CLI call these). A source that sends no requests (the simulated one)
is built without them, so it never creates the state file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, utc_now
from flightpipe.sources.base import Source
from flightpipe.sources.quota import QuotaPlan, check_budget
from flightpipe.sources.quota import plan_requests as _plan_requests
from flightpipe.sources.registry import api_names, build_source, source_spec
from flightpipe.sources.report import SourceRow, list_sources
from flightpipe.sources.spec import SourceResources
from flightpipe.state.credits import NotedCredits
from flightpipe.state.store import StateStore
from flightpipe.state.usage import BudgetedUsage


def source_usage(settings: Settings, state: StateStore, *, clock: Clock = utc_now) -> BudgetedUsage:
    """The monthly request counts in ``state``, with every API's configured budget."""
    budgets = {name: settings.sources.by_name(name).monthly_budget for name in api_names()}
    return BudgetedUsage(state.usage, budgets, clock=clock)


def open_source(settings: Settings, *, state: StateStore | None = None) -> Source:
    """The configured source. A real API gets its credentials resolved (environment, else Secrets Manager), and
    counts its requests and notes its credits in ``state`` (the run's store).

    Without ``state`` (the Lambda collect handler, the CLI) a real API opens the state file itself and keeps it
    open as long as the source lives: its collect threads count requests and note credits through that one
    thread-safe connection."""
    spec = source_spec(settings.source.type)
    resources = SourceResources()
    if spec.sends_requests:
        state = state if state is not None else StateStore.open(settings.paths().ledger)
        resources = SourceResources(
            usage=source_usage(settings, state),
            credits=NotedCredits(state.credits),
        )
    return build_source(settings.source, settings.sources, resources)


def plan_requests(settings: Settings, days: Sequence[dt.date], *, now: dt.datetime | None = None) -> QuotaPlan | None:
    """The plan for running ``days`` with the configured source, from this month's usage in the state file (None
    for a source that sends no requests: then the state file is not opened, nor created)."""
    if not source_spec(settings.source.type).sends_requests:
        return None
    with StateStore.open(settings.paths().ledger) as state:
        return _plan_requests(
            settings.source,
            settings.sources,
            settings.airports,
            [str(board) for board in settings.boards],
            days,
            usage=source_usage(settings, state),
            now=now,
        )


def ensure_quota(settings: Settings, days: Sequence[dt.date], *, now: dt.datetime | None = None) -> QuotaPlan | None:
    """Refuse (``QuotaExceeded``) a run or backfill that would go over the source's monthly budget."""
    return check_budget(plan_requests(settings, days, now=now))


def source_rows(settings: Settings) -> list[SourceRow]:
    """``flightpipe sources``: every registered source; reads usage and credits only where the state file exists
    (listing the sources must not create a data folder)."""
    path = settings.paths().ledger
    if not path.exists():
        return list_sources(settings.source, settings.sources)
    with StateStore.open(path) as state:
        usage, credits = source_usage(settings, state), NotedCredits(state.credits)
        return list_sources(settings.source, settings.sources, usage=usage, credits=credits)
