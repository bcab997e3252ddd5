"""The Query page's SQL: one SELECT at a time, over the warehouse and layer views, blind to other files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flightpipe.config import Settings, load_settings
from flightpipe.ui.sandbox import QueryRefused, run_query


@pytest.fixture
def warehouse_settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    con.execute("CREATE TABLE fact_flights AS SELECT range AS n FROM range(3)")
    con.close()
    (data / "note.csv").write_text("a\n1\n")
    (tmp_path / "outside.csv").write_text("secret\n42\n")
    return load_settings(data_dir=str(data))


def test_a_select_sees_the_warehouse_and_files_in_the_data_folder(warehouse_settings: Settings) -> None:
    assert run_query(warehouse_settings, "SELECT sum(n) AS total FROM fact_flights").rows == [(3,)]
    assert run_query(warehouse_settings, f"SELECT a FROM read_csv('{warehouse_settings.data_dir}/note.csv')").rows == [
        (1,)
    ]


def test_rows_beyond_the_page_are_cut_and_said(warehouse_settings: Settings) -> None:
    answer = run_query(warehouse_settings, "SELECT n FROM fact_flights ORDER BY n", max_rows=2)
    assert answer.rows == [(0,), (1,)] and answer.truncated


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("INSERT INTO fact_flights VALUES (9)", "only SELECT runs here, not INSERT"),
        ("COPY fact_flights TO '{outside}/x.csv'", "only SELECT runs here, not COPY"),
        ("COPY fact_flights TO '{data}/x.csv'", "only SELECT runs here, not COPY"),
        ("ATTACH '{data}/warehouse.duckdb' AS rw", "only SELECT runs here, not ATTACH"),
        ("SET enable_external_access = true", "only SELECT runs here, not SET"),
        ("INSTALL httpfs", "only SELECT runs here, not"),
        ("SELECT * FROM read_csv('{outside}/outside.csv')", "Cannot access file"),
        ("SELECT * FROM read_csv('{data}/../outside.csv')", "Cannot access file"),
        ("SELECT * FROM read_csv('/etc/passwd')", 'Cannot access file "/etc/passwd"'),
        ("SELECT * FROM glob('/*')", "Cannot access file"),
        ("SELECT 1; SELECT 2", "one SELECT statement at a time, got 2 statements"),
    ],
)
def test_anything_but_a_select_within_the_data_folder_is_refused(
    warehouse_settings: Settings, sql: str, refusal: str
) -> None:
    data = Path(warehouse_settings.data_dir)
    with pytest.raises(QueryRefused, match=refusal.replace("(", r"\(").replace("*", r"\*")):
        run_query(warehouse_settings, sql.format(outside=data.parent, data=data))
    assert run_query(warehouse_settings, "SELECT count(*) FROM fact_flights").rows == [(3,)]
    assert not (data / "x.csv").exists() and not (data.parent / "x.csv").exists()
