from __future__ import annotations

from pathlib import Path

import pytest

from flightpipe.core.errors import StoreError
from flightpipe.core.store import ObjectStore


def test_put_then_get_round_trips_bytes(store: ObjectStore) -> None:
    store.put("raw/EDDF/2026-01-01/departures-r1.json", b"{}")
    assert store.get("raw/EDDF/2026-01-01/departures-r1.json") == b"{}"


def test_put_leaves_no_temporary_file_behind(store: ObjectStore, data_dir: Path) -> None:
    store.put("a/b.txt", b"x")
    assert sorted(p.name for p in (data_dir / "a").iterdir()) == ["b.txt"]


def test_list_hides_work_in_progress_files(store: ObjectStore, data_dir: Path) -> None:
    store.put("a/b.txt", b"x")
    (data_dir / "a" / "_tmp-123-c.txt").write_bytes(b"half")
    (data_dir / "a" / ".hidden").write_bytes(b"")
    assert store.list("a/") == ["a/b.txt"]


def test_subscribers_hear_every_landed_key_in_order(store: ObjectStore) -> None:
    heard: list[str] = []
    unsubscribe = store.subscribe(heard.append)
    store.put("raw/x.json", b"1")
    store.put("raw/y.json", b"2")
    unsubscribe()
    store.put("raw/z.json", b"3")
    assert heard == ["raw/x.json", "raw/y.json"]


def test_keys_may_not_escape_the_root(store: ObjectStore) -> None:
    with pytest.raises(StoreError, match="may not contain '..'"):
        store.put("../outside.txt", b"x")


def test_list_dirs_gives_immediate_children(store: ObjectStore) -> None:
    store.put("transformed/EDDF/2026-01-01/a.parquet", b"")
    store.put("transformed/EDDM/2026-01-02/b.parquet", b"")
    assert store.list_dirs("transformed") == ["EDDF", "EDDM"]
    assert store.list_dirs("missing") == []


def test_missing_key_raises_file_not_found(store: ObjectStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.get("nope")


def test_a_write_that_fails_on_a_full_disk_leaves_no_file_behind(
    store: ObjectStore, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins
    import contextlib
    import errno
    from collections.abc import Iterator
    from typing import Any

    # A full disk, injected: the temporary file is created, then writing to it fails with ENOSPC.
    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    @contextlib.contextmanager
    def full_open(path: str, mode: str) -> Iterator[Any]:
        with builtins.open(path, mode):
            yield Full()

    store.put("processed/all_data/flight-date=2026-06-08/part-00000.parquet", b"old")
    monkeypatch.setattr("flightpipe.core.store.open", full_open, raising=False)
    with pytest.raises(StoreError, match="No space left on device"):
        store.put("processed/all_data/flight-date=2026-06-08/part-00000.parquet", b"new")
    monkeypatch.undo()
    partition = data_dir / "processed/all_data/flight-date=2026-06-08"
    assert sorted(p.name for p in partition.iterdir()) == ["part-00000.parquet"]
    assert store.get("processed/all_data/flight-date=2026-06-08/part-00000.parquet") == b"old"


def test_temporary_files_a_killed_write_left_are_found_and_removed_once_old(store: ObjectStore, data_dir: Path) -> None:
    import os
    import time

    store.put("a/b.txt", b"x")
    old, young = data_dir / "a" / "_tmp-1-b.txt", data_dir / "a" / "_tmp-2-b.txt"
    old.write_bytes(b"")
    young.write_bytes(b"")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.leftover_temp_files() == ["a/_tmp-1-b.txt"]
    assert store.remove_leftover_temp_files() == ["a/_tmp-1-b.txt"]
    assert sorted(p.name for p in (data_dir / "a").iterdir()) == ["_tmp-2-b.txt", "b.txt"]
