from __future__ import annotations

import copy
import datetime as dt
import io
import json
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flightpipe.core.layout import Board, RawKey
from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.stages.transform import DICTIONARY_COLUMNS, is_transformed, read_transformed, transform_raw_object
from tests.conftest import FIXTURE_SAMPLE_PAGE
from tests.helpers.sample_envelopes import land, land_sample_by_departure_airport

FETCHED = dt.datetime(2026, 3, 30, 6, 0, tzinfo=dt.UTC)


def _record(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "flight_date": "2026-03-29",
        "flight_status": "landed",
        "departure": {
            "airport": "Frankfurt",
            "timezone": "Europe/Berlin",
            "iata": "FRA",
            "icao": "EDDF",
            "terminal": "1",
            "gate": "A12",
            "delay": 7,
            "scheduled": "2026-03-29T10:00:00+00:00",
            "estimated": "2026-03-29T10:00:00+00:00",
            "actual": "2026-03-29T10:07:00+00:00",
            "estimated_runway": None,
            "actual_runway": None,
        },
        "arrival": {
            "airport": "Heathrow",
            "timezone": "Europe/London",
            "iata": "LHR",
            "icao": "EGLL",
            "terminal": "2",
            "gate": None,
            "baggage": "5",
            "delay": None,
            "scheduled": "2026-03-29T10:45:00+00:00",
            "estimated": None,
            "actual": None,
            "estimated_runway": None,
            "actual_runway": None,
        },
        "airline": {"name": "Lufthansa", "iata": "LH", "icao": "DLH"},
        "flight": {"number": "900", "iata": "LH900", "icao": "DLH900", "codeshared": None},
        "aircraft": None,
        "live": None,
    }
    record.update(overrides)
    return record


def codeshare_of_lh900() -> dict[str, Any]:
    """United's UA4711, a codeshare record of Lufthansa's LH900 (the codeshared block in aviationstack's lower case)."""
    return _record(
        flight={
            "number": "4711",
            "iata": "UA4711",
            "icao": "UAL4711",
            "codeshared": {
                "airline_name": "lufthansa",
                "airline_iata": "lh",
                "airline_icao": "dlh",
                "flight_number": "900",
                "flight_iata": "lh900",
                "flight_icao": "dlh900",
            },
        },
        airline={"name": "United Airlines", "iata": "UA", "icao": "UAL"},
    )


def _land(
    store: ObjectStore, records: list[dict[str, object]], board: Board = Board.DEPARTURES, icao: str = "EDDF"
) -> str:
    return land(store, records, icao=icao, day=dt.date(2026, 3, 29), board=board, run_id="r1", fetched_at=FETCHED)


def test_sample_page_transforms_every_record_and_resolves_its_48_codeshares(
    store: ObjectStore, sample_page_path: Path
) -> None:
    keys = land_sample_by_departure_airport(store, sample_page_path)
    results = [transform_raw_object(store, key) for key in keys]
    assert sum(r.records_in for r in results) == 100
    assert sum(r.rows_out for r in results) == 100
    assert sum(r.quarantined for r in results) == 0

    rows = [row for r in results for row in read_transformed(store, r.transformed_key).to_pylist()]  # type: ignore[arg-type]
    codeshares = [row for row in rows if row["is_codeshare"]]
    assert len(codeshares) == 48
    page = json.loads(sample_page_path.read_text())
    expected = {
        r["flight"]["iata"]: r["flight"]["codeshared"]["flight_iata"].upper()
        for r in page["data"]
        if r["flight"]["codeshared"]
    }
    assert {row["flight_iata"]: row["operating_flight_iata"] for row in codeshares} == expected
    lh825 = {row["flight_iata"] for row in codeshares if row["operating_flight_iata"] == "LH825"}
    assert "UA9029" in lh825 and len(lh825) == 5
    operating = [row for row in rows if not row["is_codeshare"]]
    assert all(row["operating_flight_iata"] == row["flight_iata"] for row in operating)


