"""The dispatcher: decides whether an event is sent, sends it through every chosen notifier, remembers it.

Two promises. **Once per problem per day**: the event's dedup key is claimed in the alert log before sending,
so retries and reruns of the same day do not repeat an alert. **Alerts never fail the pipeline**: every
notifier's failure is caught, logged (redacted) and recorded; :meth:`AlertDispatcher.dispatch` does not raise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from flightpipe.core.clock import Clock
from flightpipe.core.redact import redact
from flightpipe.monitoring.events import RUN_SUCCEEDED, Event
from flightpipe.monitoring.notifiers import Notifier
from flightpipe.monitoring.settings import AlertsSettings
from flightpipe.state.alerts import SentAlerts
from flightpipe.state.db import StateError

log = logging.getLogger(__name__)


@dataclass
class Dispatched:
    """What became of one event."""

    event: Event
    sent: bool = False
    suppressed: str | None = None  # why it was not sent: "disabled", "duplicate", "no notifier"
    delivered_to: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class AlertDispatcher:
    def __init__(
        self, settings: AlertsSettings, alert_log: SentAlerts, notifiers: Sequence[Notifier], *, clock: Clock
    ) -> None:
        self.settings = settings
        self.alert_log = alert_log
        self.notifiers = list(notifiers)
        self.clock = clock

    def enabled(self, event: Event) -> bool:
        return event.name != RUN_SUCCEEDED or self.settings.run_succeeded

    def dispatch(self, event: Event) -> Dispatched:
        outcome = Dispatched(event)
        try:
            return self._dispatch(event, outcome)
        except Exception:  # noqa: BLE001 - the pipeline must never fail because of an alert
            log.exception("alert %s could not be processed", event.name)
            outcome.failed.append("dispatcher")
            return outcome

    def _dispatch(self, event: Event, outcome: Dispatched) -> Dispatched:
        if not self.enabled(event):
            outcome.suppressed = "disabled"
            return outcome
        targets = [n for n in self.notifiers if n.accepts(event)]
        if not targets:
            outcome.suppressed = "no notifier"
            return outcome
        now = self.clock()
        try:
            claimed = self.alert_log.claim(
                event.dedup_key, event=event.name, day=event.day, run_id=event.run_id, summary=event.summary, now=now
            )
            logged = True
        except StateError as exc:
            # The alert log cannot be written (a full disk): better the same alert twice than none at all.
            log.warning("the alert log cannot be written (%s); sending %s without it", exc, event.name)
            claimed, logged = True, False
        if not claimed:
            outcome.suppressed = "duplicate"
            log.info(
                "alert already sent today, not repeated: %s",
                event.summary,
                extra={"data": {"event": event.name, "dedup_key": event.dedup_key}},
            )
            return outcome
        for notifier in targets:
            try:
                notifier.send(event)
            except Exception as exc:  # noqa: BLE001 - one notifier's failure must not stop the others
                reason = redact(f"{notifier.name}: {type(exc).__name__}: {exc}")
                outcome.failed.append(reason)
                log.warning(
                    "notifier %s could not send %s: %s",
                    notifier.name,
                    event.name,
                    reason,
                    extra={"data": {"event": event.name, "notifier": notifier.name}},
                )
            else:
                outcome.delivered_to.append(notifier.name)
        outcome.sent = bool(outcome.delivered_to)
        if not logged:
            return outcome
        if outcome.delivered_to:
            self.alert_log.record(event.dedup_key, now=now, delivered_to=outcome.delivered_to, failed=outcome.failed)
        else:
            # Nobody heard it: let the next attempt (a retry, the next run) try again.
            self.alert_log.release(event.dedup_key, now=now)
        return outcome
