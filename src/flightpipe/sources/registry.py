"""The registered sources, and building the one a run uses.

A source is its folder (``sources/<name>/``: settings, client, normalise, and ``SOURCE = SourceSpec(...)`` in its
``__init__.py``) plus one line in ``_BUILT_IN`` below. The settings unions (``sources.settings``), the record
formats (``sources.formats``), quota planning (``sources.quota``), the ``flightpipe sources`` report
(``sources.report``), the CLI's help and the infra's checks all read the specs from here.
"""

from __future__ import annotations

from flightpipe.sources import aerodatabox, aviationstack, opensky, simulated
from flightpipe.sources.account import SourceAccounts, SourceChoice
from flightpipe.sources.base import Source
from flightpipe.sources.credentials import SecretsClientFactory, resolve_credentials
from flightpipe.sources.spec import SourceResources, SourceSpec

__all__ = [
    "SourceSpec",
    "api_names",
    "build_source",
    "register",
    "source_names",
    "source_names_in_words",
    "source_spec",
    "source_specs",
]

#: The default first: a configuration without ``[source] type`` collects from the simulated source.
_BUILT_IN: tuple[SourceSpec, ...] = (
    simulated.SOURCE,
    aviationstack.SOURCE,
    aerodatabox.SOURCE,
    opensky.SOURCE,
)

_specs: dict[str, SourceSpec] = {spec.name: spec for spec in _BUILT_IN}
_sealed = False


def register(spec: SourceSpec) -> None:
    """Add a source from outside this package (a plugin, a test). The settings unions are built once, when
    ``flightpipe.sources.settings`` is first imported, so registering after that is refused."""
    if _sealed:
        raise RuntimeError(f"cannot register source {spec.name!r}: the settings were already built from the registry")
    if spec.name in _specs:
        raise ValueError(f"a source named {spec.name!r} is already registered")
    _specs[spec.name] = spec


def seal() -> tuple[SourceSpec, ...]:
    """The specs, from now on fixed: called once by ``flightpipe.sources.settings`` to build its unions."""
    global _sealed
    _sealed = True
    return source_specs()


def source_specs() -> tuple[SourceSpec, ...]:
    return tuple(_specs.values())


def source_spec(name: str) -> SourceSpec:
    try:
        return _specs[name]
    except KeyError:
        raise KeyError(f"no source {name!r}; known: {', '.join(_specs)}") from None


def source_names() -> tuple[str, ...]:
    """Every source ``[source] type`` accepts, the default first."""
    return tuple(_specs)


def api_names() -> tuple[str, ...]:
    """The sources with a ``[sources.<name>]`` account (the real APIs)."""
    return tuple(name for name, spec in _specs.items() if spec.account is not None)


def source_names_in_words() -> str:
    """``simulated, aviationstack, aerodatabox or opensky``: for help texts and error messages."""
    *first, last = source_names()
    return f"{', '.join(first)} or {last}" if first else last


def build_source(
    choice: SourceChoice,
    accounts: SourceAccounts,
    resources: SourceResources,
    *,
    secrets_client: SecretsClientFactory | None = None,
) -> Source:
    """The source ``choice`` names. A real API gets its credentials resolved (environment, else Secrets Manager)
    and counts its requests in ``resources.usage``."""
    spec = source_spec(choice.type)
    if spec.account is None:
        return spec.client(choice, None, {}, resources)
    account = accounts.by_name(spec.name)
    credentials = resolve_credentials(spec.name, account, secrets_client=secrets_client)
    return spec.client(choice, account, credentials, resources)
