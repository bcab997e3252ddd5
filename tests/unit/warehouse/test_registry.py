"""An engine is one folder plus one registration line: a fake engine registered here is accepted by the URL
coercion and the settings union, and built by ``open_warehouse``; the built-in engines are listed in order."""

from __future__ import annotations

import builtins
import datetime as dt
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import SplitResult

import pyarrow as pa
import pytest
from pydantic import TypeAdapter, ValidationError

from flightpipe.core.paths import DataPaths
from flightpipe.warehouse.base import Capabilities, LoadResult, SqlWarehouse
from flightpipe.warehouse.connection import WarehouseConnection
from flightpipe.warehouse.factory import capabilities, open_warehouse
from flightpipe.warehouse.loadsql import KeepRows
from flightpipe.warehouse.registry import WAREHOUSES, WarehouseRegistry
from flightpipe.warehouse.settings import (
    WAREHOUSE_TYPES,
    DuckDBWarehouseSettings,
    PostgresWarehouseSettings,
    coerce_warehouse,
)

# The fake engine: what a new engine's folder holds (settings.py + adapter.py), in one place ------------------


class FakeWarehouse(SqlWarehouse):
    capabilities: ClassVar[Capabilities] = Capabilities(dialect="postgres", loader_lock="table")

    def __init__(self, settings: FakeWarehouseSettings, data_dir: str) -> None:
        super().__init__()
        self.url = f"fake://{settings.lake}"
        self.data_dir = data_dir

    def execute_script(self, statements: Sequence[str]) -> None:
        raise NotImplementedError

    def columns_and_rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        return [], []

    def load_flight_date(
        self, flight_date: dt.date, flights: pa.Table, *, run_id: str, keep: KeepRows | None = None
    ) -> LoadResult:
        raise NotImplementedError

    def close(self) -> None:
        pass


class FakeWarehouseSettings(WarehouseConnection):
    type: Literal["fake"] = "fake"
    lake: str = "default"
    url_schemes = ("fake",)
    url_example = "fake://lake"

    @classmethod
    def fields_from_url(cls, url: SplitResult, query: dict[str, str]) -> dict[str, Any]:
        return {"lake": url.netloc, **query}

    @classmethod
    def adapter(cls) -> builtins.type[FakeWarehouse]:
        return FakeWarehouse

    def open(self, paths: DataPaths, *, read_only: bool = False) -> FakeWarehouse:
        return FakeWarehouse(self, paths.data_dir)


@pytest.fixture
def fake_engine() -> Iterator[None]:
    WAREHOUSES.register(FakeWarehouseSettings)  # the one registration line
    try:
        yield
    finally:
        WAREHOUSES.unregister("fake")


# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_engine")
def test_a_registered_engine_s_url_is_coerced_to_its_table_form() -> None:
    assert coerce_warehouse("fake://north") == {"type": "fake", "lake": "north"}


@pytest.mark.usefixtures("fake_engine")
def test_the_settings_union_validates_a_registered_engine_and_still_the_built_in_ones() -> None:
    union = TypeAdapter(WAREHOUSES.settings_union())
    assert union.validate_python(coerce_warehouse("fake://north")) == FakeWarehouseSettings(lake="north")
    assert union.validate_python({"type": "postgres", "port": 6432}) == PostgresWarehouseSettings(port=6432)


@pytest.mark.usefixtures("fake_engine")
def test_open_warehouse_builds_a_registered_engine_s_adapter(tmp_path: Path) -> None:
    warehouse = open_warehouse(FakeWarehouseSettings(lake="north"), DataPaths(str(tmp_path)))
    assert isinstance(warehouse, FakeWarehouse)
    assert (warehouse.url, warehouse.data_dir) == ("fake://north", str(tmp_path))
    assert capabilities(FakeWarehouseSettings()) == Capabilities(dialect="postgres", loader_lock="table")


@pytest.mark.usefixtures("fake_engine")
def test_an_unknown_scheme_lists_every_registered_engine_s_url_form() -> None:
    with pytest.raises(ValueError, match=r"allowed: duckdb:///path/to/file.duckdb, .*, fake://lake$"):
        coerce_warehouse("mysql://db/flights")


def test_an_unregistered_engine_is_not_accepted() -> None:
    with pytest.raises(ValidationError, match="does not match any of the expected tags: 'duckdb', 'postgres'"):
        TypeAdapter(WAREHOUSES.settings_union()).validate_python({"type": "fake"})


def test_the_built_in_engines_are_registered_in_order() -> None:
    assert WAREHOUSE_TYPES == ("duckdb", "postgres", "redshift")


def test_a_type_tag_is_registered_once() -> None:
    registry = WarehouseRegistry()
    registry.register(FakeWarehouseSettings)
    with pytest.raises(ValueError, match="warehouse type 'fake' is registered already"):
        registry.register(FakeWarehouseSettings)


def test_a_url_scheme_selects_one_engine_only() -> None:
    class Other(FakeWarehouseSettings):
        type: Literal["other"] = "other"  # type: ignore[assignment]

    registry = WarehouseRegistry()
    registry.register(FakeWarehouseSettings)
    with pytest.raises(ValueError, match="URL scheme.s. fake already select another warehouse type"):
        registry.register(Other)


def test_the_settings_import_no_engine_driver_and_no_adapter() -> None:
    # The Lambda functions read the settings; their layers ship no DuckDB and no psycopg.
    code = (
        "import sys, flightpipe.warehouse.settings, flightpipe.warehouse.factory\n"
        "print(sorted(m for m in sys.modules if m in {'duckdb', 'psycopg'} or m.endswith('.adapter')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "[]"


def test_the_default_duckdb_file_is_the_data_folder_s_warehouse_duckdb(tmp_path: Path) -> None:
    paths = DataPaths(str(tmp_path / "data"))
    assert DuckDBWarehouseSettings().file(paths) == tmp_path / "data" / "warehouse.duckdb"
    assert DuckDBWarehouseSettings(path=str(tmp_path / "wh.duckdb")).file(paths) == tmp_path / "wh.duckdb"
