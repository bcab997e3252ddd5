"""A seeded model of the traffic at five German airports, rendered as aviationstack pages, with its ground truth.

Why it exists: the pipeline's tests and benchmark need realistic boards without network, quota or API keys, and
an answer to check the pipeline against. ``SimulatedSource`` renders pages exactly as aviationstack does (with its
quirks); ``expected_processed_rows`` computes, from the model's own flight objects and never from the rendered
pages, the rows the pipeline's dedup must produce.

The model
---------
* **Network** (``network.py``): the routes, airlines and daily rotations of Frankfurt, Munich, Berlin,
  Dusseldorf and Hamburg. From it and the seed a *season schedule* is drawn once: every rotation gets its flight
  numbers, departure time of day, block time (great-circle distance from airportsdata), aircraft type and
  codeshares. These are identical on every day, as an airline's timetable is.
* **Days**: which rotations fly on a weekday (fewer on Saturdays), delays, cancellations, diversions, gates and
  aircraft registrations come from ``random.Random`` instances seeded with a blake2b hash of (seed, flight date,
  departure airport, flight), never Python's ``hash()``, which is salted per process; so every process and every
  call order sees the same flights.
* **Variety** (``variety.py``): airlines differ in punctuality (leisure carriers run later; low-cost carriers
  leave their first wave on time and run later hour by hour, their short turns passing delays on; network
  carriers run a little early and cut more flights on bad-weather days), Fridays and Sundays and the summer
  peak run later, and a few airport-days in each month have bad weather, with more delays and several times the
  cancellations. It shifts each flight's delay draw without adding one, so streams stay put. Frankfurt's and
  Munich's Lufthansa (and Air Dolomiti) short- and medium-haul legs leave and arrive in hub waves, and four of
  the airports have night curfews (``variety.CURFEWS``): nothing scheduled at night, delayed flights only in
  its first part, a later delay cancels the flight.
* **Curfew** (everywhere): no scheduled, estimated or actual time at any airport (modelled or foreign, in that airport's
  local time) lies between 00:30 and 04:30 local. This keeps every rendered time out of the hours in which
  European clocks change, so "local wall time labelled +00:00" can always be converted back unambiguously. A
  time that is nonexistent or ambiguous in some other zone (Cairo and Beirut change clocks at midnight) is
  avoided the same way. A scheduled time that would break the rule on some date (time-zone offsets shift with
  DST) is moved by up to four hours that day; a delay that would break it turns the flight into a cancellation.
* **Times on the wire**: the airport's local wall time labelled ``+00:00`` (``2023-07-19T10:00:00+00:00``),
  whole minutes, with ``departure.timezone`` / ``arrival.timezone`` the IANA zone, as aviationstack sends them.
* **What each board says**: a departures board knows the departure (scheduled, estimated, actual, delay,
  terminal, gate) and only projects the arrival (scheduled + departure delay); an arrivals board knows the
  arrival (with baggage belt) and of the departure only the schedule (estimate stale) and the actual time.
  ``delay`` is the minutes late (estimated or actual minus scheduled) when positive, else null.
* **as_of**: a record shows what is known at ``as_of``: "scheduled" before take-off (the delay becomes known
  30-180 minutes before the scheduled departure), "active" in the air, "landed" after; a cancellation shows 3 h
  before the scheduled departure; a diversion once the flight would have landed. Once every flight of a day
  has come down, its boards are final and identical on every later collection.
* **Airports**: the five modelled airports have their full traffic. Any other airport known to airportsdata can
  be fetched too: its board holds the model's flights to and from the modelled airports (a small schedule, empty
  for an airport none of them serves), and the source warns once that such an airport's traffic is small.
  An ICAO code unknown to airportsdata raises ``ValueError``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flightpipe.core.layout import Board
from flightpipe.core.schema import Status
from flightpipe.reference.airports import Airport, airport, is_known_icao
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.simulated.defects import DefectSettings, check_board_defects, inject
from flightpipe.sources.simulated.network import (
    AIRCRAFT_IATA,
    AIRLINES,
    ALLIANCE_TERMINAL_AIRLINES,
    BAGGAGE_BELTS,
    MODELLED_AIRPORTS,
    TERMINALS,
    WEEKDAY_FACTORS_BUSINESS,
    WEEKDAY_FACTORS_LEISURE,
    AirlineInfo,
    RouteSpec,
    route_specs,
)
from flightpipe.sources.simulated.variety import (
    WAVE_HALF_WIDTH_MIN,
    carrier_kind,
    in_curfew,
    lateness,
    wave_centres,
)

UTC = dt.UTC
log = logging.getLogger(__name__)

#: Local minutes after midnight, inclusive at both ends: no time may fall in [00:30, 04:30].
CURFEW_START_MIN = 30
CURFEW_END_MIN = 270

#: Scheduled times are drawn inside this local window (05:00-23:00), leaving room for delays and early arrivals.
_SCHEDULE_WINDOW = (300, 1380)
_LONG_HAUL_KM = 4000.0
_CANCEL_PROBABILITY = 0.017
_DIVERT_PROBABILITY = 0.002
_CODESHARE_PROBABILITY = 0.40
_AIRCRAFT_KNOWN_PROBABILITY = 0.9
_CANCELLATION_NOTICE = dt.timedelta(hours=3)
#: Real flight numbers have at most four digits; only scales above about 3 need more (see ``_NumberBook``).
_MAX_FLIGHT_NUMBER = 99999
_MAX_SCALE = 20.0
#: Offsets (minutes) tried, in order, when a scheduled time breaks the curfew on one particular date.
_SCHEDULE_SHIFTS = tuple(s for k in range(0, 241, 15) for s in ((k, -k) if k else (0,)))
#: Two dates, winter and summer, on which a season schedule's times are checked (DST shifts local times).
_REFERENCE_DATES = (dt.date(2024, 1, 17), dt.date(2024, 7, 17))
_DAY_MIN = 24 * 60
_DAY_CACHE_SIZE = 8

# Local hour -> relative weight: departures peak in the morning and evening banks, arrivals follow them.
_DEP_HOUR_WEIGHTS = {
    5: 2,
    6: 13,
    7: 13,
    8: 9,
    9: 6,
    10: 5,
    11: 5,
    12: 4,
    13: 5,
    14: 5,
    15: 6,
    16: 7,
    17: 9,
    18: 10,
    19: 8,
    20: 6,
    21: 3,
    22: 1,
}
_ARR_HOUR_WEIGHTS = {
    5: 1,
    6: 3,
    7: 6,
    8: 8,
    9: 8,
    10: 7,
    11: 6,
    12: 6,
    13: 6,
    14: 6,
    15: 6,
    16: 6,
    17: 7,
    18: 7,
    19: 8,
    20: 8,
    21: 8,
    22: 5,
}

# Long-haul banks at the modelled airport, local minutes: (departure window outbound, arrival window inbound).
# Asia and the Gulf leave in the evening and come back in the morning, the Americas leave around noon and come
# back overnight, Africa leaves late and comes back early: this is what makes the overnight flights.
_LONG_HAUL_BANKS = {
    "east": ((17 * 60, 22 * 60 + 30), (5 * 60 + 15, 8 * 60 + 30)),
    "west": ((9 * 60 + 30, 14 * 60 + 30), (6 * 60, 10 * 60 + 30)),
    "south": ((20 * 60, 22 * 60 + 45), (5 * 60 + 15, 8 * 60)),
}


# --------------------------------------------------------------------------------------------- public truth


class Codeshare(NamedTuple):
    """A marketing flight number sold on another airline's (operating) flight."""

    airline_iata: str
    airline_icao: str
    airline_name: str
    flight_iata: str
    flight_icao: str
    flight_number: str


