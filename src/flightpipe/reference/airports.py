"""Airport reference data from airportsdata: validation, time zones, names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import airportsdata

if TYPE_CHECKING:
    import pyarrow as pa

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


#: The columns of airportsdata's table this module and the normalisers read.
_COLUMNS = ("icao", "iata", "name", "city", "country", "tz", "lat", "lon")


@cache
def airport_table() -> pa.Table:
    """airportsdata's ``airports.csv`` (the file ``airportsdata.load`` reads), read once per process with
    pyarrow's CSV reader: the same values as ``airportsdata.load`` (a test compares every airport), in a fraction
    of the time it takes to build its 28k dicts. The normalisers' lookups and this module's share it, so a run
    reads the file once. pyarrow is imported here, not at import time: ``flightpipe --help`` needs none of it."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    types = {name: pa.float64() if name in ("lat", "lon") else pa.string() for name in _COLUMNS}
    return pa_csv.read_csv(
        Path(airportsdata.__file__).parent / "airports.csv",
        read_options=pa_csv.ReadOptions(use_threads=False),
        convert_options=pa_csv.ConvertOptions(include_columns=list(_COLUMNS), column_types=types),
    )


@cache
def _row_of_icao() -> dict[str, int]:
    """ICAO code -> its row of ``airport_table``; the last row where a code repeats, and no empty code, as in
    ``airportsdata.load``."""
    rows = dict(zip(airport_table().column("icao").to_pylist(), range(airport_table().num_rows), strict=True))
    rows.pop("", None)
    return rows


@cache
def _by_icao() -> dict[str, dict[str, Any]]:
    """Every airport as airportsdata's dicts (every column): ``all_airports`` only, which no run calls."""
    return cast(dict[str, dict[str, Any]], airportsdata.load("ICAO"))


@cache
def _iata_to_icao() -> dict[str, str]:
    iata = airport_table().column("iata").to_pylist()
    return {iata[row]: icao for icao, row in _row_of_icao().items() if iata[row]}


def is_known_icao(code: str) -> bool:
    return code in _row_of_icao()


@cache
def airport(icao: str) -> Airport:
    """The reference record of ``icao``; raises KeyError for an unknown code."""
    row = _row_of_icao()[icao]
    table = airport_table()
    value = {name: table.column(name)[row].as_py() for name in _COLUMNS}
    return Airport(
        icao=value["icao"],
        iata=value["iata"] or None,
        name=value["name"],
        city=value["city"],
        country=value["country"],
        tz=value["tz"],
        lat=float(value["lat"]),
        lon=float(value["lon"]),
    )


def icao_for_iata(iata: str) -> str | None:
    return _iata_to_icao().get(iata)


def all_airports() -> dict[str, dict[str, Any]]:
    """Every airport airportsdata knows, keyed by ICAO code (read-only use)."""
    return _by_icao()
