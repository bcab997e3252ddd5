"""The daily run's transform workers take every file that landed while they were busy, for one vectorised pass,
and never swallow another worker's stop signal."""

from __future__ import annotations

import queue

from flightpipe.pipeline.runner import _waiting


def test_a_worker_takes_every_key_already_waiting_and_leaves_the_stop_signal_for_the_next_get() -> None:
    landed: queue.Queue[str | None] = queue.Queue()
    for item in ("raw/a.json", "raw/b.json", None, "raw/c.json", None):
        landed.put(item)

    assert _waiting(landed) == ["raw/a.json", "raw/b.json"]
    assert [landed.get_nowait() for _ in range(landed.qsize())] == ["raw/c.json", None, None]


def test_nothing_waiting_is_an_empty_batch() -> None:
    assert _waiting(queue.Queue()) == []
