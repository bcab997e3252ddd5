"""The simulated source's settings: its ``[source]`` knobs (it has no account: no key, no network)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flightpipe.sources.account import SourceChoice
from flightpipe.sources.simulated.defects import DefectSettings


class SimulatedSourceSettings(SourceChoice):
    """The embedded source: a seeded model of real traffic rendered as aviationstack pages. No key, no network."""

    type: Literal["simulated"] = "simulated"
    seed: int = Field(default=20240601, description="Same seed, same traffic.")
    page_size: int = Field(default=100, ge=1, le=1000, description="Records per page, as the API paginates.")
    scale: float = Field(default=1.0, gt=0, le=20, description="Multiplier on the real daily volumes.")
    defects: DefectSettings = Field(
        default_factory=DefectSettings, description="Rates of injected defects, to exercise the quality rules."
    )
    format: Literal["aviationstack", "aerodatabox-withleg", "aerodatabox-movement"] = Field(
        default="aviationstack",
        description="The API the simulated boards speak: aviationstack pages, or AeroDataBox FIDS answers in the "
        "withLeg=true shape or the default movement shape (read by that API's normaliser).",
    )
