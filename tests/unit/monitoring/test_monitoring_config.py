"""The [alerts] and [schedule] sections: defaults, and errors that name the key and what is allowed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.core.redact import redact


def test_defaults_log_alerts_and_run_daily_at_0230_utc_for_yesterday() -> None:
    settings = load_settings()
    assert settings.alerts.notifiers == ["log"] and settings.alerts.run_succeeded is False
    assert settings.alerts.deadline_utc == dt.time(6, 0)
    assert (settings.schedule.cron, settings.schedule.day_offset, settings.schedule.catch_up_days) == (
        "30 2 * * *",
        1,
        7,
    )


def test_a_chosen_notifier_without_its_settings_names_every_missing_key() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(alerts={"notifiers": ["email", "webhook"]})
    assert (
        "alerts: chosen notifiers need alerts.email.host, alerts.email.sender, alerts.email.to, alerts.webhook.url"
        in str(error.value)
    )


def test_an_email_login_without_a_password_says_which_variable_to_set() -> None:
    with pytest.raises(ConfigError, match=r"alerts.email.password \(set FLIGHTPIPE__ALERTS__EMAIL__PASSWORD\)"):
        load_settings(
            alerts={"notifiers": ["email"], "email": {"host": "h", "sender": "a@b.de", "to": "c@d.de", "username": "u"}}
        )


def test_a_password_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text('[alerts.email]\nhost = "smtp.example.com"\npassword = "in-the-file-123"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert "alerts.email.password must not be written in" in str(error.value)
    assert "set FLIGHTPIPE__ALERTS__EMAIL__PASSWORD in the environment instead" in str(error.value)


def test_the_password_from_the_environment_is_secret_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "flightpipe.toml"
    config.write_text(
        '[alerts]\nnotifiers = ["email"]\n[alerts.email]\nhost = "smtp.example.com"\nusername = "fp"\n'
        'sender = "fp@example.com"\nto = ["ops@example.com"]\n'
    )
    monkeypatch.setenv("FLIGHTPIPE__ALERTS__EMAIL__PASSWORD", "env-password-987")
    settings = load_settings(config)
    assert settings.alerts.email.password is not None
    assert settings.alerts.email.password.get_secret_value() == "env-password-987"
    assert "env-password-987" not in repr(settings) and "env-password-987" not in str(settings.model_dump())
    assert redact("login failed for env-password-987") == "login failed for ***REDACTED***"


def test_notifiers_and_recipients_can_be_lists_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTPIPE__ALERTS__NOTIFIERS", "log,webhook")
    monkeypatch.setenv("FLIGHTPIPE__ALERTS__WEBHOOK__URL", "https://hooks.example.com/services/T1/B2/zzzsecret")
    settings = load_settings()
    assert settings.alerts.notifiers == ["log", "webhook"]
    assert redact("posting to https://hooks.example.com/services/T1/B2/zzzsecret") == "posting to ***REDACTED***"


def test_an_unknown_notifier_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match=r"alerts.notifiers.0: Input should be 'log', 'email', 'webhook' or 'sns'"):
        load_settings(alerts={"notifiers": ["pager"]})


def test_an_unknown_key_in_a_notifier_section_lists_the_allowed_keys() -> None:
    with pytest.raises(ConfigError, match=r"alerts.email.passwd: unknown key; allowed here: ca_file, events, host"):
        load_settings(alerts={"email": {"passwd": "x"}})


def test_a_webhook_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match="alerts.webhook.url must be an http:// or https:// URL"):
        load_settings(alerts={"webhook": {"url": "ftp://example.com/hook"}})


def test_the_starter_config_loads_with_its_schedule_and_alerts(tmp_path: Path) -> None:
    from importlib import resources

    config = tmp_path / "flightpipe.toml"
    config.write_text(resources.files("flightpipe").joinpath("starter.toml").read_text())
    settings = load_settings(config)
    assert settings.schedule.cron == "30 2 * * *"
