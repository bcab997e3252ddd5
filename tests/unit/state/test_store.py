"""The one entry point: every table behind one connection, closed when the ``with`` block ends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from flightpipe.state.store import StateStore


def test_every_table_shares_the_stores_one_connection(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        tables = [state.runs, state.steps, state.quality, state.alerts, state.usage, state.credits]
        assert all(table.db is state.db for table in tables)


def test_leaving_the_with_block_closes_the_connection(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        assert state.runs.recent() == []
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        state.runs.recent()


def test_the_connection_is_closed_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), StateStore.open(tmp_path / "ledger.sqlite") as state:
        raise RuntimeError("boom")
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        state.alerts.recent()


def test_the_store_names_its_file(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "sub" / "ledger.sqlite") as state:
        assert state.path == tmp_path / "sub" / "ledger.sqlite"
