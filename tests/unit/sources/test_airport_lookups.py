"""The normalisers' vectorised airport lookups give what the reference module's dictionaries give, for every
airport airportsdata knows."""

from __future__ import annotations

import pyarrow as pa

from flightpipe.reference.airports import all_airports, icao_for_iata
from flightpipe.sources.normalising import airport_iata, airport_icao_of_iata, airport_zone


def test_zone_iata_and_icao_of_every_known_airport_match_the_reference_dictionaries() -> None:
    rows = all_airports()
    icao = sorted(rows)
    iata = sorted({row["iata"] for row in rows.values() if row["iata"]})
    codes = pa.array([*icao, "ZZZZ", None], pa.string())

    assert airport_zone(codes).to_pylist() == [rows[c]["tz"] or None for c in icao] + [None, None]
    assert airport_iata(codes).to_pylist() == [rows[c]["iata"] or None for c in icao] + [None, None]
    assert airport_icao_of_iata(pa.array([*iata, "QQQ", None])).to_pylist() == [icao_for_iata(c) for c in iata] + [
        None,
        None,
    ]
