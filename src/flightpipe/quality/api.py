"""The rule API: one rule is one function that returns a result with a level, a message and counts/examples.

Two kinds of rule:

* **record rules** look at every row of a transformed table at once (vectorised: one boolean per row, no
  Python loop over rows) and run inside transform; a row that breaks a fail-level record rule goes to
  quarantine with the rule's name and reason, a row that breaks a warn-level one is kept and counted;
* **dataset rules** look at one partition as a whole (an airport's board of one collection day, or one
  processed flight date) and return one :class:`RuleResult`; a fail-level result stops the load (the gate).

Every rule is declared once, in :mod:`flightpipe.quality.rules`, with its default level and threshold and what
the user sees when it fires; the settings (``[quality.<rule>]``), the docs' table and the results all come from
that declaration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import pyarrow as pa

#: The rule of records rejected while being read (by the reader or a source's normaliser), see rules.PARSE.
PARSE_RULE = "parse"


class Level(StrEnum):
    WARN = "warn"
    FAIL = "fail"


class Outcome(StrEnum):
    """What a rule concluded about one partition."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    #: A fail-level record rule caught records: they went to quarantine, the rest of the partition is fine.
    QUARANTINED = "quarantined"
    #: The rule could not judge (e.g. not enough history yet); it never stops a load.
    SKIP = "skip"


class Kind(StrEnum):
    RECORD = "record"
    DATASET = "dataset"


class Scope(StrEnum):
    #: One airport's board of one collection day (the raw/transformed/quarantine partition).
    BOARD = "board"
    #: One processed flight date (the processed/warehouse partition).
    FLIGHT_DATE = "flight_date"


@dataclass(frozen=True, slots=True)
class Partition:
    """Which partition a result is about."""

    scope: Scope
    date: dt.date
    airport_icao: str | None = None
    board: str | None = None

    @property
    def label(self) -> str:
        if self.scope is Scope.BOARD:
            return f"{self.airport_icao} {self.board} {self.date.isoformat()}"
        return f"flight date {self.date.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": str(self.scope),
            "date": self.date.isoformat(),
            "airport_icao": self.airport_icao,
            "board": self.board,
        }


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """One rule's effective settings: the declaration's defaults overridden by ``[quality.<rule>]``."""

    name: str
    level: Level
    threshold: float | None
    off: bool = False

    def passed(self, message: str, counts: Mapping[str, float] | None = None, **more: float) -> RuleResult:
        return self._result(Outcome.PASS, message, {**(counts or {}), **more}, [])

    def fired(
        self,
        message: str,
        examples: list[str] | None = None,
        counts: Mapping[str, float] | None = None,
        **more: float,
    ) -> RuleResult:
        """The rule's condition is broken: the result carries the configured level."""
        return self._result(Outcome(self.level.value), message, {**(counts or {}), **more}, examples or [])

    def skipped(self, message: str, counts: Mapping[str, float] | None = None, **more: float) -> RuleResult:
        return self._result(Outcome.SKIP, message, {**(counts or {}), **more}, [])

    def _result(self, outcome: Outcome, message: str, counts: dict[str, float], examples: list[str]) -> RuleResult:
        return RuleResult(
            rule=self.name,
            level=self.level,
            outcome=outcome,
            message=message,
            threshold=self.threshold,
            counts=counts,
            examples=examples[:MAX_EXAMPLES],
        )


