"""Paths that cannot work are configuration errors naming the key, found before any stage runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from tests.helpers.cli_process import flightpipe


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("")
    return path


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"data_dir": "{file}"}, "data_dir: {file} is a file; the data folder must be a folder"),
        ({"data_dir": "{file}/sub"}, "data_dir: {file} is a file, so {file}/sub cannot be created under it"),
        ({"ledger_path": "{dir}"}, "ledger_path: {dir} is a folder; the ledger (a SQLite file"),
        ({"ledger_path": "{file}/l.sqlite"}, "ledger_path: {file} is a file, so {file}/l.sqlite cannot be created"),
        ({"warehouse": "duckdb:///{file}/w.duckdb"}, "warehouse: {file} is a file, so {file}/w.duckdb cannot be"),
    ],
)
def test_a_path_that_cannot_work_is_a_config_error_naming_the_key(
    a_file: Path, tmp_path: Path, overrides: dict[str, Any], expected: str
) -> None:
    # duckdb:/// + an absolute path gives duckdb:////tmp/...: the absolute form.
    values = {k: v.format(file=a_file, dir=tmp_path) for k, v in overrides.items()}
    with pytest.raises(ConfigError) as raised:
        load_settings(**values)
    assert expected.format(file=a_file, dir=tmp_path) in str(raised.value)


def test_paths_that_do_not_exist_yet_are_fine(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "new" / "data"), ledger_path=str(tmp_path / "new" / "l.sqlite"))
    assert settings.data_dir == str(tmp_path / "new" / "data")


def test_the_command_line_exits_2_naming_the_key_and_refuses_dates_outside_the_window(
    a_file: Path, tmp_path: Path
) -> None:
    run = flightpipe("run", "--date", "2026-06-08", cwd=tmp_path, env={"FLIGHTPIPE__DATA_DIR": str(a_file)})
    assert run.returncode == 2 and "data_dir:" in run.stderr and "Traceback" not in run.stderr
    backfill = flightpipe("backfill", "--start", "0001-01-01", "--end", "0001-01-02", cwd=tmp_path)
    assert backfill.returncode == 2
    assert "--start must lie between 1970-01-01 and 9000-12-31, got 0001-01-01" in backfill.stderr
    runs = flightpipe("runs", "--limit", "-1", cwd=tmp_path)
    assert runs.returncode == 2 and "Invalid value for '--limit' / '-n'" in runs.stderr
