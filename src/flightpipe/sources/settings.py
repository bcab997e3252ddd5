"""The two settings sections of the sources, derived from the registered sources (``flightpipe.sources.registry``).

* ``[source]`` picks what a run collects from: ``type`` names a registered source (a discriminated union on
  ``type`` of the sources' own ``[source]`` models; the simulation keeps its knobs there). A ``[source]`` table
  without ``type`` is the simulated source, the default.
* ``[sources.<api>]`` describes each API account, whether or not a run uses it. Keeping accounts apart from the
  choice lets ``flightpipe sources`` list every account, and switching ``source.type`` needs no other edit.

Each source's models live in its folder (``sources/<name>/settings.py``); they are re-exported here for the
configuration, which composes these sections into the root settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Discriminator, Field, Tag, create_model

from flightpipe.sources import registry
from flightpipe.sources.account import ApiSettings, SourceAccounts, SourceChoice
from flightpipe.sources.aerodatabox.settings import AeroDataBoxSettings, AeroDataBoxSourceSettings
from flightpipe.sources.aviationstack.settings import AviationstackSettings, AviationstackSourceSettings
from flightpipe.sources.opensky.settings import OpenSkySettings, OpenSkySourceSettings
from flightpipe.sources.simulated.settings import SimulatedSourceSettings
from flightpipe.sources.spec import SourceSpec

__all__ = [
    "API_NAMES",
    "SOURCE_TYPES",
    "AeroDataBoxSettings",
    "AeroDataBoxSourceSettings",
    "ApiSettings",
    "AviationstackSettings",
    "AviationstackSourceSettings",
    "OpenSkySettings",
    "OpenSkySourceSettings",
    "SimulatedSourceSettings",
    "SourceAccounts",
    "SourceChoice",
    "SourceSettings",
    "SourcesSettings",
]

_SPECS: tuple[SourceSpec, ...] = registry.seal()

#: Every ``[source]`` type and its model, the default first.
SOURCE_TYPES: dict[str, type[SourceChoice]] = {spec.name: spec.settings for spec in _SPECS}

#: The sources with a ``[sources.<name>]`` account.
API_NAMES: tuple[str, ...] = tuple(spec.name for spec in _SPECS if spec.account is not None)

_DEFAULT_SOURCE = _SPECS[0].name


def _source_tag(value: Any) -> str | None:
    # A [source] table without `type` is the default source, so `[source] seed = 3` keeps working.
    if isinstance(value, dict):
        tag = value.get("type", _DEFAULT_SOURCE)
        return tag if isinstance(tag, str) else None
    return getattr(value, "type", None)


def _sources_model() -> type[SourceAccounts]:
    accounts: dict[str, Any] = {
        spec.name: (spec.account, Field(default_factory=spec.account)) for spec in _SPECS if spec.account is not None
    }
    return create_model("SourcesSettings", __base__=SourceAccounts, __doc__="One account section per API.", **accounts)


# The unions are built from the registry at run time; the type checker sees their common base classes (the
# members differ only in what the sources themselves read).
if TYPE_CHECKING:
    SourceSettings = SourceChoice
    SourcesSettings = SourceAccounts
else:
    SourceSettings = Annotated[
        Union[tuple(Annotated[model, Tag(name)] for name, model in SOURCE_TYPES.items())],  # noqa: UP007
        Discriminator(_source_tag),
    ]
    SourcesSettings = _sources_model()
