"""Record rules applied to a whole transformed table at once: which rows go to quarantine, under which rule.

Transform calls :func:`check_records` with the fail-level rules only (warn-level rules keep their rows, so
they are counted later by the evaluator, off the transform's hot path). Every check is a few column-wide
pyarrow.compute calls; a table without violations costs no per-row work at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.quality.api import MAX_EXAMPLES, Level, RecordCheck, Rule, RuleConfig
from flightpipe.quality.rules import RECORD_RULES
from flightpipe.quality.segments import (
    Offsets,
    files_of,
    first_of_each,
    offsets_of,
    positions_array,
    split_by_file,
    true_positions,
)

_S = pa.string()


@dataclass(frozen=True, slots=True)
class RecordRuleSet:
    """The record rules in force, in order, with their effective settings."""

    rules: tuple[tuple[Rule, RuleConfig], ...]

    @classmethod
    def from_configs(cls, configs: Mapping[str, RuleConfig]) -> RecordRuleSet:
        chosen = []
        for rule in RECORD_RULES:
            if rule.check is None:
                continue  # checked by the reader/normaliser, not over typed rows
            config = configs.get(rule.name, rule.default_config())
            if not config.off:
                chosen.append((rule, config))
        return cls(tuple(chosen))

    @classmethod
    def defaults(cls) -> RecordRuleSet:
        return cls.from_configs({})

    def at_level(self, level: Level) -> RecordRuleSet:
        return RecordRuleSet(tuple((rule, config) for rule, config in self.rules if config.level is level))


@dataclass(frozen=True, slots=True)
class RecordVerdict:
    """Per row: broken (bool), and for broken rows the first rule broken and its reason."""

    failed: pa.Array
    rule: pa.Array
    reason: pa.Array
    count: int


def check_records(rows: pa.Table, rules: RecordRuleSet) -> RecordVerdict:
    """Apply ``rules`` (in order) to ``rows`` (TRANSFORMED_SCHEMA); a row is attributed to the first it breaks."""
    n = rows.num_rows
    checks = [(rule, _run(rule, config, rows)) for rule, config in rules.rules]
    broken = [(rule, check) for rule, check in checks if pc.any(check.violations).as_py()]
    if not broken:
        return RecordVerdict(_falses(n), pa.nulls(n, _S), pa.nulls(n, _S), 0)
    rule_names: pa.Array = pa.nulls(n, _S)
    reasons: pa.Array = pa.nulls(n, _S)
    failed = broken[0][1].violations
    for rule, check in reversed(broken):
        mask = check.violations
        reason = pa.scalar(check.reason, _S) if isinstance(check.reason, str) else check.reason
        rule_names = pc.if_else(mask, pa.scalar(rule.name, _S), rule_names)
        reasons = pc.if_else(mask, reason, reasons)
        failed = pc.or_(failed, mask)
    return RecordVerdict(failed, rule_names, reasons, int(pc.sum(failed).as_py() or 0))


def count_violations(
    rows: pa.Table, rule: Rule, config: RuleConfig, describe: Callable[[pa.Table], pa.Array]
) -> tuple[int, list[str]]:
    """How many rows break ``rule``, and a few examples (``describe``: one label per row of the rows it is
    given, e.g. the flight; only the examples are labelled)."""
    [counted] = count_violations_by_file(rows, offsets_of([rows.num_rows]), rule, config, describe)
    return counted


def count_violations_by_file(
    rows: pa.Table, offsets: Offsets, rule: Rule, config: RuleConfig, describe: Callable[[pa.Table], pa.Array]
) -> list[tuple[int, list[str]]]:
    """:func:`count_violations` of each file whose rows ``rows`` holds (``quality.segments``), in one check:
    a rule judges each row on its own, so a row breaks it alike among its file's rows or among many files'."""
    files = len(offsets) - 1
    check = _run(rule, config, rows)
    broken = true_positions(check.violations)
    if not len(broken):
        return [(0, []) for _ in range(files)]
    file_of_broken = files_of(broken, offsets)
    counts = np.bincount(file_of_broken, minlength=files)
    shown = first_of_each(file_of_broken, MAX_EXAMPLES)
    where = positions_array(broken[shown])
    labels = describe(rows.take(where)).to_pylist()
    reasons = [check.reason] * len(where) if isinstance(check.reason, str) else check.reason.take(where).to_pylist()
    examples = [f"{label}: {reason}" for label, reason in zip(labels, reasons, strict=True)]
    by_file = split_by_file(examples, file_of_broken[shown], files)
    return [(int(counts[i]), by_file[i]) for i in range(files)]


def _run(rule: Rule, config: RuleConfig, rows: pa.Table) -> RecordCheck:
    assert rule.check is not None
    check: RecordCheck = rule.check(rows, config)
    return RecordCheck(pc.fill_null(check.violations, False), check.reason)


def _falses(n: int) -> pa.Array:
    return pa.repeat(pa.scalar(False), n) if n else pa.array([], pa.bool_())
