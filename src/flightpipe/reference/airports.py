"""Airport reference data from airportsdata: validation, time zones, names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import airportsdata

ICAO_CODE = re.compile(r"^[A-Z]{4}$")
IATA_AIRPORT_CODE = re.compile(r"^[A-Z]{3}$")
#: ICAO's location indicator for "no ICAO code" (flight plans use it): where a row's airport is unknown, or known
#: only by a name, it carries this code, so the record loads and ``WHERE arr_airport_icao = 'ZZZZ'`` finds it.
UNKNOWN_AIRPORT_ICAO = "ZZZZ"

#: The airports a new configuration collects: Berlin, Munich, Hamburg, Dusseldorf, Frankfurt.
DEFAULT_AIRPORTS: tuple[str, ...] = ("EDDB", "EDDM", "EDDH", "EDDL", "EDDF")


@dataclass(frozen=True, slots=True)
class Airport:
    icao: str
    iata: str | None
    name: str
    city: str
    country: str
    tz: str
    lat: float
    lon: float


@cache
def _by_icao() -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], airportsdata.load("ICAO"))


@cache
def _iata_to_icao() -> dict[str, str]:
    return {row["iata"]: icao for icao, row in _by_icao().items() if row.get("iata")}


def is_known_icao(code: str) -> bool:
    return code in _by_icao()


def airport(icao: str) -> Airport:
    """The reference record of ``icao``; raises KeyError for an unknown code."""
    row = _by_icao()[icao]
    return Airport(
        icao=row["icao"],
        iata=row["iata"] or None,
        name=row["name"],
        city=row["city"],
        country=row["country"],
        tz=row["tz"],
        lat=float(row["lat"]),
        lon=float(row["lon"]),
    )


def icao_for_iata(iata: str) -> str | None:
    return _iata_to_icao().get(iata)


def all_airports() -> dict[str, dict[str, Any]]:
    """Every airport airportsdata knows, keyed by ICAO code (read-only use)."""
    return _by_icao()
