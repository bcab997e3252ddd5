"""What ``flightpipe sources`` shows: each registered source, whether its credentials are set, its limits and budget.

Never a credential's value: only "set", "from Secrets Manager" or which environment variable is missing. A
credit-limited source's row (OpenSky) adds the last credits count it reported (its limit is daily credits, not
monthly requests). The counts come from the injected usage counter and credits memory; None: nothing recorded yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from flightpipe.sources.account import SourceAccounts, SourceChoice
from flightpipe.sources.credentials import credential_status
from flightpipe.sources.registry import source_specs
from flightpipe.sources.spec import CreditsMemory, SourceSpec, UsageCounter


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


def list_sources(
    choice: SourceChoice,
    accounts: SourceAccounts,
    *,
    usage: UsageCounter | None = None,
    credits: CreditsMemory | None = None,
) -> list[SourceRow]:
    """One row per registered source, in registration order."""
    return [_row(spec, choice, accounts, usage, credits) for spec in source_specs()]


def _row(
    spec: SourceSpec,
    choice: SourceChoice,
    accounts: SourceAccounts,
    usage: UsageCounter | None,
    credits: CreditsMemory | None,
) -> SourceRow:
    in_use = choice.type == spec.name
    if spec.account is None:
        return SourceRow(spec.name, in_use, "not needed", "(built in, no network)", "-", "-", "-", "-", "-")
    account = accounts.by_name(spec.name)
    return SourceRow(
        name=spec.name,
        in_use=in_use,
        credentials=credential_status(spec.name, account),
        base_url=account.base_url,
        rate=f"{account.requests_per_second:g}/s",
        concurrency=str(account.max_concurrency),
        retries=f"{account.timeout_s:g} s, {account.max_attempts}",
        budget="none" if account.monthly_budget is None else f"{account.monthly_budget}/month",
        used=_used(spec, usage, credits),
    )


def _used(spec: SourceSpec, usage: UsageCounter | None, credits: CreditsMemory | None) -> str:
    """Requests made this month; for a credit-limited source also the last credits count it reported."""
    used = str(usage.used(spec.name)) if usage is not None else "0"
    if not spec.reports_credits:
        return used
    last = credits.last_credits(spec.name) if credits is not None else None
    if last is None:
        return f"{used}; credits left unknown (none reported yet)"
    remaining, seen_at = last
    return f"{used}; credits left {remaining} (as of {seen_at:%Y-%m-%d %H:%M} UTC)"