def test_sample_local_times_labelled_utc_are_converted_with_the_airport_zone(
    store: ObjectStore, sample_page_path: Path
) -> None:
    keys = land_sample_by_departure_airport(store, sample_page_path)
    page = json.loads(sample_page_path.read_text())
    by_flight = {r["flight"]["iata"]: r for r in page["data"]}
    for key in keys:
        result = transform_raw_object(store, key)
        for row in read_transformed(store, result.transformed_key).to_pylist():  # type: ignore[arg-type]
            source = by_flight[row["flight_iata"]]
            for side, prefix in (("departure", "dep"), ("arrival", "arr")):
                wall = dt.datetime.fromisoformat(source[side]["scheduled"][:19])
                expected = wall.replace(tzinfo=zoneinfo.ZoneInfo(source[side]["timezone"])).astimezone(dt.UTC)
                assert row[f"{prefix}_scheduled_utc"] == expected, (row["flight_iata"], side)


def test_copenhagen_summer_wall_time_becomes_two_hours_earlier_in_utc(
    store: ObjectStore, sample_page_path: Path
) -> None:
    keys = land_sample_by_departure_airport(store, sample_page_path)
    ekch = next(k for k in keys if "/EKCH/" in k)
    rows = read_transformed(store, transform_raw_object(store, ekch).transformed_key).to_pylist()  # type: ignore[arg-type]
    dx38 = next(r for r in rows if r["flight_iata"] == "DX38")
    assert dx38["dep_scheduled_utc"] == dt.datetime(2023, 7, 19, 8, 0, tzinfo=dt.UTC)  # 10:00 CEST


def test_wall_times_on_both_sides_of_the_spring_dst_switch_convert_with_their_own_offset(store: ObjectStore) -> None:
    # 2026-03-29: Europe/Berlin moves from +01:00 to +02:00 at 02:00 local; London from +00:00 to +01:00 at 01:00.
    before = _record(
        flight={"number": "1", "iata": "LH1", "icao": "DLH1", "codeshared": None},
        # Only the schedule is known, so the record is consistent (no actual time 8 h after it, no delay).
        departure={**_record()["departure"], "scheduled": "2026-03-29T01:30:00+00:00", "actual": None, "delay": None},
    )  # type: ignore[dict-item]
    after = _record()
    result = transform_raw_object(store, _land(store, [before, after]))
    rows = {r["flight_iata"]: r for r in read_transformed(store, result.transformed_key).to_pylist()}  # type: ignore[arg-type]
    assert rows["LH1"]["dep_scheduled_utc"] == dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
    assert rows["LH900"]["dep_scheduled_utc"] == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)
    assert rows["LH900"]["arr_scheduled_utc"] == dt.datetime(2026, 3, 29, 9, 45, tzinfo=dt.UTC)


def test_missing_record_timezone_falls_back_to_the_airports_zone(store: ObjectStore) -> None:
    record = _record(departure={**_record()["departure"], "timezone": None})  # type: ignore[dict-item]
    result = transform_raw_object(store, _land(store, [record]))
    row = read_transformed(store, result.transformed_key).to_pylist()[0]  # type: ignore[arg-type]
    assert row["dep_scheduled_utc"] == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)


def test_codes_are_upper_cased_and_status_is_normalised(store: ObjectStore) -> None:
    record = _record(
        flight_status="En-Route",
        airline={"name": " Lufthansa ", "iata": "lh", "icao": "dlh"},
        flight={"number": "900", "iata": "lh900", "icao": "dlh900", "codeshared": None},
    )
    row = read_transformed(store, transform_raw_object(store, _land(store, [record])).transformed_key).to_pylist()[0]  # type: ignore[arg-type]
    assert (row["flight_iata"], row["airline_icao"], row["airline_name"], row["status"]) == (
        "LH900",
        "DLH",
        "Lufthansa",
        "active",
    )


def test_unknown_status_becomes_unknown_not_a_rejection(store: ObjectStore) -> None:
    row = read_transformed(
        store, transform_raw_object(store, _land(store, [_record(flight_status="teleported")])).transformed_key
    ).to_pylist()[0]  # type: ignore[arg-type]
    assert row["status"] == "unknown"


