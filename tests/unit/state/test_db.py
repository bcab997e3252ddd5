"""The one connection to the state file: its set-up, its schema version, and the migration of older files."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest

from flightpipe.state.credits import NotedCredits
from flightpipe.state.db import Database, StateError
from flightpipe.state.schema import LATEST_VERSION, MIGRATIONS
from flightpipe.state.store import StateStore
from tests.unit.state.pre_versions import write_pre_version_file

TABLES = ["alerts_sent", "board_pages", "quality_results", "runs", "source_credits", "source_requests", "steps"]
#: synchronous 1 = NORMAL: commits do not wait for the disk (state/db.py says why).
SET_UP = {
    "journal_mode": "wal",
    "busy_timeout": 30000,
    "foreign_keys": 0,
    "synchronous": 1,
    "user_version": LATEST_VERSION,
}


def tables(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return sorted(row[0] for row in rows)
    finally:
        con.close()


def version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    finally:
        con.close()


def test_the_migrations_are_numbered_one_by_one_from_1() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == LATEST_VERSION


def test_a_new_file_has_every_table_at_the_latest_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ledger.sqlite"
    with StateStore.open(path) as state:
        assert state.db.schema_version == LATEST_VERSION
    assert (tables(path), version(path)) == (TABLES, LATEST_VERSION)


def test_a_file_written_before_schema_versions_is_migrated_with_its_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    write_pre_version_file(path)
    assert version(path) == 0
    with StateStore.open(path) as state:
        run = state.runs.find("old-run")
        assert run is not None and (run.state, run.summary, run.duration_s) == ("succeeded", {"rows_loaded": 7}, 60.0)
        assert [(s.stage, s.records_out) for s in state.steps.of_run("old-run")] == [("collect", 7)]
        assert state.quality.volume_history("EDDF", "departures", [dt.date(2026, 5, 1)]) == {dt.date(2026, 5, 1): 7.0}
        assert [a.summary for a in state.alerts.recent()] == ["old alert"]
        assert (
            state.usage.used("aviationstack", "2026-05"),
            state.usage.pages("aviationstack", "EDDF", "departures"),
        ) == (
            12,
            3,
        )
        assert state.credits.last("opensky") == (380, dt.datetime(2026, 5, 2, 3, 0, tzinfo=dt.UTC))
    assert version(path) == LATEST_VERSION


def test_an_old_file_lacking_some_tables_gains_them_and_can_be_written(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    write_pre_version_file(path, stores=("usage",))  # only the HTTP layer had opened it
    with StateStore.open(path) as state:
        state.runs.start(
            "new-run",
            kind="run",
            day=dt.date(2026, 6, 1),
            airports=["EDDF"],
            boards=["departures"],
            source="simulated",
            simulated=True,
        )
        assert [r.run_id for r in state.runs.recent()] == ["new-run"]
        assert state.usage.used("aviationstack", "2026-05") == 12
    assert (tables(path), version(path)) == (TABLES, LATEST_VERSION)


def test_a_file_of_a_newer_flightpipe_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with StateStore.open(path):
        pass
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    con.close()
    for read_only in (False, True):
        with pytest.raises(StateError, match=f"schema version {LATEST_VERSION + 1}, newer than this flightpipe"):
            StateStore.open(path, read_only=read_only)
    assert version(path) == LATEST_VERSION + 1


def test_a_read_only_open_neither_migrates_nor_writes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    write_pre_version_file(path, stores=("ledger",))
    with StateStore.open(path, read_only=True) as state:
        assert [b.airport_icao for b in state.steps.collected_boards()] == ["EDDF"]
        assert not state.db.has_table("alerts_sent")
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            state.runs.finish("old-run", "failed", summary={})
    assert (version(path), "alerts_sent" in tables(path)) == (0, False)


def test_opening_the_same_old_file_from_many_threads_at_once_migrates_it_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    write_pre_version_file(path)
    failures: list[BaseException] = []

    def open_it() -> None:
        try:
            StateStore.open(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with StateStore.open(path) as state:
        assert [r.run_id for r in state.runs.recent()] == ["old-run"]
    assert version(path) == LATEST_VERSION


def test_every_way_in_sets_the_connection_up_identically(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    for read_only in (False, True):
        with StateStore.open(path, read_only=read_only) as state:
            assert state.db.pragmas() == SET_UP


def test_the_credits_memory_alone_writes_a_complete_state_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ledger.sqlite"
    with StateStore.open(path) as state:
        NotedCredits(state.credits).note_credits("opensky", 399)
    assert (tables(path), version(path)) == (TABLES, LATEST_VERSION)
    with StateStore.open(path) as state:
        assert state.db.pragmas() == SET_UP


def test_a_transaction_that_raises_leaves_nothing_behind(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "ledger.sqlite")
    with pytest.raises(RuntimeError), db.transaction() as con:
        con.execute("INSERT INTO source_requests (source, month, requests) VALUES ('s', '2026-06', 1)")
        raise RuntimeError("halfway")
    assert db.read("SELECT * FROM source_requests") == []
    db.close()


def _damage(path: Path) -> None:
    """Overwrite the file's pages after the header, as a disk error or a bad copy does."""
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))


def test_a_damaged_ledger_is_a_ledger_damaged_error_naming_the_repair(tmp_path: Path) -> None:
    from flightpipe.state.db import LedgerDamaged

    path = tmp_path / "ledger.sqlite"
    StateStore.open(path).close()
    _damage(path)
    with pytest.raises(LedgerDamaged, match=r"is damaged .*`flightpipe doctor --fix` moves it aside"):
        StateStore.open(path)


def test_a_full_disk_under_the_ledger_is_a_ledger_full_error(tmp_path: Path) -> None:
    from flightpipe.state.db import LedgerFull

    # SQLite's page limit fails a write exactly as a full disk does (SQLITE_FULL), without filling one.
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        pages = state.db.read_one("PRAGMA page_count")[0]  # type: ignore[index]
        state.db.read("PRAGMA max_page_count = " + str(pages))
        with pytest.raises(LedgerFull, match="cannot be written .*disk is full.*free space"):
            for n in range(200):
                state.runs.start(
                    f"r{n}", kind="run", day=dt.date(2026, 6, 8), airports=["EDDH"] * 50, boards=["departures"],
                    source="simulated", simulated=True,
                )  # fmt: skip
