"""Defects the simulated source can inject on request, one kind per quality rule, deterministic by seed.

``[source.defects]`` gives a rate per kind (0 = never, the default). Record defects hit each record with that
probability; board defects hit a whole board (airport, board, day) with that probability. Every draw is a
stable hash of (seed, kind, airport, day, board, record position), so the same settings give the same defects
in every process and every run. Which rule catches which defect is listed in docs/quality.md and checked by
``tests/unit/quality/test_quality_defects.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from flightpipe.core.errors import SourceError


def _rate(description: str) -> Any:
    return Field(0.0, ge=0.0, le=1.0, description=description)


class DefectSettings(BaseModel):
    """``[source.defects]``: how often each kind of defect is injected (probability 0..1; default 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    missing_key: float = _rate("record: flight number removed (required_keys)")
    bad_code: float = _rate("record: airline IATA code of 3 characters (codes_well_formed)")
    bad_timestamp: float = _rate("record: scheduled departure unparseable (timestamps_parse)")
    arrival_before_departure: float = _rate("record: scheduled arrival = scheduled departure (arrival_after_departure)")
    inconsistent_delay: float = _rate("record: departure delay 120 min beside a 5 min late take-off (delay_consistent)")
    unknown_status: float = _rate("record: status 'teleported' (status_known)")
    wrong_shape: float = _rate("record: arrival is a string, not an object (parse)")
    duplicate: float = _rate("record: listed twice on its board (duplicate_records)")
    null_times: float = _rate("record: scheduled arrival missing (null_share)")
    volume_drop: float = _rate("board: half of its records missing (volume_band)")
    missing_board: float = _rate("board: the fetch fails (board_collected)")

    @property
    def any(self) -> bool:
        return any(rate > 0 for rate in self.model_dump().values())


#: Record defects in the order they are drawn (the order never changes what another kind draws).
RECORD_DEFECTS = (
    "missing_key",
    "bad_code",
    "bad_timestamp",
    "arrival_before_departure",
    "inconsistent_delay",
    "unknown_status",
    "wrong_shape",
    "null_times",
    "duplicate",
)


def check_board_defects(defects: DefectSettings, seed: int, icao: str, day: dt.date, board: str) -> None:
    """Raise SourceError when the ``missing_board`` defect hits this board."""
    if _hits(defects.missing_board, seed, "missing_board", icao, day, board):
        raise SourceError(f"simulated outage: {icao} {board} {day.isoformat()} not delivered (defect missing_board)")


def inject(
    records: list[dict[str, Any]], defects: DefectSettings, seed: int, icao: str, day: dt.date, board: str
) -> list[dict[str, Any]]:
    """``records`` (aviationstack format, fresh copies owned by the caller) with the requested defects."""
    if defects.volume_drop and _hits(defects.volume_drop, seed, "volume_drop", icao, day, board):
        records = records[::2]
    out: list[dict[str, Any]] = []
    for position, record in enumerate(records):
        repeat = False
        for kind in RECORD_DEFECTS:
            rate = getattr(defects, kind)
            if rate and _hits(rate, seed, kind, icao, day, board, position):
                if kind == "duplicate":
                    repeat = True
                    continue
                try:
                    _BREAK[kind](record)
                except (ValueError, TypeError, AttributeError, KeyError):
                    # An earlier defect already broke what this one reads (a garbage time, an arrival that is
                    # not an object): the record stays broken the earlier way.
                    continue
        out.append(record)
        if repeat:
            out.append(copy.deepcopy(record))
    return out


def _missing_key(record: dict[str, Any]) -> None:
    record["flight"] = {**record["flight"], "number": None, "iata": None, "icao": None}


def _bad_code(record: dict[str, Any]) -> None:
    airline = record.get("airline") or {}
    record["airline"] = {**airline, "iata": (str(airline.get("iata") or "X") + "XX")[:3]}


def _bad_timestamp(record: dict[str, Any]) -> None:
    record["departure"]["scheduled"] = record["departure"]["scheduled"][:11] + "25:61:00+00:00"


def _arrival_before_departure(record: dict[str, Any]) -> None:
    # The departure's very instant as the arrival's wall time in the arrival's own zone: the arrival is not after
    # the departure, and the zone still agrees with the airport's (so zone_agrees does not fire as well).
    departure, arrival = record["departure"], record["arrival"]
    instant = dt.datetime.fromisoformat(departure["scheduled"][:19]).replace(tzinfo=ZoneInfo(departure["timezone"]))
    arrival["scheduled"] = instant.astimezone(ZoneInfo(arrival["timezone"])).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for kind in ("estimated", "actual"):
        record["arrival"][kind] = None
    record["arrival"]["delay"] = None


def _inconsistent_delay(record: dict[str, Any]) -> None:
    side = record["departure"]
    scheduled = dt.datetime.fromisoformat(side["scheduled"][:19])
    side["actual"] = (scheduled + dt.timedelta(minutes=5)).isoformat() + "+00:00"
    side["delay"] = 120
    # The arrival's own times stay after the (earlier) take-off; only the delay contradicts the times.


def _unknown_status(record: dict[str, Any]) -> None:
    record["flight_status"] = "teleported"


def _wrong_shape(record: dict[str, Any]) -> None:
    record["arrival"] = str(record["arrival"].get("iata") or "???")


def _null_times(record: dict[str, Any]) -> None:
    record["arrival"]["scheduled"] = None


_BREAK = {
    "missing_key": _missing_key,
    "bad_code": _bad_code,
    "bad_timestamp": _bad_timestamp,
    "arrival_before_departure": _arrival_before_departure,
    "inconsistent_delay": _inconsistent_delay,
    "unknown_status": _unknown_status,
    "wrong_shape": _wrong_shape,
    "null_times": _null_times,
}


def _hits(rate: float, *parts: object) -> bool:
    if rate <= 0:
        return False
    text = "\x1f".join(str(p) for p in ("defect", *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") / 2**64 < rate
