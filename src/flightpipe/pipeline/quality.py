"""Quality inside a run: check the boards, check the flight dates, decide the gate, store the results.

Both runtimes run the quality step through here: the local runner between its stages (with the state store as the
history of earlier runs), the load Lambda before it loads (with the quality/ JSON in the bucket as history). Each
returns plain data; ``flightpipe.pipeline.load`` acts on the decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from flightpipe.config import Settings
from flightpipe.core.clock import utc_now
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.tracking import UNTRACKED, StepTracker
from flightpipe.quality.api import Partition, RuleResult
from flightpipe.quality.facts import BoardFacts, VolumeHistory
from flightpipe.quality.gate import GateDecision, board_dates_feeding, decide
from flightpipe.quality.history import QualityHistory
from flightpipe.quality.results import results_table, write_json
from flightpipe.stages.check import RangeVolumes, check_boards, check_flight_date
from flightpipe.stages.process import ProcessResult


@dataclass
class RunQuality:
    """One run's quality results and gate decision, filled in as the run goes."""

    settings: Settings
    store: ObjectStore
    #: Earlier runs' results, where this run's are stored too: the state store's quality table on one machine
    #: (``StateStore.quality``), StoredQualityHistory (the quality/ JSON) on AWS.
    history: QualityHistory
    run_id: str
    allow_failures: bool = False
    board_results: list[RuleResult] = field(default_factory=list)
    flight_date_results: list[RuleResult] = field(default_factory=list)
    decision: GateDecision = field(default_factory=GateDecision)
    checked_at: dt.datetime = field(default_factory=utc_now)
    #: The volume history of a range's boards, read once (``read_volumes_of``); None: ``history`` is asked.
    volumes: VolumeHistory | None = None

    @property
    def results(self) -> list[RuleResult]:
        return self.board_results + self.flight_date_results

    def check_boards(self, day: dt.date, counted: Iterable[BoardFacts] = ()) -> list[RuleResult]:
        """The board rules over every configured board of collection day ``day``. ``counted``: facts of some of
        them that a batch transform counted as it wrote them (``BatchOutcome.board_facts``); the others are
        read from the store."""
        self.board_results = check_boards(
            self.store,
            self.settings.quality.rule_configs(),
            self.settings.airports,
            self.settings.boards,
            day,
            history=self.volumes or self.history,
            counted=counted,
        )
        return self.board_results

    def read_volumes_of(self, days: Iterable[dt.date]) -> None:
        """Read the volume history the board checks of ``days`` need at once (a range checks its days one by
        one, and records its results only at its end, so the history stays as read)."""
        self.volumes = RangeVolumes(self.history, self.settings.airports, self.settings.boards, days)

    def check_flight_dates(self, processed: list[ProcessResult]) -> list[RuleResult]:
        self.flight_date_results = self.flight_date_checks(processed)
        return self.flight_date_results

    def flight_date_checks(self, processed: list[ProcessResult]) -> list[RuleResult]:
        """The flight-date rules over ``processed``, kept nowhere (a range's passes check on a thread of their
        own; the range sets ``flight_date_results`` once, at the end)."""
        configs = self.settings.quality.rule_configs()
        return [result for p in processed for result in check_flight_date(self.store, configs, p.flight_date, p)]

    def check_stored_flight_dates(self, flight_dates: list[dt.date]) -> list[RuleResult]:
        """The flight-date rules over processed partitions another step wrote (the Glue job on AWS): the
        counts process would have reported are counted again from the layers (see ``flight_date_facts``)."""
        configs = self.settings.quality.rule_configs()
        self.flight_date_results = [
            result for day in flight_dates for result in check_flight_date(self.store, configs, day, None)
        ]
        return self.flight_date_results

    def decide(self, flight_dates: list[dt.date], *, also_own: Sequence[RuleResult] = ()) -> GateDecision:
        """Gate every flight date about to be loaded; then store this run's results (with any override).
        ``also_own``: board results other runs stored that this run answers for (a range's step, for its days):
        a fail among them that feeds none of ``flight_dates`` is unheld, as one of this run's own."""
        mine = {r.partition for r in self.board_results}
        stored = [
            r for r in self.history.latest_board_results(board_dates_feeding(flight_dates)) if r.partition not in mine
        ]
        self.decision = decide(
            flight_dates,
            stored + self.board_results,
            self.flight_date_results,
            allow_failures=self.allow_failures,
            own_board_results=[*self.board_results, *also_own],
        )
        if self.decision.overridden:
            overridden = {(r.rule, r.partition) for r in self.decision.overridden}
            self.board_results = [_overridden(r, overridden) for r in self.board_results]
            self.flight_date_results = [_overridden(r, overridden) for r in self.flight_date_results]
            # Fails of earlier runs this run loaded anyway: recorded on their rows too.
            self.history.mark_overridden([r for r in self.decision.overridden if r.partition not in mine], self.run_id)
        self._store()
        return self.decision

    def record(self) -> None:
        """Store this run's results without deciding a gate: a range's day, whose flight dates the range's step
        gates (reading these results back as the latest of their boards)."""
        self._store()

    def _store(self) -> None:
        checked_at = utc_now()
        self.history.record_quality(self.run_id, self.results, checked_at)
        overridden = [result_line(o) for o in self.decision.overridden]
        gate: dict[str, dict[str, object]] = {}
        for r in self.flight_date_results:
            assert r.partition is not None
            hold = self.decision.hold_for(r.partition.date)
            gate[r.partition.date.isoformat()] = {
                "held": hold.describe() if hold else None,
                "whole_date": bool(hold and hold.whole),
                "held_departures_of": sorted(hold.dep_airports) if hold else [],
                "held_arrivals_at": sorted(hold.arr_airports) if hold else [],
                "overridden_by_this_run": overridden,
            }
        write_json(self.store, self.run_id, checked_at, self.results, gate)
        self.checked_at = checked_at

    def results_table(self) -> pa.Table:
        return results_table(self.run_id, self.checked_at, self.results)

    def summary_lines(self) -> tuple[list[str], list[str], list[str]]:
        """(fail results, holds, overridden fails) as one line each, for the run summary."""
        fails = [result_line(r) for r in self.results if r.failed]
        holds = [h.describe() for h in self.decision.holds.values() if h.active]
        holds += [f"{result_line(r)} (no row of it to load)" for r in self.decision.unheld]
        overridden = [result_line(r) for r in self.decision.overridden]
        return fails, holds, overridden


