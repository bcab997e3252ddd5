"""What makes one simulated day, airport and airline differ from another: punctuality by airline, weekday and
season, bad-weather days that delay and cancel flights at an airport, low-cost against network carriers, the
departure waves of a hub and the night curfews of the airports.

Everything here is a pure function of (seed, names, date), hashed with blake2b like the rest of the model, so a
day is the same in every process; it never draws from a flight's own random stream, so adding it moved no other
draw. The model applies it as a *lateness shift*: the uniform draw that picks a flight's delay band is moved up by
the shift (a later band is likelier), and as a factor on the cancellation probability.

Carriers come in three kinds. **Low-cost** carriers turn an aircraft round in about 25 minutes, so a delay
carries into every later flight of its day: their first wave leaves on time (the aircraft stood overnight) and
they run later hour by hour; they cancel less on an ordinary day (no spare aircraft, so they fly late instead) and
about half as readily as network carriers on a bad-weather day. **Network** carriers pad their blocks and turns
at their hubs (about 50 minutes), so they run a little earlier than the mean all day, and on a bad-weather day
they thin out short haul to protect their banks. **Leisure** (charter) carriers run a little later.

A **hub** (``HUB_WAVES``) is where its network carriers gather their short- and medium-haul flights in waves: a
bank of arrivals lands, passengers change, a bank of departures leaves, every three hours or so. The season
schedule draws such a leg's time of day inside a wave instead of from the airport's hourly shape.

**Curfews** (``CURFEWS``): no flight is scheduled to take off or land at the airport in its night hours (local
time); a delayed one may still move in the first part of the night where the airport allows it (Hamburg until
midnight, Dusseldorf and Frankfurt until 23:30), and a delay that would run beyond cancels the flight.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from typing import NamedTuple

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

#: The kinds of carrier (``carrier_kind``).
LOW_COST, NETWORK, LEISURE = "low-cost", "network", "leisure"
#: Low-cost: on time before this local hour (first wave), then this much later with every hour of the day.
_LOW_COST_FIRST_WAVE_END_HOUR = 9
_LOW_COST_FIRST_WAVE_SHIFT = -0.06
_LOW_COST_SHIFT_PER_HOUR = 0.02
_LOW_COST_MAX_SHIFT = 0.16
#: Network carriers' padded blocks and turns.
_NETWORK_SHIFT = -0.05
#: Cancellation factors by carrier kind: (ordinary day, bad-weather day).
_CANCEL_FACTORS = {LOW_COST: (0.6, 2.5), NETWORK: (1.0, BAD_WEATHER_CANCEL_FACTOR), LEISURE: (0.8, 4.0)}

#: Hub airport -> (its network carriers, the local minutes its departure waves are centred on).
HUB_WAVES: dict[str, tuple[frozenset[str], tuple[int, ...]]] = {
    "EDDF": (frozenset({"LH"}), (7 * 60, 10 * 60, 13 * 60, 16 * 60, 19 * 60, 21 * 60 + 15)),
    "EDDM": (frozenset({"LH", "EN"}), (7 * 60 + 15, 10 * 60 + 15, 13 * 60 + 15, 16 * 60 + 15, 19 * 60 + 15)),
}
#: A wave's departures leave within this many minutes either side of its centre.
WAVE_HALF_WIDTH_MIN = 25
#: The inbound bank lands this long before the departures it feeds (minimum connecting time and a margin).
WAVE_TRANSFER_MIN = 60


class Curfew(NamedTuple):
    """An airport's night, in local minutes after midnight: nothing scheduled in [start, end), no movement at all
    in [delayed_until, end) (``delayed_until`` may be 24:00 or later: past midnight)."""

    start: int
    delayed_until: int
    end: int


CURFEWS: dict[str, Curfew] = {
    "EDDF": Curfew(23 * 60, 23 * 60 + 30, 5 * 60),
    "EDDM": Curfew(22 * 60 + 30, 24 * 60, 6 * 60),
    "EDDL": Curfew(22 * 60, 23 * 60 + 30, 6 * 60),
    "EDDH": Curfew(23 * 60, 24 * 60, 6 * 60),
}


def _unit(*parts: object) -> float:
    """A stable uniform number in [0, 1) from ``parts``."""
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@cache  # asked for every flight of the day: a few hundred airport-days, each hashed once
def bad_weather(seed: int, icao: str, day: dt.date) -> bool:
    """Whether ``icao`` has a bad-weather day on local date ``day`` (low visibility, storms, snow)."""
    share = _BAD_WEATHER_SHARE.get(day.month, _BAD_WEATHER_SHARE_OTHERWISE)
    return _unit(seed, "weather", icao, day.isoformat()) < share


def carrier_kind(*, low_cost: bool, leisure: bool) -> str:
    """``LOW_COST``, ``LEISURE`` or ``NETWORK`` (a low-cost carrier that also flies holiday routes is low-cost)."""
    return LOW_COST if low_cost else LEISURE if leisure else NETWORK


@cache
def airline_shift(seed: int, airline_iata: str, kind: str) -> float:
    """How much later (positive) or earlier than the mean this airline runs, the same on every day (before the
    low-cost carriers' hour-by-hour drift)."""
    own = (_unit(seed, "airline", airline_iata) - 0.5) * 2 * _AIRLINE_SPREAD
    return own + {LEISURE: _LEISURE_SHIFT, NETWORK: _NETWORK_SHIFT}.get(kind, 0.0)


def _turnaround_shift(kind: str, dep_local_hour: int) -> float:
    """The low-cost carriers' delay carried from turn to turn: nothing for the first wave, more each hour after."""
    if kind != LOW_COST:
        return 0.0
    if dep_local_hour < _LOW_COST_FIRST_WAVE_END_HOUR:
        return _LOW_COST_FIRST_WAVE_SHIFT
    hours = dep_local_hour - _LOW_COST_FIRST_WAVE_END_HOUR + 1
    return min(_LOW_COST_SHIFT_PER_HOUR * hours, _LOW_COST_MAX_SHIFT)


def lateness(
    seed: int, airline_iata: str, kind: str, dep_icao: str, arr_icao: str, flight_date: dt.date, dep_local_hour: int
) -> tuple[float, float]:
    """The lateness shift of one flight and the factor on its cancellation probability; ``kind`` is the carrier's
    (``carrier_kind``), ``dep_local_hour`` the scheduled departure's hour at its airport."""
    weather = bad_weather(seed, dep_icao, flight_date) or bad_weather(seed, arr_icao, flight_date)
    shift = (
        airline_shift(seed, airline_iata, kind)
        + _turnaround_shift(kind, dep_local_hour)
        + _WEEKDAY_SHIFT[flight_date.weekday()]
        + _SEASON_SHIFT.get(flight_date.month, 0.0)
        + (BAD_WEATHER_SHIFT if weather else 0.0)
    )
    ordinary, stormy = _CANCEL_FACTORS[kind]
    return shift, stormy if weather else ordinary


def in_curfew(icao: str, local_minute: int, *, scheduled: bool) -> bool:
    """Whether a movement at local minute ``local_minute`` (after midnight) at ``icao`` breaks its curfew: a
    ``scheduled`` time the whole night, an actual one (a delayed flight) from ``delayed_until``."""
    curfew = CURFEWS.get(icao)
    if curfew is None:
        return False
    start = (curfew.start if scheduled else curfew.delayed_until) % (24 * 60)
    if start < curfew.end:
        return start <= local_minute < curfew.end
    return local_minute >= start or local_minute < curfew.end


def wave_centres(dep_icao: str, arr_icao: str, airline_iata: str) -> tuple[str, tuple[int, ...]] | None:
    """For a short- or medium-haul leg of a hub's network carrier: ``("departure", centres)`` when it leaves the
    hub (its departure in a wave), ``("arrival", centres)`` when it flies into one (its arrival in the inbound
    bank, ``WAVE_TRANSFER_MIN`` before each wave); None for every other leg."""
    for hub, side in ((dep_icao, "departure"), (arr_icao, "arrival")):
        waves = HUB_WAVES.get(hub)
        if waves is not None and airline_iata in waves[0]:
            offset = 0 if side == "departure" else WAVE_TRANSFER_MIN
            return side, tuple(centre - offset for centre in waves[1])
    return None
