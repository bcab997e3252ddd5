"""The state store: the one entry point to the state file (``DataPaths.ledger``, ``ledger.sqlite``).

::

    with StateStore.open(paths.ledger) as state:
        state.runs.start(run_id, ...)
        step = state.steps.start(run_id, "collect", "EDDF/departures")
        state.quality.latest_board_results(dates)
        state.alerts.claim(...)
        state.usage.used("aviationstack", "2026-06")
        state.credits.last("opensky")

Every table shares the store's one :class:`~flightpipe.state.db.Database` connection (set-up, lock, schema
version); leaving the ``with`` block closes it.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from flightpipe.state.alerts import SentAlerts
from flightpipe.state.credits import SourceCredits
from flightpipe.state.db import Database
from flightpipe.state.quality import QualityResults
from flightpipe.state.runs import Runs, Steps
from flightpipe.state.usage import ApiUsage


class StateStore:
    """Runs, steps, quality results, alerts sent, API usage and credits, over one connection."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.runs = Runs(db)
        self.steps = Steps(db)
        #: Implements ``flightpipe.quality.history.QualityHistory`` (what ``RunQuality`` reads and writes).
        self.quality = QualityResults(db)
        self.alerts = SentAlerts(db)
        self.usage = ApiUsage(db)
        self.credits = SourceCredits(db)

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> StateStore:
        """Open (create, migrate) the state file at ``path``; ``read_only`` opens an existing file and changes
        nothing (no migration either: reading an older file works for the tables it has)."""
        return cls(Database.open(path, read_only=read_only))

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
