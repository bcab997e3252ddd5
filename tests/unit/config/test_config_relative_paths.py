"""Relative paths written in a config file are relative to that file's folder, not to where a command runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightpipe.config import load_settings


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file in ``tmp_path/project``, the command run from ``tmp_path/elsewhere``."""
    (tmp_path / "project").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    for name in ("FLIGHTPIPE__DATA_DIR", "FLIGHTPIPE__LEDGER_PATH", "FLIGHTPIPE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "project"


def test_relative_data_dir_ledger_and_warehouse_paths_are_beside_the_config_file(elsewhere: Path) -> None:
    config = elsewhere / "flightpipe.toml"
    config.write_text(
        'data_dir = "data"\nledger_path = "state/ledger.sqlite"\n[warehouse]\ntype = "duckdb"\npath = "wh.duckdb"\n'
    )

    settings = load_settings(Path("../project/flightpipe.toml"))

    assert Path(settings.data_dir).resolve() == elsewhere / "data"
    assert settings.resolved_ledger_path().resolve() == elsewhere / "state" / "ledger.sqlite"
    assert settings.resolved_warehouse_path().resolve() == elsewhere / "wh.duckdb"


def test_absolute_paths_urls_and_the_environment_are_left_as_they_are(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = elsewhere / "flightpipe.toml"
    config.write_text('data_dir = "s3://bucket/prefix"\nledger_path = "/var/lib/flightpipe/ledger.sqlite"\n')
    assert load_settings(config).data_dir == "s3://bucket/prefix"
    assert load_settings(config).ledger_path == "/var/lib/flightpipe/ledger.sqlite"

    config.write_text('data_dir = "data"\n')
    monkeypatch.setenv("FLIGHTPIPE__DATA_DIR", "from-env")
    assert load_settings(config).data_dir == "from-env"
    assert load_settings(config, data_dir="from-flag").data_dir == "from-flag"


def test_the_default_config_in_the_current_folder_keeps_relative_paths_relative(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(elsewhere)
    (elsewhere / "flightpipe.toml").write_text('data_dir = "data"\n')

    assert load_settings().data_dir == "data"
