"""The record formats a raw envelope can hold, by the name written in its ``format`` field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from flightpipe.sources import aviationstack


@dataclass(frozen=True, slots=True)
class RecordFormat:
    name: str
    record_type: pa.StructType
    normalise: Callable[[pa.StructArray, aviationstack.BoardContext], aviationstack.Normalised]


_FORMATS: dict[str, RecordFormat] = {
    aviationstack.FORMAT: RecordFormat(aviationstack.FORMAT, aviationstack.RECORD_TYPE, aviationstack.normalise),
}


def record_format(name: str) -> RecordFormat:
    try:
        return _FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown record format {name!r}; known: {', '.join(sorted(_FORMATS))}") from None
