"""A codeshare record never outlives its operator's record: when the operator record goes to quarantine (by the
normaliser or by a fail-level rule), its marketing records follow with reason ``operator_quarantined``
(docs/sources.md, "Codeshares: who may say what")."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.stages.transform import read_transformed, transform_raw_object
from tests.helpers.sample_envelopes import land
from tests.unit.sources.test_aerodatabox_normalise import _number, _real, _transform
from tests.unit.stages.test_transform import FETCHED, _record, codeshare_of_lh900

#: KL 939's codeshares on the real Dublin evening (same registration, counterpart and scheduled time).
KL939_CODESHARES = {"G35566", "KQ939", "MF9758"}


def _quarantine(store: ObjectStore, raw_key: str) -> list[dict[str, Any]]:
    text = store.get(RawKey.parse(raw_key).quarantine_key).decode()
    return [json.loads(line) for line in text.splitlines() if line]


def _real_with_kl939(change: dict[str, Any]) -> list[dict[str, Any]]:
    records = copy.deepcopy(_real("arrivals"))
    for record in records:
        if _number(record) == "KL939":
            record["arrival"].update(change)
    return records


def test_on_the_real_answer_a_normaliser_rejected_operator_takes_its_three_codeshares_with_it(
    store: ObjectStore,
) -> None:
    records = _real_with_kl939({"revisedTime": {"utc": "not a time", "local": "not a time"}})
    result, rows = _transform(store, records, "arrivals")
    assert (result.records_in, result.rows_out, result.quarantined) == (45, 41, 4)
    assert not ({"KL939"} | KL939_CODESHARES) & set(rows)
    entries = _quarantine(store, RawKey("EIDW", dt.date(2023, 8, 1), Board.ARRIVALS, "real").key)
    orphans = {_number(e["record"]) for e in entries if e["reason"].startswith("operator_quarantined:")}
    assert orphans == KL939_CODESHARES
    assert {e["rule"] for e in entries} == {"timestamps_parse", "required_keys"}


def test_on_the_real_answer_codeshares_of_a_valid_operator_stay(store: ObjectStore) -> None:
    result, rows = _transform(store, _real("arrivals"), "arrivals")
    assert result.quarantined == 0
    assert set(rows) >= KL939_CODESHARES


def _land(store: ObjectStore, records: list[dict[str, object]]) -> str:
    return land(
        store, records, icao="EDDF", day=dt.date(2026, 3, 29), board=Board.DEPARTURES, run_id="r1", fetched_at=FETCHED
    )


def test_an_aviationstack_codeshare_whose_operator_record_is_rejected_is_quarantined_too(store: ObjectStore) -> None:
    operator = _record()
    operator["departure"] = {**operator["departure"], "actual": "yesterday-ish"}  # type: ignore[dict-item]
    other = _record(flight={"number": "901", "iata": "LH901", "icao": "DLH901", "codeshared": None})
    key = _land(store, [operator, codeshare_of_lh900(), other])
    result = transform_raw_object(store, key)
    assert (result.rows_out, result.quarantined) == (1, 2)
    reasons = {e["record"]["flight"]["iata"]: e["reason"] for e in _quarantine(store, key)}
    assert reasons["UA4711"].startswith("operator_quarantined:")
    assert not reasons["LH900"].startswith("operator_quarantined:")


def test_an_aviationstack_codeshare_of_a_valid_operator_loads(store: ObjectStore) -> None:
    result = transform_raw_object(store, _land(store, [_record(), codeshare_of_lh900()]))
    assert (result.rows_out, result.quarantined) == (2, 0)
    rows = read_transformed(store, result.transformed_key).to_pylist()  # type: ignore[arg-type]
    assert {r["flight_iata"] for r in rows} == {"LH900", "UA4711"}


def test_an_aviationstack_codeshare_whose_operator_fails_a_rule_is_quarantined_with_it(store: ObjectStore) -> None:
    operator = _record()
    # 60 minutes late by its delay, 7 by its times: delay_consistent fails the operator's record alone.
    operator["departure"] = {**operator["departure"], "delay": 60}  # type: ignore[dict-item]
    key = _land(store, [operator, codeshare_of_lh900()])
    result = transform_raw_object(store, key)
    assert (result.rows_out, result.quarantined) == (0, 2)
    assert result.quarantined_by_rule == {"delay_consistent": 1, "required_keys": 1}
    reasons = {e["record"]["flight"]["iata"]: e["reason"] for e in _quarantine(store, key)}
    assert reasons["UA4711"].startswith("operator_quarantined:")
