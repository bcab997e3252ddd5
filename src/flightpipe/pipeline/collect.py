"""Collect inside a run: one planned board in, its raw envelope landed, as one tracked step.

The local runner calls it from its thread pool, the collect Lambda once per invocation (a branch of the Map).
"""

from __future__ import annotations

from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.day import BoardTask, DayPlan
from flightpipe.pipeline.tracking import UNTRACKED, StepTracker
from flightpipe.sources.base import Source
from flightpipe.stages.collect import ApiCalls, CollectResult, collect_board


def collect_planned(
    store: ObjectStore, source: Source, plan: DayPlan, task: BoardTask, tracker: StepTracker = UNTRACKED
) -> CollectResult:
    calls = ApiCalls()
    with tracker.step("collect", f"{task.airport}/{task.board}") as counts:
        try:
            result = collect_board(
                store,
                source,
                icao=task.airport,
                day=plan.day,
                board=task.board,
                run_id=plan.run_id,
                as_of=plan.as_of,
                api_calls=calls,
            )
        finally:
            # On a failed step too: the retries a failing source cost are what the metrics should show.
            if calls.requests:  # the metrics exporters pick these up (flightpipe.monitoring.metrics)
                counts.update(api_requests=calls.requests, api_retries=calls.retries)
        counts.update(
            records_out=result.records, bytes_=result.bytes_written, pages=result.pages, raw_key=result.raw_key
        )
    return result