def test_lineage_columns_name_the_raw_file_its_run_and_the_collection(store: ObjectStore) -> None:
    key = _land(store, [_record()])
    row = read_transformed(store, transform_raw_object(store, key).transformed_key).to_pylist()[0]  # type: ignore[arg-type]
    assert (
        row["raw_key"],
        row["run_id"],
        row["board"],
        row["board_airport_icao"],
        row["source"],
        row["collected_at_utc"],
    ) == (key, "r1", "departures", "EDDF", "aviationstack", FETCHED)


def test_unparseable_records_go_to_quarantine_with_a_reason_and_the_rest_is_transformed(store: ObjectStore) -> None:
    good = _record()
    no_date = _record(flight_date=None)
    bad_time = _record(departure={**_record()["departure"], "scheduled": "yesterday at ten"})  # type: ignore[dict-item]
    no_number = _record(flight={"number": None, "iata": None, "icao": None, "codeshared": None})
    wrong_board = _record(departure={**_record()["departure"], "icao": "EDDM"})  # type: ignore[dict-item]
    key = _land(store, [good, no_date, bad_time, no_number, wrong_board])
    result = transform_raw_object(store, key)
    assert (result.records_in, result.rows_out, result.quarantined) == (5, 1, 4)
    entries = [json.loads(line) for line in store.get(RawKey.parse(key).quarantine_key).splitlines()]
    assert [(e["index"], e["reason"]) for e in entries] == [
        (1, "flight_date missing or not YYYY-MM-DD"),
        (2, "departure.scheduled is not a timestamp"),
        (3, "flight number missing (flight.iata and flight.icao)"),
        (4, "record does not belong to the departures board of EDDF"),
    ]
    assert entries[1]["record"]["departure"]["scheduled"] == "yesterday at ten"


def test_a_record_of_the_wrong_shape_is_quarantined_while_its_neighbours_are_kept(store: ObjectStore) -> None:
    wrong_shape = _record(departure="Frankfurt")
    key = _land(
        store,
        [_record(), wrong_shape, _record(flight={"number": "2", "iata": "LH2", "icao": None, "codeshared": None})],
    )
    result = transform_raw_object(store, key)
    assert (result.records_in, result.rows_out, result.quarantined) == (3, 2, 1)
    entry = json.loads(store.get(RawKey.parse(key).quarantine_key).splitlines()[0])
    assert (entry["page"], entry["index"], entry["record"]["departure"]) == (0, 1, "Frankfurt")
    assert entry["reason"].startswith("record does not match the format")
    kept = read_transformed(store, result.transformed_key).to_pylist()  # type: ignore[arg-type]
    assert [(r["flight_iata"], r["raw_record_index"]) for r in kept] == [("LH900", 0), ("LH2", 2)]


def test_every_row_names_its_records_position_across_pages(store: ObjectStore) -> None:
    records = [_record(flight={"number": str(i), "iata": f"LH{i}", "icao": None, "codeshared": None}) for i in range(5)]
    records[3]["flight_date"] = None
    key = land(
        store,
        records,
        icao="EDDF",
        day=dt.date(2026, 3, 29),
        board=Board.DEPARTURES,
        run_id="r1",
        fetched_at=FETCHED,
        page_size=2,
    )
    rows = read_transformed(store, transform_raw_object(store, key).transformed_key).to_pylist()  # type: ignore[arg-type]
    assert [(r["flight_iata"], r["raw_record_index"]) for r in rows] == [("LH0", 0), ("LH1", 1), ("LH2", 2), ("LH4", 4)]


def test_a_corrupt_raw_file_is_quarantined_whole_with_its_reason(store: ObjectStore) -> None:
    key = RawKey("EDDF", dt.date(2026, 3, 29), Board.ARRIVALS, "r1").key
    store.put(key, b'{"envelope_version": 1, "source": "simulated", "pages": [{"data": [')
    result = transform_raw_object(store, key)
    assert result.corrupt_reason is not None and result.transformed_key is None
    entry = json.loads(store.get(RawKey.parse(key).quarantine_key))
    assert entry["reason"].startswith("corrupt raw file: raw file is not valid JSON")
    assert is_transformed(store, key)


