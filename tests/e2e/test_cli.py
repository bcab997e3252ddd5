"""The command line as a user runs it: a real process, real exit codes, real output."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import pytest

from tests.helpers.cli_process import flightpipe, flightpipe_on_a_terminal
from tests.helpers.simulated_store import SimulatedRun, SimulatedStores

DAY1, DAY2 = "2026-06-08", "2026-06-09"


@pytest.fixture
def project(tmp_path: Path, simulated_stores: SimulatedStores) -> Path:
    """A folder with a config for one small airport and two days already backfilled."""
    folder = tmp_path / "project"
    folder.mkdir()
    starter = resources.files("flightpipe").joinpath("starter.toml").read_text()  # what `flightpipe init` writes
    (folder / "flightpipe.toml").write_text(
        starter.replace('airports = ["EDDB", "EDDM", "EDDH", "EDDL", "EDDF"]', 'airports = ["EDDH"]')
    )
    # As `flightpipe backfill --start DAY1 --end DAY2` leaves the configured data folder.
    backfilled = [SimulatedRun(dt.date.fromisoformat(day), kind="backfill") for day in (DAY1, DAY2)]
    simulated_stores.copy(folder / "flightpipe-data", ("EDDH",), backfilled)
    return folder


def test_init_writes_a_commented_starter_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    assert flightpipe("init", cwd=tmp_path).returncode == 0
    text = (tmp_path / "flightpipe.toml").read_text()
    assert 'type = "simulated"' in text and text.startswith("# flightpipe configuration")
    again = flightpipe("init", cwd=tmp_path)
    assert again.returncode == 2 and "already exists; pass --force" in again.stderr


def test_backfill_runs_each_day_and_says_the_data_is_simulated(project: Path) -> None:
    listing = flightpipe("runs", cwd=project)
    assert listing.returncode == 0
    assert listing.stdout.count("backfill") == 2 and "simulated" in listing.stdout


def test_runs_lists_how_many_steps_of_each_stage_succeeded(project: Path) -> None:
    listing = flightpipe("runs", "--limit", "1", cwd=project).stdout
    cells = [cell.strip() for line in listing.splitlines() for cell in line.split("│")]
    stages = [cell for cell in cells if cell.split(" ")[0] in {"collect", "transform", "quality", "process", "load"}]
    # One airport x two boards; one process step for the touched dates; one load per flight date touched.
    assert stages[:4] == ["collect 2/2", "transform 2/2", "quality 2/2", "process 1/1"]
    loaded, total = stages[4].removeprefix("load ").split("/")
    assert len(stages) == 5 and loaded == total and int(total) >= 1


@pytest.mark.slow
def test_backfill_skips_complete_days_unless_forced(project: Path) -> None:
    skipped = flightpipe("backfill", "--start", DAY1, "--end", DAY2, cwd=project)
    assert skipped.returncode == 0
    assert f"skip {DAY1}: already complete" in skipped.stdout and f"skip {DAY2}" in skipped.stdout
    forced = flightpipe("backfill", "--start", DAY2, "--end", DAY2, "--force", cwd=project)
    assert forced.returncode == 0 and "succeeded run" in forced.stdout and "(SIMULATED DATA)" in forced.stdout


def test_runs_show_lists_every_step_of_a_run(project: Path) -> None:
    listing = flightpipe("runs", "--limit", "1", cwd=project).stdout
    run_id = next(word for line in listing.splitlines() for word in line.split("│") if "Z-" in word).strip()
    shown = flightpipe("runs", "show", run_id, cwd=project)
    assert shown.returncode == 0
    for stage in ("collect", "transform", "process", "load"):
        assert stage in shown.stdout
    assert "(SIMULATED DATA)" in shown.stdout


def test_sql_queries_the_warehouse_and_the_layer_views(project: Path) -> None:
    result = flightpipe(
        "sql",
        "SELECT (SELECT count(*) FROM fact_flights) AS facts, "
        "(SELECT count(*) FROM processed) AS processed, (SELECT count(*) FROM transformed) AS t, "
        "(SELECT count(*) FROM quarantine) AS q, (SELECT DISTINCT source FROM fact_flights) AS s",
        "--format",
        "json",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["facts"] == row["processed"] > 300 and row["t"] > row["facts"] and row["q"] == 0
    assert row["s"] == "simulated"


def test_sql_cannot_change_the_warehouse(project: Path) -> None:
    result = flightpipe("sql", "DELETE FROM fact_flights", cwd=project)
    assert result.returncode == 2 and "query failed" in result.stderr


def test_summary_prints_each_airport_and_labels_simulated_data(project: Path) -> None:
    result = flightpipe("summary", "--start", DAY1, "--end", DAY2, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "SIMULATED DATA" in result.stdout and "EDDH" in result.stdout
    header = next(line for line in result.stdout.splitlines() if "airport" in line)
    assert [cell.strip() for cell in header.split("┃")[1:-1]] == [
        "airport", "movements", "dep", "arr", "cancelled", "on time", "median delay"
    ]  # fmt: skip  # the report's words


@pytest.mark.slow
def test_run_defaults_to_yesterday_utc_and_takes_its_airports_and_source_from_the_flags(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    result = flightpipe("run", "--airports", "EDDH", "--source", "simulated", cwd=tmp_path)
    after = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert result.returncode == 0, result.stderr
    listing = flightpipe("runs", cwd=tmp_path).stdout
    run_line = next(line for line in listing.splitlines() if "Z-" in line)
    cells = [cell.strip() for cell in run_line.split("│")]
    assert cells[3] in {before.isoformat(), after.isoformat()} and cells[4] == "simulated"
    shown = flightpipe("runs", "show", cells[1], cwd=tmp_path).stdout
    assert "airports EDDH; boards departures, arrivals" in shown


def test_run_with_a_non_iso_date_exits_2_and_says_the_format(tmp_path: Path) -> None:
    result = flightpipe("run", "--date", "08/06/2026", cwd=tmp_path)
    assert result.returncode == 2
    assert "--date must be an ISO date (YYYY-MM-DD), got '08/06/2026'" in result.stderr


def test_run_with_an_unknown_airport_names_the_key(tmp_path: Path) -> None:
    result = flightpipe("run", "--date", DAY1, "--airports", "EDDF,XXXX", cwd=tmp_path)
    assert result.returncode == 2 and "airports: 'XXXX' is not an ICAO code known to airportsdata" in result.stderr


def test_run_of_a_future_day_is_refused(tmp_path: Path) -> None:
    result = flightpipe("run", "--date", "2999-01-01", cwd=tmp_path)
    assert result.returncode == 2 and "is in the future" in result.stderr


def test_backfill_with_end_before_start_is_refused(tmp_path: Path) -> None:
    result = flightpipe("backfill", "--start", DAY2, "--end", DAY1, cwd=tmp_path)
    assert result.returncode == 2 and f"--end {DAY1} is before --start {DAY2}" in result.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = flightpipe("--help", cwd=tmp_path)
    for command in ("init", "run", "backfill", "runs", "sql", "summary"):
        assert command in result.stdout


def test_backfill_ends_with_a_table_of_the_days_and_takes_global_options_after_the_command(project: Path) -> None:
    result = flightpipe("backfill", "--start", DAY1, "--end", DAY2, "--log-level", "WARNING", cwd=project)
    assert result.returncode == 0 and result.stderr == ""
    table = result.stdout.split(f"backfill {DAY1} to {DAY2}", 1)[1]
    assert table.count("skipped") == 3 and "2 days: 0 succeeded, 0 failed, 2 skipped" in table


@pytest.mark.slow
def test_backfill_on_a_terminal_shows_one_live_display_and_no_info_logs(project: Path) -> None:
    output = flightpipe_on_a_terminal("backfill", "--start", DAY1, "--end", DAY2, "--force", cwd=project)
    assert "day 2 of 2 (2026-06-09)" in output and "collect" in output
    assert "step succeeded" not in output and "INFO" not in output
    assert "2 days: 2 succeeded, 0 failed, 0 skipped" in output


def test_sql_shows_at_most_100_rows_in_a_table_and_says_how_to_see_more(project: Path) -> None:
    capped = flightpipe("sql", "SELECT flight_iata FROM fact_flights", cwd=project)
    assert capped.returncode == 0, capped.stderr
    assert capped.stdout.count("\n│ ") == 100
    assert "showing the first 100 rows; there are more (--limit N for more, --all for every row)" in capped.stderr
    limited = flightpipe("sql", "SELECT flight_iata FROM fact_flights;", "--limit", "5", cwd=project)
    assert limited.stdout.count("\n│ ") == 5 and "showing the first 5 rows" in limited.stderr
    every = flightpipe("sql", "SELECT count(*) AS n FROM fact_flights", "--format", "json", cwd=project)
    unbounded = flightpipe("sql", "SELECT flight_iata FROM fact_flights", "--all", cwd=project)
    assert unbounded.stdout.count("\n│ ") == json.loads(every.stdout)[0]["n"] and unbounded.stderr == ""


def test_sql_with_an_empty_query_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = flightpipe("sql", "  ", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: the query is empty" in result.stderr


def _run_ids(project: Path) -> list[str]:
    listing = flightpipe("runs", cwd=project).stdout
    return [word.strip() for line in listing.splitlines() for word in line.split("│") if "Z-" in word]


@pytest.mark.parametrize(
    "command",
    [("runs",), ("sources",), ("check", "--date", DAY2), ("summary", "--start", DAY1), ("warehouse", "status")],
)
def test_the_tables_fit_80_columns(project: Path, command: tuple[str, ...]) -> None:
    result = flightpipe(*command, cwd=project, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_status_fits_80_columns_and_shows_the_latest_run_id_whole(project: Path) -> None:
    result = flightpipe("status", "--days", "3", cwd=project, env={"COLUMNS": "80"})
    assert result.returncode == 1, result.stderr  # the days before yesterday have no run: late
    assert max(len(line) for line in result.stdout.splitlines()) <= 80 and "…" not in result.stdout
    assert _run_ids(project)[0] in result.stdout


def test_runs_at_80_columns_shows_every_run_id_whole(project: Path) -> None:
    wide = _run_ids(project)
    narrow = flightpipe("runs", cwd=project, env={"COLUMNS": "80"}).stdout
    assert len(wide) == 2 and all(run_id in narrow for run_id in wide)


def test_runs_show_prints_the_summary_as_a_table_not_json(project: Path) -> None:
    shown = flightpipe("runs", "show", _run_ids(project)[0], cwd=project, env={"COLUMNS": "80"}).stdout
    assert "{" not in shown and '"records_collected"' not in shown
    summary_lines = [line.split() for line in shown.splitlines() if line.strip().startswith(("records", "rows"))]
    assert [words[:2] for words in summary_lines] == [
        ["records", "collected"], ["rows", "transformed"], ["records", "quarantined"], ["rows", "loaded"]
    ]  # fmt: skip


def test_runs_show_refuses_an_ambiguous_prefix_and_lists_the_runs_it_matches(project: Path) -> None:
    newest, oldest = _run_ids(project)
    result = flightpipe("runs", "show", "2026", cwd=project)
    assert result.returncode == 2
    assert f"'2026' is the start of more than one run: {newest}, {oldest}; give more of the id" in " ".join(
        result.stderr.split()
    )
    assert flightpipe("runs", "show", oldest[:-1], cwd=project).stdout.startswith(f"run {oldest} ")


@pytest.mark.parametrize(
    "command",
    [("runs",), ("runs", "show", "2026"), ("metrics",), ("sources",), ("check", "--date", DAY1),
     ("quarantine", "--date", DAY1), ("sql", "SELECT 1"), ("status",), ("doctor",)],
)  # fmt: skip
def test_reading_commands_create_nothing_in_an_empty_folder(tmp_path: Path, command: tuple[str, ...]) -> None:
    flightpipe(*command, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("sql", "SELECT 1"), "error: no data folder"),
        (("status",), "error: no runs yet"),
        (("doctor",), "error: no data folder"),
    ],
)
def test_sql_and_status_in_an_empty_folder_say_nothing_ran_yet_and_exit_2(
    tmp_path: Path, command: tuple[str, ...], message: str
) -> None:
    result = flightpipe(*command, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith(message) and "Traceback" not in result.stderr
    assert "run `flightpipe run` first" in " ".join(result.stderr.split())


def test_summary_with_end_before_start_is_refused(project: Path) -> None:
    result = flightpipe("summary", "--start", DAY2, "--end", DAY1, cwd=project)
    assert result.returncode == 2 and f"--end {DAY1} is before --start {DAY2}" in result.stderr


def test_init_creates_the_folders_of_its_path_and_says_how_to_use_it(tmp_path: Path) -> None:
    result = flightpipe("init", "--path", "sub/dir/x.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sub" / "dir" / "x.toml").read_text().startswith("# flightpipe configuration")
    assert "run `flightpipe run --config sub/dir/x.toml`" in " ".join(result.stdout.split())


@pytest.mark.parametrize("source", ["aviationstack", "aerodatabox", "opensky"])
def test_the_starter_config_with_an_api_source_stops_at_its_credentials_before_any_run(
    tmp_path: Path, source: str
) -> None:
    assert flightpipe("init", cwd=tmp_path).returncode == 0
    result = flightpipe("run", "--date", DAY1, "--source", source, cwd=tmp_path)
    assert result.returncode == 2 and f"error: {source} needs credentials: set FLIGHTPIPE__SOURCES__" in result.stderr
    assert "unknown key" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flightpipe.toml"]  # no run recorded, no alert


def test_warehouse_init_says_when_there_is_nothing_to_change(tmp_path: Path) -> None:
    first = flightpipe("warehouse", "init", cwd=tmp_path)
    again = flightpipe("warehouse", "init", cwd=tmp_path)
    assert first.returncode == again.returncode == 0
    # rich wraps at the terminal width, and the line names the (long, temporary) file: compare words
    assert "is ready; created or changed:" in " ".join(first.stdout.split()) and "CREATE TABLE" in first.stdout
    assert "is ready; nothing to change (every table, column and view is there)" in " ".join(again.stdout.split())
