"""aviationstack ``/v1/flights``: settings, client, normaliser; registered once as ``SOURCE``."""

from __future__ import annotations

from collections.abc import Mapping

from flightpipe.sources.account import ApiSettings, SourceChoice
from flightpipe.sources.aviationstack.normalise import FORMAT, RECORD_TYPE, normalise
from flightpipe.sources.aviationstack.settings import AviationstackSettings, AviationstackSourceSettings
from flightpipe.sources.base import Source
from flightpipe.sources.spec import RecordFormat, SourceResources, SourceSpec, account_of


def _client(
    choice: SourceChoice, account: ApiSettings | None, credentials: Mapping[str, str], resources: SourceResources
) -> Source:
    from flightpipe.sources.aviationstack.client import AviationstackSource  # httpx only when a run uses it

    return AviationstackSource(
        account_of(account, AviationstackSettings),
        credentials["access_key"],
        usage=resources.usage,
        pages_memory=resources.usage,
    )


def requests_for_pages(pages: int) -> int:
    """Requests for a board of ``pages`` pages when its listing holds still: one page is one snapshot; more
    take two agreeing passes. A listing that moves costs more passes, which the HTTP layer's request-by-request
    budget check still bounds."""
    return pages if pages <= 1 else 2 * pages


def _requests_per_board(account: ApiSettings, pages_seen: int | None) -> int:
    # The pages the board needed last time, else the configured estimate (before any board was seen).
    estimate = account_of(account, AviationstackSettings).pages_per_board_estimate
    return requests_for_pages(pages_seen if pages_seen is not None else estimate)


SOURCE = SourceSpec(
    name="aviationstack",
    settings=AviationstackSourceSettings,
    account=AviationstackSettings,
    format=RecordFormat(FORMAT, RECORD_TYPE, normalise),
    client=_client,
    requests_per_board=_requests_per_board,
)
