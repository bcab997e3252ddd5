"""Notifiers: where an alert goes. Each one sends one event or raises :class:`NotifierError`; deciding what to
send, deduplicating and surviving a failed notifier is the dispatcher's job (``alerts.py``).

* ``log``: a log line on logger ``flightpipe.alerts`` (JSON with the whole event when logs are JSON).
* ``email``: SMTP with STARTTLS or implicit TLS and login (smtplib); plain text with the event JSON attached.
* ``webhook``: an HTTP POST (httpx) of a Slack-compatible message, or of the event itself; retried on
  connection errors and 5xx answers.
* ``sns``: ``Publish`` to a topic (boto3, the ``aws`` extra); e-mail subscribers get the text, every other
  protocol the event JSON (``MessageStructure=json``), with message attributes for filter policies.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

from flightpipe.core.redact import redact
from flightpipe.monitoring.events import Event, Severity
from flightpipe.monitoring.render import slack_payload, sns_message, subject, text_body
from flightpipe.monitoring.settings import (
    AlertsSettings,
    EmailSettings,
    LogNotifierSettings,
    SnsSettings,
    WebhookSettings,
)

if TYPE_CHECKING:
    # httpx (and tenacity) are imported when a webhook is sent, not with this module: every run imports the
    # notifiers, and most send no webhook (importing them cost ~75 ms of every run's start-up).
    import httpx

alert_log = logging.getLogger("flightpipe.alerts")


class NotifierError(Exception):
    """A notifier could not deliver an event. Never escapes the dispatcher."""


class Notifier(Protocol):
    name: str

    def accepts(self, event: Event) -> bool: ...

    def send(self, event: Event) -> None: ...


class _Filtered:
    name = "notifier"

    def __init__(self, events: Sequence[str] | None) -> None:
        self._events = set(events) if events is not None else None

    def accepts(self, event: Event) -> bool:
        return self._events is None or event.name in self._events


class LogNotifier(_Filtered):
    name = "log"

    _LEVEL = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING, Severity.INFO: logging.INFO}

    def __init__(self, settings: LogNotifierSettings) -> None:
        super().__init__(settings.events)

    def send(self, event: Event) -> None:
        alert_log.log(
            self._LEVEL[event.severity],
            "%s: %s; what to do: %s",
            event.name,
            event.summary,
            event.remedy,
            extra={"data": event.message(), "run_id": event.run_id},
        )


class EmailNotifier(_Filtered):
    name = "email"

    def __init__(self, settings: EmailSettings) -> None:
        super().__init__(settings.events)
        self.settings = settings

    def build_message(self, event: Event) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = subject(event)
        message["From"] = self.settings.sender or ""
        message["To"] = ", ".join(self.settings.to)
        message["X-Flightpipe-Event"] = event.name
        message["X-Flightpipe-Severity"] = str(event.severity)
        message.set_content(text_body(event))
        message.add_attachment(
            json.dumps(event.message(), indent=2, sort_keys=True, default=str).encode("utf-8"),
            maintype="application",
            subtype="json",
            filename=f"{event.name}.json",
        )
        return message

    def send(self, event: Event) -> None:
        s = self.settings
        host, port = s.host or "", s.resolved_port()
        try:
            context = ssl.create_default_context(cafile=s.ca_file)
            smtp: smtplib.SMTP
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=s.timeout_s, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=s.timeout_s)
            with smtp:
                if s.security == "starttls":
                    smtp.starttls(context=context)
                if s.username:
                    password = s.password.get_secret_value() if s.password else ""
                    smtp.login(s.username, password)
                smtp.send_message(self.build_message(event))
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise NotifierError(f"email via {host}:{port} ({s.security}) failed: {type(exc).__name__}: {exc}") from exc


def _retryable(exc: BaseException) -> bool:
    import httpx

    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and (
        exc.response.status_code >= 500 or exc.response.status_code == 429
    )


class WebhookNotifier(_Filtered):
    name = "webhook"

    def __init__(
        self, settings: WebhookSettings, *, transport: httpx.BaseTransport | None = None, wait_s: float = 0.5
    ) -> None:
        super().__init__(settings.events)
        self.settings = settings
        self._transport = transport
        self._wait_s = wait_s

    def payload(self, event: Event) -> dict[str, Any]:
        return slack_payload(event) if self.settings.format == "slack" else event.message()

    def send(self, event: Event) -> None:
        url = self.settings.url.get_secret_value() if self.settings.url else ""
        body = self.payload(event)
        import httpx
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

        try:
            with httpx.Client(timeout=self.settings.timeout_s, transport=self._transport) as client:
                for attempt in Retrying(
                    stop=stop_after_attempt(self.settings.attempts),
                    wait=wait_exponential(multiplier=self._wait_s, max=10),
                    retry=retry_if_exception(_retryable),
                    reraise=True,
                ):
                    with attempt:
                        response = client.post(url, json=body, headers={"User-Agent": "flightpipe-alerts"})
                        response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise NotifierError(
                f"webhook answered HTTP {exc.response.status_code}: {redact(exc.response.text[:200])}"
            ) from exc
        except httpx.HTTPError as exc:
            # The URL is a credential for Slack: name only the failure, never the address.
            raise NotifierError(f"webhook failed: {type(exc).__name__}: {redact(str(exc))}") from exc


class SnsNotifier(_Filtered):
    name = "sns"

    def __init__(self, settings: SnsSettings, *, client: Any = None) -> None:
        super().__init__(settings.events)
        self.settings = settings
        self._client = client

    def _sns(self) -> Any:
        if self._client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError as exc:  # pragma: no cover - depends on the installed extras
                raise NotifierError("the sns notifier needs boto3: pip install 'flightpipe[aws]'") from exc
            arn = self.settings.topic_arn or ""
            region = self.settings.region or (arn.split(":")[3] if arn.count(":") >= 5 else None)
            self._client = boto3.client(
                "sns",
                region_name=region,
                endpoint_url=self.settings.endpoint_url,
                config=Config(
                    connect_timeout=self.settings.timeout_s,
                    read_timeout=self.settings.timeout_s,
                    retries={"max_attempts": 2, "mode": "standard"},
                ),
            )
        return self._client

    def publish_arguments(self, event: Event) -> dict[str, Any]:
        return {"TopicArn": self.settings.topic_arn, **sns_message(event)}

    def send(self, event: Event) -> None:
        try:
            self._sns().publish(**self.publish_arguments(event))
        except NotifierError:
            raise
        except Exception as exc:  # noqa: BLE001 - botocore raises many unrelated types; all mean "not sent"
            raise NotifierError(f"sns publish failed: {type(exc).__name__}: {exc}") from exc


def build_notifiers(settings: AlertsSettings) -> list[Notifier]:
    """The notifiers the config chose, in its order."""
    made: dict[str, Notifier] = {}
    for name in settings.notifiers:
        if name in made:
            continue
        if name == "log":
            made[name] = LogNotifier(settings.log)
        elif name == "email":
            made[name] = EmailNotifier(settings.email)
        elif name == "webhook":
            made[name] = WebhookNotifier(settings.webhook)
        elif name == "sns":
            made[name] = SnsNotifier(settings.sns)
    return list(made.values())
