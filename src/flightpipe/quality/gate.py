"""The gate: fail-level results stop the load of what they concern, and only that.

* A fail of a **flight date** rule (e.g. ``null_share`` of the processed partition) holds the whole flight
  date: it is not loaded; the warehouse keeps what it had.
* A fail of a **board** rule (airport X's departures or arrivals of a collection day) holds X's side of the
  flight dates that board feeds: the departures board of day D feeds flight date D (rows departing X), an
  arrivals board of day C feeds flight dates C-2..C+1 (rows arriving at X). Those rows are not replaced in
  the warehouse (it keeps what it had for them); every other row of the flight date is loaded. So one bad
  airport never blocks the others.

The board results considered are the latest stored for every board partition feeding the flight date (this
run's for its own day), so a hold stays until the board is collected again and passes, or a run is told
``--allow-quality-failures``: then nothing is held, the fails are marked overridden (with the run that
overrode them) in the ledger, and later runs no longer hold on them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flightpipe.core.errors import QualityGateFailed
from flightpipe.core.layout import Board, collection_dates_for
from flightpipe.quality.api import RuleResult, Scope


@dataclass(frozen=True, slots=True)
class Hold:
    """What the gate keeps out of the warehouse for one flight date."""

    flight_date: dt.date
    whole: bool = False
    dep_airports: frozenset[str] = frozenset()
    arr_airports: frozenset[str] = frozenset()
    because: tuple[RuleResult, ...] = ()

    @property
    def active(self) -> bool:
        return self.whole or bool(self.dep_airports or self.arr_airports)

    def describe(self) -> str:
        if self.whole:
            what = "the whole flight date"
        else:
            sides = [f"flights departing {a}" for a in sorted(self.dep_airports)]
            sides += [f"flights arriving at {a}" for a in sorted(self.arr_airports)]
            what = ", ".join(sides)
        reasons = "; ".join(f"{_where(r)} {r.rule}: {r.message}" for r in self.because)
        return f"flight date {self.flight_date.isoformat()}: held {what} ({reasons})"


#: What a held local run tells its user to do next.
LOCAL_NEXT_STEP = "see `flightpipe check`; rerun with --allow-quality-failures to load anyway"


@dataclass(frozen=True, slots=True)
class GateDecision:
    holds: dict[dt.date, Hold] = field(default_factory=dict)
    #: Fail results ``--allow-quality-failures`` let through in this run.
    overridden: list[RuleResult] = field(default_factory=list)
    #: This run's board fails that feed no flight date being loaded, so hold nothing: a board whose every
    #: record went to quarantine feeds no row. The run still failed on quality (both runtimes say so).
    unheld: list[RuleResult] = field(default_factory=list)

    def hold_for(self, flight_date: dt.date) -> Hold | None:
        hold = self.holds.get(flight_date)
        return hold if hold is not None and hold.active else None

    def error(self, next_step: str = LOCAL_NEXT_STEP) -> QualityGateFailed | None:
        """The error naming every hold (rules, airports); ``next_step`` says how to look and to override
        where the run happens (the command line, or a Step Functions execution input)."""
        held = [h.describe() for h in self.holds.values() if h.active]
        held += [f"{_where(r)} {r.rule}: {r.message} (no row of it to load)" for r in self.unheld]
        if not held:
            return None
        return QualityGateFailed("quality gate stopped loading " + " | ".join(held) + f" ({next_step})")


def feeds(result: RuleResult, flight_date: dt.date) -> bool:
    """True when the board partition of ``result`` holds rows of ``flight_date``."""
    part = result.partition
    if part is None or part.scope is not Scope.BOARD:
        return False
    if part.board == Board.DEPARTURES:
        return part.date == flight_date
    return part.date in collection_dates_for([flight_date])


def board_dates_feeding(flight_dates: Iterable[dt.date]) -> list[dt.date]:
    """Collection dates whose boards can feed ``flight_dates`` (whose stored results the gate must read)."""
    return collection_dates_for(sorted(set(flight_dates)))


def decide(
    flight_dates: Iterable[dt.date],
    board_results: list[RuleResult],
    flight_date_results: list[RuleResult],
    *,
    allow_failures: bool,
    own_board_results: Iterable[RuleResult] = (),
) -> GateDecision:
    """Holds per flight date from fail results that are not yet overridden.

    ``board_results``: for every board partition feeding the flight dates, its latest results (this run's
    where this run checked it). ``own_board_results``: the board results this run checked; a fail among them
    that feeds none of ``flight_dates`` is ``unheld`` (or overridden, when failures are allowed).
    """
    holds: dict[dt.date, Hold] = {}
    overridden: dict[tuple[object, ...], RuleResult] = {}
    for day in sorted(set(flight_dates)):
        fails = [
            r
            for r in flight_date_results
            if r.failed and not r.overridden and r.partition is not None and r.partition.date == day
        ]
        board_fails = [r for r in board_results if r.failed and not r.overridden and feeds(r, day)]
        if allow_failures:
            for r in fails + board_fails:
                overridden[_key(r)] = r
            continue
        dep = frozenset(_airport(r) for r in board_fails if _board(r) == Board.DEPARTURES)
        arr = frozenset(_airport(r) for r in board_fails if _board(r) == Board.ARRIVALS)
        holds[day] = Hold(day, bool(fails), dep, arr, tuple(fails + board_fails))
    days = sorted(set(flight_dates))
    unheld = [r for r in own_board_results if r.failed and not r.overridden and not any(feeds(r, day) for day in days)]
    if allow_failures:
        overridden.update((_key(r), r) for r in unheld)
        unheld = []
    return GateDecision(holds, list(overridden.values()), unheld)


def _board(result: RuleResult) -> str | None:
    return result.partition.board if result.partition else None


def _airport(result: RuleResult) -> str:
    return str(result.partition.airport_icao) if result.partition else ""


def _where(result: RuleResult) -> str:
    return result.partition.label if result.partition else ""


def _key(result: RuleResult) -> tuple[object, ...]:
    p = result.partition
    return (result.rule, p.scope, p.date, p.airport_icao, p.board) if p else (result.rule,)
