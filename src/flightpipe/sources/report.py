"""What ``flightpipe sources`` shows: each source, whether its credentials are set, its limits and budget.

Never a credential's value: only "set", "from Secrets Manager" or which environment variable is missing.
OpenSky's row adds the last credits count it reported (its limit is daily credits, not monthly requests).
"""

from __future__ import annotations

from dataclasses import dataclass

from flightpipe.config import Settings
from flightpipe.sources.credentials import credential_status
from flightpipe.sources.quota import CreditsMemory
from flightpipe.sources.settings import API_NAMES
from flightpipe.state.usage import UsageLedger


@dataclass(frozen=True, slots=True)
class SourceRow:
    name: str
    in_use: bool
    credentials: str
    base_url: str
    rate: str
    concurrency: str
    retries: str
    budget: str
    used: str


def source_rows(settings: Settings) -> list[SourceRow]:
    rows = [
        SourceRow(
            name="simulated",
            in_use=settings.source.type == "simulated",
            credentials="not needed",
            base_url="(built in, no network)",
            rate="-",
            concurrency="-",
            retries="-",
            budget="-",
            used="-",
        )
    ]
    ledger_path = settings.resolved_ledger_path()
    # Only read usage that exists: listing sources must not create a data folder.
    usage = UsageLedger(ledger_path) if ledger_path.exists() else None
    try:
        for name in API_NAMES:
            account = settings.sources.by_name(name)
            rows.append(
                SourceRow(
                    name=name,
                    in_use=settings.source.type == name,
                    credentials=credential_status(name, account),
                    base_url=account.base_url,
                    rate=f"{account.requests_per_second:g}/s",
                    concurrency=str(account.max_concurrency),
                    retries=f"{account.timeout_s:g} s, {account.max_attempts}",
                    budget="none" if account.monthly_budget is None else f"{account.monthly_budget}/month",
                    used=_used(name, usage, CreditsMemory(ledger_path)),
                )
            )
    finally:
        if usage is not None:
            usage.close()
    return rows


#: Sources whose provider limits credits, reported in ``X-Rate-Limit-Remaining``.
CREDIT_SOURCES = frozenset({"opensky"})


def _used(name: str, usage: UsageLedger | None, credits: CreditsMemory) -> str:
    """Requests made this month; for a credit-limited source also the last credits count it reported."""
    used = str(usage.used(name)) if usage is not None else "0"
    if name not in CREDIT_SOURCES:
        return used
    last = credits.last_credits(name)
    if last is None:
        return f"{used}; credits left unknown (none reported yet)"
    remaining, seen_at = last
    return f"{used}; credits left {remaining} (as of {seen_at:%Y-%m-%d %H:%M} UTC)"
