"""verify's stage functions: which raw files of a day lack their twin, and which flight dates twins hold."""

from __future__ import annotations

import datetime as dt

from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.sources.simulated.model import SimulatedSource
from flightpipe.stages.collect import collect_board
from flightpipe.stages.transform import transform_raw_object
from flightpipe.stages.verify import lacking_twin, raw_keys_of_day, touched_flight_dates, twin_flight_dates

DAY = dt.date(2026, 6, 8)
AS_OF = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)


def _collect(store: ObjectStore, icao: str, board: Board, run_id: str, day: dt.date = DAY) -> str:
    source = SimulatedSource(seed=1)
    return collect_board(store, source, icao=icao, day=day, board=board, run_id=run_id, as_of=AS_OF).raw_key


def test_the_raw_files_of_a_day_are_every_runs_json_files_of_the_airports_asked_for(store: ObjectStore) -> None:
    first = _collect(store, "EDDH", Board.DEPARTURES, "r1")
    second = _collect(store, "EDDH", Board.DEPARTURES, "r2")
    other_airport = _collect(store, "EDDF", Board.ARRIVALS, "r1")
    _collect(store, "EDDH", Board.ARRIVALS, "r1", day=DAY + dt.timedelta(days=1))
    store.put(f"raw/EDDH/{DAY}/notes.txt", b"not a raw envelope")

    assert raw_keys_of_day(store, ["EDDH"], DAY) == sorted([first, second])
    assert raw_keys_of_day(store, ["EDDF", "EDDH"], DAY) == [other_airport, *sorted([first, second])]


def test_a_raw_file_lacks_its_twin_until_transformed_and_a_corrupt_one_counts_as_done(store: ObjectStore) -> None:
    done = _collect(store, "EDDH", Board.DEPARTURES, "r1")
    waiting = _collect(store, "EDDH", Board.ARRIVALS, "r1")
    corrupt = RawKey("EDDH", DAY, Board.ARRIVALS, "r0").key
    store.put(corrupt, b"{not json")
    transform_raw_object(store, done)
    transform_raw_object(store, corrupt)  # quarantined whole: no twin, but nothing left to do

    assert lacking_twin(store, [done, waiting, corrupt]) == [waiting]


def test_the_flight_dates_touched_are_those_of_the_results_and_of_the_twins_named(store: ObjectStore) -> None:
    departures = transform_raw_object(store, _collect(store, "EDDH", Board.DEPARTURES, "r1"))
    arrivals_key = _collect(store, "EDDH", Board.ARRIVALS, "r1")
    transform_raw_object(store, arrivals_key)

    assert departures.flight_dates == [DAY]
    assert twin_flight_dates(store, arrivals_key) == {DAY - dt.timedelta(days=1), DAY}
    assert touched_flight_dates(store, [departures]) == [DAY]
    assert touched_flight_dates(store, [departures], twins_of=[arrivals_key]) == [DAY - dt.timedelta(days=1), DAY]


def test_a_file_quarantined_whole_touches_no_flight_date(store: ObjectStore) -> None:
    corrupt = RawKey("EDDH", DAY, Board.ARRIVALS, "r0").key
    store.put(corrupt, b"{not json")
    transform_raw_object(store, corrupt)

    assert twin_flight_dates(store, corrupt) == set()
