"""Build the source a run uses: ``source.type`` picks it, ``sources.<api>`` configures the real APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flightpipe.sources.base import Source
from flightpipe.sources.settings import API_NAMES

if TYPE_CHECKING:
    from flightpipe.config import Settings
    from flightpipe.state.usage import UsageLedger


def make_source(settings: Settings, *, usage: UsageLedger | None = None) -> Source:
    """The configured source. Real APIs get their credentials resolved (environment, else Secrets Manager) and
    count their requests in ``usage`` (default: the usage tables in the run ledger's file)."""
    choice = settings.source
    if choice.type == "simulated":
        from flightpipe.sources.simulated.model import SimulatedSource

        return SimulatedSource(seed=choice.seed, page_size=choice.page_size, scale=choice.scale, defects=choice.defects)

    from flightpipe.sources.credentials import resolve_credentials
    from flightpipe.state.usage import UsageLedger

    account = settings.sources.by_name(choice.type)
    credentials = resolve_credentials(choice.type, account)
    if usage is None:
        budgets = {name: settings.sources.by_name(name).monthly_budget for name in API_NAMES}
        usage = UsageLedger(settings.resolved_ledger_path(), budgets)
    if choice.type == "aviationstack":
        from flightpipe.sources.aviationstack.client import AviationstackSource

        return AviationstackSource(
            settings.sources.aviationstack, credentials["access_key"], usage=usage, pages_memory=usage
        )
    if choice.type == "aerodatabox":
        from flightpipe.sources.aerodatabox.client import AeroDataBoxSource

        return AeroDataBoxSource(settings.sources.aerodatabox, credentials["api_key"], usage=usage)
    if choice.type == "opensky":
        from flightpipe.sources.opensky.client import OpenSkySource
        from flightpipe.sources.quota import CreditsMemory

        return OpenSkySource(
            settings.sources.opensky,
            credentials["client_id"],
            credentials["client_secret"],
            usage=usage,
            credits_memory=CreditsMemory(settings.resolved_ledger_path()),
        )
    raise NotImplementedError(f"source type {choice.type!r}")  # pragma: no cover - the config union forbids it
