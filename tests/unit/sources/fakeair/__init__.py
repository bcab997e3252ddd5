"""A source added the way the registry promises: this folder (settings, client, normalise) and one registration
(``SOURCE``), registered by the test with ``flightpipe.sources.registry.register`` (a built-in source is one line
in the registry's list instead)."""

from __future__ import annotations

from collections.abc import Mapping

from flightpipe.sources.account import ApiSettings, SourceChoice
from flightpipe.sources.base import Source
from flightpipe.sources.spec import RecordFormat, SourceResources, SourceSpec, account_of
from tests.unit.sources.fakeair.normalise import FORMAT, RECORD_TYPE, UNFILLED_COLUMNS, normalise
from tests.unit.sources.fakeair.settings import FakeAirSettings, FakeAirSourceSettings


def _client(
    choice: SourceChoice, account: ApiSettings | None, credentials: Mapping[str, str], resources: SourceResources
) -> Source:
    from tests.unit.sources.fakeair.client import FakeAirSource

    return FakeAirSource(account_of(account, FakeAirSettings), credentials["token"], usage=resources.usage)


SOURCE = SourceSpec(
    name="fakeair",
    settings=FakeAirSourceSettings,
    account=FakeAirSettings,
    format=RecordFormat(FORMAT, RECORD_TYPE, normalise, lambda board: "flights", UNFILLED_COLUMNS),
    client=_client,
    requests_per_board=lambda account, pages_seen: account_of(account, FakeAirSettings).windows_per_day,
)
