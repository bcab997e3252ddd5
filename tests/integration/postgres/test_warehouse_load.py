"""The load suite, run unchanged on DuckDB and on a real PostgreSQL server (fixture ``engine``)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pyarrow as pa
import pytest

from flightpipe.core.errors import LoadError
from flightpipe.core.schema import FACT_FLIGHTS_SCHEMA, PROCESSED_SCHEMA
from flightpipe.warehouse.base import SqlWarehouse
from flightpipe.warehouse.loadsql import KeepRows
from flightpipe.warehouse.tables import FACT_FLIGHTS, WAREHOUSE_TABLES, TableSpec
from tests.helpers.warehouse_helpers import DAYS, Engine, ground_truth, partition, quality_rows, without

D1, D2 = DAYS
FACT_KEY = "flight_date, flight_iata, dep_airport_icao"


def _facts(engine: Engine, day: Any = None) -> list[tuple[Any, ...]]:
    where = f" WHERE flight_date = DATE '{day}'" if day else ""
    return engine.rows(
        f"SELECT {FACT_KEY}, status, dep_actual_utc, codeshare_count FROM fact_flights{where} ORDER BY 1, 2, 3"
    )


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "fact_flights": engine.rows(f"SELECT * FROM fact_flights ORDER BY {FACT_KEY}"),
        "flight_codeshares": engine.rows("SELECT * FROM flight_codeshares ORDER BY 1, 2, 3, 4"),
        "dim_airport": engine.rows("SELECT * FROM dim_airport ORDER BY 1"),
        "dim_airline": engine.rows("SELECT * FROM dim_airline ORDER BY 1"),
        "flightpipe_loads": engine.rows("SELECT flight_date, rows_loaded FROM flightpipe_loads ORDER BY 1"),
    }


def _load(engine: Engine, table: pa.Table, day: Any = None, run_id: str = "r1") -> Any:
    day = day or table.column("flight_date")[0].as_py()
    with engine.loader() as warehouse:
        return warehouse.load_flight_date(day, table, run_id=run_id)


def test_a_load_puts_the_partition_into_the_fact_the_bridge_and_both_dimensions(engine: Engine) -> None:
    table = partition(D1)
    result = _load(engine, table)
    truth = [r for r in ground_truth() if r["flight_date"] == D1]
    codeshares = sum(len(r["codeshare_flight_iatas"]) for r in truth)
    assert (result.rows_loaded, result.rows_replaced, result.codeshares_loaded) == (len(truth), 0, codeshares)
    assert [row[:3] for row in _facts(engine, D1)] == sorted(
        (r["flight_date"], r["flight_iata"], r["dep_airport_icao"]) for r in truth
    )
    assert engine.rows("SELECT sum(codeshare_count) FROM fact_flights")[0][0] == codeshares
    airports = {r["dep_airport_icao"] for r in truth} | {r["arr_airport_icao"] for r in truth}
    assert {r[0] for r in engine.rows("SELECT airport_icao FROM dim_airport")} == airports
    assert engine.rows("SELECT tz FROM dim_airport WHERE airport_icao = 'EDDF'") == [("Europe/Berlin",)]
    assert {r[0] for r in engine.rows("SELECT airline_key FROM dim_airline")} == {r["airline_icao"] for r in truth}
    assert engine.rows("SELECT run_id, rows_loaded FROM flightpipe_loads") == [("r1", len(truth))]


def test_loading_the_same_partition_again_is_a_no_op_in_effect(engine: Engine) -> None:
    _load(engine, partition(D1))
    _load(engine, partition(D2))
    before = _snapshot(engine)
    result = _load(engine, partition(D1), run_id="r2")
    assert result.rows_replaced == result.rows_loaded == len(partition(D1))
    assert _snapshot(engine) == before


def test_a_reload_replaces_that_flight_date_only(engine: Engine) -> None:
    _load(engine, partition(D1))
    _load(engine, partition(D2), day=D2)
    other_day = _facts(engine, D2)
    first = partition(D1)
    gone = first.column("flight_iata")[0].as_py()
    _load(engine, without(first, gone), run_id="r2")
    assert len(_facts(engine, D1)) == len(first) - 1
    assert engine.rows(
        f"SELECT count(*) FROM fact_flights WHERE flight_iata = '{gone}' AND flight_date = DATE '{D1}'"
    ) == [(0,)]
    assert engine.rows(
        f"SELECT count(*) FROM flight_codeshares WHERE flight_iata = '{gone}' AND flight_date = DATE '{D1}'"
    ) == [(0,)]
    assert _facts(engine, D2) == other_day


def test_a_late_arriving_flight_date_is_loaded_beside_newer_ones_and_updated_by_later_data(engine: Engine) -> None:
    # D2 is loaded first; then D1's partition arrives (a day's arrivals board completes the day before), first
    # from departures only, later complete: the later load wins, D2 is untouched.
    _load(engine, partition(D2), day=D2)
    early = [r for r in ground_truth() if r["flight_date"] == D1 and r["seen_on_departures"]]
    _load(engine, partition(D1, early), run_id="early")
    assert len(_facts(engine, D1)) == len(early)
    _load(engine, partition(D1), run_id="late")
    assert len(_facts(engine, D1)) == len(partition(D1))
    assert len(_facts(engine, D2)) == len(partition(D2))
    assert engine.rows("SELECT flight_date, run_id FROM flightpipe_loads ORDER BY 1") == [(D1, "late"), (D2, "r1")]


def test_a_new_schema_column_is_added_by_migration_without_losing_rows(engine: Engine) -> None:
    old_fact = TableSpec(
        FACT_FLIGHTS.name,
        pa.schema([f for f in FACT_FLIGHTS_SCHEMA if f.name != "aircraft_type_icao"]),
        sort_key=FACT_FLIGHTS.sort_key,
        dist_key=FACT_FLIGHTS.dist_key,
    )
    old_tables = tuple(old_fact if t.name == FACT_FLIGHTS.name else t for t in WAREHOUSE_TABLES)
    with engine.loader(old_tables) as old:
        old.load_flight_date(D1, partition(D1), run_id="old")
    kept = _facts(engine, D1)
    with engine.loader() as new:
        assert new.status().pending_migrations == [
            "ALTER TABLE fact_flights ADD COLUMN aircraft_type_icao "
            + ("VARCHAR" if engine.kind == "duckdb" else "TEXT")
        ]
        applied = new.init()
        assert applied[0].startswith("ALTER TABLE fact_flights ADD COLUMN aircraft_type_icao")
        assert new.status().pending_migrations == []
    assert _facts(engine, D1) == kept
    assert engine.rows("SELECT count(aircraft_type_icao) FROM fact_flights") == [(0,)]
    _load(engine, partition(D1), run_id="new")
    filled = sum(1 for r in ground_truth() if r["flight_date"] == D1 and r["aircraft_type_icao"])
    assert engine.rows("SELECT count(aircraft_type_icao) FROM fact_flights") == [(filled,)]


def test_concurrent_loaders_take_turns_and_never_double_a_date(engine: Engine) -> None:
    table = partition(D1)
    first_inside = threading.Event()
    release_first = threading.Event()
    finished: list[str] = []
    errors: list[BaseException] = []

    def loader(name: str, pause: bool) -> None:
        try:
            with engine.loader() as warehouse:
                if pause:

                    def hold() -> None:
                        first_inside.set()
                        assert release_first.wait(30)

                    warehouse.before_commit = hold  # type: ignore[method-assign]
                warehouse.load_flight_date(D1, table, run_id=name)
            finished.append(name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    a = threading.Thread(target=loader, args=("a", True))
    a.start()
    assert first_inside.wait(30)
    b = threading.Thread(target=loader, args=("b", False))
    b.start()
    time.sleep(1.0)
    assert finished == [], "the second loader must wait while the first holds the lock"
    release_first.set()
    a.join(30)
    b.join(30)
    assert errors == [] and finished == ["a", "b"]
    assert engine.rows("SELECT count(*) FROM fact_flights") == [(len(table),)]
    assert engine.rows("SELECT run_id FROM flightpipe_loads") == [("b",)]


def test_a_load_failing_halfway_leaves_the_previous_rows_intact(engine: Engine) -> None:
    _load(engine, partition(D1))
    before = _snapshot(engine)
    broken = partition(D1).to_pylist()
    broken[-1]["status"] = None  # NOT NULL: the insert fails after the delete has run
    with pytest.raises(LoadError, match="previous rows are intact"):
        _load(engine, pa.Table.from_pylist(broken, schema=partition(D1).schema), run_id="broken")
    assert _snapshot(engine) == before


def test_a_load_failing_just_before_commit_leaves_the_previous_rows_intact(engine: Engine) -> None:
    _load(engine, partition(D1))
    before = _snapshot(engine)

    def crash() -> None:
        raise RuntimeError("power cut")

    with engine.loader() as warehouse, pytest.raises(RuntimeError, match="power cut"):
        warehouse.before_commit = crash  # type: ignore[method-assign]
        warehouse.load_flight_date(
            D1, without(partition(D1), partition(D1).column("flight_iata")[0].as_py()), run_id="x"
        )
    assert _snapshot(engine) == before
    # and the warehouse is usable afterwards (no transaction left open)
    _load(engine, partition(D2), day=D2)


def test_status_lists_tables_rows_per_date_and_the_last_load(engine: Engine) -> None:
    warehouse: SqlWarehouse = engine.open()
    try:
        empty = warehouse.status()
        assert not empty.initialised and set(empty.tables.values()) == {None}
    finally:
        warehouse.close()
    _load(engine, partition(D2), day=D2, run_id="second")
    _load(engine, partition(D1), run_id="first")
    with engine.loader() as warehouse:
        status = warehouse.status()
    assert status.initialised and status.engine == engine.kind
    assert status.tables["fact_flights"] == len(partition(D1)) + len(partition(D2))
    assert [(d.flight_date, d.rows, d.run_id) for d in status.dates] == [
        (D1, len(partition(D1)), "first"),
        (D2, len(partition(D2)), "second"),
    ]
    assert status.last_load is not None and status.last_load.run_id == "first"
    assert all(status.views.values()) and "daily_airport_performance" in status.views


def test_a_partition_holding_another_flight_date_is_refused(engine: Engine) -> None:
    _load(engine, partition(D1))
    with pytest.raises(LoadError, match=f"the partition for flight date {D1} holds rows of {D2}"):
        _load(engine, partition(D2), day=D1)
    assert len(_facts(engine, D1)) == len(partition(D1))


def _touching(rows: list[tuple[Any, ...]], airports: set[str]) -> list[tuple[Any, ...]]:
    """Fact rows (FACT_KEY, arr_airport_icao, run_id) departing or arriving at one of ``airports``."""
    return [r for r in rows if r[2] in airports or r[3] in airports]


def test_a_load_keeping_held_airports_leaves_their_rows_and_replaces_the_rest(engine: Engine) -> None:
    _load(
        engine,
        pa.Table.from_pylist([{**r, "run_id": "first"} for r in partition(D1).to_pylist()], schema=PROCESSED_SCHEMA),
    )
    facts = f"SELECT {FACT_KEY}, arr_airport_icao, run_id FROM fact_flights ORDER BY 1, 2, 3"
    codeshares = (
        "SELECT c.flight_iata, c.dep_airport_icao, c.codeshare_flight_iata, f.arr_airport_icao"
        " FROM flight_codeshares AS c JOIN fact_flights AS f ON f.flight_date = c.flight_date"
        " AND f.flight_iata = c.flight_iata AND f.dep_airport_icao = c.dep_airport_icao ORDER BY 1, 2, 3"
    )
    before, before_codeshares = engine.rows(facts), engine.rows(codeshares)
    newer = [{**r, "run_id": "second"} for r in partition(D1).to_pylist()]  # run_id: the rows' lineage
    newer = [r for r in newer if r["flight_iata"] != newer[0]["flight_iata"]]  # one flight gone everywhere
    keep = KeepRows(departing=frozenset({"EDDL"}), arriving=frozenset({"EDDH"}))

    with engine.loader() as warehouse:
        result = warehouse.load_flight_date(
            D1, pa.Table.from_pylist(newer, schema=PROCESSED_SCHEMA), run_id="second", keep=keep
        )

    after = engine.rows(facts)
    held = {"EDDL", "EDDH"}
    kept = [r for r in before if r[2] == "EDDL" or r[3] == "EDDH"]
    fresh = sorted(
        (r["flight_date"], r["flight_iata"], r["dep_airport_icao"], r["arr_airport_icao"], "second")
        for r in newer
        if r["dep_airport_icao"] != "EDDL" and r["arr_airport_icao"] != "EDDH"
    )
    assert kept and fresh and _touching(before, held) != kept  # the hold is one side of each airport only
    assert sorted(after) == sorted(kept + fresh)
    assert result.rows_loaded == len(kept) + len(fresh)
    assert [c for c in engine.rows(codeshares) if c[1] == "EDDL" or c[3] == "EDDH"] == [
        c for c in before_codeshares if c[1] == "EDDL" or c[3] == "EDDH"
    ]
    expected_codeshares = sum(
        len(r["codeshare_flight_iatas"])
        for r in newer
        if r["dep_airport_icao"] != "EDDL" and r["arr_airport_icao"] != "EDDH"
    ) + sum(1 for c in before_codeshares if c[1] == "EDDL" or c[3] == "EDDH")
    assert result.codeshares_loaded == expected_codeshares


def test_the_load_ledger_counts_the_rows_the_fact_holds_after_the_load_not_the_rows_staged(engine: Engine) -> None:
    _load(engine, partition(D1))
    before = engine.rows(f"SELECT count(*) FROM fact_flights WHERE flight_date = DATE '{D1}'")[0][0]
    staged = partition(D1).to_pylist()[1:]  # one flight fewer, and every airport held: the fact keeps them all
    airports = frozenset(r["dep_airport_icao"] for r in partition(D1).to_pylist())
    with engine.loader() as warehouse:
        warehouse.load_flight_date(
            D1, pa.Table.from_pylist(staged, schema=PROCESSED_SCHEMA), run_id="held", keep=KeepRows(departing=airports)
        )
    assert engine.rows("SELECT run_id, rows_loaded FROM flightpipe_loads") == [("held", before)]
    assert before == len(staged) + 1


def test_a_held_flight_whose_airports_changed_is_not_loaded_twice(engine: Engine) -> None:
    first = [{**r, "run_id": "first"} for r in partition(D1).to_pylist()]
    flight = next(r for r in first if r["arr_airport_icao"] == "EDDH")
    _load(engine, pa.Table.from_pylist(first, schema=PROCESSED_SCHEMA), run_id="first")
    diverted = [  # the flight now lands outside the hold
        {**r, "run_id": "second", **({"arr_airport_icao": "EDDB"} if r is flight else {})} for r in first
    ]

    with engine.loader() as warehouse:
        warehouse.load_flight_date(
            D1,
            pa.Table.from_pylist(diverted, schema=PROCESSED_SCHEMA),
            run_id="second",
            keep=KeepRows(arriving=frozenset({"EDDH"})),
        )

    key = f"flight_iata = '{flight['flight_iata']}' AND dep_airport_icao = '{flight['dep_airport_icao']}'"
    assert engine.rows(f"SELECT arr_airport_icao, run_id FROM fact_flights WHERE {key}") == [("EDDH", "first")]
    assert engine.rows(f"SELECT count(*) FROM flight_codeshares WHERE {key}") == [
        (len(flight["codeshare_flight_iatas"]),)
    ]


def test_quality_results_are_stored_once_per_run_and_partition_on_every_engine(engine: Engine) -> None:
    board: tuple[Any, ...] = ("r1", "board", D1, "EDDF", "departures", "volume_band", "fail", ["LH 1", "it's"])
    flight_date: tuple[Any, ...] = ("r1", "flight_date", D1, None, None, "null_share", "pass", [])
    with engine.loader() as warehouse:
        assert warehouse.load_quality_results(quality_rows(board, flight_date)) == 2
        warehouse.load_quality_results(quality_rows(board[:6] + ("pass", []), flight_date))  # the run, again
        warehouse.load_quality_results(quality_rows(("r2",) + board[1:]))  # a later run
    rows = engine.rows(
        "SELECT run_id, scope, airport_icao, rule, outcome, message, counts_json, observed FROM quality_results"
        " ORDER BY run_id, scope"
    )
    assert rows == [
        ("r1", "board", "EDDF", "volume_band", "pass", 'volume band: 1 of 2 ("x")', '{"records": 1}', 0.5),
        ("r1", "flight_date", None, "null_share", "pass", 'volume band: 1 of 2 ("x")', '{"records": 1}', 0.5),
        ("r2", "board", "EDDF", "volume_band", "fail", 'volume band: 1 of 2 ("x")', '{"records": 1}', 0.5),
    ]
    assert engine.rows("SELECT examples FROM quality_results WHERE run_id = 'r2'") == [(["LH 1", "it's"],)]


def _icao_only(number: str, arrives: str, codeshare: str, run_id: str) -> dict[str, Any]:
    """A flight as OpenSky delivers it: an ICAO number, no IATA one; from EDDF to ``arrives``."""
    template = next(r for r in partition(D1).to_pylist() if r["dep_airport_icao"] == "EDDF")
    return {
        **template,
        "flight_iata": None,
        "flight_icao": number,
        "arr_airport_icao": arrives,
        "codeshare_flight_iatas": [codeshare],
        "run_id": run_id,
    }


def _load_icao_only_under_an_arrivals_hold_at_eddh(engine: Engine) -> None:
    """DLH1 (to the held EDDH) and DLH2 loaded; then DLH1 (new codeshare), DLH2 and DLH3 reloaded under the hold."""
    first = [_icao_only("DLH1", "EDDH", "UA 1", "first"), _icao_only("DLH2", "EDDM", "UA 2", "first")]
    _load(engine, pa.Table.from_pylist(first, schema=PROCESSED_SCHEMA), run_id="first")
    second = [
        _icao_only("DLH1", "EDDH", "UA 9", "second"),
        _icao_only("DLH2", "EDDM", "UA 2", "second"),
        _icao_only("DLH3", "EDDB", "UA 3", "second"),
    ]
    with engine.loader() as warehouse:
        warehouse.load_flight_date(
            D1,
            pa.Table.from_pylist(second, schema=PROCESSED_SCHEMA),
            run_id="second",
            keep=KeepRows(arriving=frozenset({"EDDH"})),
        )


def test_a_hold_replaces_flights_without_an_iata_number_by_their_icao_number(engine: Engine) -> None:
    _load_icao_only_under_an_arrivals_hold_at_eddh(engine)
    assert engine.rows(
        "SELECT flight_iata, flight_icao, dep_airport_icao, arr_airport_icao, run_id FROM fact_flights ORDER BY 2"
    ) == [
        (None, "DLH1", "EDDF", "EDDH", "first"),
        (None, "DLH2", "EDDF", "EDDM", "second"),
        (None, "DLH3", "EDDF", "EDDB", "second"),
    ]


def test_a_hold_keeps_the_codeshares_of_flights_without_an_iata_number_once_each(engine: Engine) -> None:
    _load_icao_only_under_an_arrivals_hold_at_eddh(engine)
    assert engine.rows(
        "SELECT flight_iata, flight_icao, dep_airport_icao, codeshare_flight_iata FROM flight_codeshares ORDER BY 2"
    ) == [
        (None, "DLH1", "EDDF", "UA 1"),
        (None, "DLH2", "EDDF", "UA 2"),
        (None, "DLH3", "EDDF", "UA 3"),
    ]


def test_init_of_a_current_warehouse_runs_no_ddl(engine: Engine) -> None:
    with engine.loader() as warehouse:
        assert warehouse.init()
    with engine.loader() as warehouse:
        assert warehouse.init() == []


def test_init_recreates_a_view_that_went_missing(engine: Engine) -> None:
    with engine.loader() as warehouse:
        warehouse.init()
        warehouse.execute_script(["DROP VIEW delay_distribution"])
    with engine.loader() as warehouse:
        assert "CREATE VIEW delay_distribution AS" in [s.split("\n", 1)[0] for s in warehouse.init()]
        assert "delay_distribution" in warehouse.existing_views()


def _renamed(table: pa.Table, names: dict[str | None, str | None], default: str | None) -> pa.Table:
    """``table`` with each flight's airline name replaced: by airline ICAO code in ``names``, else ``default``."""
    icaos = table.column("airline_icao").to_pylist()
    column = pa.array([names.get(icao, default) for icao in icaos], pa.string())
    return table.set_column(table.schema.get_field_index("airline_name"), "airline_name", column)


