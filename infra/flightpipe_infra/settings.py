"""The stack's configuration: CDK context (``-c flightpipe:key=value`` or cdk.json), validated.

One app deploys one stack per stage (``flightpipe:stages`` in cdk.json: a map of stage name to its own keys,
which win over the shared top-level ``flightpipe:<key>`` values); the stage name prefixes every physical name,
so two stages live side by side in one account and region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flightpipe.reference.airports import is_known_icao
from flightpipe.sources.registry import source_names, source_spec

PREFIX = "flightpipe:"
STAGES_KEY = PREFIX + "stages"
#: Lowercase letters, digits and hyphens, starting with a letter: it goes into S3-, Glue- and Redshift-safe names.
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,11}$")
_CRON = re.compile(r"^\S+ \S+ \S+ \S+ \S+ \S+$")


class ContextError(ValueError):
    """A context value is invalid; the message names the key and what is allowed."""


@dataclass(frozen=True)
class StackSettings:
    #: The environment (dev, prod, ...): prefixes every physical name (``flightpipe-<stage>-...``).
    stage: str = "dev"
    alert_email: str | None = None
    #: The explicit opt-out of alert mails (a reason, e.g. "dev: nobody reads its mails"); without it an alert
    #: address is required.
    no_alert_email: str | None = None
    #: EventBridge cron (six fields, UTC): minute hour day-of-month month day-of-week year.
    schedule_cron: str = "0 4 * * ? *"
    airports: list[str] = field(default_factory=lambda: ["EDDB", "EDDM", "EDDH", "EDDL", "EDDF"])
    source_type: str = "aviationstack"
    run_deadline_minutes: int = 180
    #: An existing VPC (with its private subnets, at least three AZs) for Redshift; else the stack creates one.
    vpc_id: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    availability_zones: list[str] = field(default_factory=list)

    @classmethod
    def stages(cls, get: Any) -> list[StackSettings]:
        """One settings per stage of ``flightpipe:stages`` (a map of stage to its keys; a comma-separated list
        of names or none at all: each stage with the shared keys only; none: one stage, ``dev``)."""
        stages = get(STAGES_KEY)
        if isinstance(stages, str):
            stages = {name.strip(): {} for name in stages.split(",") if name.strip()}
        if not stages:
            stages = {cls.stage: {}}
        if not isinstance(stages, dict):
            raise ContextError(f"{STAGES_KEY} must map each stage name to its keys, got {stages!r}")
        only = get(PREFIX + "stage")
        if only:
            if only not in stages:
                raise ContextError(f"flightpipe:stage {only!r} is not one of {STAGES_KEY}: {', '.join(stages)}")
            stages = {only: stages[only]}
        return [cls.from_context(get, stage=str(name), overrides=dict(own or {})) for name, own in stages.items()]

    @classmethod
    def from_context(cls, get: Any, *, stage: str = "dev", overrides: dict[str, Any] | None = None) -> StackSettings:
        """``get(key)`` is ``node.try_get_context``; ``overrides`` are the stage's own keys (without the prefix)."""
        own = overrides or {}

        def raw(key: str) -> Any:
            return own[key] if key in own else get(PREFIX + key)

        def text(key: str) -> str | None:
            value = raw(key)
            return str(value).strip() if value not in (None, "", False) else None

        def items(key: str) -> list[str]:
            value = raw(key)
            if isinstance(value, list):
                return [str(v).strip() for v in value if str(v).strip()]
            return [v.strip() for v in str(value or "").split(",") if v.strip()]

        defaults = cls()
        settings = cls(
            stage=stage,
            alert_email=text("alert_email"),
            no_alert_email=text("no_alert_email"),
            schedule_cron=text("schedule_cron") or defaults.schedule_cron,
            airports=[a.upper() for a in items("airports")] or defaults.airports,
            source_type=text("source_type") or defaults.source_type,
            run_deadline_minutes=int(text("run_deadline_minutes") or defaults.run_deadline_minutes),
            vpc_id=text("vpc_id"),
            subnet_ids=items("subnet_ids"),
            availability_zones=items("availability_zones"),
        )
        settings.check()
        settings.check_alerts()
        return settings

    @property
    def source_needs_credentials(self) -> bool:
        """The source has a ``[sources.<name>]`` account, so its functions get the source secret's ARN."""
        return source_spec(self.source_type).account is not None

    @property
    def prefix(self) -> str:
        """The start of every physical name of this stage (hyphenated)."""
        return f"flightpipe-{self.stage}"

    @property
    def glue_database(self) -> str:
        """The stage's Glue database (Athena wants underscores, not hyphens)."""
        return f"flightpipe_{self.stage.replace('-', '_')}"

    def check_alerts(self) -> None:
        """A deployed stage mails someone, or says why not: checked for every stage the context names."""
        if self.alert_email is None and self.no_alert_email is None:
            raise ContextError(
                f"stage {self.stage}: flightpipe:alert_email is required: the address that gets the run's alerts "
                "(it must confirm the SNS subscription mail); to deploy without mails, set "
                "flightpipe:no_alert_email to the reason (e.g. -c flightpipe:no_alert_email='dev stage')"
            )

    def check(self) -> None:
        if not _STAGE.match(self.stage):
            raise ContextError(
                f"a stage name must be lowercase letters, digits and hyphens, starting with a letter, at most 12 "
                f"characters (it prefixes S3, Glue and Redshift names), got {self.stage!r}"
            )
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
        if not 10 <= self.run_deadline_minutes <= 24 * 60:
            raise ContextError("flightpipe:run_deadline_minutes must be between 10 and 1440")
        if self.vpc_id and len(self.subnet_ids) < 3:
            raise ContextError(
                "flightpipe:vpc_id needs flightpipe:subnet_ids: at least three private subnets in three "
                "availability zones (Redshift Serverless needs them)"
            )
