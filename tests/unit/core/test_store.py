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
