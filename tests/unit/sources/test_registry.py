"""The source registry: a source is one folder plus one registration, and everything else derives from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flightpipe.sources import registry
from flightpipe.sources.aerodatabox.settings import AeroDataBoxSettings, AeroDataBoxSourceSettings
from flightpipe.sources.aviationstack.settings import AviationstackSettings, AviationstackSourceSettings
from flightpipe.sources.formats import record_format, unfilled_columns
from flightpipe.sources.opensky.normalise import UNFILLED_COLUMNS
from flightpipe.sources.opensky.settings import OpenSkySettings, OpenSkySourceSettings
from flightpipe.sources.settings import API_NAMES, SOURCE_TYPES, SourcesSettings
from flightpipe.sources.simulated.settings import SimulatedSourceSettings
from flightpipe.sources.spec import RecordFormat, SourceSpec
from tests.unit.sources.fakeair import SOURCE as FAKEAIR
from tests.unit.sources.fakeair.settings import FakeAirSourceSettings

REPO = Path(__file__).resolve().parents[3]


def test_the_built_in_sources_in_order_the_default_first() -> None:
    assert registry.source_names() == ("simulated", "aviationstack", "aerodatabox", "opensky")
    assert registry.api_names() == API_NAMES == ("aviationstack", "aerodatabox", "opensky")
    assert registry.source_names_in_words() == "simulated, aviationstack, aerodatabox or opensky"


def test_the_settings_sections_are_built_from_each_sources_own_models() -> None:
    assert list(SOURCE_TYPES.items()) == [
        ("simulated", SimulatedSourceSettings),
        ("aviationstack", AviationstackSourceSettings),
        ("aerodatabox", AeroDataBoxSourceSettings),
        ("opensky", OpenSkySourceSettings),
    ]
    accounts = {name: field.annotation for name, field in SourcesSettings.model_fields.items()}
    assert accounts == {
        "aviationstack": AviationstackSettings,
        "aerodatabox": AeroDataBoxSettings,
        "opensky": OpenSkySettings,
    }


def test_the_simulated_source_writes_aviationstack_pages() -> None:
    assert registry.source_spec("simulated").format is record_format("aviationstack")


def test_unfilled_columns_come_from_the_sources_format() -> None:
    assert (unfilled_columns("opensky"), unfilled_columns("simulated"), unfilled_columns("elsewhere")) == (
        UNFILLED_COLUMNS,
        frozenset(),
        frozenset(),
    )


def test_an_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown record format 'nope'; known: aerodatabox, aviationstack, opensky"):
        record_format("nope")


def test_registering_after_the_settings_were_built_is_refused() -> None:
    with pytest.raises(RuntimeError, match="cannot register source 'fakeair': the settings were already built"):
        registry.register(FAKEAIR)


def test_a_spec_needs_its_type_literal_and_an_account_comes_with_requests_per_board() -> None:
    fmt = FAKEAIR.format
    with pytest.raises(ValueError, match=r"source 'other': its settings model needs type: Literal\['other'\]"):
        SourceSpec("other", FakeAirSourceSettings, None, fmt, FAKEAIR.client)
    with pytest.raises(ValueError, match="source 'fakeair': an account and requests_per_board come together"):
        SourceSpec("fakeair", FakeAirSourceSettings, AviationstackSettings, fmt, FAKEAIR.client)


def test_an_unknown_source_names_the_registered_ones() -> None:
    with pytest.raises(KeyError, match="no source 'nope'; known: simulated, aviationstack, aerodatabox, opensky"):
        registry.source_spec("nope")


def test_a_record_format_reads_data_pages_unless_told_otherwise() -> None:
    fmt = RecordFormat("x", FAKEAIR.format.record_type, FAKEAIR.format.normalise)
    assert (fmt.records_key("arrivals"), fmt.unfilled_columns) == ("data", frozenset())


# A new source: tests/unit/sources/fakeair/ (settings, client, normalise, SOURCE) plus one registration. The
# settings are built once per process, so the registration runs first in a fresh interpreter.
_WITH_FAKEAIR = """
import datetime as dt, json, sys
from flightpipe.sources import registry
from tests.unit.sources.fakeair import SOURCE
registry.register(SOURCE)

