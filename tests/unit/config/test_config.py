from __future__ import annotations

from pathlib import Path

import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError


def test_defaults_collect_five_german_airports_on_the_simulated_source() -> None:
    settings = load_settings()
    assert settings.airports == ["EDDB", "EDDM", "EDDH", "EDDL", "EDDF"]
    assert settings.source.type == "simulated" and settings.is_simulated
    assert settings.warehouse.type == "duckdb"


def test_file_values_are_read_and_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('airports = ["EDDF"]\n[source]\nseed = 3\n')
    monkeypatch.setenv("FLIGHTPIPE__SOURCE__SEED", "9")
    settings = load_settings(config)
    assert (settings.airports, settings.source.seed) == (["EDDF"], 9)


def test_flightpipe_toml_in_the_working_directory_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "flightpipe.toml").write_text('airports = ["EDDH"]\n')
    assert load_settings().airports == ["EDDH"]


def test_airports_from_the_environment_may_be_comma_separated_and_lower_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTPIPE__AIRPORTS", "eddf, EDDM")
    assert load_settings().airports == ["EDDF", "EDDM"]


def test_unknown_icao_code_names_the_key_and_what_is_allowed() -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(airports="EDDF,EDDX")
    assert "airports: 'EDDX' is not an ICAO code known to airportsdata" in str(exc.value)


def test_malformed_icao_code_says_what_an_icao_code_is() -> None:
    with pytest.raises(ConfigError, match="'FRA' is not an ICAO airport code: 4 letters"):
        load_settings(airports="FRA")


def test_unknown_key_in_the_file_is_an_error_listing_the_allowed_keys(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[source]\nsede = 3\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(config)
    message = str(exc.value)
    assert "source.sede: unknown key; allowed here: defects, format, page_size, scale, seed, type" in message
    assert str(config) in message


def test_unknown_environment_variable_with_the_prefix_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTPIPE__AIRPORT", "EDDF")
    with pytest.raises(ConfigError, match="FLIGHTPIPE__AIRPORT names no setting"):
        load_settings()


def test_unknown_source_type_names_the_allowed_one(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[source]\ntype = "flightradar"\n')
    with pytest.raises(
        ConfigError,
        match=r"source.type: 'flightradar' is not a source type; allowed: simulated, aviationstack, aerodatabox, "
        "opensky",
    ):
        load_settings(config)


def test_invalid_toml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("airports = [\n")
    with pytest.raises(ConfigError, match="bad.toml is not valid TOML"):
        load_settings(config)


def test_a_missing_config_file_given_explicitly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_out_of_range_number_is_rejected_with_the_bound() -> None:
    with pytest.raises(ConfigError, match="collect_workers: Input should be greater than or equal to 1"):
        load_settings(collect_workers=0)


def test_starter_config_written_by_init_loads_and_matches_the_defaults() -> None:
    from importlib import resources

    text = resources.files("flightpipe").joinpath("starter.toml").read_text()
    path = Path("flightpipe.toml")
    path.write_text(text)
    assert load_settings(path).model_dump() == load_settings(Path("/dev/null")).model_dump()
