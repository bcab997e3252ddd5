"""transform, many raw files at once: the batch path a range takes (reprocess), vectorised and on every core.

Output is the per-file path's by construction: a pass is :func:`transform_raw_objects`, whose one-file case is
:func:`transform_raw_object`, the function the daily run and the transform Lambda call; every step of it is
row-wise or matches records within their own file only, so the Parquet twin, the quarantine file and the counts
are byte for byte the same (a test compares both paths). What the batch path adds is throughput:

* one vectorised pass over many files pays transform's fixed cost (a few hundred pyarrow calls, one per
  distinct zone and code) once per pass instead of once per file;
* the facts the board checks need of each board's latest raw file (``quality.board_facts``) are counted in the
  pass from the rows and quarantine entries it has just written, all its boards at once, and handed back with the
  outcome: the process that runs the checks then reads nothing back from the store;
* transform is CPU-bound Python driving pyarrow, so threads share one core under the GIL; passes run on worker
  *processes*, one per core (the calling process being one of them), each building its rules and store once.
  Consecutive batches are joined into one pass (at most :data:`MAX_FILES_PER_PASS` files), with several passes
  per worker so the cores finish together.

How workers start (:func:`start_method`): *forked* on Linux while no other Python thread runs, *spawned*
otherwise. A forked child starts at once, with the caller's imports; a spawned one spends about 0.4 s importing
while only the calling process works (on 2 cores, some 12 % of a 30-day transform's wall time). But a forked
child inherits every lock as it was at the fork: one another thread held then stays held in the child for ever.
The locks a worker takes are Python's (logging, I/O, the import system: held only by Python threads) and those
of the native libraries it calls, pyarrow's jemalloc and numpy's OpenBLAS, whose own background threads run
from their import on and which make their locks whole again at a fork (``pthread_atfork``); a worker never
calls DuckDB or sqlite. So a caller that starts threads (a progress display, thread pools) enters its
:class:`TransformWorkers` first, as ``flightpipe reprocess`` does. A script that may spawn needs the usual
``if __name__ == "__main__":`` guard (spawned workers import the main module). With one worker the passes run
in the calling process, without a pool.
"""

from __future__ import annotations

import json
import math
import os
import queue
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, Self

import pyarrow as pa

from flightpipe.core.layout import Board, RawKey
from flightpipe.core.pandas_probe import skip_pyarrow_pandas_probe
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Partition, Scope
from flightpipe.quality.board_facts import WrittenFile, counted_facts
from flightpipe.quality.facts import BoardFacts
from flightpipe.quality.quarantine import entry_of
from flightpipe.quality.records import RecordRuleSet
from flightpipe.sources.normalising import load_reference_tables
from flightpipe.stages.transform import TransformResult, quarantine_line, transform_raw_objects

#: Files one vectorised pass holds at most: past ~30 files a pass gains little, and memory grows with it.
MAX_FILES_PER_PASS = 60
#: Passes per worker at least (when there are batches enough): unequal passes then even out across the cores.
PASSES_PER_WORKER = 3