def test_a_range_load_leaves_what_the_per_date_loads_in_date_order_leave(engine: Engine) -> None:
    # The second date renames one airline and has no name for the others: per-date loads keep each airline's
    # latest non-null name, and the set-based load of the range (DuckDB's) must end the same.
    first = partition(D1)
    renamed = str(partition(D2).column("airline_icao")[0].as_py())
    second = _renamed(partition(D2), {renamed: "Renamed Air"}, None)
    stale = [
        _renamed(without(partition(day), partition(day).column("flight_iata")[0].as_py()), {}, "Zzz") for day in DAYS
    ]
    with engine.loader() as warehouse:
        for table in stale:
            warehouse.load_flight_date(table.column("flight_date")[0].as_py(), table, run_id="stale")
        per_date = [
            warehouse.load_flight_date(D1, first, run_id="r1"),
            warehouse.load_flight_date(D2, second, run_id="r1"),
        ]
    expected = _snapshot(engine)
    with engine.loader() as warehouse:
        for table in stale:
            warehouse.load_flight_date(table.column("flight_date")[0].as_py(), table, run_id="stale")
        ranged = warehouse.load_flight_dates([D1, D2], pa.concat_tables([first, second]), run_id="r1")

    assert _snapshot(engine) == expected
    assert ranged == per_date
    assert engine.rows(f"SELECT airline_name FROM dim_airline WHERE airline_key = '{renamed}'") == [("Renamed Air",)]
    assert engine.rows("SELECT DISTINCT run_id FROM flightpipe_loads") == [("r1",)]


def test_a_range_load_refuses_rows_of_a_flight_date_it_was_not_given(engine: Engine) -> None:
    with engine.loader() as warehouse, pytest.raises(LoadError, match="hold rows of"):
        warehouse.init()
        warehouse.load_flight_dates([D1], pa.concat_tables([partition(D1), partition(D2)]), run_id="r1")
    assert engine.rows("SELECT count(*) FROM fact_flights") == [(0,)]