def test_transform_is_idempotent_byte_for_byte(store: ObjectStore) -> None:
    key = _land(store, [_record(), _record(flight_date="bad")])
    first = transform_raw_object(store, key)
    before = store.get(first.transformed_key), store.get(RawKey.parse(key).quarantine_key)  # type: ignore[arg-type]
    second = transform_raw_object(store, key)
    assert first == second
    assert (store.get(second.transformed_key), store.get(RawKey.parse(key).quarantine_key)) == before  # type: ignore[arg-type]


def test_output_has_the_transformed_schema_exactly(store: ObjectStore) -> None:
    result = transform_raw_object(store, _land(store, [_record()]))
    assert read_transformed(store, result.transformed_key).schema.equals(TRANSFORMED_SCHEMA)  # type: ignore[arg-type]


def test_the_twin_keeps_statistics_for_the_flight_date_filter_and_dictionaries_for_repeating_columns_only(
    store: ObjectStore,
) -> None:
    key = transform_raw_object(store, land_sample_by_departure_airport(store, FIXTURE_SAMPLE_PAGE)[0]).transformed_key
    assert key is not None
    twin = pq.ParquetFile(io.BytesIO(store.get(key)))
    chunks = {
        twin.schema_arrow.names[i]: twin.metadata.row_group(0).column(i) for i in range(twin.metadata.num_columns)
    }

    assert [name for name, chunk in chunks.items() if chunk.is_stats_set] == ["flight_date"]
    dictionary = {name for name, chunk in chunks.items() if "RLE_DICTIONARY" in chunk.encodings}
    assert dictionary == set(DICTIONARY_COLUMNS)  # every name listed is a column, and no other is encoded so
    assert twin.read().equals(read_transformed(store, key))  # nothing a reader sees changes


def test_an_empty_board_gives_an_empty_parquet_twin(store: ObjectStore) -> None:
    result = transform_raw_object(store, _land(store, []))
    assert (result.records_in, result.rows_out) == (0, 0)
    assert pc.sum(read_transformed(store, result.transformed_key).column("dep_delay_min")).as_py() is None  # type: ignore[arg-type]


def test_an_ambiguous_wall_time_at_the_autumn_dst_switch_takes_the_earlier_instant(store: ObjectStore) -> None:
    # 2026-10-25 02:30 happens twice in Europe/Berlin (+02:00, then +01:00): the record cannot say which.
    record = _record(
        flight_date="2026-10-25",
        departure={
            **_record()["departure"],
            "scheduled": "2026-10-25T02:30:00+00:00",
            "estimated": None,
            "actual": None,
            "delay": None,
        },
        arrival={**_record()["arrival"], "scheduled": "2026-10-25T04:00:00+00:00"},
    )  # type: ignore[dict-item]
    key = land(
        store, [record], icao="EDDF", day=dt.date(2026, 10, 25), board=Board.DEPARTURES, run_id="r1", fetched_at=FETCHED
    )
    row = read_transformed(store, transform_raw_object(store, key).transformed_key).to_pylist()[0]  # type: ignore[arg-type]
    assert row["dep_scheduled_utc"] == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)


def _later(label: str, minutes: int) -> str:
    """An aviationstack local-time label ``minutes`` after ``label``."""
    return (dt.datetime.fromisoformat(label[:19]) + dt.timedelta(minutes=minutes)).isoformat() + "+00:00"


def _arrive_at_take_off(r: dict[str, Any]) -> None:
    r["arrival"].update(scheduled=r["departure"]["scheduled"], timezone=r["departure"]["timezone"])


def _contradicting_delay(r: dict[str, Any]) -> None:
    r["departure"].update(actual=_later(r["departure"]["scheduled"], 5), delay=120)


