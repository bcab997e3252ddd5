"""fakeair's client: one page per request, ``windows_per_day`` requests per board, no network."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flightpipe.core.layout import Board
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.spec import UsageCounter
from tests.unit.sources.fakeair.normalise import FORMAT
from tests.unit.sources.fakeair.settings import FakeAirSettings

NAME = "fakeair"


class FakeAirSource:
    name = NAME
    format = FORMAT

    def __init__(self, settings: FakeAirSettings, token: str, *, usage: UsageCounter | None) -> None:
        self.settings = settings
        self.token = token
        self.usage = usage

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        pages: list[Any] = []
        for window in range(self.settings.windows_per_day):
            if self.usage is not None:
                self.usage.reserve_request(NAME)
            departs = int(dt.datetime.combine(day, dt.time(6 + 6 * window), dt.UTC).timestamp())
            other = "EGLL" if window else "LFPG"
            ends = (icao, other) if Board(board) is Board.DEPARTURES else (other, icao)
            record = {"number": f"FA{100 + window}" if window != 1 else None, "from": ends[0], "to": ends[1]}
            pages.append({"flights": [{**record, "departs": departs}]})
        return FetchedBoard(pages=pages, requests=[{"url": f"{self.settings.base_url}/{icao}"}], records_key="flights")
