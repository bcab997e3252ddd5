"""OpenSky Network: settings, client, normaliser; registered once as ``SOURCE``."""

from __future__ import annotations

from collections.abc import Mapping

from flightpipe.sources.account import ApiSettings, SourceChoice
from flightpipe.sources.base import Source
from flightpipe.sources.opensky.normalise import FORMAT, RECORD_TYPE, UNFILLED_COLUMNS, normalise
from flightpipe.sources.opensky.settings import OpenSkySettings, OpenSkySourceSettings
from flightpipe.sources.spec import RecordFormat, SourceResources, SourceSpec, account_of

#: One day-long query per board (token requests cost no credits and are not counted).
REQUESTS_PER_BOARD = 1


def _page_is_the_list(board: str) -> None:
    return None


def _client(
    choice: SourceChoice, account: ApiSettings | None, credentials: Mapping[str, str], resources: SourceResources
) -> Source:
    from flightpipe.sources.opensky.client import OpenSkySource  # httpx only when a run uses it

    return OpenSkySource(
        account_of(account, OpenSkySettings),
        credentials["client_id"],
        credentials["client_secret"],
        usage=resources.usage,
        credits_memory=resources.credits,
    )


SOURCE = SourceSpec(
    name="opensky",
    settings=OpenSkySourceSettings,
    account=OpenSkySettings,
    format=RecordFormat(FORMAT, RECORD_TYPE, normalise, _page_is_the_list, UNFILLED_COLUMNS),
    client=_client,
    requests_per_board=lambda account, pages_seen: REQUESTS_PER_BOARD,
    reports_credits=True,
)
