"""The object store: a local folder or an S3 bucket behind one small interface (fsspec).

Every stage reads and writes through here, never through paths, so the same code runs on a laptop and on
Lambda/Glue. Writes are atomic: a reader sees the old object or the new one, never half of one. On a local
folder that is a write to a hidden sibling followed by a rename; on S3 a single PUT already is.

``subscribe`` mirrors S3 event notifications: every successful ``put`` tells the subscribers which key landed,
which is what drives the transform stage as raw files appear.
"""

from __future__ import annotations

import builtins
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem

from flightpipe.core.errors import StoreError
from flightpipe.core.layout import is_visible

ObjectLanded = Callable[[str], None]

#: Names of the hidden siblings ``put`` writes before the rename; one left over is a write a kill interrupted.
TEMP_PREFIX = "_tmp-"


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int


class ObjectStore:
    """Keys are ``/``-separated paths relative to the store's root URL."""

    def __init__(self, url: str, **storage_options: object) -> None:
        self.url = url.rstrip("/")
        fs, root = fsspec.core.url_to_fs(self.url, **storage_options)
        self._fs: fsspec.AbstractFileSystem = fs
        self._root = root.rstrip("/")
        self._is_local = isinstance(fs, LocalFileSystem)
        self._subscribers: list[ObjectLanded] = []
        self._lock = threading.Lock()
        if self._is_local:
            Path(self._root).mkdir(parents=True, exist_ok=True)

    @property
    def is_local(self) -> bool:
        return self._is_local

    def local_path(self, key: str = "") -> Path:
        """The filesystem path of ``key``; only for local stores (DuckDB views, display)."""
        if not self._is_local:
            raise StoreError(f"{self.url} is not a local folder")
        return Path(self._path(key)) if key else Path(self._root)

    def _path(self, key: str) -> str:
        key = key.lstrip("/")
        if ".." in key.split("/"):
            raise StoreError(f"object key may not contain '..': {key!r}")
        return f"{self._root}/{key}" if key else self._root

    def subscribe(self, on_landed: ObjectLanded) -> Callable[[], None]:
        """Call ``on_landed(key)`` after every successful put; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(on_landed)

        def unsubscribe() -> None:
            with self._lock:
                if on_landed in self._subscribers:
                    self._subscribers.remove(on_landed)

        return unsubscribe

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` atomically, then notify subscribers."""
        path = self._path(key)
        try:
            if self._is_local:
                parent, name = path.rsplit("/", 1)
                self._fs.makedirs(parent, exist_ok=True)
                tmp = f"{parent}/{TEMP_PREFIX}{uuid.uuid4().hex}-{name}"
                try:
                    with open(tmp, "wb") as handle:
                        handle.write(data)
                    # os.replace under the hood: atomic within one filesystem.
                    Path(tmp).replace(path)
                except BaseException:
                    # A full disk (or a kill) must not leave a partial or 0-byte file behind.
                    Path(tmp).unlink(missing_ok=True)
                    raise
            else:
                self._fs.pipe_file(path, data)
        except OSError as exc:
            raise StoreError(f"could not write {key}: {exc}") from exc
        with self._lock:
            subscribers = list(self._subscribers)
        for on_landed in subscribers:
            on_landed(key)

    def get(self, key: str) -> bytes:
        try:
            return self._fs.cat_file(self._path(key))  # type: ignore[no-any-return]
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StoreError(f"could not read {key}: {exc}") from exc

    def leftover_temp_files(self, older_than_s: float = 3600.0) -> builtins.list[str]:
        """Paths (relative to the root) of ``put``'s temporary files older than ``older_than_s``: left by a
        process killed mid-write. Younger ones may belong to a write in progress. Local stores only (an S3
        PUT leaves nothing)."""
        if not self._is_local:
            return []
        cutoff = time.time() - older_than_s
        root = Path(self._root)
        return sorted(
            str(path.relative_to(root))
            for path in root.rglob(f"{TEMP_PREFIX}*")
            if path.is_file() and path.stat().st_mtime < cutoff
        )

    def remove_leftover_temp_files(self, older_than_s: float = 3600.0) -> builtins.list[str]:
        """Delete ``leftover_temp_files``; returns what was deleted."""
        found = self.leftover_temp_files(older_than_s)
        for relative in found:
            (Path(self._root) / relative).unlink(missing_ok=True)
        return found

    def exists(self, key: str) -> bool:
        return bool(self._fs.exists(self._path(key)))

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self._fs.exists(path):
            self._fs.rm_file(path)

    def list(self, prefix: str) -> builtins.list[str]:
        """Visible keys under ``prefix`` (recursive), sorted."""
        return [info.key for info in self.list_info(prefix)]

    def list_info(self, prefix: str) -> builtins.list[ObjectInfo]:
        base = self._path(prefix).rstrip("/")
        if not self._fs.exists(base):
            return []
        found = self._fs.find(base, detail=True)
        root_len = len(self._root) + 1
        infos = [
            ObjectInfo(key=path[root_len:], size=int(meta.get("size") or 0))
            for path, meta in found.items()
            if meta.get("type", "file") == "file"
        ]
        return sorted((i for i in infos if is_visible(i.key)), key=lambda i: i.key)

    def list_dirs(self, prefix: str) -> builtins.list[str]:
        """Immediate child 'directories' of ``prefix`` (names only), sorted."""
        base = self._path(prefix).rstrip("/")
        if not self._fs.exists(base):
            return []
        entries = self._fs.ls(base, detail=True)
        names = [e["name"].rstrip("/").rsplit("/", 1)[-1] for e in entries if e.get("type") == "directory"]
        return sorted(n for n in names if is_visible(n))
