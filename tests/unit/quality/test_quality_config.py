"""``[quality.<rule>]`` settings: level, threshold, off per rule; every error names the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.quality.api import Level, RuleConfig
from flightpipe.quality.rules import RULES


def test_defaults_are_the_declared_levels_and_thresholds() -> None:
    configs = load_settings().quality.rule_configs()
    assert configs["volume_band"] == RuleConfig("volume_band", Level.FAIL, 0.4)
    assert configs["status_known"] == RuleConfig("status_known", Level.WARN, None)
    assert set(configs) == set(RULES)


def test_file_sets_level_threshold_and_off_per_rule(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text(
        "[quality.volume_band]\nthreshold = 0.5\nlevel = 'warn'\n"
        "[quality.status_known]\nlevel = 'fail'\n[quality.duplicate_records]\noff = true\n"
    )
    configs = load_settings(config).quality.rule_configs()
    assert configs["volume_band"] == RuleConfig("volume_band", Level.WARN, 0.5)
    assert configs["status_known"].level is Level.FAIL
    assert configs["duplicate_records"].off


def test_environment_sets_a_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTPIPE__QUALITY__NULL_SHARE__THRESHOLD", "0.25")
    assert load_settings().quality.rule_config("null_share").threshold == 0.25


def test_an_unknown_rule_names_the_key_and_lists_the_rules(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[quality.volum_band]\nlevel = 'warn'\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(config)
    assert (
        "quality.volum_band: unknown key; allowed here: airports_known, arrival_after_departure, board_collected,"
        in str(exc.value)
    )
    assert "[env: FLIGHTPIPE__QUALITY__VOLUM_BAND]" in str(exc.value)


def test_a_threshold_out_of_range_names_the_key_and_the_bound() -> None:
    with pytest.raises(ConfigError, match=r"quality.volume_band.threshold: Input should be less than or equal to 0.95"):
        load_settings(quality={"volume_band": {"threshold": 1.5}})


def test_a_level_other_than_warn_or_fail_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"quality.null_share.level: Input should be 'warn' or 'fail' \(got 'error'\)"
    ):
        load_settings(quality={"null_share": {"level": "error"}})


def test_a_rule_without_threshold_has_no_threshold_key() -> None:
    with pytest.raises(ConfigError, match=r"quality.status_known.threshold: unknown key; allowed here: level, off"):
        load_settings(quality={"status_known": {"threshold": 1}})


def test_a_rule_whose_breach_cannot_become_a_row_stays_fail_and_says_why() -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(quality={"required_keys": {"level": "warn"}})
    assert "quality.required_keys.level: required_keys is always fail (a row without its flight date" in str(exc.value)
    with pytest.raises(ConfigError, match="quality.timestamps_parse.off: unknown key"):
        load_settings(quality={"timestamps_parse": {"off": True}})


def test_the_parse_rule_is_not_configurable() -> None:
    with pytest.raises(ConfigError, match="quality.parse: unknown key"):
        load_settings(quality={"parse": {"level": "warn"}})


def test_defect_rates_are_validated_and_named() -> None:
    with pytest.raises(ConfigError, match=r"source.defects.missing_key: Input should be less than or equal to 1"):
        load_settings(source={"defects": {"missing_key": 2}})
    with pytest.raises(ConfigError, match=r"source.defects.missing_keys: unknown key; allowed here: arrival_before_"):
        load_settings(source={"defects": {"missing_keys": 0.1}})