@dataclass(frozen=True, slots=True)
class SimFlight:
    """The truth about one physical flight (one operating flight leg on one flight date).

    Times are aware UTC datetimes in whole minutes. ``landing_at`` is when the flight came down: at its
    destination, or (``diverted``) when it would have, which is when the diversion becomes known;
    ``arr_actual`` is None for cancelled and diverted flights. Terminal, gate and belt are known only at the
    modelled airports (None elsewhere). ``aircraft_*`` is None when the data feed does not know the aircraft.
    """

    flight_date: dt.date
    airline_iata: str
    airline_icao: str
    airline_name: str
    flight_number: str
    flight_iata: str
    flight_icao: str
    codeshares: tuple[Codeshare, ...]
    dep_icao: str
    dep_iata: str | None
    dep_timezone: str
    arr_icao: str
    arr_iata: str | None
    arr_timezone: str
    dep_scheduled: dt.datetime
    arr_scheduled: dt.datetime
    dep_actual: dt.datetime | None
    landing_at: dt.datetime | None
    arr_actual: dt.datetime | None
    dep_terminal: str | None
    dep_gate: str | None
    arr_terminal: str | None
    arr_gate: str | None
    arr_baggage: str | None
    aircraft_registration: str | None
    aircraft_type_icao: str | None
    aircraft_type_iata: str | None
    aircraft_icao24: str | None
    status: Status
    delay_known_at: dt.datetime
    cancellation_known_at: dt.datetime | None

    @property
    def cancelled(self) -> bool:
        return self.status is Status.CANCELLED

    @property
    def diverted(self) -> bool:
        return self.status is Status.DIVERTED

    @property
    def key(self) -> tuple[dt.date, str, str]:
        """The physical-flight key the pipeline deduplicates on (``schema.FLIGHT_KEY``)."""
        return (self.flight_date, self.flight_iata, self.dep_icao)

    @property
    def arr_local_date(self) -> dt.date:
        """The local date of the scheduled arrival: the day of the arrivals board that lists this flight."""
        return self.arr_scheduled.astimezone(_zone(self.arr_timezone)).date()

    @property
    def dep_delay_min(self) -> int | None:
        """Final departure delay in minutes (negative: early); None if cancelled."""
        return None if self.dep_actual is None else _minutes(self.dep_actual - self.dep_scheduled)

    @property
    def arr_delay_min(self) -> int | None:
        """Final arrival delay in minutes (negative: early); None if cancelled or diverted."""
        return None if self.arr_actual is None else _minutes(self.arr_actual - self.arr_scheduled)


@dataclass(frozen=True, slots=True)
class SideView:
    """One side (departure or arrival) of a flight as one board shows it at one moment."""

    icao: str
    iata: str | None
    timezone: str
    scheduled: dt.datetime
    estimated: dt.datetime
    actual: dt.datetime | None
    delay_min: int | None
    terminal: str | None
    gate: str | None
    baggage: str | None


@dataclass(frozen=True, slots=True)
class BoardView:
    """A flight as one board (departures or arrivals) shows it at ``as_of``: what a record carries."""

    status: Status
    departure: SideView
    arrival: SideView


def status_at(flight: SimFlight, as_of: dt.datetime) -> Status:
    """The status a board shows at ``as_of``: it moves scheduled -> active -> landed/diverted, or
    scheduled -> cancelled once the cancellation is announced."""
    if flight.cancellation_known_at is not None:
        return Status.CANCELLED if as_of >= flight.cancellation_known_at else Status.SCHEDULED
    if flight.dep_actual is None or as_of < flight.dep_actual:
        return Status.SCHEDULED
    if flight.landing_at is None or as_of < flight.landing_at:
        return Status.ACTIVE
    return flight.status


def board_view(flight: SimFlight, board: Board, as_of: dt.datetime) -> BoardView:
    """What ``board`` says about ``flight`` at ``as_of``: the board's own side in full, the other side partial
    (see the module docstring). Shared by the renderer and the ground truth, so both describe one model."""
    status = status_at(flight, as_of)
    if board is Board.DEPARTURES:
        return BoardView(status, _dep_side_full(flight, as_of), _arr_side_projected(flight, as_of))
    return BoardView(status, _dep_side_seen_from_arrival(flight, as_of), _arr_side_full(flight, as_of))


# --------------------------------------------------------------------------------------------- the source


