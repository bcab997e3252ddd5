"""AeroDataBox FIDS records -> transformed rows, on real answers (tests/fixtures/aerodatabox/: ``withLeg`` at Dublin,
the default ``movement`` shape at Los Angeles) and on records built from the OpenAPI contract for the cases no real
answer holds (a ``movement`` with gate and runway times, ICAO-only numbers, ambiguous codeshares).

Expected instants come from the records' ``local`` fields through the standard library, independently of the
``utc`` fields the normaliser reads.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from flightpipe.core.envelope import Envelope
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.stages.transform import TransformResult, transform_raw_object

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "aerodatabox"
DAY = dt.date(2023, 8, 1)


def _real(board: str) -> list[dict[str, Any]]:
    page = json.loads((FIXTURES / f"fids-withleg-EIDW-2023-08-01-evening-{board}.json").read_text())
    return list(page[board])


def _transform(
    store: ObjectStore, records: list[dict[str, Any]], board: str, icao: str = "EIDW", day: dt.date = DAY
) -> tuple[TransformResult, dict[str, dict[str, Any]]]:
    envelope = Envelope(
        source="aerodatabox",
        format="aerodatabox",
        airport_icao=icao,
        board=Board(board),
        collection_date=day,
        run_id="real",
        fetched_at=dt.datetime(2023, 8, 1, 23, 0, tzinfo=dt.UTC),
        pages=[{board: records}],
    )
    key = RawKey(icao, day, Board(board), "real").key
    store.put(key, envelope.to_bytes())
    result = transform_raw_object(store, key)
    rows = pq.read_table(io.BytesIO(store.get(RawKey.parse(key).transformed_key))).to_pylist()
    return result, {row["flight_iata"] or row["flight_icao"]: row for row in rows}


def _instant(local: str) -> dt.datetime:
    return dt.datetime.fromisoformat(local).astimezone(dt.UTC)


def _number(record: dict[str, Any]) -> str:
    return str(record["number"]).replace(" ", "")


def test_a_real_withleg_arrivals_answer_keeps_every_record_none_quarantined(store: ObjectStore) -> None:
    result, rows = _transform(store, _real("arrivals"), "arrivals")
    assert (result.records_in, result.rows_out, result.quarantined) == (45, 45, 0)
    assert sum(r["is_codeshare"] for r in rows.values()) == 13


def test_gate_times_and_runway_times_land_in_their_own_columns(store: ObjectStore) -> None:
    records = {_number(r): r for r in _real("arrivals")}
    _, rows = _transform(store, list(records.values()), "arrivals")
    fr7157 = records["FR7157"]
    assert rows["FR7157"]["arr_actual_utc"] == _instant(fr7157["arrival"]["revisedTime"]["local"])  # on-block
    assert rows["FR7157"]["arr_runway_utc"] == _instant(fr7157["arrival"]["runwayTime"]["local"])  # landing
    assert rows["FR7157"]["dep_actual_utc"] == _instant(fr7157["departure"]["revisedTime"]["local"])
    assert rows["FR7157"]["dep_runway_utc"] == _instant(fr7157["departure"]["runwayTime"]["local"])


def test_delays_count_whole_minutes_from_scheduled_to_the_gate_time(store: ObjectStore) -> None:
    _, rows = _transform(store, _real("arrivals"), "arrivals")
    # FR 7157: scheduled 20:35+01:00, on-block 22:05+01:00 (landing 21:59 is not the delay's milestone)
    assert rows["FR7157"]["arr_delay_min"] == 90
    # FR 127: arrived at its scheduled time: 0, not null
    assert rows["FR127"]["arr_delay_min"] == 0


def test_a_landed_flight_with_a_gate_time_and_no_runway_time_keeps_its_gate_time(store: ObjectStore) -> None:
    fr127 = next(r for r in _real("arrivals") if _number(r) == "FR127")
    assert "runwayTime" not in fr127["arrival"] and fr127["status"] == "Arrived"
    _, rows = _transform(store, [fr127], "arrivals")
    assert rows["FR127"]["arr_actual_utc"] == _instant(fr127["arrival"]["revisedTime"]["local"])
    assert rows["FR127"]["arr_runway_utc"] is None


def test_a_leg_that_has_not_happened_has_an_estimate_but_no_actual_time(store: ObjectStore) -> None:
    lh982 = next(r for r in _real("arrivals") if _number(r) == "LH982")
    assert lh982["status"] == "Expected"
    _, rows = _transform(store, [lh982], "arrivals")
    assert rows["LH982"]["arr_actual_utc"] is None
    assert rows["LH982"]["arr_estimated_utc"] == _instant(lh982["arrival"]["revisedTime"]["local"])


def test_codeshares_without_a_departure_time_take_their_operators_flight_date(store: ObjectStore) -> None:
    _, rows = _transform(store, _real("arrivals"), "arrivals")
    for number, operator in (("B66829", "EI529"), ("B66881", "EI611"), ("BA5919", "EI249"), ("B66877", "EI337")):
        assert rows[number]["operating_flight_iata"] == operator
        assert rows[number]["flight_date"] == rows[operator]["flight_date"] == DAY
        assert rows[number]["flight_date_basis"] == "operator_record"
    assert rows["EI529"]["flight_date_basis"] == "scheduled_departure"


def test_a_codeshare_carries_its_operators_status_and_times_not_its_own(store: ObjectStore) -> None:
    # BA 2107 says "Delayed"; its operator EI 277 has arrived.
    _, rows = _transform(store, _real("arrivals"), "arrivals")
    assert rows["BA2107"]["status"] == rows["EI277"]["status"] == "landed"
    assert rows["BA2107"]["arr_runway_utc"] == rows["EI277"]["arr_runway_utc"] is not None
    assert rows["BA2107"]["operating_airline_name"] == "Aer Lingus"


def _real_movement(board: str) -> list[dict[str, Any]]:
    page = json.loads((FIXTURES / "fids-movement-KLAX-2023-05-29-evening.json").read_text())
    return list(page[board])


@pytest.mark.parametrize(("board", "count"), [("departures", 146), ("arrivals", 173)])
def test_a_real_movement_answer_keeps_every_record_with_this_airports_time_and_the_counterpart(
    store: ObjectStore, board: str, count: int
) -> None:
    records = _real_movement(board)
    result, rows = _transform(store, records, board, icao="KLAX", day=dt.date(2023, 5, 29))
    assert (result.records_in, result.rows_out, result.quarantined) == (count, count, 0)
    own, other = ("dep", "arr") if board == "departures" else ("arr", "dep")
    for record in records:
        row, movement = rows[_number(record)], record["movement"]
        assert row[f"{own}_airport_icao"] == "KLAX"
        # a counterpart known only by its name ("Provo", "Albukerke") is kept as ICAO's "no location indicator"
        assert row[f"{other}_airport_icao"] == movement["airport"].get("icao", "ZZZZ")
        assert row[f"{own}_scheduled_utc"] == _instant(movement["scheduledTime"]["local"])
        assert row[f"{other}_scheduled_utc"] is None  # the movement shape carries this airport's times only
        assert row[f"{own}_terminal"] == movement.get("terminal")
        assert (row["airline_name"], row["is_codeshare"]) == (record["airline"]["name"], False)


def _real_current_withleg() -> list[dict[str, Any]]:
    page = json.loads((FIXTURES / "fids-withleg-KGSO-2026-07-27-morning-arrivals.json").read_text())
    return list(page["arrivals"])


def test_a_real_withleg_answer_without_the_deprecated_fields_keeps_every_airline_flight_with_its_true_times(
    store: ObjectStore,
) -> None:
    records = _real_current_withleg()
    result, rows = _transform(store, records, "arrivals", icao="KGSO", day=dt.date(2026, 7, 27))
    airline = [r for r in records if "iata" in r["airline"]]
    assert (result.records_in, result.rows_out) == (19, len(airline)) == (19, 13)
    for record in airline:
        row, arrival, departure = rows[_number(record)], record["arrival"], record["departure"]
        assert (row["dep_airport_icao"], row["arr_airport_icao"]) == (departure["airport"]["icao"], "KGSO")
        assert row["arr_scheduled_utc"] == _instant(arrival["scheduledTime"]["local"])
        # on-block only once arrived (a runway time says so too); the landing in its own column
        landed = record["status"] == "Arrived" or "runwayTime" in arrival
        assert row["arr_actual_utc"] == (_instant(arrival["revisedTime"]["local"]) if landed else None)
        assert row["arr_runway_utc"] == (_instant(arrival["runwayTime"]["local"]) if "runwayTime" in arrival else None)
        assert row["arr_estimated_utc"] == _instant(arrival["revisedTime"]["local"])
        if "scheduledTime" in departure:
            assert row["dep_scheduled_utc"] == _instant(departure["scheduledTime"]["local"])
            assert row["flight_date"] == dt.date.fromisoformat(departure["scheduledTime"]["local"][:10])
    # AA 6012 left Philadelphia at 22:10 on the 26th and landed after midnight: its flight date is the 26th
    assert (rows["AA6012"]["flight_date"], rows["AA6012"]["flight_date_basis"]) == (
        dt.date(2026, 7, 26),
        "scheduled_departure",
    )


def test_a_real_departure_leg_without_any_time_dates_the_flight_by_its_scheduled_arrival(store: ObjectStore) -> None:
    # WN 8750's departure leg is only an airport (Greensboro itself) and ``"quality": []``
    records = _real_current_withleg()
    wn8750 = next(r for r in records if _number(r) == "WN8750")
    assert set(wn8750["departure"]) == {"airport", "quality"} and wn8750["departure"]["quality"] == []
    _, rows = _transform(store, records, "arrivals", icao="KGSO", day=dt.date(2026, 7, 27))
    row = rows["WN8750"]
    assert (row["dep_airport_icao"], row["dep_scheduled_utc"], row["dep_actual_utc"]) == ("KGSO", None, None)
    assert (row["flight_date"], row["flight_date_basis"]) == (dt.date(2026, 7, 27), "scheduled_arrival")


def test_private_flights_numbered_by_their_registration_are_quarantined_as_malformed_codes(
    store: ObjectStore,
) -> None:
    # Asked with ``withPrivate=true`` (flightpipe asks ``false`` unless ``with_private`` is set): AeroDataBox numbers a
    # private flight from its registration ("N5 60LX" for N560LX, airline "Unknown/Private owner" without codes),
    # which is neither an IATA flight number nor an ICAO flight id: a known limit, see tests/fixtures/README.md.
    records = _real_current_withleg()
    private = sorted(_number(r) for r in records if "iata" not in r["airline"])
    result, rows = _transform(store, records, "arrivals", icao="KGSO", day=dt.date(2026, 7, 27))
    assert private == ["N513LH", "N542CJ", "N543TA", "N560LX", "N810JK", "N939WB"]
    assert result.quarantined_by_rule == {"codes_well_formed": 6}
    assert not set(private) & set(rows)


def _movement_record(number: str, airport: dict[str, Any], **movement: Any) -> dict[str, Any]:
    return {
        "number": number,
        "status": "Departed",
        "codeshareStatus": "IsOperator",
        "isCargo": False,
        "airline": {"name": "Lufthansa", "iata": "LH", "icao": "DLH"},
        "movement": {"airport": airport, "quality": ["Basic", "Live"], **movement},
    }


def _time(local: str) -> dict[str, str]:
    instant = _instant(local)
    return {"utc": instant.strftime("%Y-%m-%d %H:%MZ"), "local": local}


def test_the_default_movement_shape_is_read_on_a_departures_board(store: ObjectStore) -> None:
    record = _movement_record(
        "LH 2001",
        {"icao": "EDDM", "iata": "MUC", "name": "Munich"},
        scheduledTime=_time("2023-08-01 07:00+02:00"),
        revisedTime=_time("2023-08-01 07:12+02:00"),
        runwayTime=_time("2023-08-01 07:25+02:00"),
        terminal="1",
    )
    result, rows = _transform(store, [record], "departures", icao="EDDF")
    row = rows["LH2001"]
    assert result.quarantined == 0
    assert (row["dep_airport_icao"], row["arr_airport_icao"]) == ("EDDF", "EDDM")
    assert row["dep_scheduled_utc"] == dt.datetime(2023, 8, 1, 5, 0, tzinfo=dt.UTC)
    assert row["dep_actual_utc"] == dt.datetime(2023, 8, 1, 5, 12, tzinfo=dt.UTC)
    assert row["dep_runway_utc"] == dt.datetime(2023, 8, 1, 5, 25, tzinfo=dt.UTC)
    assert (row["dep_delay_min"], row["dep_terminal"], row["arr_scheduled_utc"]) == (12, "1", None)
    assert (row["flight_date"], row["flight_date_basis"]) == (DAY, "scheduled_departure")


def test_the_movement_shape_on_an_arrivals_board_dates_the_flight_by_its_scheduled_arrival(
    store: ObjectStore,
) -> None:
    record = _movement_record("LH 2002", {"icao": "EDDM", "iata": "MUC"}, scheduledTime=_time("2023-08-01 00:20+02:00"))
    result, rows = _transform(store, [record], "arrivals", icao="EDDF")
    row = rows["LH2002"]
    assert result.quarantined == 0
    assert (row["dep_airport_icao"], row["arr_airport_icao"]) == ("EDDM", "EDDF")
    assert (row["flight_date"], row["flight_date_basis"]) == (DAY, "scheduled_arrival")


@pytest.mark.parametrize(
    ("airport", "icao"),
    [({"iata": "MUC", "name": "Munich"}, "EDDM"), ({"name": "Somewhere Field"}, "ZZZZ")],
    ids=["iata-only", "name-only"],
)
def test_a_counterpart_known_by_iata_is_resolved_and_by_name_only_is_kept_as_zzzz(
    store: ObjectStore, airport: dict[str, Any], icao: str
) -> None:
    record = _movement_record("LH 2003", airport, scheduledTime=_time("2023-08-01 09:00+02:00"))
    result, rows = _transform(store, [record], "departures", icao="EDDF")
    assert result.quarantined == 0
    assert rows["LH2003"]["arr_airport_icao"] == icao


def test_a_number_of_an_airline_without_iata_code_is_an_icao_flight_number(store: ObjectStore) -> None:
    record = _movement_record("BCS 6420", {"icao": "EGNX"}, scheduledTime=_time("2023-08-01 23:10+02:00")) | {
        "airline": {"name": "European Air Transport", "icao": "BCS"}
    }
    result, rows = _transform(store, [record], "departures", icao="EDDF")
    assert result.quarantined == 0
    assert (rows["BCS6420"]["flight_iata"], rows["BCS6420"]["flight_icao"]) == (None, "BCS6420")


def test_an_ambiguous_codeshare_is_resolved_by_the_registration_it_shares_with_one_operator(
    store: ObjectStore,
) -> None:
    base = {"airport": {"icao": "EDDM"}, "scheduledTime": _time("2023-08-01 09:00+02:00")}

    def record(number: str, status: str, reg: str) -> dict[str, Any]:
        return {
            "number": number,
            "status": "Expected",
            "codeshareStatus": status,
            "isCargo": False,
            "aircraft": {"reg": reg},
            "airline": {"name": number[:2], "iata": number[:2]},
            "movement": base,
        }

    records = [record("LH 1", "IsOperator", "D-AAAA"), record("EW 2", "IsOperator", "D-BBBB")]
    records.append(record("UA 3", "IsCodeshared", "D-BBBB"))
    result, rows = _transform(store, records, "departures", icao="EDDF")
    assert result.quarantined == 0
    assert rows["UA3"]["operating_flight_iata"] == "EW2"
