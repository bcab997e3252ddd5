"""The simulated source speaking AeroDataBox: the model's boards rendered as FIDS answers, in either documented
shape, so a simulated day exercises the AeroDataBox path with the model's ground truth.

The model renders aviationstack records (local wall times with their zone); this module re-renders each of them
as an AeroDataBox record, field by field as the API's OpenAPI contract names them:

* ``withLeg=true`` (``shape="withleg"``): ``departure`` and ``arrival`` legs; the board's own airport is left out
  of its own leg, as the API does;
* default (``shape="movement"``): one ``movement`` with the counterpart airport and this airport's times only.

Times are ``{"utc": "YYYY-MM-DD HH:MMZ", "local": "YYYY-MM-DD HH:MM+hh:mm"}``. A leg's ``revisedTime`` is its gate
time once it happened (the model's ``actual``), else the latest estimate; the model has no runway times, so no
``runwayTime`` is rendered. Codeshare records carry no operator (``codeshareStatus: IsCodeshared``), as in the API.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, Literal

from flightpipe.core.layout import Board
from flightpipe.sources.base import FetchedBoard, Source

Shape = Literal["withleg", "movement"]

#: The model's status words (aviationstack's) as AeroDataBox spells them.
_STATUS = {
    "scheduled": "Expected",
    "active": "Departed",
    "landed": "Arrived",
    "cancelled": "Canceled",
    "diverted": "Diverted",
    "incident": "Unknown",
}


class SimulatedAeroDataBoxSource:
    """A simulated source (any ``Source`` rendering aviationstack pages) whose boards come as AeroDataBox answers."""

    format = "aerodatabox"

    def __init__(self, simulated: Source, shape: Shape = "withleg") -> None:
        self.simulated = simulated
        self.shape = shape
        self.name = simulated.name

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        fetched = self.simulated.fetch_board(icao, day, board, as_of=as_of)
        records = [r for page in fetched.pages for r in (page.get(fetched.records_key or "data") or [])]
        key = str(board)
        page = {key: [aerodatabox_record(r, board, self.shape) for r in records]}
        return FetchedBoard(pages=[page], requests=fetched.requests, records_key=key)


def aerodatabox_record(record: dict[str, Any], board: Board, shape: Shape) -> dict[str, Any]:
    """One aviationstack-format record of ``board`` as AeroDataBox answers it in ``shape``."""
    own, other = ("departure", "arrival") if board == Board.DEPARTURES else ("arrival", "departure")
    airline = record.get("airline") or {}
    flight = record.get("flight") or {}
    aircraft = record.get("aircraft") or {}
    rendered: dict[str, Any] = {
        "number": f"{airline.get('iata') or airline.get('icao')} {flight.get('number')}",
        "callSign": None,
        "status": _STATUS.get(str(record.get("flight_status")), "Unknown"),
        "codeshareStatus": "IsCodeshared" if flight.get("codeshared") else "IsOperator",
        "isCargo": False,
        "aircraft": {"reg": aircraft.get("registration"), "modeS": aircraft.get("icao24"), "model": None},
        "airline": {"name": airline.get("name"), "iata": airline.get("iata"), "icao": airline.get("icao")},
    }
    if shape == "movement":
        rendered["movement"] = {**_times(record[own]), "airport": _airport(record[other])}
    else:
        rendered[own] = _times(record[own])
        rendered[other] = {**_times(record[other]), "airport": _airport(record[other])}
    return rendered


def _airport(side: dict[str, Any]) -> dict[str, Any]:
    return {"icao": side.get("icao"), "iata": side.get("iata"), "name": side.get("airport")}


def _times(side: dict[str, Any]) -> dict[str, Any]:
    zone = side.get("timezone")
    times: dict[str, Any] = {"quality": ["Basic", "Live"]}
    scheduled = _time(side.get("scheduled"), zone)
    revised = _time(side.get("actual") or side.get("estimated"), zone)
    if scheduled is not None:
        times["scheduledTime"] = scheduled
    if revised is not None:
        times["revisedTime"] = revised
    for field, key in (("terminal", "terminal"), ("gate", "gate"), ("baggage", "baggageBelt")):
        if side.get(field) is not None:
            times[key] = side[field]
    return times


def _time(wall: str | None, zone: str | None) -> dict[str, str] | None:
    """aviationstack's local wall time (labelled ``+00:00``) in ``zone`` -> AeroDataBox's ``{utc, local}``."""
    if not wall or not zone:
        return None
    local = dt.datetime.fromisoformat(wall[:19]).replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return {
        "utc": f"{local.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z",
        "local": local.isoformat(sep=" ", timespec="minutes"),
    }