class SimulatedSource:
    """A ``Source`` that renders aviationstack pages of the simulated network, deterministically for a seed.

    ``scale`` multiplies every route's daily rotations (fractions resolved by a stable draw per route), so
    ``scale=0.1`` gives a tenth of the traffic for fast tests. Up to about 3 every flight number has at most
    four digits, as real ones do; larger scales (up to 20, for stress tests) run into five-digit numbers.
    ``page_size`` is aviationstack's ``limit`` (100 below the Professional plan).
    """

    name = "simulated"
    format = "aviationstack"

    def __init__(
        self, seed: int = 20240601, page_size: int = 100, scale: float = 1.0, defects: DefectSettings | None = None
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        if not 0 < scale <= _MAX_SCALE:
            raise ValueError(f"scale must be in (0, {_MAX_SCALE:g}], got {scale}")
        self.seed = seed
        self.page_size = page_size
        self.scale = scale
        #: Injected on request (``[source.defects]``) to exercise the quality rules; the ground truth ignores them.
        self.defects = defects if defects is not None and defects.any else None
        self._templates = _season_schedule(seed, scale)
        self._days: OrderedDict[dt.date, _DayFlights] = OrderedDict()
        self._lock = threading.Lock()
        self._warned: set[str] = set()  # airports not modelled, already warned about

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        """The board of ``icao`` for local date ``day`` as known at ``as_of`` (aware), as aviationstack pages.

        Departures: flights scheduled to leave ``icao`` on local date ``day``; arrivals: flights scheduled to
        arrive on local date ``day`` (so it holds overnight flights whose flight_date is the day before). One
        record per marketing flight number, ordered by the board's scheduled time, then flight IATA code.
        """
        board = Board(board)
        _check_airport(icao)
        _check_aware(as_of)
        keyed = [
            ((f.dep_scheduled if board is Board.DEPARTURES else f.arr_scheduled, rec["flight"]["iata"]), rec)
            for f in self._board_flights(icao, day, board)
            for rec in _records(f, board, as_of)
        ]
        keyed.sort(key=lambda pair: pair[0])
        records = [rec for _, rec in keyed]
        if self.defects is not None:
            check_board_defects(self.defects, self.seed, icao, day, str(board))
            records = inject(records, self.defects, self.seed, icao, day, str(board))
        self._warn_if_not_modelled(icao, day, board, len(records))
        return self._paginate(records, icao, day, board)

    def _warn_if_not_modelled(self, icao: str, day: dt.date, board: Board, records: int) -> None:
        """Say once per airport that an airport the model does not cover has little traffic: a real board of
        KJFK holds thousands of flights, the simulated one only those to and from the modelled airports."""
        with self._lock:
            if icao in MODELLED_AIRPORTS or icao in self._warned:
                return
            self._warned.add(icao)
        log.warning(
            "%s is not one of the simulated source's modelled airports (%s): its simulated boards hold only the "
            "flights to and from those (%d records on the %s board of %s)",
            icao,
            ", ".join(MODELLED_AIRPORTS),
            records,
            board,
            day.isoformat(),
        )

    def flights(self, day: dt.date) -> list[SimFlight]:
        """Every physical flight whose scheduled departure or scheduled arrival (each in its airport's local
        time) falls on ``day``; each touches a modelled airport. Ordered by scheduled departure, flight."""
        found = {
            f.key: f
            for flight_date in _neighbour_days(day)
            for f in self._day(flight_date).flights
            if f.flight_date == day or f.arr_local_date == day
        }
        return sorted(found.values(), key=lambda f: (f.dep_scheduled, f.flight_iata))

    # -- internals

    def _board_flights(self, icao: str, day: dt.date, board: Board) -> list[SimFlight]:
        if board is Board.DEPARTURES:
            return list(self._day(day).departures.get(icao, ()))
        return [f for flight_date in _neighbour_days(day) for f in self._day(flight_date).arrivals.get((icao, day), ())]

    def _day(self, flight_date: dt.date) -> _DayFlights:
        """The flights of one flight date, generated once and kept in a small LRU cache (thread safe: the
        collect stage fetches boards in parallel)."""
        with self._lock:
            cached = self._days.get(flight_date)
            if cached is not None:
                self._days.move_to_end(flight_date)
                return cached
            generated = _DayFlights.build(_generate_day(self.seed, self._templates, flight_date))
            self._days[flight_date] = generated
            if len(self._days) > _DAY_CACHE_SIZE:
                self._days.popitem(last=False)
            return generated

    def _paginate(self, records: list[dict[str, Any]], icao: str, day: dt.date, board: Board) -> FetchedBoard:
        param = "dep_icao" if board is Board.DEPARTURES else "arr_icao"
        total = len(records)
        pages: list[dict[str, Any]] = []
        requests: list[dict[str, Any]] = []
        for offset in range(0, max(total, 1), self.page_size):
            data = records[offset : offset + self.page_size]
            pages.append(
                {
                    "pagination": {"limit": self.page_size, "offset": offset, "count": len(data), "total": total},
                    "data": data,
                }
            )
            requests.append(
                {
                    "method": "GET",
                    "url": f"simulated://aviationstack/v1/flights?{param}={icao}&flight_date={day.isoformat()}"
                    f"&limit={self.page_size}&offset={offset}",
                }
            )
        return FetchedBoard(pages=pages, requests=requests)


def expected_processed_rows(
    source: SimulatedSource,
    airports: Sequence[str],
    boards: Sequence[Board],
    collection_dates: Sequence[dt.date],
    as_of: dt.datetime,
) -> list[dict[str, Any]]:
    """The rows the pipeline's process step must produce after collecting ``boards`` of ``airports`` for every
    day in ``collection_dates`` at ``as_of``: one per physical flight seen on at least one of those boards, the
    departure side from a departures board when one was collected, the arrival side from an arrivals board when
    one was collected. Keys are ``PROCESSED_SCHEMA`` columns without the lineage columns. Built from the
    model's ``SimFlight`` objects (not the rendered pages), so it checks the pipeline independently.
    """
    _check_aware(as_of)
    wanted_airports = set(airports)
    wanted_boards = {Board(b) for b in boards}
    days = set(collection_dates)
    flights: dict[tuple[dt.date, str, str], SimFlight] = {}
    for flight_date in sorted({fd for d in days for fd in _neighbour_days(d)}):
        for f in source._day(flight_date).flights:
            flights.setdefault(f.key, f)
    rows = []
    for f in flights.values():
        on_departures = Board.DEPARTURES in wanted_boards and f.dep_icao in wanted_airports and f.flight_date in days
        on_arrivals = Board.ARRIVALS in wanted_boards and f.arr_icao in wanted_airports and f.arr_local_date in days
        if on_departures or on_arrivals:
            rows.append(_expected_row(f, on_departures, on_arrivals, as_of))
    rows.sort(key=lambda r: (r["flight_date"], r["flight_iata"], r["dep_airport_icao"]))
    return rows


def _expected_row(f: SimFlight, on_departures: bool, on_arrivals: bool, as_of: dt.datetime) -> dict[str, Any]:
    dep = board_view(f, Board.DEPARTURES if on_departures else Board.ARRIVALS, as_of).departure
    arr = board_view(f, Board.ARRIVALS if on_arrivals else Board.DEPARTURES, as_of).arrival
    return {
        "flight_date": f.flight_date,
        "flight_iata": f.flight_iata,
        "flight_icao": f.flight_icao,
        "flight_number": f.flight_number,
        "airline_iata": f.airline_iata,
        "airline_icao": f.airline_icao,
        "airline_name": f.airline_name,
        "codeshare_flight_iatas": sorted(c.flight_iata for c in f.codeshares),
        **_side_columns("dep", dep),
        **_side_columns("arr", arr),
        "aircraft_registration": f.aircraft_registration,
        "aircraft_type_icao": f.aircraft_type_icao,
        "status": status_at(f, as_of).value,
        "seen_on_departures": on_departures,
        "seen_on_arrivals": on_arrivals,
        "source": SimulatedSource.name,
        # The model has no runway times; every simulated flight date is its scheduled departure's local date.
        "dep_runway_utc": None,
        "arr_runway_utc": None,
        "flight_date_basis": "scheduled_departure",
        "dep_utc_offset_min": _utc_offset_min(dep.icao, dep.scheduled),
        "arr_utc_offset_min": _utc_offset_min(arr.icao, arr.scheduled),
    }


def _utc_offset_min(icao: str | None, scheduled: dt.datetime | None) -> int | None:
    """Minutes the airport's local time is ahead of UTC at ``scheduled`` (its reference zone, zoneinfo)."""
    if icao is None or scheduled is None or not is_known_icao(icao):
        return None
    offset = scheduled.astimezone(_zone(_airport(icao).tz)).utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def _side_columns(prefix: str, side: SideView) -> dict[str, Any]:
    columns: dict[str, Any] = {
        f"{prefix}_airport_icao": side.icao,
        f"{prefix}_airport_iata": side.iata,
        f"{prefix}_scheduled_utc": side.scheduled,
        f"{prefix}_estimated_utc": side.estimated,
        f"{prefix}_actual_utc": side.actual,
        f"{prefix}_delay_min": _derived_delay(side),
        f"{prefix}_terminal": side.terminal,
        f"{prefix}_gate": side.gate,
    }
    if prefix == "arr":
        columns["arr_baggage"] = side.baggage
    return columns


def _derived_delay(side: SideView) -> int | None:
    """The delay the warehouse holds: the board's own where it gives one, else computed from the gate times
    (actual, else the estimate) in whole minutes, 0 when on time or early (docs/warehouse.md)."""
    if side.delay_min is not None:
        return side.delay_min
    later = side.actual or side.estimated
    if later is None or side.scheduled is None:
        return None
    return max(0, _minutes(later - side.scheduled))


# --------------------------------------------------------------------------------------------- board views


def _known_dep_estimate(f: SimFlight, as_of: dt.datetime) -> dt.datetime:
    """The best departure estimate at ``as_of``: the schedule until the delay is announced, then the truth."""
    if f.dep_actual is None or as_of < f.delay_known_at:
        return f.dep_scheduled
    return f.dep_actual


def _departed(f: SimFlight, as_of: dt.datetime) -> bool:
    return f.dep_actual is not None and as_of >= f.dep_actual


def _late_minutes(estimate: dt.datetime, scheduled: dt.datetime) -> int | None:
    """aviationstack's ``delay``: minutes late when positive, else null (early or on time)."""
    minutes = _minutes(estimate - scheduled)
    return minutes if minutes > 0 else None


def _dep_side_full(f: SimFlight, as_of: dt.datetime) -> SideView:
    estimate = _known_dep_estimate(f, as_of)
    return SideView(
        icao=f.dep_icao,
        iata=f.dep_iata,
        timezone=f.dep_timezone,
        scheduled=f.dep_scheduled,
        estimated=estimate,
        actual=f.dep_actual if _departed(f, as_of) else None,
        delay_min=_late_minutes(estimate, f.dep_scheduled),
        terminal=f.dep_terminal,
        gate=f.dep_gate,
        baggage=None,
    )


def _dep_side_seen_from_arrival(f: SimFlight, as_of: dt.datetime) -> SideView:
    # An arrivals board learns the take-off time but never updates the departure estimate.
    return SideView(
        icao=f.dep_icao,
        iata=f.dep_iata,
        timezone=f.dep_timezone,
        scheduled=f.dep_scheduled,
        estimated=f.dep_scheduled,
        actual=f.dep_actual if _departed(f, as_of) else None,
        delay_min=None,
        terminal=None,
        gate=None,
        baggage=None,
    )


def _arr_side_projected(f: SimFlight, as_of: dt.datetime) -> SideView:
    # A departures board projects the arrival from the departure delay; it never sees the landing.
    projection = f.arr_scheduled + (_known_dep_estimate(f, as_of) - f.dep_scheduled)
    return SideView(
        icao=f.arr_icao,
        iata=f.arr_iata,
        timezone=f.arr_timezone,
        scheduled=f.arr_scheduled,
        estimated=projection,
        actual=None,
        delay_min=None,
        terminal=None,
        gate=None,
        baggage=None,
    )


def _arr_side_full(f: SimFlight, as_of: dt.datetime) -> SideView:
    if f.landing_at is not None and _departed(f, as_of):
        estimate = f.landing_at  # tracked once airborne
    else:
        estimate = f.arr_scheduled + (_known_dep_estimate(f, as_of) - f.dep_scheduled)
    came_down = f.landing_at is not None and as_of >= f.landing_at
    return SideView(
        icao=f.arr_icao,
        iata=f.arr_iata,
        timezone=f.arr_timezone,
        scheduled=f.arr_scheduled,
        estimated=estimate,
        actual=f.arr_actual if came_down else None,
        # Once a diversion is known the board no longer promises an arrival here, so no delay either.
        delay_min=None if f.diverted and came_down else _late_minutes(estimate, f.arr_scheduled),
        terminal=f.arr_terminal,
        gate=f.arr_gate,
        baggage=f.arr_baggage,
    )


# --------------------------------------------------------------------------------------------- rendering


def _records(f: SimFlight, board: Board, as_of: dt.datetime) -> list[dict[str, Any]]:
    """The operating record and one record per codeshare, as aviationstack returns them."""
    view = board_view(f, board, as_of)
    departure = _render_side(view.departure, with_baggage=False)
    arrival = _render_side(view.arrival, with_baggage=True)
    aircraft = _render_aircraft(f)
    operating = {
        "airline_name": f.airline_name,
        "airline_iata": f.airline_iata,
        "airline_icao": f.airline_icao,
        "flight_number": f.flight_number,
        "flight_iata": f.flight_iata,
        "flight_icao": f.flight_icao,
    }
    # aviationstack writes the operating flight of a codeshare record in lower case ("lh825", "lufthansa").
    codeshared = {k: v.lower() for k, v in operating.items()}
    common = {"flight_date": f.flight_date.isoformat(), "flight_status": view.status.value}
    # Each record gets its own copies of the nested objects, so a consumer mutating one record changes no other.
    records = [
        {
            **common,
            "departure": departure,
            "arrival": arrival,
            "airline": {"name": f.airline_name, "iata": f.airline_iata, "icao": f.airline_icao},
            "flight": {"number": f.flight_number, "iata": f.flight_iata, "icao": f.flight_icao, "codeshared": None},
            "aircraft": aircraft,
            "live": None,
        }
    ]
    for c in f.codeshares:
        records.append(
            {
                **common,
                "departure": dict(departure),
                "arrival": dict(arrival),
                "airline": {"name": c.airline_name, "iata": c.airline_iata, "icao": c.airline_icao},
                "flight": {
                    "number": c.flight_number,
                    "iata": c.flight_iata,
                    "icao": c.flight_icao,
                    "codeshared": dict(codeshared),
                },
                "aircraft": None if aircraft is None else dict(aircraft),
                "live": None,
            }
        )
    return records


def _render_side(side: SideView, *, with_baggage: bool) -> dict[str, Any]:
    zone = _zone(side.timezone)
    rendered: dict[str, Any] = {
        "airport": _airport(side.icao).name,
        "timezone": side.timezone,
        "iata": side.iata,
        "icao": side.icao,
        "terminal": side.terminal,
        "gate": side.gate,
    }
    if with_baggage:
        rendered["baggage"] = side.baggage
    rendered.update(
        {
            "delay": side.delay_min,
            "scheduled": _local_label(side.scheduled, zone),
            "estimated": _local_label(side.estimated, zone),
            "actual": None if side.actual is None else _local_label(side.actual, zone),
            # The model has no runway (wheels-off/on) times; aviationstack leaves them null for most flights too.
            "estimated_runway": None,
            "actual_runway": None,
        }
    )
    return rendered


def _render_aircraft(f: SimFlight) -> dict[str, str] | None:
    if f.aircraft_registration is None or f.aircraft_type_icao is None:
        return None
    return {
        "registration": f.aircraft_registration,
        "iata": f.aircraft_type_iata or f.aircraft_type_icao,
        "icao": f.aircraft_type_icao,
        "icao24": f.aircraft_icao24 or "",
    }


def _local_label(t: dt.datetime, zone: ZoneInfo) -> str:
    """aviationstack's quirk: the airport's local wall time, labelled as if it were UTC."""
    return t.astimezone(zone).isoformat()[:19] + "+00:00"


# --------------------------------------------------------------------------------------------- season schedule


@dataclass(frozen=True, slots=True)
class _LegTemplate:
    """One leg of a rotation in the season schedule: the same on every day it operates."""

    rotation_key: str
    airline: AirlineInfo
    number: int
    dep_icao: str
    arr_icao: str
    dep_tz: str
    arr_tz: str
    dep_minute: int  # local minutes after midnight at the departure airport
    block_min: int
    aircraft_type: str
    codeshares: tuple[Codeshare, ...]
    weekdays: frozenset[int]  # Monday = 0; the same weekdays every week, as in a timetable


class _NumberBook:
    """Hands out flight numbers in catalogue order: an even/odd pair per rotation (out and back, as LH400 and
    LH401) from the airline's short- or long-haul range, single codeshare numbers from its marketing range.
    A number already taken (a range ran into the next one) is skipped, so numbers never repeat. At scales
    above about 3 the big airlines run past four digits: unrealistic, but it keeps every flight distinct."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], int] = {}
        self._used: set[tuple[str, int]] = set()

    def pair(self, airline: AirlineInfo, long_haul: bool) -> tuple[int, int]:
        range_name, base = "short", airline.number_base
        if long_haul and airline.long_number_base is not None:
            range_name, base = "long", airline.long_number_base
        first = self._next.get((airline.iata, range_name), base + base % 2)
        while (airline.iata, first) in self._used or (airline.iata, first + 1) in self._used:
            first += 2
        self._next[(airline.iata, range_name)] = first + 2
        return self._claim(airline.iata, first), self._claim(airline.iata, first + 1)

    def codeshare(self, airline: AirlineInfo) -> int:
        number = self._next.get((airline.iata, "codeshare"), airline.codeshare_base)
        while (airline.iata, number) in self._used:
            number += 1
        self._next[(airline.iata, "codeshare")] = number + 1
        return self._claim(airline.iata, number)

    def _claim(self, airline_iata: str, number: int) -> int:
        if number > _MAX_FLIGHT_NUMBER:
            raise ValueError(f"{airline_iata} ran out of flight numbers: lower the simulated source's scale")
        self._used.add((airline_iata, number))
        return number


@lru_cache(maxsize=8)
def _season_schedule(seed: int, scale: float) -> tuple[_LegTemplate, ...]:
    """Every leg of the season schedule for (seed, scale), in catalogue order (cached: it is the same for
    every instance with these parameters)."""
    book = _NumberBook()
    legs: list[_LegTemplate] = []
    for spec in route_specs():
        legs.extend(_route_legs(seed, scale, spec, book))
    return tuple(legs)


def _route_legs(seed: int, scale: float, spec: RouteSpec, book: _NumberBook) -> list[_LegTemplate]:
    airline = AIRLINES[spec.airline]
    distance = _distance_km(spec.origin, spec.destination)
    long_haul = distance > _LONG_HAUL_KM
    exact = spec.rotations * scale
    rotations = int(exact) + (1 if _unit(seed, "extra", spec.airline, spec.origin, spec.destination) < exact % 1 else 0)
    factors = WEEKDAY_FACTORS_LEISURE if airline.leisure else WEEKDAY_FACTORS_BUSINESS
    legs = []
    for index in range(rotations):
        rotation_key = f"{spec.airline}|{spec.origin}|{spec.destination}|{index}"
        # Drawn per rotation, not per leg: both legs of a rotation fly on the same weekdays.
        weekdays = _operating_weekdays(seed, rotation_key, factors)
        out_number, back_number = book.pair(airline, long_haul)
        for number, dep, arr, direction in (
            (out_number, spec.origin, spec.destination, "out"),
            (back_number, spec.destination, spec.origin, "back"),
        ):
            rng = _rng(seed, "leg", rotation_key, direction)
            block = _block_minutes(dep, arr, distance)
            legs.append(
                _LegTemplate(
                    rotation_key=rotation_key,
                    airline=airline,
                    number=number,
                    dep_icao=dep,
                    arr_icao=arr,
                    dep_tz=_airport(dep).tz,
                    arr_tz=_airport(arr).tz,
                    dep_minute=_draw_departure_minute(rng, dep, arr, block, long_haul, airline.iata),
                    block_min=block,
                    aircraft_type=rng.choice(airline.long_types if long_haul else airline.short_types),
                    codeshares=_draw_codeshares(rng, airline, book),
                    weekdays=weekdays,
                )
            )
    return legs


def _operating_weekdays(seed: int, rotation_key: str, factors: Sequence[float]) -> frozenset[int]:
    """The weekdays ``d`` with ``_unit(seed, "operates", rotation_key, d) < factors[d]``: the seven hashes share
    their prefix, so it is hashed once and the state copied per weekday (the same digests, a third of the time)."""
    prefix = hashlib.blake2b(f"{seed}\x1foperates\x1f{rotation_key}\x1f".encode(), digest_size=8)
    days = []
    for d, factor in enumerate(factors):
        state = prefix.copy()
        state.update(str(d).encode())
        if int.from_bytes(state.digest(), "big") / 2**64 < factor:
            days.append(d)
    return frozenset(days)


def _draw_departure_minute(
    rng: random.Random, dep: str, arr: str, block: int, long_haul: bool, airline_iata: str
) -> int:
    """A departure time of day (local, 5-minute grid) whose times satisfy the schedule window and the curfews at
    both ends in winter and summer. Legs from a modelled airport are shaped by its departure banks, legs into one
    by its arrival banks; long haul by the long-haul banks; a hub carrier's other legs at its hub by the hub's
    waves. Falls back to the general shape, then to any time."""
    dep_tz, arr_tz = _zone(_airport(dep).tz), _zone(_airport(arr).tz)
    from_modelled = dep in MODELLED_AIRPORTS
    windows = _candidate_windows(dep, arr, long_haul)
    waves = None if long_haul else wave_centres(dep, arr, airline_iata)
    for window, attempts in ((windows, 60), (None, 200)):
        for _ in range(attempts):
            if waves is not None:
                side, centres = waves
                wave = rng.choice(centres) + 5 * rng.randrange(-WAVE_HALF_WIDTH_MIN // 5, WAVE_HALF_WIDTH_MIN // 5 + 1)
                minute = wave if side == "departure" else _departure_for_arrival(wave, block, dep_tz, arr_tz)
            elif from_modelled:
                minute = _draw_minute(rng, window, _DEP_HOUR_WEIGHTS)
            else:
                arrival = _draw_minute(rng, window, _ARR_HOUR_WEIGHTS)
                minute = _departure_for_arrival(arrival, block, dep_tz, arr_tz)
            if _template_fits(minute, block, (dep, dep_tz), (arr, arr_tz)):
                return minute
    for minute in range(_SCHEDULE_WINDOW[0], _SCHEDULE_WINDOW[1], 5):
        if _template_fits(minute, block, (dep, dep_tz), (arr, arr_tz)):
            return minute
    raise ValueError(f"no curfew-safe schedule for {dep}-{arr} ({block} min)")


def _candidate_windows(dep: str, arr: str, long_haul: bool) -> tuple[int, int] | None:
    if not long_haul:
        return None
    foreign = arr if dep in MODELLED_AIRPORTS else dep
    lon = _airport(foreign).lon
    bank = "west" if lon < -25 else "east" if lon > 40 else "south"
    outbound, inbound = _LONG_HAUL_BANKS[bank]
    return outbound if dep in MODELLED_AIRPORTS else inbound


def _draw_minute(rng: random.Random, window: tuple[int, int] | None, weights: dict[int, int]) -> int:
    if window is not None:
        return rng.randrange(window[0], window[1] + 1, 5)
    hour = rng.choices(list(weights), weights=list(weights.values()))[0]
    return hour * 60 + 5 * rng.randrange(12)


def _departure_for_arrival(arrival_minute: int, block: int, dep_tz: ZoneInfo, arr_tz: ZoneInfo) -> int:
    """The departure time of day (local) that reaches ``arrival_minute`` (local at the arrival airport)."""
    day = _REFERENCE_DATES[0]
    dep_offset, arr_offset = _fixed_offset_min(dep_tz.key, day), _fixed_offset_min(arr_tz.key, day)
    if dep_offset is not None and arr_offset is not None and arrival_minute - block >= -_DAY_MIN:
        # Neither zone changes its offset around the day: plain arithmetic gives what the datetimes below give.
        return (arrival_minute - block - arr_offset + dep_offset) % _DAY_MIN
    arrival = dt.datetime.combine(day, _clock(arrival_minute), tzinfo=arr_tz)
    departure = (arrival - dt.timedelta(minutes=block)).astimezone(dep_tz)
    return departure.hour * 60 + departure.minute


def _template_fits(minute: int, block: int, dep: tuple[str, ZoneInfo], arr: tuple[str, ZoneInfo]) -> bool:
    """True if departure and arrival lie inside the schedule window and outside their airports' curfews on both
    reference dates (``dep`` and ``arr``: ICAO code and zone)."""
    lo, hi = _SCHEDULE_WINDOW
    if not lo <= minute <= hi or in_curfew(dep[0], minute, scheduled=True):
        return False
    for day in _REFERENCE_DATES:
        arrival_minute = _arrival_minute(day, minute, block, dep[1], arr[1])
        if not lo <= arrival_minute <= hi or in_curfew(arr[0], arrival_minute, scheduled=True):
            return False
    return True


def _arrival_minute(day: dt.date, minute: int, block: int, dep_tz: ZoneInfo, arr_tz: ZoneInfo) -> int:
    """The local time of day at the arrival of a flight leaving at local ``minute`` on ``day`` for ``block``
    minutes."""
    dep_offset, arr_offset = _fixed_offset_min(dep_tz.key, day), _fixed_offset_min(arr_tz.key, day)
    if dep_offset is not None and arr_offset is not None and minute + block < 2 * _DAY_MIN:
        # Neither zone changes its offset around the day: plain arithmetic gives what the datetimes below give.
        return (minute + block - dep_offset + arr_offset) % _DAY_MIN
    departure = dt.datetime.combine(day, _clock(minute), tzinfo=dep_tz)
    arrival = (departure + dt.timedelta(minutes=block)).astimezone(arr_tz)
    return arrival.hour * 60 + arrival.minute


@cache
def _fixed_offset_min(tz: str, day: dt.date) -> int | None:
    """The zone's UTC offset in whole minutes if it is the same from three days before ``day`` to three days
    after (no clock change in that span, which holds every instant a flight of up to a day leaving or arriving on
    ``day`` passes), else None."""
    offsets = {_steady_offset(tz, day + dt.timedelta(days=k)) for k in range(-3, 4)}
    offset = offsets.pop() if len(offsets) == 1 else None
    if offset is None or offset.total_seconds() % 60:
        return None
    return int(offset.total_seconds()) // 60


def _draw_codeshares(rng: random.Random, airline: AirlineInfo, book: _NumberBook) -> tuple[Codeshare, ...]:
    """About 40 % of an aligned carrier's flights are sold by 1-4 partners (fewer partners more often)."""
    partners = [(code, weight) for code, weight in airline.partners if code != airline.iata]
    if not partners or rng.random() >= _CODESHARE_PROBABILITY:
        return ()
    wanted = min(len(partners), rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0])
    chosen: list[str] = []
    while len(chosen) < wanted:
        pool = [(code, weight) for code, weight in partners if code not in chosen]
        chosen.append(rng.choices([c for c, _ in pool], weights=[w for _, w in pool])[0])
    codeshares = []
    for code in chosen:
        partner = AIRLINES[code]
        number = str(book.codeshare(partner))
        codeshares.append(
            Codeshare(
                partner.iata, partner.icao, partner.name, f"{partner.iata}{number}", f"{partner.icao}{number}", number
            )
        )
    return tuple(codeshares)


