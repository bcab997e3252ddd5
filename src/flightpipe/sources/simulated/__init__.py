"""The simulated source: a seeded model of real traffic rendered as aviationstack pages; registered as ``SOURCE``.

It needs no account and sends no requests, so it has no quota; its pages are aviationstack's record format, or
AeroDataBox's (either answer shape) with ``[source] format = "aerodatabox-withleg" | "aerodatabox-movement"``: the
envelope names the format, so transform reads them with that API's normaliser.
"""

from __future__ import annotations

from collections.abc import Mapping

from flightpipe.sources import aviationstack
from flightpipe.sources.account import ApiSettings, SourceChoice
from flightpipe.sources.base import Source
from flightpipe.sources.simulated.settings import SimulatedSourceSettings
from flightpipe.sources.spec import SourceResources, SourceSpec


def _client(
    choice: SourceChoice, account: ApiSettings | None, credentials: Mapping[str, str], resources: SourceResources
) -> Source:
    from flightpipe.sources.simulated.aerodatabox import SimulatedAeroDataBoxSource
    from flightpipe.sources.simulated.model import SimulatedSource

    if not isinstance(choice, SimulatedSourceSettings):
        raise TypeError(f"the simulated source needs SimulatedSourceSettings, got {type(choice).__name__}")
    simulated = SimulatedSource(
        seed=choice.seed, page_size=choice.page_size, scale=choice.scale, defects=choice.defects
    )
    if choice.format == "aerodatabox-withleg":
        return SimulatedAeroDataBoxSource(simulated, "withleg")
    if choice.format == "aerodatabox-movement":
        return SimulatedAeroDataBoxSource(simulated, "movement")
    return simulated


SOURCE = SourceSpec(
    name="simulated",
    settings=SimulatedSourceSettings,
    account=None,
    format=aviationstack.SOURCE.format,
    client=_client,
)
