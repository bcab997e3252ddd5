"""The console's flight page shows the runway milestone beside the gate one."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

from flightpipe.ui.app import create_app
from tests.helpers.warehouse_helpers import ground_truth, make_engine, partition

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx; the client works the same
    from starlette.testclient import TestClient


def _field(html: str, name: str) -> str:
    found = re.search(rf'<dd data-field="{name}">([^<]*)</dd>', html)
    assert found is not None, name
    return found.group(1)


def test_the_flight_page_shows_runway_times_beside_gate_times(tmp_path: Path) -> None:
    row = next(r for r in ground_truth(("EDDH",)) if r["dep_actual_utc"] and r["arr_actual_utc"] and r["flight_iata"])
    take_off = row["dep_actual_utc"] + dt.timedelta(minutes=16)
    landing = row["arr_actual_utc"] - dt.timedelta(minutes=7)
    flight = {**row, "dep_runway_utc": take_off, "arr_runway_utc": landing}
    engine = make_engine("duckdb", tmp_path, None)
    with engine.loader() as warehouse:
        warehouse.load_flight_date(row["flight_date"], partition(row["flight_date"], [flight]), run_id="ui")

    client = TestClient(create_app(engine.settings), base_url="http://127.0.0.1:8765")
    page = client.get(f"/flights/{row['flight_date']}/{row['dep_airport_icao']}/{row['flight_iata']}")

    assert page.status_code == 200
    assert "runway (take-off)" in page.text and "runway (landing)" in page.text
    shown = {name: _field(page.text, name) for name in ("dep_actual_utc", "dep_runway_utc", "arr_runway_utc")}
    assert dt.datetime.fromisoformat(shown["dep_runway_utc"]) == take_off
    assert dt.datetime.fromisoformat(shown["arr_runway_utc"]) == landing
    assert dt.datetime.fromisoformat(shown["dep_actual_utc"]) == row["dep_actual_utc"]