#: Corruption -> (the rule its record is quarantined under, how to break a good record). Parse errors come
#: from the reader and the normaliser; the others from the record rules over the typed rows.
_CORRUPTIONS: dict[str, tuple[str, Callable[[dict[str, Any]], object]]] = {
    "no flight date": ("required_keys", lambda r: r.update(flight_date=None)),
    "bad date": ("timestamps_parse", lambda r: r.update(flight_date="19/07/2023")),
    "bad time": ("timestamps_parse", lambda r: r["departure"].update(scheduled="25:99")),
    "time decades away": ("timestamps_parse", lambda r: r["departure"].update(scheduled="1970-01-01T10:00:00+00:00")),
    "no number": (
        "required_keys",
        lambda r: r.update(flight={"number": None, "iata": None, "icao": None, "codeshared": None}),
    ),
    "wrong shape": ("parse", lambda r: r.update(arrival="LHR")),
    "not an object": ("parse", lambda r: (r.clear(), None)[1]),
    "no departure airport": ("required_keys", lambda r: r["departure"].update(icao=None, iata=None)),
    "airline code too long": ("codes_well_formed", lambda r: r["airline"].update(iata="SKX")),
    "arrival airport code too short": ("codes_well_formed", lambda r: r["arrival"].update(icao="ESS")),
    "arrival at take-off": ("arrival_after_departure", _arrive_at_take_off),
    "delay contradicts the times": ("delay_consistent", _contradicting_delay),
}
#: Defects a warn-level rule only counts: the record is kept.
_KEPT = {"status not in the vocabulary": lambda r: r.update(flight_status="teleported")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), st.sampled_from(sorted(_CORRUPTIONS) + sorted(_KEPT))), min_size=1, max_size=40))
def test_records_in_equal_records_out_plus_quarantined_and_quarantine_holds_exactly_the_corrupted(
    tmp_path_factory: pytest.TempPathFactory, plan: list[str | None]
) -> None:
    store = ObjectStore(str(tmp_path_factory.mktemp("conservation")))
    page = json.loads(FIXTURE_SAMPLE_PAGE.read_text())
    ekch = [r for r in page["data"] if r["departure"]["icao"] == "EKCH"]
    records: list[object] = []
    for i, corruption in enumerate(plan):
        record = copy.deepcopy(ekch[i % len(ekch)])
        if corruption == "not an object":
            records.append("garbage")
            continue
        if corruption in _CORRUPTIONS:
            _CORRUPTIONS[corruption][1](record)
        elif corruption in _KEPT:
            _KEPT[corruption](record)
        records.append(record)
    key = land(
        store,
        records,
        icao="EKCH",
        day=dt.date(2023, 7, 19),
        board=Board.DEPARTURES,  # type: ignore[arg-type]
        run_id="p",
        fetched_at=FETCHED,
        page_size=7,
    )
    result = transform_raw_object(store, key)
    assert result.records_in == len(plan) == result.rows_out + result.quarantined
    quarantined: dict[int, str] = {}
    orphaned: set[str] = set()
    orphaned_at: set[int] = set()
    if store.exists(RawKey.parse(key).quarantine_key):
        for line in store.get(RawKey.parse(key).quarantine_key).splitlines():
            entry = json.loads(line)
            if entry["reason"].startswith("operator_quarantined:"):
                # A codeshare whose operator record is one of the corrupted ones goes with it (sources/codeshares.py).
                orphaned.add(entry["record"]["flight"]["codeshared"]["flight_iata"].upper())
                orphaned_at.add(entry["page"] * 7 + entry["index"])
                continue
            quarantined[entry["page"] * 7 + entry["index"]] = entry["rule"]
    # A corrupted codeshare whose operator the reader already rejected is named by the cascade, not its own
    # defect (the cascade runs while reading, the record rules after): it is in quarantine either way.
    expected = {i: _CORRUPTIONS[c][0] for i, c in enumerate(plan) if c in _CORRUPTIONS}
    assert quarantined == {i: rule for i, rule in expected.items() if i not in orphaned_at}
    corrupted = {
        str(r["flight"]["iata"])
        for r, c in zip(records, plan, strict=True)
        if c in _CORRUPTIONS and isinstance(r, dict) and r.get("flight")
    }
    assert orphaned <= corrupted
