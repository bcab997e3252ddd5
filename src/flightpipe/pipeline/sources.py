"""The sources as the runtimes use them: built from the settings, with the state store's usage and credits.

The sources layer knows nothing of the configuration or the state; this is where the two are wired in (the
runner, the Lambda collect handler and the CLI call these). A source that sends no requests (the simulated one)
is built without them, so it never creates the state file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from flightpipe.config import Settings
from flightpipe.sources.base import Source
from flightpipe.sources.quota import QuotaPlan, check_budget
from flightpipe.sources.quota import plan_requests as _plan_requests
from flightpipe.sources.registry import api_names, build_source, source_spec
from flightpipe.sources.report import SourceRow, list_sources
from flightpipe.sources.spec import SourceResources
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
            credits=_CreditsMemory(settings.resolved_ledger_path()),
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
        return list_sources(settings.source, settings.sources, usage=usage, credits=_CreditsMemory(ledger_path))
    finally:
        if usage is not None:
            usage.close()


#: The entry point's old name (the runner, the collect handler and tests call it).
make_source = open_source


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


_CREDITS_TABLE = (
    "CREATE TABLE IF NOT EXISTS source_credits (source TEXT PRIMARY KEY, remaining INTEGER NOT NULL, "
    "seen_at TEXT NOT NULL)"
)


class _CreditsMemory:
    """Stand-in for ``flightpipe.state.credits.CreditsMemory`` (same API, moved there by the state store's
    restructuring): once that lands, import it from there and delete this class.

    The last credits count a source reported, in the state file (table ``source_credits``); a connection per
    call: a board notes its credits once, and short connections need no closing by the source's owner."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.path = path
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def note_credits(self, source: str, remaining: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        seen_at = self._clock().astimezone(dt.UTC).isoformat(timespec="seconds")
        with sqlite3.connect(self.path, timeout=30) as con:
            con.execute(_CREDITS_TABLE)
            con.execute(
                "INSERT INTO source_credits (source, remaining, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (source) DO UPDATE SET remaining = excluded.remaining, seen_at = excluded.seen_at",
                (source, remaining, seen_at),
            )
        con.close()

    def last_credits(self, source: str) -> tuple[int, dt.datetime] | None:
        """The last count and when it was seen; None when none was ever noted (reading creates nothing)."""
        if not self.path.exists():
            return None
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            row = con.execute("SELECT remaining, seen_at FROM source_credits WHERE source = ?", (source,)).fetchone()
        except sqlite3.OperationalError:  # no table yet: no source ever reported credits
            return None
        finally:
            con.close()
        return None if row is None else (int(row[0]), dt.datetime.fromisoformat(row[1]))
