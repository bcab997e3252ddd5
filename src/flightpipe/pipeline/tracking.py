"""How the day's steps report progress, so one implementation of each step serves both runtimes.

The local runner records every step in the ledger and shows progress (``runner._Steps``); on AWS, Step Functions'
history and the handlers' metrics do that, so the handlers pass ``UNTRACKED``. A step body fills the counts dict
it is given (records in/out, quarantined...); an exception leaving the ``step`` block marks the step failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

#: What a step reports: records_in, records_out, quarantined, bytes_ and any detail worth keeping.
StepCounts = dict[str, Any]


class StepTracker(Protocol):
    def total(self, stage: str, count: int) -> None:
        """How many steps ``stage`` will have (for progress bars)."""

    def step(self, stage: str, target: str) -> AbstractContextManager[StepCounts]:
        """One step of ``stage`` on ``target`` (a board, a raw file, flight dates), around its work."""


class _Untracked:
    def total(self, stage: str, count: int) -> None:
        pass

    @contextmanager
    def step(self, stage: str, target: str) -> Iterator[StepCounts]:
        yield {}


#: For a runtime that records its steps elsewhere (the Lambda handlers: Step Functions' history, metrics).
UNTRACKED: StepTracker = _Untracked()
