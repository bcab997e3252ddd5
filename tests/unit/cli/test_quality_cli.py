"""``flightpipe check``, ``flightpipe quarantine [--replay]`` and ``--allow-quality-failures`` as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.cli_process import flightpipe
from tests.helpers.simulated_store import SimulatedRun, SimulatedStores

BAD_DAY, GOOD_DAY = "2026-06-09", "2026-06-02"
#: 10% of the records carry a delay contradicting their times: quarantined (fail), over the 5% share.
DEFECTS = {"FLIGHTPIPE__SOURCE__DEFECTS__INCONSISTENT_DELAY": "0.1"}
FIX = {"FLIGHTPIPE__QUALITY__DELAY_CONSISTENT__LEVEL": "warn"}
DEFECT_RATES = {"inconsistent_delay": 0.1}  # DEFECTS, as [source.defects] rates
GOOD_RUNS = (dt.date.fromisoformat(GOOD_DAY),)


@pytest.fixture
def project(tmp_path: Path, simulated_stores: SimulatedStores) -> Path:
    """A folder with a config for one small airport and a clean day already run."""
    folder = tmp_path / "quality-project"
    folder.mkdir()
    (folder / "flightpipe.toml").write_text('airports = ["EDDH"]\ndata_dir = "data"\n')
    simulated_stores.copy(folder / "data", ("EDDH",), GOOD_RUNS)
    return folder


@pytest.fixture
def bad_run(project: Path, simulated_stores: SimulatedStores) -> None:
    """``project`` as `flightpipe run --date BAD_DAY` with the defects leaves it: stopped by the quality gate."""
    stopped = SimulatedRun.with_defects(dt.date.fromisoformat(BAD_DAY), DEFECT_RATES, state="failed quality")
    shutil.rmtree(project / "data")
    simulated_stores.copy(project / "data", ("EDDH",), (*GOOD_RUNS, stopped))


def test_a_run_stopped_by_the_gate_says_failed_quality_and_why(project: Path) -> None:
    result = flightpipe("run", "--date", BAD_DAY, cwd=project, env=DEFECTS)
    assert result.returncode == 1, result.stderr
    bad_run = result.stdout
    assert bad_run.startswith("failed quality run")
    held = bad_run.split("held by the quality gate (not loaded):\n", 1)[1].splitlines()
    assert held[2] == "    flight date 2026-06-09: flights departing EDDH, flights arriving at EDDH"
    assert held[3].startswith("      - EDDH departures 2026-06-09 quarantine_share: ")
    assert "QualityGateFailed" not in bad_run and f"flightpipe check --date {BAD_DAY} --failed" in bad_run


def test_check_prints_the_results_and_exits_1_on_failures(project: Path, bad_run: None) -> None:
    result = flightpipe("check", "--date", BAD_DAY, cwd=project)
    assert result.returncode == 1
    for text in ("quality 2026-06-09", "EDDH departures 2026-06-09", "quarantine_share", "delay_consistent",
                 "quarantined", "fail-level results"):  # fmt: skip
        assert text in result.stdout, text


def test_check_failed_shows_only_what_did_not_pass_and_still_tallies_everything(project: Path, bad_run: None) -> None:
    result = flightpipe("check", "--date", BAD_DAY, "--failed", cwd=project)
    assert result.returncode == 1
    cells = [line.split("│") for line in result.stdout.splitlines() if line.startswith("│")]
    rows = [(row[2].strip(), row[5].strip()) for row in cells if row[2].strip()]  # (rule, outcome), not wrapped lines
    # required_keys: codeshares that went to quarantine with their operator's record (operator_quarantined)
    assert (
        sorted(rows)
        == [("delay_consistent", "quarantined")] * 2
        + [("quarantine_share", "fail")] * 2
        + [("required_keys", "quarantined")] * 2
    )
    assert " pass" in result.stdout.splitlines()[-2]  # the tally counts every result


def test_check_at_80_columns_groups_the_results_by_partition(project: Path, bad_run: None) -> None:
    result = flightpipe("check", "--date", BAD_DAY, "--failed", cwd=project, env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert [line.strip() for line in lines if line.startswith("EDDH")] == [
        "EDDH departures 2026-06-09", "EDDH arrivals 2026-06-09"
    ]  # fmt: skip


def test_check_of_a_clean_day_exits_0(project: Path) -> None:
    result = flightpipe("check", "--date", GOOD_DAY, cwd=project)
    assert result.returncode == 0, result.stdout
    tally = result.stdout.strip().splitlines()[-1]
    assert "fail" not in tally and "pass" in tally and "fail-level results" not in result.stdout


def test_quarantine_shows_what_was_rejected_and_why(project: Path, bad_run: None) -> None:
    result = flightpipe("quarantine", "--date", BAD_DAY, cwd=project)
    assert result.returncode == 0
    assert "delay_consistent" in result.stdout and "departure delay 120 min, but actual" in result.stdout
    assert "records quarantined" in result.stdout


def test_quarantine_at_80_columns_is_a_block_per_airport_board_and_rule(project: Path, bad_run: None) -> None:
    result = flightpipe("quarantine", "--date", BAD_DAY, cwd=project, env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert [line.strip() for line in lines if line.startswith("EDDH")] == [
        "EDDH arrivals · delay_consistent · 24 records", "EDDH arrivals · required_keys · 4 records",
        "EDDH departures · delay_consistent · 20 records", "EDDH departures · required_keys · 1 records",
    ]  # fmt: skip
    assert "departure delay 120 min, but actual - scheduled is 5 min" in result.stdout


def test_sql_sees_the_rule_in_the_quarantine_view_and_the_quality_results_table(project: Path, bad_run: None) -> None:
    quarantine = flightpipe("sql", "SELECT rule, count(*) AS n FROM quarantine GROUP BY 1", "--format", "json",
                            cwd=project)  # fmt: skip
    # required_keys: the codeshares of operator records delay_consistent quarantined (operator_quarantined)
    assert sorted(row["rule"] for row in json.loads(quarantine.stdout)) == ["delay_consistent", "required_keys"]
    results = flightpipe("sql", "SELECT DISTINCT rule FROM quality_results WHERE outcome = 'fail'", "--format",
                         "json", cwd=project)  # fmt: skip
    assert {row["rule"] for row in json.loads(results.stdout)} == {"quarantine_share"}


def test_the_quarantine_view_has_a_rule_column_before_anything_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "flightpipe-data").mkdir()  # a data folder without quarantine/ (with none, sql refuses: issue 19)
    result = flightpipe("sql", "SELECT rule, count(*) FROM quarantine GROUP BY 1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_quarantine_replay_after_the_fix_recovers_everything_and_loads(project: Path, bad_run: None) -> None:
    result = flightpipe("quarantine", "--date", BAD_DAY, "--replay", cwd=project, env=FIX)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "succeeded run" in result.stdout and "0 still quarantined" in result.stdout
    assert "replay recovered" in result.stdout
    after = flightpipe("quarantine", "--date", BAD_DAY, cwd=project)
    assert "nothing quarantined" in after.stdout


@pytest.mark.slow
def test_allow_quality_failures_loads_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "flightpipe.toml").write_text('airports = ["EDDH"]\ndata_dir = "data"\n')
    result = flightpipe("run", "--date", BAD_DAY, "--allow-quality-failures", cwd=tmp_path, env=DEFECTS)
    assert result.returncode == 0, result.stdout
    assert "quality failure loaded anyway (--allow-quality-failures)" in result.stdout
    runs = flightpipe("runs", "show", "2", cwd=tmp_path)  # run ids start with the year
    assert "gate" in runs.stdout and "override" in runs.stdout


def test_help_lists_the_quality_commands(tmp_path: Path) -> None:
    result = flightpipe("--help", cwd=tmp_path)
    assert "check" in result.stdout and "quarantine" in result.stdout
    run_help = flightpipe("run", "--help", cwd=tmp_path)
    assert "--allow-quality-failures" in run_help.stdout
