"""Build the configured source."""

from __future__ import annotations

from flightpipe.config import SourceSettings
from flightpipe.sources.base import Source


def make_source(settings: SourceSettings) -> Source:
    if settings.type == "simulated":
        from flightpipe.sources.simulated import SimulatedSource

        return SimulatedSource(
            seed=settings.seed, page_size=settings.page_size, scale=settings.scale, defects=settings.defects
        )
    raise NotImplementedError(f"source type {settings.type!r}")  # pragma: no cover - the config union forbids it
