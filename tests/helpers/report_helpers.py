"""What the report tests share: warehouses filled from the simulated ground truth, and headless Chromium."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from flightpipe.config import Settings
from flightpipe.core.layout import Board
from flightpipe.core.schema import PROCESSED_SCHEMA
from flightpipe.pipeline.warehouse import connect_warehouse, warehouse_lock
from flightpipe.sources.simulated.model import SimulatedSource, expected_processed_rows

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def truth_rows(airports: Sequence[str], days: Sequence[dt.date]) -> list[dict[str, Any]]:
    """Processed rows of ``days`` as the pipeline makes them, observed after every flight has happened."""
    as_of = dt.datetime.combine(max(days) + dt.timedelta(days=3), dt.time(6), tzinfo=dt.UTC)
    rows = expected_processed_rows(SimulatedSource(), list(airports), [Board.DEPARTURES, Board.ARRIVALS], days, as_of)
    return [{**r, "observation_count": 1, "collected_at_utc": as_of, "run_id": "truth"} for r in rows]


def load_truth(settings: Settings, airports: Sequence[str], days: Sequence[dt.date]) -> None:
    """Load the ground truth of ``airports`` on ``days`` into the configured warehouse, as the runner would."""
    rows = truth_rows(airports, days)
    with warehouse_lock(settings):
        warehouse = connect_warehouse(settings)
        try:
            warehouse.init()
            for day in days:
                selected = [r for r in rows if r["flight_date"] == day]
                warehouse.load_flight_date(day, pa.Table.from_pylist(selected, schema=PROCESSED_SCHEMA), run_id="truth")
        finally:
            warehouse.close()


@dataclass
class OpenedPage:
    """A report opened in Chromium, with everything the browser complained about or tried to fetch."""

    page: Any
    url: str
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Headless Chromium via playwright; without it FAIL under CI=true, else skip and say why."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (`make test` installs it: apt-get install -y chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            reason = f"playwright is not installed ({exc}); pip install -e '.[dev]'"
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs headless Chromium for the report tests: {reason}")
        pytest.skip(f"no headless Chromium for the report tests: {reason}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def open_report(browser: Any, path: Path, *, width: int = 1280) -> Iterator[OpenedPage]:
    """Open ``path`` offline in a window ``width`` CSS pixels wide: every request other than the file itself is
    counted and refused."""
    context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
    page = context.new_page()
    opened = OpenedPage(page, path.resolve().as_uri())

    def route(route: Any) -> None:
        if route.request.url == opened.url:
            route.continue_()
        else:
            opened.outside_requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
    page.on("pageerror", lambda error: opened.console_errors.append(str(error)))
    page.goto(opened.url, wait_until="load")
    try:
        yield opened
    finally:
        context.close()
