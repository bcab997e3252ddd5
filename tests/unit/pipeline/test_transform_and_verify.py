"""Transform and verify inside a run: the configured record rules, tracked steps, what verify repairs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from flightpipe.config import load_settings
from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.transform import RawTransform
from flightpipe.pipeline.verify import verify_day
from flightpipe.sources.simulated.defects import DefectSettings
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.stages.collect import collect_board

DAY = dt.date(2026, 6, 8)
AS_OF = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


class Recorded:
    """A StepTracker that keeps what it is told: totals, and (stage, target, counts, error) per step."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.steps: list[tuple[str, str, dict[str, Any], str | None]] = []

    def total(self, stage: str, count: int) -> None:
        self.totals[stage] = count

    @contextmanager
    def step(self, stage: str, target: str) -> Iterator[dict[str, Any]]:
        counts: dict[str, Any] = {}
        try:
            yield counts
        except Exception as exc:
            self.steps.append((stage, target, counts, type(exc).__name__))
            raise
        self.steps.append((stage, target, counts, None))


def _collect(store: ObjectStore, board: Board, run_id: str = "r1", **defects: float) -> str:
    source = SimulatedSource(seed=1, defects=DefectSettings(**defects) if defects else None)
    return collect_board(store, source, icao="EDDH", day=DAY, board=board, run_id=run_id, as_of=AS_OF).raw_key


def test_the_configured_rules_decide_what_transform_quarantines(store: ObjectStore) -> None:
    raw_key = _collect(store, Board.DEPARTURES, bad_code=0.05)
    by_default = RawTransform.configured(load_settings(), store)(raw_key)
    warned = RawTransform.configured(load_settings(quality={"codes_well_formed": {"level": "warn"}}), store)(raw_key)

    assert by_default.quarantined_by_rule.get("codes_well_formed", 0) > 0
    assert "codes_well_formed" not in warned.quarantined_by_rule
    # What codes_well_formed quarantined comes back, with the codeshares that went with their operator's record
    # (operator_quarantined, counted under required_keys).
    assert warned.rows_out == by_default.rows_out + by_default.quarantined


def test_a_transform_is_one_step_named_after_the_file_with_its_counts(store: ObjectStore) -> None:
    raw_key = _collect(store, Board.ARRIVALS)
    tracker = Recorded()
    result = RawTransform.configured(load_settings(), store, tracker)(raw_key, stage="replay")

    [(stage, target, counts, error)] = tracker.steps
    assert (stage, target, error) == ("replay", "EDDH/arrivals/r1", None)
    assert counts == {
        "records_in": result.records_in,
        "records_out": result.rows_out,
        "quarantined": result.quarantined,
        "bytes_": result.bytes_in,
        "raw_key": raw_key,
    }


def test_verify_transforms_only_the_files_lacking_a_twin_and_names_the_runs_flight_dates(store: ObjectStore) -> None:
    transform = RawTransform.configured(load_settings(), store, Recorded())
    done = _collect(store, Board.DEPARTURES)
    transform(done)
    missing = _collect(store, Board.ARRIVALS)
    earlier = _collect(store, Board.ARRIVALS, run_id="r0")
    transform(earlier)

    verification = verify_day(store, ["EDDH"], DAY, transform)

    assert [r.raw_key for r in verification.repaired] == [missing]
    assert verification.files_of("r1") == sorted([done, missing])
    assert verification.flight_dates_of_run(store, "r1") == [DAY - dt.timedelta(days=1), DAY]
    assert transform.tracker.totals == {"verify": 1}  # type: ignore[attr-defined]


class FailsOn(Recorded):
    """Fails the step of one file, as a transform that cannot write (a full disk, a lost connection) would."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    @contextmanager
    def step(self, stage: str, target: str) -> Iterator[dict[str, Any]]:
        with super().step(stage, target) as counts:
            if target == self.target:
                raise OSError(f"cannot write the twin of {target}")
            yield counts


def test_verify_raises_the_first_failure_unless_told_to_go_on(store: ObjectStore) -> None:
    good = _collect(store, Board.DEPARTURES)
    broken = _collect(store, Board.ARRIVALS)
    tracker = FailsOn("EDDH/arrivals/r1")
    transform = RawTransform.configured(load_settings(), store, tracker)

    with pytest.raises(OSError, match="cannot write the twin of EDDH/arrivals/r1"):
        verify_day(store, ["EDDH"], DAY, transform)
    assert [(stage, error) for stage, _, _, error in tracker.steps] == [("verify", "OSError")]
    verification = verify_day(store, ["EDDH"], DAY, transform, keep_going=True)

    assert verification.failed == [broken]
    assert [r.raw_key for r in verification.repaired] == [good]
