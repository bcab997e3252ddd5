"""The record formats a raw envelope can hold, by the name written in its ``format`` field: the registered
sources' formats (several sources may share one: the simulated source renders aviationstack's)."""

from __future__ import annotations

from flightpipe.sources.registry import source_specs
from flightpipe.sources.spec import RecordFormat

__all__ = ["RecordFormat", "counterpart_times_optional", "record_format", "unfilled_columns"]


def record_format(name: str) -> RecordFormat:
    formats = {spec.format.name: spec.format for spec in source_specs()}
    try:
        return formats[name]
    except KeyError:
        raise KeyError(f"unknown record format {name!r}; known: {', '.join(sorted(formats))}") from None


def unfilled_columns(source: str) -> frozenset[str]:
    """Columns rows of ``source`` (the name rows carry) always leave null: a null there is no defect of the data."""
    for spec in source_specs():
        if spec.name == source:
            return spec.format.unfilled_columns
    return frozenset()


def counterpart_times_optional(source: str) -> bool:
    """Whether rows of ``source`` may lack the other side's times by design (see ``RecordFormat``)."""
    return any(spec.name == source and spec.format.counterpart_times_optional for spec in source_specs())
