"""What makes one simulated day, airport and airline differ from another: punctuality by airline, weekday and
season, and bad-weather days that delay and cancel flights at an airport.

Everything here is a pure function of (seed, names, date), hashed with blake2b like the rest of the model, so a
day is the same in every process; it never draws from a flight's own random stream, so adding it moved no other
draw. The model applies it as a *lateness shift*: the uniform draw that picks a flight's delay band is moved up by
the shift (a later band is likelier), and as a factor on the cancellation probability.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache

#: Share of airport-days with bad weather, by month (winter storms and snow, summer thunderstorms).
_BAD_WEATHER_SHARE = {12: 0.12, 1: 0.12, 2: 0.10, 6: 0.08, 7: 0.09, 8: 0.08}
_BAD_WEATHER_SHARE_OTHERWISE = 0.04
#: On a bad-weather day at either end of a flight: how much later it runs, how much likelier its cancellation.
BAD_WEATHER_SHIFT = 0.2
BAD_WEATHER_CANCEL_FACTOR = 6.0
#: Monday .. Sunday: Fridays and Sundays run late (full planes, tight turns), midweek a little early.
_WEEKDAY_SHIFT = (0.0, -0.03, -0.02, 0.01, 0.04, -0.02, 0.03)
#: By month: the summer peak runs late, the quiet late autumn on time.
_SEASON_SHIFT = {6: 0.03, 7: 0.05, 8: 0.04, 11: -0.03}
#: Airlines differ: up to this much earlier or later than the mean, leisure carriers a little later still.
_AIRLINE_SPREAD = 0.10
_LEISURE_SHIFT = 0.03


def _unit(*parts: object) -> float:
    """A stable uniform number in [0, 1) from ``parts``."""
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@cache  # asked for every flight of the day: a few hundred airport-days, each hashed once
def bad_weather(seed: int, icao: str, day: dt.date) -> bool:
    """Whether ``icao`` has a bad-weather day on local date ``day`` (low visibility, storms, snow)."""
    share = _BAD_WEATHER_SHARE.get(day.month, _BAD_WEATHER_SHARE_OTHERWISE)
    return _unit(seed, "weather", icao, day.isoformat()) < share


@cache
def airline_shift(seed: int, airline_iata: str, leisure: bool) -> float:
    """How much later (positive) or earlier than the mean this airline runs, the same on every day."""
    return (_unit(seed, "airline", airline_iata) - 0.5) * 2 * _AIRLINE_SPREAD + (_LEISURE_SHIFT if leisure else 0.0)


def lateness(
    seed: int, airline_iata: str, leisure: bool, dep_icao: str, arr_icao: str, flight_date: dt.date
) -> tuple[float, float]:
    """The lateness shift of one flight and the factor on its cancellation probability."""
    weather = bad_weather(seed, dep_icao, flight_date) or bad_weather(seed, arr_icao, flight_date)
    shift = (
        airline_shift(seed, airline_iata, leisure)
        + _WEEKDAY_SHIFT[flight_date.weekday()]
        + _SEASON_SHIFT.get(flight_date.month, 0.0)
        + (BAD_WEATHER_SHIFT if weather else 0.0)
    )
    return shift, BAD_WEATHER_CANCEL_FACTOR if weather else 1.0
