"""transform, many raw files at once: the batch path a range takes (reprocess), on every core.

Output is the per-file path's by construction: each raw file goes through :func:`transform_raw_object`, the
function the daily run and the transform Lambda call, so the Parquet twin, the quarantine file and the counts are
byte for byte the same. What the batch path adds is throughput: transform is CPU-bound Python (envelope parsing,
normalising, ~350 pyarrow calls a file), so threads share one core under the GIL; the batch path hands whole
batches of files to worker *processes*, one per core, each building its rules and store once.

Workers are started with ``spawn`` (not ``fork``): the caller may hold threads (logging, the ledger's sqlite) that
a forked child would inherit half-locked. So a script that calls this with several workers needs the usual
``if __name__ == "__main__":`` guard (spawned workers import the main module). With one worker the batches run in
the calling process, without a pool.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from flightpipe.core.store import ObjectStore
from flightpipe.quality.records import RecordRuleSet
from flightpipe.stages.transform import TransformResult, transform_raw_object


@dataclass(frozen=True, slots=True)
class Batch:
    """Raw keys transformed together, under a label the caller knows them by (a collection day)."""

    label: str
    raw_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What a batch gave: one result per raw file that transformed, and the files that raised (key, error)."""

    label: str
    results: list[TransformResult]
    errors: list[tuple[str, str]]
    duration_s: float = 0.0


def default_workers() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def transform_batch(store: ObjectStore, batch: Batch, rules: RecordRuleSet) -> BatchOutcome:
    """Transform every raw file of ``batch`` in order; a file that raises is noted and the rest go on (a corrupt
    file does not raise: it is quarantined whole, as on the per-file path)."""
    started = time.perf_counter()
    results: list[TransformResult] = []
    errors: list[tuple[str, str]] = []
    for raw_key in batch.raw_keys:
        try:
            results.append(transform_raw_object(store, raw_key, rules))
        except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the batch; it is reported
            errors.append((raw_key, f"{type(exc).__name__}: {exc}"))
    return BatchOutcome(batch.label, results, errors, time.perf_counter() - started)


def transform_batches(
    store_url: str,
    batches: Sequence[Batch],
    rule_configs: Mapping[str, Any],
    *,
    workers: int | None = None,
) -> Iterator[BatchOutcome]:
    """Transform ``batches`` on ``workers`` processes (default: one per core); yields each batch as it finishes
    (in any order when there are several workers).

    ``rule_configs``: the quality settings' rule configs (``QualitySettings.rule_configs()``); the rules
    themselves hold functions that do not pickle, so each worker builds them from these.
    """
    workers = min(workers or default_workers(), max(1, len(batches)))
    if workers == 1:
        store, rules = ObjectStore(store_url), RecordRuleSet.from_configs(dict(rule_configs))
        for batch in batches:
            yield transform_batch(store, batch, rules)
        return
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(store_url, dict(rule_configs)),
    ) as pool:
        futures: list[Future[BatchOutcome]] = [pool.submit(_run_batch, batch) for batch in batches]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:  # an interrupted caller does not wait for batches nobody will read
                future.cancel()


_worker: tuple[ObjectStore, RecordRuleSet] | None = None


def _start_worker(store_url: str, rule_configs: dict[str, Any]) -> None:
    global _worker  # noqa: PLW0603 - one store and rule set per worker process, built once
    _worker = (ObjectStore(store_url), RecordRuleSet.from_configs(rule_configs))


def _run_batch(batch: Batch) -> BatchOutcome:
    assert _worker is not None, "the worker's initializer did not run"
    store, rules = _worker
    return transform_batch(store, batch, rules)
