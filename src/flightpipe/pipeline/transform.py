"""Transform inside a run: a raw key in, its Parquet twin and quarantine out, under the configured record rules.

Transform is a pure function of the raw file *and the rules in force*; every runtime must therefore hand it the
same rules, built from the same settings. This is the one place that does: the local runner's transform workers,
verify and replay, and the transform and verify Lambdas all transform through ``RawTransform``.
Kept light (no warehouse): the transform Lambda imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flightpipe.config import Settings
from flightpipe.core.layout import RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.tracking import UNTRACKED, StepTracker
from flightpipe.quality.records import RecordRuleSet
from flightpipe.stages.transform import TransformResult, transform_raw_object, transform_raw_objects


def record_rules(settings: Settings) -> RecordRuleSet:
    """The record rules transform applies, as configured."""
    return RecordRuleSet.from_configs(settings.quality.rule_configs())


@dataclass(frozen=True, slots=True)
class RawTransform:
    """Transforms raw keys of ``store`` under ``rules``, one tracked step per file."""

    store: ObjectStore
    rules: RecordRuleSet
    tracker: StepTracker = UNTRACKED

    @classmethod
    def configured(cls, settings: Settings, store: ObjectStore, tracker: StepTracker = UNTRACKED) -> RawTransform:
        return cls(store, record_rules(settings), tracker)

    def __call__(self, raw_key: str, stage: str = "transform") -> TransformResult:
        """Transform ``raw_key`` as a step of ``stage`` (transform, verify or replay); raises what it raises."""
        key = RawKey.parse(raw_key)
        with self.tracker.step(stage, f"{key.icao}/{key.board}/{key.run_id}") as counts:
            result = transform_raw_object(self.store, raw_key, self.rules)
            _count(counts, result)
        return result

    def many(self, raw_keys: Sequence[str], stage: str = "transform") -> list[TransformResult]:
        """Transform ``raw_keys`` in one vectorised pass (a range's day, once its boards are collected): the same
        files and results as one call per key, each recorded as its own step. A pass that raises (a file the
        store cannot read) is done again file by file, so that only that file's step fails; the others' results
        are returned, the failed ones left out (as the per-file workers leave them). One key is the per-file call
        (its step timed as it runs)."""
        if len(raw_keys) == 1:
            return [result for result in [self._or_none(raw_keys[0], stage)] if result is not None]
        try:
            results = transform_raw_objects(self.store, raw_keys, self.rules)
        except Exception:  # noqa: BLE001 - which file it was is found file by file below
            return [result for key in raw_keys if (result := self._or_none(key, stage)) is not None]
        for result in results:
            self._record(result, stage)
        return results

    def _or_none(self, raw_key: str, stage: str) -> TransformResult | None:
        try:
            return self(raw_key, stage)
        except Exception:  # noqa: BLE001 - recorded as its failed step
            return None

    def _record(self, result: TransformResult, stage: str) -> None:
        key = RawKey.parse(result.raw_key)
        with self.tracker.step(stage, f"{key.icao}/{key.board}/{key.run_id}") as counts:
            _count(counts, result)


def _count(counts: dict[str, Any], result: TransformResult) -> None:
    """A transform step's counts: what went in and out, and why records were quarantined."""
    counts.update(
        records_in=result.records_in,
        records_out=result.rows_out,
        quarantined=result.quarantined,
        bytes_=result.bytes_in,
        raw_key=result.raw_key,
    )
    if result.corrupt_reason:
        counts["corrupt"] = result.corrupt_reason
    if result.quarantined_by_rule:
        counts["quarantined_by_rule"] = result.quarantined_by_rule