@dataclass(frozen=True, slots=True)
class Batch:
    """Raw keys transformed together, under a label the caller knows them by (a collection day)."""

    label: str
    raw_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What a batch gave: one result per raw file that transformed, and the files that raised (key, error).

    ``duration_s``: the batch's share (by files) of the pass it ran in. ``board_facts``: the facts of each board
    whose latest raw file (among the pass's) is in the batch and transformed, counted under the pass's rules,
    without volume history (``stages.check.check_boards`` adds it); a board whose file raised has none. They are
    the board's facts when the batch holds every raw file of the board's day, as a reprocess's batches do."""

    label: str
    results: list[TransformResult]
    errors: list[tuple[str, str]]
    duration_s: float = 0.0
    board_facts: list[BoardFacts] = field(default_factory=list)


def default_workers() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def worker_count(requested: int | None, batches: int) -> int:
    """``requested`` workers (None: :func:`default_workers`), but no more than there are batches, and one at least."""
    return max(1, min(requested or default_workers(), batches))


def transform_batch(store: ObjectStore, batch: Batch, rules: RecordRuleSet) -> BatchOutcome:
    """Transform every raw file of ``batch`` in one vectorised pass; a file that raises is noted and the rest go
    on (a corrupt file does not raise: it is quarantined whole, as on the per-file path)."""
    [outcome] = transform_pass(store, [batch], rules)
    return outcome


def transform_pass(store: ObjectStore, batches: Sequence[Batch], rules: RecordRuleSet) -> list[BatchOutcome]:
    """The raw files of ``batches`` in one vectorised pass; one outcome per batch, in order.

    Should the pass raise (a file the store cannot read), its batches are redone file by file, so the error is
    pinned on its file and the other files are transformed (rewriting a file is harmless: a pure function)."""
    started = time.perf_counter()
    keys = [key for batch in batches for key in batch.raw_keys]
    counted = _BoardCounter(keys, rules)
    try:
        by_key = dict(zip(keys, transform_raw_objects(store, keys, rules, counted.written), strict=True))
    except Exception:  # noqa: BLE001 - one unreadable file must not stop the others; file by file says which
        return [_file_by_file(store, batch, rules) for batch in batches]
    elapsed = time.perf_counter() - started
    return [
        BatchOutcome(
            batch.label,
            [by_key[key] for key in batch.raw_keys],
            [],
            elapsed * len(batch.raw_keys) / len(keys) if keys else 0.0,
            counted.facts_of(batch.raw_keys),
        )
        for batch in batches
    ]


def _file_by_file(store: ObjectStore, batch: Batch, rules: RecordRuleSet) -> BatchOutcome:
    started = time.perf_counter()
    results: list[TransformResult] = []
    errors: list[tuple[str, str]] = []
    counted = _BoardCounter(batch.raw_keys, rules)
    for raw_key in batch.raw_keys:
        try:
            results.extend(transform_raw_objects(store, [raw_key], rules, counted.written))
        except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the batch; it is reported
            errors.append((raw_key, f"{type(exc).__name__}: {exc}"))
    return BatchOutcome(batch.label, results, errors, time.perf_counter() - started, counted.facts_of(batch.raw_keys))


class _BoardCounter:
    """The facts of each board (airport, board, collection day) whose latest raw file among ``raw_keys`` is
    written, as ``stages.check.board_facts`` would read them back: the files are kept as they are written and
    counted together once the pass is done (one vectorised count per pass, not one per file)."""

    def __init__(self, raw_keys: Sequence[str], rules: RecordRuleSet) -> None:
        self.rules = rules
        latest: dict[tuple[str, Board, object], RawKey] = {}
        for raw_key in raw_keys:
            key = RawKey.parse(raw_key)
            board = (key.icao, key.board, key.collection_date)
            if board not in latest or key.run_id > latest[board].run_id:  # run ids sort by collection time
                latest[board] = key
        self._latest = set(latest.values())
        self._written: dict[str, WrittenFile] = {}
        self._facts: dict[str, BoardFacts] | None = None

    def written(self, key: RawKey, rows: pa.Table | None, entries: list[dict[str, Any]]) -> None:
        if key not in self._latest:
            return
        # Through the file's own JSON lines: the entries as ``read_entries`` gives them back.
        stored = [entry_of(json.loads(quarantine_line(entry))) for entry in entries]
        partition = Partition(Scope.BOARD, key.collection_date, key.icao, str(key.board))
        self._written[key.key] = WrittenFile(partition, key.key, rows, stored)
        self._facts = None

    def facts_of(self, raw_keys: Sequence[str]) -> list[BoardFacts]:
        if self._facts is None:
            files = list(self._written.values())
            self._facts = {f.raw_key: facts for f, facts in zip(files, counted_facts(files, self.rules), strict=True)}
        return [self._facts[key] for key in dict.fromkeys(raw_keys) if key in self._facts]


def passes(batches: Sequence[Batch], workers: int) -> list[list[Batch]]:
    """Consecutive ``batches`` joined into passes: at most :data:`MAX_FILES_PER_PASS` files each (a batch is
    never split), and at least :data:`PASSES_PER_WORKER` passes per worker where there are batches enough."""
    files = sum(len(b.raw_keys) for b in batches)
    wanted = max(1, workers * PASSES_PER_WORKER)
    per_pass = max(1, min(MAX_FILES_PER_PASS, math.ceil(files / wanted)))
    joined: list[list[Batch]] = []
    size = 0
    for batch in batches:
        if joined and size + len(batch.raw_keys) <= per_pass:
            joined[-1].append(batch)
            size += len(batch.raw_keys)
        else:
            joined.append([batch])
            size = len(batch.raw_keys)
    return joined


#: Python 3.12+'s warning at a fork in a process with other threads (os.fork, counted by the kernel).
_FORK_WITH_THREADS = r"This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks"


def start_method() -> str:
    """``fork`` on Linux while no other Python thread runs in this process, else ``spawn`` (the module's
    docstring says why that is safe, and why it matters)."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return "spawn"
    return "fork"


class TransformWorkers:
    """The processes a range's batches are transformed on (``workers``, default one per core: the calling
    process and ``workers - 1`` started ones), started on entering, given batches by :meth:`run`.

    Enter it before the process starts threads of its own, so the workers are forked (:func:`start_method`):
    they start at once instead of spending their start-up importing while the range waits. ``rule_configs``:
    the quality settings' rule configs (``QualitySettings.rule_configs()``); the rules themselves hold
    functions that do not pickle, so each worker builds them from these."""

    def __init__(self, store_url: str, rule_configs: Mapping[str, Any], workers: int | None = None) -> None:
        self.store_url = store_url
        self.rule_configs = dict(rule_configs)
        self.workers = max(1, workers or default_workers())
        #: How the started workers were started (``fork`` or ``spawn``); None: no process was started.
        self.method: str | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._here: tuple[ObjectStore, RecordRuleSet] | None = None

    def __enter__(self) -> Self:
        if self.workers > 1:
            self.method = start_method()
            if self.method == "fork":
                load_reference_tables()  # built once here, inherited by every worker
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers - 1,
                mp_context=get_context(self.method),
                initializer=_start_worker,
                initargs=(self.store_url, self.rule_configs),
            )
            # Started now, from this thread: a forking pool forks all its workers at its first call, before its
            # own manager thread (and before the feeding thread of ``run``) exists; a spawning one starts its
            # workers while the caller goes on with its set-up.
            with warnings.catch_warnings():
                # Python 3.12+ warns at a fork whenever the process has other threads by the kernel's count: the
                # native ones of numpy and pyarrow always are. They are the threads start_method lets be (the
                # module's docstring says why); a Python thread would have made it spawn instead.
                warnings.filterwarnings("ignore", _FORK_WITH_THREADS, DeprecationWarning)
                for _ in range(self.workers - 1):
                    self._pool.submit(_ready)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, batches: Sequence[Batch]) -> Iterator[BatchOutcome]:
        """Transform ``batches`` in vectorised passes on the workers; yields each batch as its pass finishes
        (about in their order: every worker takes the next pass from the front)."""
        joined = passes(batches, self.workers)
        if self._pool is None:
            for group in joined:
                yield from self._run_here(group)
            return
        # The calling process is one of the workers: it starts at once (a spawned worker may still be starting
        # up). Every worker takes the next pass from the front (_Feeder), so the batches come back about in
        # their order: a caller that acts on a batch once every earlier one is back (reprocess processes a flight
        # date once the days of its window are transformed) can start while the later ones are transformed.
        feeder = _Feeder(self._pool, joined, self.workers - 1)
        try:
            while (mine := feeder.take_next()) is not None:
                yield from self._run_here(mine)
                for future in feeder.finished(wait=False):
                    yield from future.result()
            for future in feeder.finished(wait=True):
                yield from future.result()
        finally:
            feeder.stop()  # an interrupted caller does not wait for passes nobody will read

    def _run_here(self, group: list[Batch]) -> list[BatchOutcome]:
        self._here = self._here or (ObjectStore(self.store_url), RecordRuleSet.from_configs(self.rule_configs))
        return transform_pass(self._here[0], group, self._here[1])


def transform_batches(
    store_url: str,
    batches: Sequence[Batch],
    rule_configs: Mapping[str, Any],
    *,
    workers: int | None = None,
) -> Iterator[BatchOutcome]:
    """Transform ``batches`` on :class:`TransformWorkers` started for them (no more workers than batches);
    yields each batch as its pass finishes (in any order when there are several workers)."""
    with TransformWorkers(store_url, rule_configs, worker_count(workers, len(batches))) as pool:
        yield from pool.run(batches)


class _Feeder:
    """Hands ``passes`` to the pool's workers from the front, one pass per worker at a time, on a thread of its
    own, while the calling process takes them from the front too (``take_next``).

    One at a time, because a ``ProcessPoolExecutor`` marks one more call than it has workers as running: a worker
    still starting up held two passes the calling process then could not take, and the caller sat idle."""

    def __init__(self, pool: ProcessPoolExecutor, passes: list[list[Batch]], slots: int) -> None:
        self._pool = pool
        self._passes = deque(passes)
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(slots)
        self._done: queue.SimpleQueue[Future[list[BatchOutcome]]] = queue.SimpleQueue()
        self._submitted = self._collected = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._feed, name="transform-feeder", daemon=True)
        self._thread.start()

    def take_next(self) -> list[Batch] | None:
        with self._lock:
            return self._passes.popleft() if self._passes else None

    def finished(self, *, wait: bool) -> Iterator[Future[list[BatchOutcome]]]:
        """The workers' finished passes: those finished by now, or (``wait``) all, once none is left to hand out."""
        if wait:
            self._thread.join()
        while self._collected < self._submitted:
            try:
                future = self._done.get(block=wait)
            except queue.Empty:
                return
            self._collected += 1
            yield future

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._passes.clear()
        self._slots.release()  # wakes the feeding thread, which then sees there is nothing left
        self._thread.join()

    def _feed(self) -> None:
        while True:
            self._slots.acquire()
            with self._lock:
                if self._stopped or not self._passes:
                    return
                group = self._passes.popleft()
                self._submitted += 1
            try:
                future = self._pool.submit(_run_pass, group)
            except Exception as exc:  # noqa: BLE001 - a broken pool: the caller raises it with the pass's result
                future = Future()
                future.set_exception(exc)
            future.add_done_callback(self._finish)

    def _finish(self, future: Future[list[BatchOutcome]]) -> None:
        self._done.put(future)
        self._slots.release()


_worker: tuple[ObjectStore, RecordRuleSet] | None = None


def _start_worker(store_url: str, rule_configs: dict[str, Any]) -> None:
    skip_pyarrow_pandas_probe()  # a worker's start-up delays its first pass; pandas was ~0.2 s of it
    global _worker  # noqa: PLW0603 - one store and rule set per worker process, built once
    _worker = (ObjectStore(store_url), RecordRuleSet.from_configs(rule_configs))


def _ready() -> None:
    """Nothing: submitted once per worker on start, so the pool starts its processes then."""


def _run_pass(batches: list[Batch]) -> list[BatchOutcome]:
    assert _worker is not None, "the worker's initializer did not run"
    store, rules = _worker
    return transform_pass(store, batches, rules)
