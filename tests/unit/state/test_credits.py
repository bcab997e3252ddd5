"""Credits: the last count a source reported, kept in the state file; reading an old file finds none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flightpipe.state.credits import NotedCredits
from flightpipe.state.store import StateStore
from tests.unit.state.pre_versions import write_pre_version_file

SEEN = dt.datetime(2026, 6, 9, 5, 0, tzinfo=dt.UTC)


def test_the_last_noted_count_is_read_back_with_when_it_was_seen(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        memory = NotedCredits(state.credits, clock=lambda: SEEN)
        memory.note_credits("opensky", 396)
        memory.note_credits("opensky", 392)
        assert (memory.last_credits("opensky"), memory.last_credits("aerodatabox")) == ((392, SEEN), None)


def test_reading_credits_of_an_old_file_without_the_table_finds_none_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    write_pre_version_file(path, stores=("ledger",))
    with StateStore.open(path, read_only=True) as state:
        assert NotedCredits(state.credits).last_credits("opensky") is None
    with StateStore.open(path, read_only=True) as state:
        assert (state.db.schema_version, state.db.has_table("source_credits")) == (0, False)


def test_the_store_reads_what_the_memory_noted(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        NotedCredits(state.credits, clock=lambda: SEEN).note_credits("opensky", 10)
    with StateStore.open(tmp_path / "ledger.sqlite") as state:
        assert state.credits.last("opensky") == (10, SEEN)
