"""The record formats a raw envelope can hold, by the name written in its ``format`` field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from flightpipe.sources.aerodatabox import normalise as aerodatabox
from flightpipe.sources.aviationstack import normalise as aviationstack
from flightpipe.sources.normalising import BoardContext, Normalised
from flightpipe.sources.opensky import normalise as opensky


@dataclass(frozen=True, slots=True)
class RecordFormat:
    name: str
    record_type: pa.StructType
    normalise: Callable[[pa.StructArray, BoardContext], Normalised]
    #: Where a native page keeps its records, per board (None: the page is the list itself).
    records_key: Callable[[str], str | None] = lambda board: "data"


_FORMATS: dict[str, RecordFormat] = {
    aviationstack.FORMAT: RecordFormat(aviationstack.FORMAT, aviationstack.RECORD_TYPE, aviationstack.normalise),
    aerodatabox.FORMAT: RecordFormat(
        aerodatabox.FORMAT, aerodatabox.RECORD_TYPE, aerodatabox.normalise, aerodatabox.records_key
    ),
    opensky.FORMAT: RecordFormat(opensky.FORMAT, opensky.RECORD_TYPE, opensky.normalise, lambda board: None),
}


def record_format(name: str) -> RecordFormat:
    try:
        return _FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown record format {name!r}; known: {', '.join(sorted(_FORMATS))}") from None


#: Columns a source cannot fill, by the ``source`` name rows carry (simulated and aviationstack fill them all).
_UNFILLED_BY_SOURCE: dict[str, frozenset[str]] = {opensky.FORMAT: opensky.UNFILLED_COLUMNS}


def unfilled_columns(source: str) -> frozenset[str]:
    """Columns rows of ``source`` always leave null: a null there is no defect of the data."""
    return _UNFILLED_BY_SOURCE.get(source, frozenset())
