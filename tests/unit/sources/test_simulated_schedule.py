"""The season schedule's shortcuts give exactly what their plain definitions give."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from flightpipe.sources.simulated.model import _arrival_minute, _departure_for_arrival, _operating_weekdays, _unit
from flightpipe.sources.simulated.network import WEEKDAY_FACTORS_BUSINESS

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Pacific/Kiritimati", "UTC")


def _arrival_by_datetimes(day: dt.date, minute: int, block: int, dep: ZoneInfo, arr: ZoneInfo) -> int:
    departure = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=dep)
    arrival = (departure + dt.timedelta(minutes=block)).astimezone(arr)
    return arrival.hour * 60 + arrival.minute


@pytest.mark.parametrize("day", [dt.date(2024, 1, 17), dt.date(2024, 3, 31), dt.date(2024, 10, 27)])
def test_arrival_time_of_day_matches_datetime_arithmetic_also_around_clock_changes(day: dt.date) -> None:
    cases = [
        (day, minute, block, ZoneInfo(dep), ZoneInfo(arr))
        for dep in ZONES
        for arr in ZONES
        for minute in range(0, 24 * 60, 95)
        for block in (45, 130, 475, 790)
    ]

    assert [_arrival_minute(*case) for case in cases] == [_arrival_by_datetimes(*case) for case in cases]


def test_departure_for_an_arrival_matches_datetime_arithmetic() -> None:
    day = dt.date(2024, 1, 17)
    for dep in map(ZoneInfo, ZONES):
        for arr in map(ZoneInfo, ZONES):
            for arrival in range(0, 24 * 60, 85):
                for block in (45, 475, 790):
                    at = dt.datetime.combine(day, dt.time(arrival // 60, arrival % 60), tzinfo=arr)
                    expected = (at - dt.timedelta(minutes=block)).astimezone(dep)
                    assert _departure_for_arrival(arrival, block, dep, arr) == expected.hour * 60 + expected.minute


def test_operating_weekdays_are_the_days_whose_stable_draw_is_below_the_factor() -> None:
    for seed, key in ((1, "LH|EDDF|KJFK|0"), (20240601, "FR|EDDB|LEPA|2"), (7, "EW|EDDH|LEMD|1")):
        expected = {d for d in range(7) if _unit(seed, "operates", key, d) < WEEKDAY_FACTORS_BUSINESS[d]}
        assert _operating_weekdays(seed, key, WEEKDAY_FACTORS_BUSINESS) == expected