from flightpipe.config import load_settings
from flightpipe.core.errors import ConfigError
from flightpipe.core.layout import Board
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.sources import open_source, plan_requests, source_rows
from flightpipe.sources.formats import unfilled_columns
from tests.helpers.source_helpers import land_board

data = sys.argv[1]
settings = load_settings(data_dir=data, airports=["EDDF", "EDDH"])
day = dt.date(2024, 6, 14)
plan = plan_requests(settings, [day])
landed = land_board(
    ObjectStore(data), open_source(settings), icao="EDDF", day=day, board=Board.DEPARTURES,
    as_of=dt.datetime(2024, 6, 15, tzinfo=dt.UTC),
)
try:
    load_settings(source={"type": "nope"})
except ConfigError as exc:
    unknown = str(exc).splitlines()[1].strip()
from flightpipe_infra.settings import StackSettings
stack = StackSettings(source_type="fakeair")
stack.check()
print(json.dumps({
    "source": [settings.source.type, settings.sources.fakeair.windows_per_day],
    "rows": [[r.name, r.in_use, r.credentials, r.budget, r.used] for r in source_rows(settings)],
    "plan": [plan.requests, plan.boards, plan.budget, plan.used],
    "landed": [landed.column("flight_iata"), landed.column("source"), landed.column("dep_airport_icao")],
    "quarantine": [[q["rule"], q["reason"]] for q in landed.quarantine],
    "unfilled": sorted(unfilled_columns("fakeair")),
    "unknown": unknown,
    "infra": [stack.source_needs_credentials, StackSettings(source_type="simulated").source_needs_credentials],
}))
"""


def test_a_source_added_in_one_folder_and_one_registration_is_configured_listed_planned_and_normalised(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTPIPE")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO), str(REPO / "infra")]),
        FLIGHTPIPE__SOURCE__TYPE="fakeair",
        FLIGHTPIPE__SOURCES__FAKEAIR__TOKEN="fake-token-13579",
        FLIGHTPIPE__SOURCES__FAKEAIR__MONTHLY_BUDGET="50",
    )
    done = subprocess.run(
        [sys.executable, "-c", _WITH_FAKEAIR, str(tmp_path / "data")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["source"] == ["fakeair", 3]
    assert result["rows"] == [
        ["simulated", False, "not needed", "-", "-"],
        ["aviationstack", False, "missing: FLIGHTPIPE__SOURCES__AVIATIONSTACK__ACCESS_KEY", "none", "0"],
        ["aerodatabox", False, "missing: FLIGHTPIPE__SOURCES__AERODATABOX__API_KEY", "none", "0"],
        [
            "opensky",
            False,
            "missing: FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_ID, FLIGHTPIPE__SOURCES__OPENSKY__CLIENT_SECRET",
            "none",
            "0; credits left unknown (none reported yet)",
        ],
        ["fakeair", True, "set (environment)", "50/month", "3"],
    ]
    # Planned before the board was fetched: 2 airports x 2 boards x 3 requests.
    assert result["plan"] == [12, 4, 50, 0]
    assert result["landed"] == [["FA100", "FA102"], ["fakeair", "fakeair"], ["EDDF", "EDDF"]]
    assert result["quarantine"] == [["required_keys", "number missing"]]
    assert result["unfilled"] == ["arr_gate", "dep_gate"]
    assert result["unknown"] == (
        "source.type: 'nope' is not a source type; allowed: simulated, aviationstack, aerodatabox, opensky, fakeair"
        "  [env: FLIGHTPIPE__SOURCE__TYPE]"
    )
    assert result["infra"] == [True, False]  # the stack accepts it and hands its functions the source secret
    assert "fake-token-13579" not in done.stdout + done.stderr
