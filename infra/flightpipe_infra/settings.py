"""The stack's configuration: CDK context (``-c flightpipe:key=value`` or cdk.json), validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flightpipe.reference.airports import is_known_icao
from flightpipe.sources.registry import source_names, source_spec

PREFIX = "flightpipe:"
_CRON = re.compile(r"^\S+ \S+ \S+ \S+ \S+ \S+$")


class ContextError(ValueError):
    """A context value is invalid; the message names the key and what is allowed."""


@dataclass(frozen=True)
class StackSettings:
    alert_email: str | None = None
    #: EventBridge cron (six fields, UTC): minute hour day-of-month month day-of-week year.
    schedule_cron: str = "0 4 * * ? *"
    airports: list[str] = field(default_factory=lambda: ["EDDB", "EDDM", "EDDH", "EDDL", "EDDF"])
    source_type: str = "aviationstack"
    run_deadline_minutes: int = 180
    tolerated_failure_percentage: int = 40
    #: An existing VPC (with its private subnets, at least three AZs) for Redshift; else the stack creates one.
    vpc_id: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    availability_zones: list[str] = field(default_factory=list)

    @classmethod
    def from_context(cls, get: Any) -> StackSettings:
        """``get(key)`` is ``node.try_get_context``."""

        def text(key: str) -> str | None:
            value = get(PREFIX + key)
            return str(value).strip() if value not in (None, "") else None

        def items(key: str) -> list[str]:
            value = get(PREFIX + key)
            if isinstance(value, list):
                return [str(v).strip() for v in value if str(v).strip()]
            return [v.strip() for v in str(value or "").split(",") if v.strip()]

        defaults = cls()
        settings = cls(
            alert_email=text("alert_email"),
            schedule_cron=text("schedule_cron") or defaults.schedule_cron,
            airports=[a.upper() for a in items("airports")] or defaults.airports,
            source_type=text("source_type") or defaults.source_type,
            run_deadline_minutes=int(text("run_deadline_minutes") or defaults.run_deadline_minutes),
            tolerated_failure_percentage=int(
                text("tolerated_failure_percentage") or defaults.tolerated_failure_percentage
            ),
            vpc_id=text("vpc_id"),
            subnet_ids=items("subnet_ids"),
            availability_zones=items("availability_zones"),
        )
        settings.check()
        return settings

    @property
    def source_needs_credentials(self) -> bool:
        """The source has a ``[sources.<name>]`` account, so its functions get the source secret's ARN."""
        return source_spec(self.source_type).account is not None

    def check(self) -> None:
        if self.alert_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.alert_email):
            raise ContextError(f"flightpipe:alert_email must be an email address, got {self.alert_email!r}")
        if not _CRON.match(self.schedule_cron):
            raise ContextError(
                "flightpipe:schedule_cron must be an EventBridge cron with six fields "
                f"(minute hour day month weekday year, e.g. '0 4 * * ? *'), got {self.schedule_cron!r}"
            )
        unknown = [a for a in self.airports if not is_known_icao(a)]
        if unknown:
            raise ContextError(f"flightpipe:airports: {', '.join(unknown)} are not ICAO codes (e.g. EDDF)")
        if self.source_type not in source_names():
            raise ContextError(
                f"flightpipe:source_type must be one of {', '.join(source_names())}, got {self.source_type!r}"
            )
        if not 0 <= self.tolerated_failure_percentage <= 100:
            raise ContextError("flightpipe:tolerated_failure_percentage must be between 0 and 100")
        if not 10 <= self.run_deadline_minutes <= 24 * 60:
            raise ContextError("flightpipe:run_deadline_minutes must be between 10 and 1440")
        if self.vpc_id and len(self.subnet_ids) < 3:
            raise ContextError(
                "flightpipe:vpc_id needs flightpipe:subnet_ids: at least three private subnets in three "
                "availability zones (Redshift Serverless needs them)"
            )
