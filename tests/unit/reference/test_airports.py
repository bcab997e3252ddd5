"""The airport reference read once with pyarrow gives what airportsdata's own loader gives, for every airport."""

from __future__ import annotations

import airportsdata

from flightpipe.reference.airports import airport, icao_for_iata, is_known_icao


def test_every_airport_has_airportsdata_values_and_every_iata_code_its_icao_code() -> None:
    loaded = airportsdata.load("ICAO")
    expected_iata: dict[str, str] = {row["iata"]: icao for icao, row in loaded.items() if row["iata"]}

    mismatched = [
        icao
        for icao, row in loaded.items()
        if not is_known_icao(icao)
        or (a := airport(icao)).icao != row["icao"]
        or a.iata != (row["iata"] or None)
        or (a.name, a.city, a.country, a.tz) != (row["name"], row["city"], row["country"], row["tz"])
        or (a.lat, a.lon) != (row["lat"], row["lon"])
    ]

    assert mismatched == []
    assert {code: icao_for_iata(code) for code in expected_iata} == expected_iata
    assert not is_known_icao("ZZZZ") and not is_known_icao("") and icao_for_iata("QQQ") is None
