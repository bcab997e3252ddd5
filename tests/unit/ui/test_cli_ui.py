"""``flightpipe ui`` as a user starts it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli_process import flightpipe


def test_ui_refuses_an_address_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    result = flightpipe("ui", "--host", "0.0.0.0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--host 0.0.0.0 is reachable from other machines: pass --token" in " ".join(result.stderr.split())


def test_ui_help_names_its_options(tmp_path: Path) -> None:
    result = flightpipe("ui", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for option in ("--host", "--port", "--allow-actions", "--token", "FLIGHTPIPE_UI_TOKEN"):
        assert option in result.stdout, option
