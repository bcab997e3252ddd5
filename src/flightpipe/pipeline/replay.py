"""Replay: after a fix, transform again the raw files whose records were quarantined.

Why re-transform the raw file rather than add the recovered records to a file of their own: raw is the
immutable source and transform a pure function of it, so transforming the file again (with the fixed code or
settings) rewrites its Parquet twin and its quarantine file together, atomically in the same order as any
transform (quarantine first, twin last). Per raw file ``records in = rows out + quarantined`` therefore still
holds, a recovered record is in exactly one place (the twin), and a crash mid-replay is repaired by replaying
again. Lineage: rows keep their ``raw_key`` and collection ``run_id``; the quarantine file as it was is kept
under ``quarantine-replayed/`` named by the replay run, and the replay is a run (kind ``replay``) in the ledger
with one step per file (records in, out, still quarantined).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from flightpipe.core.layout import RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.quality.quarantine import quarantine_files, raw_key_of
from flightpipe.stages.transform import TransformResult


def retransform_quarantined(
    store: ObjectStore,
    day: dt.date,
    airports: Sequence[str],
    replay_run_id: str,
    transform: Callable[[str], TransformResult],
) -> list[TransformResult]:
    """Transform again every raw file of collection date ``day`` with a quarantine file; returns the results
    of the files that transformed (a failing one is recorded by ``transform``'s step and skipped)."""
    results = []
    for quarantine_key in quarantine_files(store, day, list(airports)):
        raw_key = raw_key_of(quarantine_key)
        if not store.exists(raw_key):
            continue  # nothing to replay from; the quarantine file stays as the only record of what was seen
        store.put(RawKey.parse(raw_key).replayed_quarantine_key(replay_run_id), store.get(quarantine_key))
        try:
            results.append(transform(raw_key))
        except Exception:  # noqa: BLE001,S112 - the step records the failure; the other files go on
            continue
    return results
