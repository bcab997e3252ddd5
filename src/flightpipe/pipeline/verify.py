"""Verify inside a run: every raw file of the day gets its transformed twin, under the configured rules.

Runs after collect and transform, before process: the local runner's verify step and the verify Lambda (after
the Map) both call ``verify_day``. It also says which flight dates to process (``DayVerification``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from flightpipe.core.layout import RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.transform import RawTransform
from flightpipe.stages.transform import TransformResult
from flightpipe.stages.verify import lacking_twin, raw_keys_of_day, touched_flight_dates


@dataclass(frozen=True, slots=True)
class DayVerification:
    """The raw files of a day, and what verify transformed of them."""

    day: dt.date
    #: Every raw file of the day, of any run (an earlier, crashed run's too).
    raw_keys: list[str]
    #: The files that lacked a twin and were transformed now.
    repaired: list[TransformResult] = field(default_factory=list)
    #: The files whose transform failed (recorded as failed steps; only when verify goes on past failures).
    failed: list[str] = field(default_factory=list)

    def files_of(self, run_id: str) -> list[str]:
        return [key for key in self.raw_keys if RawKey.parse(key).run_id == run_id]

    def flight_dates_of_run(self, store: ObjectStore, run_id: str) -> list[dt.date]:
        """The flight dates to process for a run whose transforms ran elsewhere (the transform Lambdas): those
        of the run's own files and of every repaired one, read from their twins."""
        repaired = {r.raw_key for r in self.repaired}
        others = [key for key in self.files_of(run_id) if key not in repaired]
        return touched_flight_dates(store, self.repaired, twins_of=others)


def verify_day(
    store: ObjectStore, airports: Sequence[str], day: dt.date, transform: RawTransform, *, keep_going: bool = False
) -> DayVerification:
    """Transform every raw file of ``day`` at ``airports`` that lacks its twin, as ``verify`` steps.

    ``keep_going``: a file whose transform fails is left (its failed step says why) and the others go on, as
    the local runner wants; otherwise the first failure is raised, for the state machine's retry.
    """
    raw_keys = raw_keys_of_day(store, airports, day)
    missing = lacking_twin(store, raw_keys)
    transform.tracker.total("verify", len(missing))
    repaired: list[TransformResult] = []
    failed: list[str] = []
    for key in missing:
        try:
            repaired.append(transform(key, stage="verify"))
        except Exception:
            if not keep_going:
                raise
            failed.append(key)
    return DayVerification(day, raw_keys, repaired, failed)
