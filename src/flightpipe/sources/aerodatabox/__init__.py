"""AeroDataBox FIDS (RapidAPI): settings, client, normaliser; registered once as ``SOURCE``."""

from __future__ import annotations

from collections.abc import Mapping

from flightpipe.sources.account import ApiSettings, SourceChoice
from flightpipe.sources.aerodatabox.normalise import FORMAT, RECORD_TYPE, normalise, records_key
from flightpipe.sources.aerodatabox.settings import AeroDataBoxSettings, AeroDataBoxSourceSettings
from flightpipe.sources.base import Source
from flightpipe.sources.spec import RecordFormat, SourceResources, SourceSpec, account_of

#: A day is two calls: AeroDataBox answers at most 12 hours per request.
REQUESTS_PER_BOARD = 2


def _client(
    choice: SourceChoice, account: ApiSettings | None, credentials: Mapping[str, str], resources: SourceResources
) -> Source:
    from flightpipe.sources.aerodatabox.client import AeroDataBoxSource  # httpx only when a run uses it

    return AeroDataBoxSource(account_of(account, AeroDataBoxSettings), credentials["api_key"], usage=resources.usage)


SOURCE = SourceSpec(
    name="aerodatabox",
    settings=AeroDataBoxSourceSettings,
    account=AeroDataBoxSettings,
    format=RecordFormat(FORMAT, RECORD_TYPE, normalise, records_key, counterpart_times_optional=True),
    client=_client,
    requests_per_board=lambda account, pages_seen: REQUESTS_PER_BOARD,
)
