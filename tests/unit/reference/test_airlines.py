"""Airline reference data: read from the data file shipped with the package; the simulator takes it from here."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from flightpipe.reference.airlines import DATA_FILE, Airline, airline, airlines_by_icao
from flightpipe.sources.simulated.network import AIRLINES

REPO = Path(__file__).resolve().parents[3]


def test_a_designator_maps_to_its_iata_code_and_name() -> None:
    table = airlines_by_icao()
    assert (table["DLH"], table["GEC"], table["BOX"]) == (
        Airline("DLH", "LH", "Lufthansa"),
        Airline("GEC", "LH", "Lufthansa Cargo"),
        Airline("BOX", "3S", "AeroLogic"),
    )


def test_an_airline_without_an_iata_code_has_none() -> None:
    assert airline("LHX") == Airline("LHX", None, "Lufthansa City Airlines")


def test_the_table_holds_the_simulated_networks_carriers_and_the_cargo_and_regional_operators() -> None:
    assert len(airlines_by_icao()) == 92


def test_an_unknown_designator_is_no_airline() -> None:
    assert "ZZZ" not in airlines_by_icao()
    with pytest.raises(KeyError, match="no airline with ICAO designator 'ZZZ' in airlines.csv"):
        airline("ZZZ")


def test_the_simulated_airlines_take_their_identity_from_the_reference_table() -> None:
    table = airlines_by_icao()
    assert all(table[info.icao] == Airline(info.icao, info.iata, info.name) for info in AIRLINES.values())
    assert (AIRLINES["LH"].icao, AIRLINES["LH"].name) == ("DLH", "Lufthansa")


def test_the_wheel_ships_the_data_file(tmp_path: Path) -> None:
    # Offline and without build isolation, as the Glue wheel is built (the infra extra brings hatchling).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("flightpipe-*.whl")
    assert f"flightpipe/reference/{DATA_FILE}" in zipfile.ZipFile(wheel).namelist()
