"""Object keys of every layer, in one place.

::

    raw/<ICAO>/<YYYY-MM-DD>/<board>-<run_id>.json          append-only envelopes, by collection date
    transformed/<ICAO>/<YYYY-MM-DD>/<board>-<run_id>.parquet one file per raw file
    processed/all_data/flight-date=<YYYY-MM-DD>/part-00000.parquet   one file per flight date
    quarantine/<ICAO>/<YYYY-MM-DD>/<board>-<run_id>.jsonl   rejected records with rule and reason
    quarantine-replayed/<ICAO>/<YYYY-MM-DD>/<board>-<run_id>.<replay_run_id>.jsonl   a quarantine file as it
                                                            was before a replay superseded it (lineage)
    quality/<YYYY-MM-DD>/board-<ICAO>-<board>-<run_id>.json   quality results of a board partition, per run
    quality/<YYYY-MM-DD>/flight-date-<run_id>.json          quality results and gate of a flight date, per run
    quality/<YYYY-MM-DD>/override-<run_id>.json             fails of earlier runs that run <run_id> loaded anyway

Files whose name starts with ``_`` or ``.`` are work in progress and ignored by every reader (as Spark and
Hive do).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

_log = logging.getLogger(__name__)


class Board(StrEnum):
    DEPARTURES = "departures"
    ARRIVALS = "arrivals"


RAW = "raw"
TRANSFORMED = "transformed"
PROCESSED = "processed/all_data"
QUARANTINE = "quarantine"
QUARANTINE_REPLAYED = "quarantine-replayed"
QUALITY = "quality"
PARTITION_FILE = "part-00000.parquet"

_RAW_KEY = re.compile(
    r"^raw/(?P<icao>[A-Z0-9]{4})/(?P<date>\d{4}-\d{2}-\d{2})/(?P<board>departures|arrivals)-(?P<run_id>[A-Za-z0-9_.-]+)\.json$"
)


@dataclass(frozen=True, slots=True)
class RawKey:
    """The parts of a raw object key; every derived key (transformed, quarantine) comes from here."""

    icao: str
    collection_date: dt.date
    board: Board
    run_id: str

    @property
    def key(self) -> str:
        return f"{RAW}/{self.icao}/{self.collection_date.isoformat()}/{self.board}-{self.run_id}.json"

    @property
    def transformed_key(self) -> str:
        return f"{TRANSFORMED}/{self.icao}/{self.collection_date.isoformat()}/{self.board}-{self.run_id}.parquet"

    @property
    def quarantine_key(self) -> str:
        return f"{QUARANTINE}/{self.icao}/{self.collection_date.isoformat()}/{self.board}-{self.run_id}.jsonl"

    def replayed_quarantine_key(self, replay_run_id: str) -> str:
        """Where a replay keeps the quarantine file it superseded."""
        return (
            f"{QUARANTINE_REPLAYED}/{self.icao}/{self.collection_date.isoformat()}/"
            f"{self.board}-{self.run_id}.{replay_run_id}.jsonl"
        )

    @classmethod
    def parse(cls, key: str) -> RawKey:
        """Parse a raw key; raises ValueError naming the expected shape."""
        parsed = cls.parse_or_none(key)
        if parsed is None:
            raise ValueError(f"not a raw object key: {key!r} (expected raw/<ICAO>/<YYYY-MM-DD>/<board>-<run_id>.json)")
        return parsed

    @classmethod
    def parse_or_none(cls, key: str) -> RawKey | None:
        """The parts of ``key``, or None when it is not a raw key (a stray file someone put in raw/)."""
        match = _RAW_KEY.match(key)
        if match is None:
            return None
        try:
            collection_date = dt.date.fromisoformat(match["date"])
        except ValueError:  # 2026-13-45: the shape of a date, not a date
            return None
        return cls(
            icao=match["icao"], collection_date=collection_date, board=Board(match["board"]), run_id=match["run_id"]
        )


def raw_keys(keys: Iterable[str]) -> list[str]:
    """The raw keys among ``keys`` (a listing of a raw folder); anything else there is not flightpipe's file
    (``README.json``, ``departures-copy (1).json``): skipped with a warning, never fatal, never deleted."""
    found: list[str] = []
    for key in keys:
        if RawKey.parse_or_none(key) is not None:
            found.append(key)
        elif is_visible(key):
            _log.warning(
                "ignoring %s: not a raw file of flightpipe (expected raw/<ICAO>/<YYYY-MM-DD>/<board>-<run_id>.json)",
                key,
            )
    return found


def _twins_of_raw_keys(keys: Iterable[str], layer: str, suffix: str) -> list[str]:
    """The files among ``keys`` named for a raw key in ``layer`` (``<layer>/<ICAO>/<date>/<board>-<run_id><suffix>``);
    anything else is skipped with a warning, as :func:`raw_keys` does in raw/."""
    found: list[str] = []
    for key in keys:
        guess = f"{RAW}/{key.removeprefix(layer + '/').removesuffix(suffix)}.json"
        if key.startswith(layer + "/") and key.endswith(suffix) and RawKey.parse_or_none(guess) is not None:
            found.append(key)
        elif is_visible(key):
            _log.warning("ignoring %s: not a %s file of flightpipe", key, layer)
    return found


def quarantine_keys(keys: Iterable[str]) -> list[str]:
    """The quarantine files among ``keys`` (each the ``.jsonl`` twin of a raw key); anything else is skipped."""
    return _twins_of_raw_keys(keys, QUARANTINE, ".jsonl")


def transformed_keys(keys: Iterable[str]) -> list[str]:
    """The transformed files among ``keys`` (each the Parquet twin of a raw key); anything else in transformed/
    (a copy, someone's export) is skipped."""
    return _twins_of_raw_keys(keys, TRANSFORMED, ".parquet")


_PROCESSED_FILE = re.compile(
    rf"^{re.escape(PROCESSED)}/flight-date=\d{{4}}-\d{{2}}-\d{{2}}/part-[A-Za-z0-9_.-]*\.parquet$"
)


def processed_keys(keys: Iterable[str]) -> list[str]:
    """The processed files among ``keys``: ``part-*.parquet`` in a ``flight-date=`` partition (the DuckDB step
    writes part-00000.parquet, Spark part-<n>-<uuid>...parquet); anything else is skipped with a warning."""
    found: list[str] = []
    for key in keys:
        if _PROCESSED_FILE.match(key):
            found.append(key)
        elif is_visible(key):
            _log.warning("ignoring %s: not a processed file of flightpipe", key)
    return found


def raw_prefix(icao: str, collection_date: dt.date) -> str:
    return f"{RAW}/{icao}/{collection_date.isoformat()}/"


def transformed_prefix(icao: str, collection_date: dt.date) -> str:
    return f"{TRANSFORMED}/{icao}/{collection_date.isoformat()}/"


def quarantine_prefix(icao: str, collection_date: dt.date) -> str:
    return f"{QUARANTINE}/{icao}/{collection_date.isoformat()}/"


def quality_prefix(day: dt.date) -> str:
    return f"{QUALITY}/{day.isoformat()}/"


def quality_board_key(day: dt.date, icao: str, board: str, run_id: str) -> str:
    return f"{quality_prefix(day)}board-{icao}-{board}-{run_id}.json"


def quality_flight_date_key(flight_date: dt.date, run_id: str) -> str:
    return f"{quality_prefix(flight_date)}flight-date-{run_id}.json"


def quality_override_key(day: dt.date, run_id: str) -> str:
    return f"{quality_prefix(day)}override-{run_id}.json"


def processed_partition(flight_date: dt.date) -> str:
    return f"{PROCESSED}/flight-date={flight_date.isoformat()}/"


def processed_file(flight_date: dt.date) -> str:
    return processed_partition(flight_date) + PARTITION_FILE


def is_visible(key: str) -> bool:
    """False for work-in-progress files (leading ``_`` or ``.`` in the file name)."""
    name = key.rsplit("/", 1)[-1]
    return not name.startswith(("_", "."))


#: Collection dates whose boards can hold flights of flight date D, as offsets from D. A departures board of
#: day D holds exactly flight date D; an arrivals board holds flights that departed up to two local days
#: earlier (ultra-long-haul from the far east) or, across the date line, one local day later.
COLLECTION_WINDOW = range(-1, 3)


def collection_dates_for(flight_dates: list[dt.date]) -> list[dt.date]:
    """Every collection date whose files may hold rows of ``flight_dates``."""
    return sorted({d - dt.timedelta(days=-offset) for d in flight_dates for offset in COLLECTION_WINDOW})


def flight_dates_touched(collection_dates: list[dt.date]) -> list[dt.date]:
    """The inverse: flight dates that new files of ``collection_dates`` can change."""
    return sorted({d - dt.timedelta(days=offset) for d in collection_dates for offset in COLLECTION_WINDOW})