def run_board_checks(quality: RunQuality, day: dt.date, tracker: StepTracker = UNTRACKED) -> list[RuleResult]:
    """The board rules over every board of collection day ``day``, as one ``quality`` step."""
    tracker.total("quality", 1)  # the boards; the flight dates add one more
    with tracker.step("quality", f"boards {day.isoformat()}") as counts:
        counts.update(quality_counts(quality.check_boards(day)))
    return quality.board_results


def run_flight_date_checks(
    quality: RunQuality,
    flight_dates: list[dt.date],
    tracker: StepTracker = UNTRACKED,
    *,
    processed: list[ProcessResult] | None = None,
) -> list[RuleResult]:
    """The flight-date rules over the processed ``flight_dates``, as one ``quality`` step. ``processed``: what
    the process step reported, when it ran in this process; without it the counts are read from the layers."""
    if not flight_dates:
        return []
    tracker.total("quality", 2)
    with tracker.step("quality", ",".join(d.isoformat() for d in flight_dates)) as counts:
        if processed is None:
            results = quality.check_stored_flight_dates(flight_dates)
        else:
            results = quality.check_flight_dates(processed)
        counts.update(quality_counts(results))
    return results


def quality_counts(results: list[RuleResult]) -> dict[str, Any]:
    """Outcome counts, plus every fail as data for alerting (``quality_failures``: rule, airport, board)."""
    counts: dict[str, Any] = {}
    for result in results:
        counts[str(result.outcome)] = counts.get(str(result.outcome), 0) + 1
    failures = [
        {
            "rule": r.rule,
            "airport": r.partition.airport_icao if r.partition else None,
            "board": r.partition.board if r.partition else None,
            "message": r.message,
            "level": "fail",
        }
        for r in results
        if r.failed
    ]
    if failures:
        counts["quality_failures"] = failures
    return counts


def _overridden(result: RuleResult, keys: set[tuple[str, Partition | None]]) -> RuleResult:
    return replace(result, overridden=True) if (result.rule, result.partition) in keys else result


def result_line(result: RuleResult) -> str:
    """A result as one line of a run's summary: where, which rule, what it found."""
    where = result.partition.label if result.partition else ""
    return f"{where} {result.rule}: {result.message}"