#: Examples kept per result: enough to find the records, few enough to read in a table.
MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule said about one partition in one run."""

    rule: str
    level: Level
    outcome: Outcome
    message: str
    threshold: float | None = None
    counts: dict[str, float] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    kind: Kind = Kind.DATASET
    partition: Partition | None = None
    #: A fail that ``--allow-quality-failures`` let through; recorded, never silently.
    overridden: bool = False

    @property
    def failed(self) -> bool:
        """True when this result stops a load (unless overridden)."""
        return self.outcome is Outcome.FAIL

    def at(self, partition: Partition, kind: Kind) -> RuleResult:
        return replace(self, partition=partition, kind=kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": str(self.kind),
            "level": str(self.level),
            "outcome": str(self.outcome),
            "message": self.message,
            "threshold": self.threshold,
            "counts": self.counts,
            "examples": self.examples,
            "partition": self.partition.as_dict() if self.partition else None,
            "overridden": self.overridden,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleResult:
        part = data.get("partition")
        return cls(
            rule=data["rule"],
            kind=Kind(data["kind"]),
            level=Level(data["level"]),
            outcome=Outcome(data["outcome"]),
            message=data["message"],
            threshold=data.get("threshold"),
            counts=dict(data.get("counts") or {}),
            examples=list(data.get("examples") or []),
            partition=None
            if not part
            else Partition(
                scope=Scope(part["scope"]),
                date=dt.date.fromisoformat(part["date"]),
                airport_icao=part.get("airport_icao"),
                board=part.get("board"),
            ),
            overridden=bool(data.get("overridden")),
        )


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """A record rule's verdict on every row at once.

    ``violations`` is a boolean array (true = the row breaks the rule; null counts as false); ``reason`` is a
    constant text or an array of texts aligned with the rows (read only where ``violations`` is true).
    """

    violations: pa.Array
    reason: str | pa.Array


@dataclass(frozen=True, slots=True)
class Threshold:
    """A rule's tunable number: its default, the range the settings accept, and what it means."""

    default: float
    minimum: float
    maximum: float
    meaning: str


RecordCheckFn = Callable[[pa.Table, RuleConfig], RecordCheck]
DatasetCheckFn = Callable[[Any, RuleConfig], RuleResult]


@dataclass(frozen=True, slots=True)
class Rule:
    """The declaration of one rule: everything the settings, the docs and the results need to know."""

    name: str
    kind: Kind
    scopes: tuple[Scope, ...]
    level: Level
    summary: str
    fires: str
    check: Callable[..., Any] | None
    threshold: Threshold | None = None
    #: Levels the settings may choose; a rule whose breach cannot become a typed row is always ``fail``.
    levels: tuple[Level, ...] = (Level.WARN, Level.FAIL)
    can_turn_off: bool = True
    #: Why the level is fixed, shown when a setting tries to change it.
    fixed_because: str | None = None
    #: Report-only rules carry counts and never fire.
    report_only: bool = False

    @property
    def configurable(self) -> bool:
        return self.check is not None

    def default_config(self) -> RuleConfig:
        return RuleConfig(self.name, self.level, self.threshold.default if self.threshold else None)


def record_rule(
    name: str,
    *,
    level: Level,
    summary: str,
    fires: str,
    threshold: Threshold | None = None,
    fixed_because: str | None = None,
) -> Callable[[RecordCheckFn], Rule]:
    """Declare a record rule: ``check(rows, config) -> RecordCheck`` over TRANSFORMED_SCHEMA rows."""

    def declare(check: RecordCheckFn) -> Rule:
        return Rule(
            name=name,
            kind=Kind.RECORD,
            scopes=(Scope.BOARD,),
            level=level,
            summary=summary,
            fires=fires,
            check=check,
            threshold=threshold,
            levels=(Level.FAIL,) if fixed_because else (Level.WARN, Level.FAIL),
            can_turn_off=fixed_because is None,
            fixed_because=fixed_because,
        )

    return declare


def dataset_rule(
    name: str,
    *,
    scopes: tuple[Scope, ...],
    level: Level,
    summary: str,
    fires: str,
    threshold: Threshold | None = None,
    report_only: bool = False,
) -> Callable[[DatasetCheckFn], Rule]:
    """Declare a dataset rule: ``check(facts, config) -> RuleResult`` for one partition."""

    def declare(check: DatasetCheckFn) -> Rule:
        return Rule(
            name=name,
            kind=Kind.DATASET,
            scopes=scopes,
            level=level,
            summary=summary,
            fires=fires,
            check=check,
            threshold=threshold,
            report_only=report_only,
        )

    return declare
