from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.store import ObjectStore

REPO = Path(__file__).resolve().parents[1]
FIXTURE_SAMPLE_PAGE = REPO / "tests" / "fixtures" / "aviationstack-flights-2023-07-19-page1.json"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's FLIGHTPIPE__ variables or ./flightpipe.toml."""
    for name in list(os.environ):
        if name.startswith("FLIGHTPIPE"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> ObjectStore:
    return ObjectStore(str(data_dir))


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(data_dir=str(data_dir))


@pytest.fixture
def sample_page_path() -> Path:
    return FIXTURE_SAMPLE_PAGE


def at(text: str) -> dt.datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
