"""The ``[alerts]`` and ``[schedule]`` sections of the configuration, validated.

Secrets (the SMTP password, the webhook URL, which for Slack is a credential) are ``SecretStr``: they never
appear in a repr, a log or an error, and they are registered with :mod:`flightpipe.core.redact` as soon as they are
read. The SMTP password must come from the environment (``FLIGHTPIPE__ALERTS__EMAIL__PASSWORD``); a password
written in the config file is refused.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from flightpipe.core.redact import register_secret
from flightpipe.core.settings_base import StrictModel, split_list
from flightpipe.monitoring.events import EVENT_NAMES

NotifierName = Literal["log", "email", "webhook", "sns"]
NOTIFIER_NAMES: tuple[str, ...] = ("log", "email", "webhook", "sns")


def _check_event_names(names: list[str] | None) -> list[str] | None:
    if names is None:
        return None
    for name in names:
        if name not in EVENT_NAMES:
            raise ValueError(f"{name!r} is not an event; allowed: {', '.join(EVENT_NAMES)}")
    return names


class _NotifierSettings(StrictModel):
    events: Annotated[list[str] | None, NoDecode] = Field(
        default=None, description="Only these events go to this notifier (default: every enabled event)."
    )

    @field_validator("events", mode="before")
    @classmethod
    def _split_events(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("events")
    @classmethod
    def _known_events(cls, names: list[str] | None) -> list[str] | None:
        return _check_event_names(names)


class LogNotifierSettings(_NotifierSettings):
    """Alerts as log lines (logger ``flightpipe.alerts``): warnings and errors at their level."""


class EmailSettings(_NotifierSettings):
    host: str | None = Field(default=None, description="SMTP server.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Default: 587 starttls, 465 ssl, 25 none.")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls (upgrade a plain connection), ssl (TLS from the start), none."
    )
    username: str | None = Field(default=None, description="Login; the password comes from the environment.")
    password: SecretStr | None = Field(default=None, description="Only from FLIGHTPIPE__ALERTS__EMAIL__PASSWORD.")
    sender: str | None = Field(default=None, description="From address, e.g. flightpipe@example.com.")
    to: Annotated[list[str], NoDecode] = Field(default_factory=list, description="Recipients.")
    ca_file: str | None = Field(default=None, description="CA bundle to trust (a private relay's certificate).")
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    def resolved_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]

    @field_validator("to", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_list(value)


class WebhookSettings(_NotifierSettings):
    url: SecretStr | None = Field(default=None, description="Where to POST, e.g. a Slack incoming-webhook URL.")
    format: Literal["slack", "event"] = Field(
        default="slack", description="slack: {text, blocks}; event: the event as EventBridge delivers it."
    )
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    attempts: int = Field(default=3, ge=1, le=10, description="Tries on a connection error or a 5xx answer.")


class SnsSettings(_NotifierSettings):
    topic_arn: str | None = Field(default=None, description="arn:aws:sns:REGION:ACCOUNT:TOPIC")
    region: str | None = Field(default=None, description="Default: the topic ARN's region.")
    endpoint_url: str | None = Field(default=None, description="Only for a local stand-in (moto, LocalStack).")
    timeout_s: float = Field(default=10.0, gt=0, le=300)


def _default_notifiers() -> list[NotifierName]:
    return ["log"]


class AlertsSettings(StrictModel):
    notifiers: Annotated[list[NotifierName], NoDecode] = Field(
        default_factory=lambda: list[NotifierName](["log"]),
        description="Which notifiers send alerts: log, email, webhook, sns.",
    )
    run_succeeded: bool = Field(default=False, description="Also send flightpipe.run.succeeded (one line per run).")
    deadline_utc: dt.time | None = Field(
        default=dt.time(6, 0),
        description="The data of collection day D is due loaded by this UTC time on D+1; unset to disable.",
    )
    slow_step_factor: float = Field(default=3.0, gt=1, description="A step is slow above this many times usual.")
    slow_step_min_seconds: float = Field(
        default=60.0, ge=0, description="...and at least this many seconds over usual (short steps are noisy)."
    )
    slow_step_history: int = Field(default=7, ge=1, le=100, description="Usual = median of this many past runs.")
    slow_step_min_history: int = Field(default=3, ge=1, le=100, description="Past runs needed before judging.")
    log: LogNotifierSettings = Field(default_factory=LogNotifierSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    sns: SnsSettings = Field(default_factory=SnsSettings)

    @field_validator("notifiers", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_list(value)

    @model_validator(mode="after")
    def _chosen_notifiers_are_complete(self) -> AlertsSettings:
        missing: list[str] = []
        if "email" in self.notifiers:
            email = self.email
            missing += [f"alerts.email.{k}" for k in ("host", "sender") if not getattr(email, k)]
            if not email.to:
                missing.append("alerts.email.to")
            if email.username and email.password is None:
                missing.append("alerts.email.password (set FLIGHTPIPE__ALERTS__EMAIL__PASSWORD)")
        if "webhook" in self.notifiers and self.webhook.url is None:
            missing.append("alerts.webhook.url")
        if "sns" in self.notifiers and not self.sns.topic_arn:
            missing.append("alerts.sns.topic_arn")
        if missing:
            raise ValueError(f"chosen notifiers need {', '.join(missing)}")
        if self.webhook.url is not None:
            url = self.webhook.url.get_secret_value()
            if urlsplit(url).scheme not in {"http", "https"}:
                raise ValueError("alerts.webhook.url must be an http:// or https:// URL")
        if self.sns.topic_arn and not self.sns.topic_arn.startswith("arn:"):
            raise ValueError("alerts.sns.topic_arn must be an ARN, e.g. arn:aws:sns:eu-central-1:123456789012:alerts")
        _register_secrets(self)
        return self


def _register_secrets(alerts: AlertsSettings) -> None:
    if alerts.email.password is not None:
        register_secret(alerts.email.password.get_secret_value())
    if alerts.webhook.url is not None:
        url = alerts.webhook.url.get_secret_value()
        register_secret(url)
        # Slack's token is the path; an error message may quote the path without the host.
        parts = urlsplit(url)
        if len(parts.path) > 8:
            register_secret(parts.path)
        # ... or the bare token alone (a webhook echoing what it rejected): every long path segment and query
        # value. Tokens are long and random; the fixed words of such paths (services, webhooks) are short.
        for piece in [*parts.path.split("/"), *(v for _, v in parse_qsl(parts.query))]:
            if len(piece) >= WEBHOOK_TOKEN_MIN_LENGTH:
                register_secret(piece)


#: The shortest piece of a webhook URL taken for its token (Slack's is 24 characters, Discord's 68).
WEBHOOK_TOKEN_MIN_LENGTH = 16


def reject_secrets_in_file(toml_file: Path | None) -> None:
    """The SMTP password belongs in the environment, never in a file that may be committed."""
    if toml_file is None or not toml_file.exists():
        return
    try:
        parsed = tomllib.loads(toml_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return  # load_settings reports an unreadable file itself
    email = (parsed.get("alerts") or {}).get("email") if isinstance(parsed.get("alerts"), dict) else None
    if isinstance(email, dict) and "password" in email:
        raise ValueError(
            f"alerts.email.password must not be written in {toml_file}; "
            "set FLIGHTPIPE__ALERTS__EMAIL__PASSWORD in the environment instead"
        )


DEFAULT_CRON = "30 2 * * *"


class ScheduleSettings(StrictModel):
    cron: str = Field(
        default=DEFAULT_CRON,
        description="When `flightpipe schedule` runs, in UTC (minute hour day-of-month month day-of-week).",
    )
    day_offset: int = Field(default=1, ge=0, le=30, description="Collect the day this many days before the run.")
    catch_up_days: int = Field(
        default=7, ge=0, le=366, description="Days before the scheduled one rerun when they have no succeeded run."
    )

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter  # here, not at import: only a configured cron needs it

        text = " ".join(value.split())
        if not croniter.is_valid(text):
            raise ValueError(
                f"{value!r} is not a cron expression; use 5 fields in UTC: minute hour day-of-month month "
                f"day-of-week, e.g. {DEFAULT_CRON!r} (daily at 02:30)"
            )
        return text
