"""Airline reference data: the ICAO three-letter designator (the prefix of an ATC callsign) to IATA code and name.

OpenSky knows flights only by callsign (``DLH4AB``); the prefix names the airline when it is an airline's ICAO
designator. The table is the airlines of the simulated network (the carriers seen at the German airports, checked
against their real codes) plus common cargo and regional operators; an unknown prefix maps to nothing, never to
a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flightpipe.sources.simulated.network import AIRLINES


@dataclass(frozen=True, slots=True)
class Airline:
    icao: str
    iata: str | None
    name: str


_EXTRA: tuple[Airline, ...] = (
    Airline("CLH", "CL", "Lufthansa CityLine"),
    Airline("LHX", None, "Lufthansa City Airlines"),
    Airline("GEC", "LH", "Lufthansa Cargo"),
    Airline("BOX", "3S", "AeroLogic"),
    Airline("BCS", "QY", "European Air Transport (DHL)"),
    Airline("DHK", "D0", "DHL Air UK"),
    Airline("FDX", "FX", "FedEx Express"),
    Airline("UPS", "5X", "UPS Airlines"),
    Airline("CLX", "CV", "Cargolux"),
    Airline("TVS", "QS", "Smartwings"),
    Airline("NOZ", "DY", "Norwegian Air Sweden"),
    Airline("NSZ", "D8", "Norwegian Air Sweden AOC"),
    Airline("EXS", "LS", "Jet2.com"),
    Airline("TRA", "HV", "Transavia"),
    Airline("EJU", "EC", "easyJet Europe"),
    Airline("EZS", "DS", "easyJet Switzerland"),
    Airline("RUK", "RK", "Ryanair UK"),
    Airline("MAY", "MY", "Malta Air"),
    Airline("LDM", "OE", "Lauda Europe"),
    Airline("WMT", "W4", "Wizz Air Malta"),
    Airline("CSA", "OK", "Czech Airlines"),
    Airline("KLC", "WA", "KLM Cityhopper"),
    Airline("HOP", "A5", "HOP!"),
    Airline("BCY", "WX", "CityJet"),
)


@cache
def airlines_by_icao() -> dict[str, Airline]:
    table = {a.icao: Airline(a.icao, a.iata, a.name) for a in AIRLINES.values()}
    for airline in _EXTRA:
        table.setdefault(airline.icao, airline)
    return table
