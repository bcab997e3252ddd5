"""The one SQLite connection to the state file: where it is, how it is set up, and its schema version.

Every table module (runs, quality, alerts, usage, credits) reads and writes through a :class:`Database`, so
each connection to the file is set up the same way:

* **WAL journal**: another process (``flightpipe status``, the report) reads while a run writes.
* **synchronous NORMAL**, SQLite's advice for WAL: a commit does not wait for the disk (with FULL, each of the
  fifty-odd step records of a daily run waited for an fsync, about 0.25 s of the run). A crash of flightpipe
  loses nothing; a power cut may lose the last commits, never the file's consistency: a run whose end was lost
  looks abandoned (``mark_abandoned``) and runs again.
* **busy timeout** of 30 s: two processes writing at once (a scheduled run, a manual rerun) wait for each
  other instead of failing.
* **foreign keys off**, as they always were: ``steps.run_id`` names its run, but the constraint has never been
  enforced, and turning it on now could refuse rows older files hold.
* **one connection behind a lock**: the runner records steps from its worker threads.
* **autocommit**, with explicit ``BEGIN IMMEDIATE`` transactions where several statements must hold together.

Opening migrates the file to the latest schema version (:mod:`flightpipe.state.schema`); a read-only open
(a report reading another process's file) neither creates nor migrates anything.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flightpipe.core.errors import FlightpipeError
from flightpipe.state.schema import LATEST_VERSION, MIGRATIONS

BUSY_TIMEOUT_S = 30.0

Params = Sequence[Any]


class StateError(FlightpipeError):
    """The state file cannot be used by this version of flightpipe."""


class LedgerDamaged(StateError):
    """The state file is not a readable SQLite database (``database disk image is malformed``)."""


class LedgerFull(StateError):
    """The state file cannot be written: the disk is full (or failing)."""


def ledger_error(path: Path, exc: sqlite3.Error) -> sqlite3.Error | StateError:
    """The typed error for what SQLite said about ``path``: a damaged file and a full disk get their own (each
    saying what to do); anything else (a constraint, a locked file) stays SQLite's."""
    text = str(exc).lower()
    if "malformed" in text or "not a database" in text or "file is encrypted" in text:
        return LedgerDamaged(
            f"the ledger {path} is damaged ({exc}): `flightpipe doctor --fix` moves it aside and recovers the "
            "run history from the data folder"
        )
    if "disk is full" in text or "disk i/o error" in text:
        return LedgerFull(
            f"the ledger {path} cannot be written ({exc}): free space on its disk; the next run records this one "
            "as abandoned"
        )
    return exc


class Database:
    """One connection to the state file, shared by every table module; thread-safe."""

    def __init__(self, con: sqlite3.Connection, path: Path, *, read_only: bool) -> None:
        self._con = con
        self._lock = threading.Lock()
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> Database:
        """Connect to ``path`` (created with its folder when missing), set it up and migrate it; read-only:
        connect to an existing file and change nothing."""
        if read_only:
            con = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=ro",
                uri=True,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA foreign_keys = OFF")
            con.execute("PRAGMA synchronous = NORMAL")
            if read_only:
                _refuse_newer(path, _version(con))
            else:
                con.execute("PRAGMA journal_mode = WAL")
                _migrate(con, path)
        except sqlite3.Error as exc:
            con.close()
            raise ledger_error(path, exc) from exc
        except BaseException:
            con.close()
            raise
        return cls(con, path, read_only=read_only)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # Reading and writing ----------------------------------------------------------------------------------

    def read(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        with self._lock, self._typed_errors():
            return self._con.execute(sql, params).fetchall()

    def read_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        with self._lock, self._typed_errors():
            row: sqlite3.Row | None = self._con.execute(sql, params).fetchone()
            return row

    def write(self, sql: str, params: Params = ()) -> int:
        """One statement, committed on its own; returns how many rows it changed."""
        with self._lock, self._typed_errors():
            return self._con.execute(sql, params).rowcount

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one write transaction (taken at once, so a read-then-write is atomic against
        other processes), committed when the block ends, rolled back when it raises."""
        with self._lock, self._typed_errors():
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield self._con
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # a full disk can fail the rollback too
                    self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    @contextmanager
    def _typed_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            typed = ledger_error(self.path, exc)
            if typed is exc:
                raise
            raise typed from exc

    # Set-up, as the connection sees it ---------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        with self._lock:
            return _version(self._con)

    def has_table(self, name: str) -> bool:
        """Whether the file holds table ``name`` (a read-only open of an old file may lack some)."""
        return self.read_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)) is not None

    def pragmas(self) -> dict[str, Any]:
        """The connection's set-up: journal mode, busy timeout (ms), foreign keys, synchronous, schema version."""
        with self._lock:
            return {
                name: self._con.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous", "user_version")
            }


def _version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def _refuse_newer(path: Path, version: int) -> None:
    if version > LATEST_VERSION:
        raise StateError(
            f"{path} has state schema version {version}, newer than this flightpipe knows ({LATEST_VERSION}); "
            "upgrade flightpipe to use it"
        )


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    """Apply the migrations above the file's version, in one transaction (so two processes opening an old file
    at once migrate it once: the second sees the new version once the first commits)."""
    if _version(con) == LATEST_VERSION:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        version = _version(con)
        _refuse_newer(path, version)
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            for statement in migration.statements:
                con.execute(statement)
            con.execute(f"PRAGMA user_version = {migration.version:d}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
