"""Airline reference data: the ICAO three-letter designator (the prefix of an ATC callsign) to IATA code and name.

OpenSky knows flights only by callsign (``DLH4AB``); the prefix names the airline when it is an airline's ICAO
designator. The table (``airlines.csv`` beside this module: ICAO, IATA, name) holds the carriers seen at the
German airports, checked against their real codes, plus common cargo and regional operators; an unknown prefix
maps to nothing, never to a guess. The simulated source takes its airlines' identities from here too.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_FILE = "airlines.csv"


@dataclass(frozen=True, slots=True)
class Airline:
    icao: str
    iata: str | None
    name: str


@cache
def airlines_by_icao() -> dict[str, Airline]:
    text = resources.files(__package__ or "flightpipe.reference").joinpath(DATA_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {row["icao"]: Airline(row["icao"], row["iata"] or None, row["name"]) for row in rows}


def airline(icao: str) -> Airline:
    """The airline with ICAO designator ``icao`` (KeyError naming it when the table has none)."""
    try:
        return airlines_by_icao()[icao]
    except KeyError:
        raise KeyError(f"no airline with ICAO designator {icao!r} in {DATA_FILE}") from None
