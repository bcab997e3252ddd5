"""Whole airport days for the fake APIs, rendered from the simulated network in each API's own shape.

The simulation already speaks aviationstack; AeroDataBox and OpenSky boards are converted from the same flights,
so one seeded day drives all three fakes.
"""

from __future__ import annotations

import datetime as dt
import zlib
import zoneinfo
from typing import Any

from flightpipe.core.layout import Board
from flightpipe.sources.simulated.model import SimulatedSource

Boards = dict[tuple[str, str], list[dict[str, Any]]]

_ADB_STATUS = {"landed": "Arrived", "cancelled": "Canceled", "scheduled": "Expected", "active": "EnRoute"}


def aviationstack_boards(airports: list[str], days: list[dt.date], *, seed: int = 7, scale: float = 0.05) -> Boards:
    sim = SimulatedSource(seed=seed, scale=scale, page_size=1000)
    boards: Boards = {}
    for icao in airports:
        for board in Board:
            records: list[dict[str, Any]] = []
            for day in days:
                as_of = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6), dt.UTC)
                for page in sim.fetch_board(icao, day, board, as_of=as_of).pages:
                    records.extend(page["data"])
            boards[(icao, str(board))] = records
    return boards


def _utc(wall: str | None, zone: str) -> dt.datetime | None:
    if not wall:
        return None
    naive = dt.datetime.fromisoformat(wall[:19])
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC)


def _adb_time(wall: str | None, zone: str) -> dict[str, str] | None:
    instant = _utc(wall, zone)
    if instant is None:
        return None
    local = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return {"utc": f"{instant:%Y-%m-%d %H:%M}Z", "local": local.isoformat(sep=" ", timespec="minutes")}


def _adb_movement(side: dict[str, Any], *, with_airport: bool) -> dict[str, Any]:
    zone = side["timezone"]
    movement: dict[str, Any] = {
        "scheduledTime": _adb_time(side["scheduled"], zone),
        # Once a movement happened AeroDataBox's revised time is when it happened, never a stale estimate.
        "revisedTime": _adb_time(side["actual"] or side["estimated"], zone),
        "runwayTime": _adb_time(side["actual"], zone),
        "terminal": side["terminal"],
        "gate": side["gate"],
        "quality": ["Basic", "Live"],
    }
    if "baggage" in side:
        movement["baggageBelt"] = side["baggage"]
    if with_airport:
        movement["airport"] = {"icao": side["icao"], "iata": side["iata"], "name": side["airport"]}
    return movement


def aerodatabox_boards(avs: Boards) -> Boards:
    boards: Boards = {}
    for (icao, board), records in avs.items():
        own = "departure" if board == "departures" else "arrival"
        converted = []
        for r in records:
            converted.append(
                {
                    "departure": _adb_movement(r["departure"], with_airport=own != "departure"),
                    "arrival": _adb_movement(r["arrival"], with_airport=own != "arrival"),
                    "number": f"{r['airline']['iata']} {r['flight']['number']}",
                    "callSign": None,
                    "status": _ADB_STATUS.get(r["flight_status"], "Unknown"),
                    "codeshareStatus": "IsCodeshared" if r["flight"]["codeshared"] else "IsOperator",
                    "isCargo": False,
                    "aircraft": {"reg": (r.get("aircraft") or {}).get("registration"), "modeS": None, "model": None},
                    "airline": {
                        "name": r["airline"]["name"],
                        "iata": r["airline"]["iata"],
                        "icao": r["airline"]["icao"],
                    },
                }
            )
        boards[(icao, board)] = converted
    return boards


def opensky_boards(avs: Boards) -> Boards:
    """Operating flights that flew (no codeshares, no cancellations), seen from first to last contact."""
    boards: Boards = {}
    for (icao, board), records in avs.items():
        flights = []
        for r in records:
            if r["flight"]["codeshared"] or r["flight_status"] == "cancelled":
                continue
            dep, arr = r["departure"], r["arrival"]
            first = _utc(dep["actual"] or dep["scheduled"], dep["timezone"])
            # OpenSky's last contact is a real landing: a flight without an actual arrival (diverted, still flying)
            # has none, and a scheduled arrival could precede a late departure.
            last = _utc(arr["actual"], arr["timezone"]) if arr["actual"] else None
            if first is None or last is None:
                continue
            flights.append(
                {
                    "icao24": format(zlib.crc32(r["flight"]["icao"].encode()) & 0xFFFFFF, "06x"),
                    "firstSeen": int(first.timestamp()),
                    "estDepartureAirport": dep["icao"],
                    "lastSeen": int(last.timestamp()),
                    "estArrivalAirport": arr["icao"],
                    "callsign": f"{r['flight']['icao']:<8}",
                }
            )
        boards[(icao, board)] = flights
    return boards