def _block_minutes(dep: str, arr: str, distance_km: float) -> int:
    """Scheduled block time: 40 minutes of taxi and climb plus cruise at 780 km/h, 5 % longer westbound
    (head wind) and 7 % shorter eastbound, rounded to 5 minutes as timetables are."""
    wind = 1.05 if _airport(arr).lon < _airport(dep).lon else 0.93
    minutes = 40 + distance_km / 13.0 * wind
    return int(5 * round(minutes / 5))


def _distance_km(a: str, b: str) -> float:
    """Great-circle distance (haversine) between two airports."""
    pa, pb = _airport(a), _airport(b)
    lat1, lon1, lat2, lon2 = map(math.radians, (pa.lat, pa.lon, pb.lat, pb.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --------------------------------------------------------------------------------------------- one day


@dataclass(frozen=True, slots=True)
class _DayFlights:
    """The flights of one flight date, indexed by departure and by arrival airport."""

    flights: tuple[SimFlight, ...]
    departures: dict[str, tuple[SimFlight, ...]]
    arrivals: dict[tuple[str, dt.date], tuple[SimFlight, ...]]  # by arrival airport and local arrival date

    @classmethod
    def build(cls, flights: Iterable[SimFlight]) -> _DayFlights:
        ordered = tuple(flights)
        departures: dict[str, list[SimFlight]] = {}
        arrivals: dict[tuple[str, dt.date], list[SimFlight]] = {}
        for f in ordered:
            departures.setdefault(f.dep_icao, []).append(f)
            arrivals.setdefault((f.arr_icao, f.arr_local_date), []).append(f)
        return cls(
            ordered,
            {icao: tuple(group) for icao, group in departures.items()},
            {key: tuple(group) for key, group in arrivals.items()},
        )


def _generate_day(seed: int, templates: Sequence[_LegTemplate], flight_date: dt.date) -> list[SimFlight]:
    flights = []
    weekday = flight_date.weekday()
    for t in templates:
        if weekday not in t.weekdays:
            continue
        flight = _fly(seed, t, flight_date)
        if flight is not None:
            flights.append(flight)
    return flights


def _scheduled_times(t: _LegTemplate, flight_date: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """Scheduled departure and arrival (UTC) on ``flight_date``, moved by up to 4 h on dates where the
    template's time would break the curfew (offsets between zones change with DST); None if nothing fits.
    The arrival's local date is the flight date or the day after, never earlier or later, which is what lets
    a board be assembled from two flight dates (``_neighbour_days``)."""
    for shift in _SCHEDULE_SHIFTS:
        minute = t.dep_minute + shift
        if not 0 <= minute < 24 * 60:
            continue
        departure = _local_to_utc(flight_date, minute, t.dep_tz)
        if departure is None:
            continue
        arrival = departure + dt.timedelta(minutes=t.block_min)
        days_later = (arrival.astimezone(_zone(t.arr_tz)).date() - flight_date).days
        if (
            days_later in (0, 1)
            and _movement_allowed(departure, t.dep_icao, t.dep_tz, scheduled=True)
            and _movement_allowed(arrival, t.arr_icao, t.arr_tz, scheduled=True)
        ):
            return departure, arrival
    return None


def _fly(seed: int, t: _LegTemplate, flight_date: dt.date) -> SimFlight | None:
    """One day's operation of a leg: its delays, cancellation or diversion, gates and aircraft."""
    scheduled = _scheduled_times(t, flight_date)
    if scheduled is None:
        return None
    dep_scheduled, arr_scheduled = scheduled
    flight_iata = f"{t.airline.iata}{t.number}"
    rng = _rng(seed, "day", flight_date.isoformat(), t.dep_icao, flight_iata)
    kind = carrier_kind(low_cost=t.airline.low_cost, leisure=t.airline.leisure)
    dep_hour = dep_scheduled.astimezone(_zone(t.dep_tz)).hour
    how_late = lateness(seed, t.airline.iata, kind, t.dep_icao, t.arr_icao, flight_date, dep_hour)
    outcome = _draw_outcome(rng, t, dep_scheduled, arr_scheduled, how_late)
    dep_airport, arr_airport = _airport(t.dep_icao), _airport(t.arr_icao)
    dep_terminal, dep_gate = _draw_stand(rng, t.dep_icao, t.airline.iata)
    arr_terminal, arr_gate = _draw_stand(rng, t.arr_icao, t.airline.iata)
    baggage = _draw_belt(rng, t.arr_icao) if outcome.status is Status.LANDED else None
    registration, icao24 = _draw_aircraft(rng, t)
    return SimFlight(
        flight_date=flight_date,
        airline_iata=t.airline.iata,
        airline_icao=t.airline.icao,
        airline_name=t.airline.name,
        flight_number=str(t.number),
        flight_iata=flight_iata,
        flight_icao=f"{t.airline.icao}{t.number}",
        codeshares=t.codeshares,
        dep_icao=t.dep_icao,
        dep_iata=dep_airport.iata,
        dep_timezone=dep_airport.tz,
        arr_icao=t.arr_icao,
        arr_iata=arr_airport.iata,
        arr_timezone=arr_airport.tz,
        dep_scheduled=dep_scheduled,
        arr_scheduled=arr_scheduled,
        dep_actual=outcome.dep_actual,
        landing_at=outcome.landing_at,
        arr_actual=outcome.landing_at if outcome.status is Status.LANDED else None,
        dep_terminal=dep_terminal,
        dep_gate=dep_gate,
        arr_terminal=arr_terminal,
        arr_gate=arr_gate,
        arr_baggage=baggage,
        aircraft_registration=registration,
        aircraft_type_icao=t.aircraft_type if registration else None,
        aircraft_type_iata=AIRCRAFT_IATA.get(t.aircraft_type, t.aircraft_type) if registration else None,
        aircraft_icao24=icao24,
        status=outcome.status,
        delay_known_at=outcome.delay_known_at,
        cancellation_known_at=dep_scheduled - _CANCELLATION_NOTICE if outcome.status is Status.CANCELLED else None,
    )


class _Outcome(NamedTuple):
    status: Status
    dep_actual: dt.datetime | None
    landing_at: dt.datetime | None
    delay_known_at: dt.datetime


def _draw_outcome(
    rng: random.Random,
    t: _LegTemplate,
    dep_scheduled: dt.datetime,
    arr_scheduled: dt.datetime,
    lateness: tuple[float, float] = (0.0, 1.0),
) -> _Outcome:
    """``lateness``: the flight's lateness shift and cancellation factor (airline, weekday, season, weather)."""
    # Every draw happens whatever the outcome, so one flight's fate never shifts another random stream.
    shift, cancel_factor = lateness
    cancelled = rng.random() < _CANCEL_PROBABILITY * cancel_factor
    diverted = rng.random() < _DIVERT_PROBABILITY
    dep_delay = _draw_departure_delay(rng, shift)
    airborne_gain = _draw_block_deviation(rng, t.block_min)
    delay_known_at = dep_scheduled - dt.timedelta(minutes=_between(rng, 30, 180))
    dep_actual = dep_scheduled + dt.timedelta(minutes=dep_delay)
    landing = max(
        dep_actual + dt.timedelta(minutes=t.block_min + airborne_gain), arr_scheduled - dt.timedelta(minutes=25)
    )  # early, but not before the curfew ends
    projected = arr_scheduled + dt.timedelta(minutes=dep_delay)
    breaks_curfew = not (
        _movement_allowed(dep_actual, t.dep_icao, t.dep_tz, scheduled=False)
        and _movement_allowed(landing, t.arr_icao, t.arr_tz, scheduled=False)
        and _valid_local(projected, t.arr_tz)
    )
    if cancelled or breaks_curfew:
        return _Outcome(Status.CANCELLED, None, None, delay_known_at)
    return _Outcome(Status.DIVERTED if diverted else Status.LANDED, dep_actual, landing, delay_known_at)


def _draw_departure_delay(rng: random.Random, shift: float = 0.0) -> int:
    """Minutes late at take-off, long tailed: ~70 % within 15 minutes, ~1 % over three hours on an average
    day; ``shift`` moves the draw towards the later bands (positive) or the earlier ones (negative)."""
    u = min(max(rng.random() + shift, 0.0), 0.999999)
    for upper, low, high in (
        (0.10, -5, -1),
        (0.47, 0, 5),
        (0.70, 6, 15),
        (0.87, 16, 45),
        (0.955, 46, 120),
        (0.99, 121, 180),
    ):
        if u < upper:
            return _between(rng, low, high)
    return _between(rng, 181, 400)


def _draw_block_deviation(rng: random.Random, block: int) -> int:
    """Actual minus scheduled block time: timetables pad blocks, so flights mostly make up a little time."""
    deviation = rng.gauss(-0.04 * block, 0.05 * block + 4)
    return round(max(-0.15 * block - 5, min(0.2 * block + 10, deviation)))


def _draw_stand(rng: random.Random, icao: str, airline_iata: str) -> tuple[str | None, str | None]:
    """Terminal and gate at a modelled airport (the draw happens everywhere, so streams stay aligned)."""
    u, number = rng.random(), _between(rng, 1, 69)
    layout = TERMINALS.get(icao)
    if layout is None:
        return None, None
    terminal, letters, highest = layout["alliance" if airline_iata in ALLIANCE_TERMINAL_AIRLINES else "other"]
    return terminal, f"{letters[int(u * len(letters))]}{1 + (number - 1) % highest}"


def _draw_belt(rng: random.Random, icao: str) -> str | None:
    belts = BAGGAGE_BELTS.get(icao)
    return None if belts is None else str(_between(rng, 1, belts))


def _draw_aircraft(rng: random.Random, t: _LegTemplate) -> tuple[str | None, str | None]:
    """Registration and ICAO 24-bit address from a fleet of 40 aircraft per airline and type; None for the
    tenth of flights whose aircraft the feed does not know."""
    known, tail = rng.random() < _AIRCRAFT_KNOWN_PROBABILITY, _between(rng, 0, 39)
    if not known:
        return None, None
    registration = _registration(t.airline.registration, t.airline.iata, t.aircraft_type, tail)
    return registration, f"{_stable_int('icao24', registration) % 0xFFFFFF:06X}"


@cache
def _registration(pattern: str, airline_iata: str, aircraft_type: str, tail: int) -> str:
    """Fill ``pattern`` (``?`` letter, ``#`` digit) from a stable hash: the same aircraft every time."""
    value = _stable_int("registration", airline_iata, aircraft_type, tail)
    chars = []
    for ch in pattern:
        if ch == "?":
            value, k = divmod(value, 26)
            chars.append(chr(ord("A") + k))
        elif ch == "#":
            value, k = divmod(value, 10)
            chars.append(str(k))
        else:
            chars.append(ch)
    return "".join(chars)


# --------------------------------------------------------------------------------------------- small helpers


def _check_airport(icao: str) -> None:
    if not is_known_icao(icao):
        raise ValueError(f"unknown airport {icao!r}: the simulated source serves ICAO codes known to airportsdata")


def _check_aware(as_of: dt.datetime) -> None:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of must be timezone-aware (UTC), got {as_of!r}")


def _neighbour_days(day: dt.date) -> tuple[dt.date, ...]:
    """The flight dates whose flights can arrive on local date ``day``: that day and the day before (overnight
    flights); ``_scheduled_times`` guarantees no flight arrives later than the day after its flight date."""
    return (day - dt.timedelta(days=1), day)


@cache
def _airport(icao: str) -> Airport:
    return airport(icao)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _clock(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


@cache
def _steady_offset(tz: str, day: dt.date) -> dt.timedelta | None:
    """The zone's UTC offset on local date ``day`` if the clocks do not change that day, else None.

    The fast path of every local-time conversion: on the few days with a clock change the careful (fold
    checking) path runs instead. A change at midnight shows as differing offsets of 00:00 or 23:59."""
    zone = _zone(tz)
    offsets = {
        dt.datetime.combine(day, clock, tzinfo=zone).replace(fold=fold).utcoffset()
        for clock in (dt.time(0, 0), dt.time(23, 59))
        for fold in (0, 1)
    }
    return offsets.pop() if len(offsets) == 1 else None


def _local_to_utc(day: dt.date, minute: int, tz: str) -> dt.datetime | None:
    """The UTC instant of a local wall time, or None if that wall time does not exist or exists twice."""
    offset = _steady_offset(tz, day)
    if offset is not None:
        return dt.datetime.combine(day, _clock(minute), tzinfo=UTC) - offset
    zone = _zone(tz)
    naive = dt.datetime.combine(day, _clock(minute))
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first != second or first.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return first


def _valid_local(t: dt.datetime, tz: str) -> bool:
    """True if ``t`` is outside the curfew in zone ``tz`` and its local wall time maps back to it unambiguously."""
    local = t.astimezone(_zone(tz))
    minute = local.hour * 60 + local.minute
    if CURFEW_START_MIN <= minute <= CURFEW_END_MIN:
        return False
    return _steady_offset(tz, local.date()) is not None or _local_to_utc(local.date(), minute, tz) == t


def _movement_allowed(t: dt.datetime, icao: str, tz: str, *, scheduled: bool) -> bool:
    """``_valid_local`` and outside ``icao``'s own night curfew (``variety.CURFEWS``), for a ``scheduled`` time or
    an actual one."""
    local = t.astimezone(_zone(tz))
    return not in_curfew(icao, local.hour * 60 + local.minute, scheduled=scheduled) and _valid_local(t, tz)


def _stable_int(*parts: object) -> int:
    """A 64-bit hash of ``parts`` that is the same in every process (unlike ``hash()``)."""
    text = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _unit(*parts: object) -> float:
    return _stable_int(*parts) / 2**64


def _rng(*parts: object) -> random.Random:
    return random.Random(_stable_int(*parts))


def _between(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high]: ``randint`` without its argument checking, which the day loop
    calls a hundred thousand times."""
    return low + int(rng.random() * (high - low + 1))
