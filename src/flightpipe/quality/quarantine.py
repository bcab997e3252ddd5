"""Reading the quarantine layer: what was rejected, under which rule, and why."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from flightpipe.core.layout import QUARANTINE, RawKey, quarantine_keys, quarantine_prefix
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import PARSE_RULE


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    raw_key: str
    page: int | None
    index: int | None
    rule: str
    reason: str
    record: Any

    @property
    def whole_file(self) -> bool:
        """The raw file could not be read at all; this one entry stands for all of it."""
        return self.page is None and self.index is None

    @property
    def label(self) -> str:
        where = "whole file" if self.whole_file else f"page {self.page} record {self.index}"
        flight = record_label(self.record)
        return f"{flight} ({where})" if flight else where


def read_entries(store: ObjectStore, key: str) -> list[QuarantineEntry]:
    entries = []
    for line in store.get(key).splitlines():
        if not line.strip():
            continue
        entries.append(entry_of(json.loads(line)))
    return entries


def entry_of(data: dict[str, Any]) -> QuarantineEntry:
    """An entry from one line of a quarantine file, as parsed JSON."""
    return QuarantineEntry(
        raw_key=data["raw_key"],
        page=data.get("page"),
        index=data.get("index"),
        # Quarantine written before rules had names holds only reading-time rejections.
        rule=data.get("rule") or PARSE_RULE,
        reason=data["reason"],
        record=data.get("record"),
    )


def quarantine_files(store: ObjectStore, day: dt.date, airports: list[str] | None = None) -> list[str]:
    """Quarantine files of collection date ``day`` (every airport found, or only ``airports``)."""
    codes = airports if airports is not None else store.list_dirs(QUARANTINE)
    # A stray .jsonl someone put there belongs to no raw file: it is skipped like a stray raw file.
    return quarantine_keys(key for icao in codes for key in store.list(quarantine_prefix(icao, day)))


def raw_key_of(quarantine_key: str) -> str:
    """The raw file a quarantine file belongs to (quarantine/<ICAO>/<date>/<board>-<run>.jsonl)."""
    parts = quarantine_key.split("/")
    key = f"raw/{parts[1]}/{parts[2]}/{parts[3].removesuffix('.jsonl')}.json"
    RawKey.parse(key)  # raises ValueError for anything that is not a quarantine file of a raw file
    return key


def record_label(record: Any) -> str | None:
    """A short name for a native record (its flight number), whatever the source's format."""
    if not isinstance(record, dict):
        return None
    flight = record.get("flight")
    if isinstance(flight, dict):
        name = flight.get("iata") or flight.get("icao")
        return str(name) if name else None
    for key in ("number", "callsign", "flight_iata"):
        if isinstance(record.get(key), str) and record[key].strip():
            return str(record[key]).strip()
    return None
