"""What a source registers, once, in its own folder: ``SOURCE = SourceSpec(...)`` in ``sources/<name>/__init__.py``.

Everything else about sources derives from the registered specs (``flightpipe.sources.registry``): the settings
unions, the record formats, quota planning, the ``flightpipe sources`` report, the names the CLI and the infra
accept. The state a source reads and writes (monthly request counts, credits) is not the source's: it is
injected by the caller as ``SourceResources`` (the pipeline passes the state store's objects), so this layer
never imports the configuration or the state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import pyarrow as pa

from flightpipe.sources.account import ApiSettings, SourceChoice
from flightpipe.sources.base import Source
from flightpipe.sources.normalising import BoardContext, Normalised

AccountT = TypeVar("AccountT", bound=ApiSettings)


class UsageCounter(Protocol):
    """Requests per source and month, and the pages a board needed last time (``state.usage.BudgetedUsage``)."""

    def reserve_request(self, source: str) -> None:
        """Count one request about to be sent, or raise ``QuotaExceeded`` when the monthly budget is used up."""
        ...

    def used(self, source: str, month: str | None = None) -> int: ...

    def note_pages(self, source: str, icao: str, board: str, pages: int) -> None: ...

    def pages(self, source: str, icao: str, board: str) -> int | None: ...


class CreditsMemory(Protocol):
    """The last credits count a credit-limited source reported (``state.credits.NotedCredits``)."""

    def note_credits(self, source: str, remaining: int) -> None: ...

    def last_credits(self, source: str) -> tuple[int, dt.datetime] | None:
        """The last count and when it was seen; None when none was ever noted."""
        ...


@dataclass(frozen=True, slots=True)
class SourceResources:
    """The state a source is given to read and write; None: not kept (tests, the simulated source)."""

    usage: UsageCounter | None = None
    credits: CreditsMemory | None = None


def _data_key(board: str) -> str | None:
    return "data"


@dataclass(frozen=True, slots=True)
class RecordFormat:
    """A raw envelope's record format, by the name written in its ``format`` field."""

    name: str
    record_type: pa.StructType
    normalise: Callable[[pa.StructArray, BoardContext], Normalised]
    #: Where a native page keeps its records, per board (None: the page is the list itself).
    records_key: Callable[[str], str | None] = _data_key
    #: Columns rows of this format always leave null: a null there is no defect of the data.
    unfilled_columns: frozenset[str] = frozenset()
    #: Whether a board's records may leave the *other* side's times out (AeroDataBox's default answer shape has
    #: only the board's own airport's times): then a null there is no defect either.
    counterpart_times_optional: bool = False


#: Builds the source: (its ``[source]`` choice, its account or None, its resolved credentials, resources).
ClientFactory = Callable[[SourceChoice, ApiSettings | None, Mapping[str, str], SourceResources], Source]

#: Requests one board costs: (the account, the pages the board needed last time or None) -> requests.
RequestsPerBoard = Callable[[ApiSettings, int | None], int]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source, registered once."""

    name: str
    #: The ``[source]`` model chosen by ``type = "<name>"``.
    settings: type[SourceChoice]
    #: The ``[sources.<name>]`` account model; None for a source that needs no account (it sends no requests).
    account: type[ApiSettings] | None
    format: RecordFormat
    client: ClientFactory
    #: For quota planning; required with an account (every request counts against the monthly budget).
    requests_per_board: RequestsPerBoard | None = None
    #: The provider limits credits and reports what is left (``X-Rate-Limit-Remaining``): the report shows it.
    reports_credits: bool = False

    def __post_init__(self) -> None:
        if (self.account is None) != (self.requests_per_board is None):
            raise ValueError(f"source {self.name!r}: an account and requests_per_board come together")
        type_field = self.settings.model_fields.get("type")
        if type_field is None or getattr(type_field.annotation, "__args__", None) != (self.name,):
            raise ValueError(f"source {self.name!r}: its settings model needs type: Literal[{self.name!r}]")

    @property
    def sends_requests(self) -> bool:
        return self.account is not None


def account_of(account: ApiSettings | None, model: type[AccountT]) -> AccountT:
    """``account`` as the source's own account model (a client factory is only ever given its own)."""
    if not isinstance(account, model):
        raise TypeError(f"expected {model.__name__}, got {type(account).__name__}")
    return account
