"""Which events a finished run raises: decided from its ledger records, one rule per test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flightpipe.monitoring import events as ev
from flightpipe.monitoring.detect import deadline_for, detect
from flightpipe.monitoring.history import Usual, step_family
from flightpipe.monitoring.settings import AlertsSettings
from flightpipe.state.runs import RunRecord, StepRecord

DAY = dt.date(2026, 6, 8)
STARTED = dt.datetime(2026, 6, 9, 2, 30, tzinfo=dt.UTC)
FINISHED = dt.datetime(2026, 6, 9, 2, 35, tzinfo=dt.UTC)
ALERTS = AlertsSettings()


def run(state: str = "succeeded", *, error: str | None = None, run_id: str = "r1", **summary: Any) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        kind="run",
        day=DAY.isoformat(),
        airports=["EDDF", "EDDM"],
        boards=["departures", "arrivals"],
        source="simulated",
        simulated=True,
        state=state,
        started_at="2026-06-09T02:30:00.000+00:00",
        finished_at="2026-06-09T02:35:00.000+00:00",
        pid=1,
        host="h",
        error=error,
        summary={"records_collected": 900, "rows_loaded": 700, "flight_dates": ["2026-06-08"], **summary},
    )


def step(
    stage: str,
    target: str,
    *,
    state: str = "succeeded",
    duration_s: float = 1.0,
    records_in: int | None = None,
    records_out: int | None = 100,
    quarantined: int | None = None,
    error: str | None = None,
    **detail: Any,
) -> StepRecord:
    return StepRecord(
        step_id=0,
        run_id="r1",
        stage=stage,
        target=target,
        state=state,
        started_at="",
        finished_at="",
        duration_s=duration_s,
        records_in=records_in,
        records_out=records_out,
        quarantined=quarantined,
        bytes=None,
        detail=detail,
        error=error,
    )


def normal_steps() -> list[StepRecord]:
    return [
        step("collect", "EDDF/departures"),
        step("collect", "EDDF/arrivals"),
        step("transform", "EDDF/departures/r1", records_in=100, quarantined=0),
        step("transform", "EDDF/arrivals/r1", records_in=100, quarantined=0),
        step("process", "2026-06-07,2026-06-08", duration_s=2.0),
        step("load", "2026-06-08", duration_s=0.5),
    ]


def events_of(record: RunRecord, steps: list[StepRecord], **kwargs: Any) -> list[ev.Event]:
    usual = kwargs.pop("usual", {})
    settings = kwargs.pop("settings", ALERTS)
    return detect(
        record,
        steps,
        usual,
        settings,
        started=kwargs.pop("started", STARTED),
        finished=kwargs.pop("finished", FINISHED),
    )


def names(found: list[ev.Event]) -> list[str]:
    return [e.name for e in found]


def test_a_normal_succeeded_run_raises_only_the_succeeded_event() -> None:
    found = events_of(run(), normal_steps())
    assert names(found) == [ev.RUN_SUCCEEDED]
    assert found[0].summary == (
        "flightpipe run for 2026-06-08 succeeded: 900 records collected from simulated, 700 rows loaded for "
        "2026-06-08 in 300.0 s"
    )


def test_a_failed_run_names_the_step_the_error_and_what_to_do() -> None:
    steps = [*normal_steps()[:4], step("load", "2026-06-08", state="failed", error="LoadError: disk full")]
    [event] = events_of(run("failed", error="LoadError: disk full"), steps)
    assert event.name == ev.RUN_FAILED and event.severity == ev.Severity.ERROR
    assert event.summary == "flightpipe run for 2026-06-08 failed: load 2026-06-08 failed: LoadError: disk full"
    assert event.remedy.startswith("the warehouse load failed; the warehouse still holds the previous rows")
    assert event.remedy.endswith("(`flightpipe run --date 2026-06-08`)")
    assert event.detail()["failed_steps"] == [
        {"stage": "load", "target": "2026-06-08", "error": "LoadError: disk full"}
    ]


def test_a_partial_run_is_a_failed_run_with_its_state() -> None:
    steps = [step("collect", "EDDM/arrivals", state="failed", error="QuotaExceeded: budget used up"), *normal_steps()]
    [event] = events_of(run("partial"), steps)
    assert (event.name, event.detail()["state"], event.detail()["error_types"]) == (
        ev.RUN_FAILED,
        "partial",
        ["QuotaExceeded"],
    )
    assert event.remedy.startswith("the source's request budget is used up")


def test_a_source_refusing_the_credentials_says_to_set_a_valid_one() -> None:
    steps = [step("collect", "EDDM/arrivals", state="failed", error="SourceAuthError: HTTP 401"), *normal_steps()]
    [event] = events_of(run("partial"), steps)
    assert event.remedy.startswith(
        "the source refused the API credentials (wrong, expired or inactive key, or a plan without this function): "
        "set a valid one in its FLIGHTPIPE__SOURCES__<API>__<FIELD> environment variable"
    )


def test_an_abandoned_run_says_the_process_ended() -> None:
    [event] = events_of(run("abandoned", error="the process ended without finishing the run"), normal_steps()[:2])
    assert event.name == ev.RUN_FAILED and event.remedy.startswith("the process ended during the run")


def test_the_quality_gate_raises_quality_failed_with_rules_and_airports_not_run_failed() -> None:
    failures = [
        {"rule": "min_flights", "airport": "EDDM", "message": "12 flights, expected at least 300", "level": "fail"},
        {"rule": "null_status_share", "airport": "EDDF", "message": "40% null", "level": "fail"},
        {"rule": "late_arrivals", "airport": "EDDF", "message": "only a warning", "level": "warn"},
    ]
    steps = [
        *normal_steps()[:5],
        step("quality", "2026-06-08", state="failed", error="QualityGateFailed: 2 rules", quality_failures=failures),
    ]
    [event] = events_of(run("failed", error="QualityGateFailed: 2 rules"), steps)
    assert event.name == ev.QUALITY_FAILED
    assert (event.detail()["rules"], event.detail()["airports"]) == (
        ["min_flights", "null_status_share"],
        ["EDDF", "EDDM"],
    )
    assert event.summary == "data quality failed for 2026-06-08: rules min_flights, null_status_share at EDDF, EDDM"


def test_a_failed_quality_state_without_details_still_raises_quality_failed() -> None:
    [event] = events_of(run("failed quality", error="QualityGateFailed: too few flights"), normal_steps())
    assert event.name == ev.QUALITY_FAILED and event.detail()["rules"] == ["quality_gate"]


def test_the_quality_failed_remedy_names_the_check_and_quarantine_commands_the_docs_give() -> None:
    [event] = events_of(run("failed quality", error="QualityGateFailed: too few flights"), normal_steps())
    assert event.remedy == (
        "see every rule's result with `flightpipe check --date 2026-06-08` and the rejected records with "
        "`flightpipe quarantine --date 2026-06-08`; if the source sent bad data, collect the day again later "
        "with `flightpipe run --date 2026-06-08`; if a rule is too strict, change its threshold in the config"
    )


def test_a_quarantined_share_at_the_limit_is_not_a_quality_failure() -> None:
    steps = [*normal_steps(), step("transform", "EDDM/arrivals/r1", records_in=200, quarantined=10)]
    assert ev.QUALITY_FAILED not in names(events_of(run(), steps))


def test_a_corrupt_raw_file_fails_quality() -> None:
    steps = [*normal_steps(), step("verify", "EDDF/arrivals/old", records_in=0, corrupt="not valid JSON")]
    [event] = [e for e in events_of(run(), steps) if e.name == ev.QUALITY_FAILED]
    assert event.detail()["rules"] == ["corrupt_raw_file"] and event.detail()["airports"] == ["EDDF"]


def test_a_board_that_returned_nothing_raises_data_missing() -> None:
    steps = [
        *normal_steps(),
        step("collect", "EDDM/departures", records_out=0),
        step("collect", "EDDB/arrivals", records_out=0),
    ]
    [event] = [e for e in events_of(run(), steps) if e.name == ev.DATA_MISSING]
    assert event.summary == "no data for 2026-06-08: EDDB arrivals, EDDM departures returned no flights"
    assert event.detail()["airports"] == ["EDDB", "EDDM"]
    assert event.problem == "EDDB/arrivals,EDDM/departures"


def test_a_step_far_slower_than_usual_raises_processing_delayed() -> None:
    settings = AlertsSettings(slow_step_min_seconds=10)
    steps = [*normal_steps(), step("collect", "EDDM/departures", duration_s=95.0)]
    usual = {"collect EDDM/departures": Usual(median_s=20.0, runs=5)}
    [event] = [e for e in events_of(run(), steps, usual=usual, settings=settings) if e.name == ev.PROCESSING_DELAYED]
    assert event.detail()["kind"] == "slow_step" and event.detail()["ratio"] == 4.75
    assert event.summary == "step collect EDDM/departures of the run for 2026-06-08 took 95.0 s, 4.8x its usual 20.0 s"


@pytest.mark.parametrize(
    ("duration", "usual", "reason"),
    [
        (59.0, Usual(20.0, 5), "under 3x usual"),
        (3.5, Usual(1.0, 5), "3.5x usual but only 2.5 s over: below the minimum"),
        (95.0, Usual(20.0, 2), "too little history"),
    ],
)
def test_a_step_is_not_called_slow(duration: float, usual: Usual, reason: str) -> None:
    settings = AlertsSettings(slow_step_min_seconds=10)
    steps = [step("collect", "EDDM/departures", duration_s=duration)]
    assert names(events_of(run(), steps, usual={"collect EDDM/departures": usual}, settings=settings)) == [
        ev.RUN_SUCCEEDED
    ], reason


def test_a_run_that_started_before_its_deadline_and_ended_after_it_is_delayed() -> None:
    late = dt.datetime(2026, 6, 9, 6, 10, tzinfo=dt.UTC)
    [event] = [e for e in events_of(run(), normal_steps(), finished=late) if e.name == ev.PROCESSING_DELAYED]
    assert event.detail()["kind"] == "deadline" and event.detail()["deadline"] == "2026-06-09T06:00:00Z"
    assert (
        event.summary
        == "the run for 2026-06-08 missed its deadline 2026-06-09T06:00:00Z: it finished only at 2026-06-09T06:10:00Z"
    )


def test_a_backfill_started_after_the_deadline_is_not_late() -> None:
    started = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    found = events_of(run(), normal_steps(), started=started, finished=started + dt.timedelta(hours=1))
    assert ev.PROCESSING_DELAYED not in names(found)


def test_the_deadline_is_the_configured_time_on_the_day_after() -> None:
    assert deadline_for(DAY, dt.time(7, 30)) == dt.datetime(2026, 6, 9, 7, 30, tzinfo=dt.UTC)
    assert deadline_for(DAY, None) is None


def test_the_same_failure_in_a_retry_has_the_same_dedup_key_and_a_different_one_does_not() -> None:
    first = events_of(
        run("partial", run_id="r1"), [step("collect", "EDDM/arrivals/r1", state="failed", error="SourceError: 503")]
    )
    retry = events_of(
        run("partial", run_id="r2"), [step("collect", "EDDM/arrivals/r2", state="failed", error="SourceError: 502")]
    )
    other = events_of(
        run("partial", run_id="r3"), [step("collect", "EDDF/arrivals", state="failed", error="SourceError: 503")]
    )
    assert (
        first[0].dedup_key == retry[0].dedup_key == "flightpipe.run.failed|2026-06-08|collect EDDM/arrivals:SourceError"
    )
    assert other[0].dedup_key != first[0].dedup_key


@given(st.sampled_from(["collect", "transform", "verify"]), st.from_regex(r"[A-Z]{4}", fullmatch=True), st.text())
def test_a_per_board_step_family_ignores_the_run_id(stage: str, icao: str, run_id: str) -> None:
    assert step_family(stage, f"{icao}/departures/{run_id}") == f"{stage} {icao}/departures"


def test_every_event_carries_the_common_fields_of_the_contract() -> None:
    steps = [*normal_steps(), step("collect", "EDDM/departures", records_out=0)]
    for event in events_of(run("partial"), [*steps, step("load", "x", state="failed", error="LoadError: x")]):
        detail = event.message()["detail"]
        assert event.message()["source"] == "flightpipe" and event.message()["detail-type"] == event.name
        assert {"schema_version", "event", "severity", "time", "day", "run_id", "summary", "remedy", "problem"} <= set(
            detail
        )


def test_secrets_in_errors_are_masked_in_the_event() -> None:
    steps = [step("collect", "EDDM/arrivals", state="failed", error="SourceError: GET /v1/flights?access_key=abc123")]
    [event] = events_of(run("partial"), steps)
    assert "abc123" not in str(event.message()) and "abc123" not in event.summary
