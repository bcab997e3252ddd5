"""The Step Functions definition: its structure, and executions under moto's Step Functions interpreter."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import boto3
import pytest

from flightpipe.aws.names import QUALITY_GATE_ERROR
from flightpipe.aws.state_machine import Targets, definition, task_states, validate
from tests.helpers.asl import Interpreter, StatesError
from tests.helpers.aws_helpers import REGION

ACCOUNT = "123456789012"
TARGETS = Targets(
    plan_function=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:plan",
    collect_function=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:collect",
    verify_function=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:verify",
    load_function=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:load",
    notify_function=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notify",
    glue_job="flightpipe-process",
    data_url="s3://bucket",
    glue_database="flightpipe",
    glue_table="processed",
)


@pytest.fixture
def machine() -> dict[str, Any]:
    return definition(TARGETS)


def test_the_generated_definition_is_valid(machine: dict[str, Any]) -> None:
    assert validate(machine) == []
    assert machine["StartAt"] == "Plan"


def test_every_task_has_retry_with_backoff_and_jitter_and_a_catch(machine: dict[str, Any]) -> None:
    tasks = dict(task_states(machine))
    assert set(tasks) == {
        "Plan", "CollectBoards/CollectBoard", "Verify", "Process", "Load",
        "NotifySuccess", "NotifyPartial", "NotifyQualityFailure", "NotifyFailure",
    }  # fmt: skip
    for name, task in tasks.items():
        assert task["Catch"], name
        for retry in task["Retry"]:
            assert retry["BackoffRate"] > 1 and retry["JitterStrategy"] == "FULL", name


def test_the_map_fans_out_over_the_planned_boards_and_a_failed_board_ends_with_a_marker(
    machine: dict[str, Any],
) -> None:
    collect = machine["States"]["CollectBoards"]
    assert (collect["Type"], collect["ItemsPath"], collect["ItemProcessor"]["ProcessorConfig"]["Mode"]) == (
        "Map", "$.tasks", "INLINE",
    )  # fmt: skip
    assert "ToleratedFailurePercentage" not in collect  # a DISTRIBUTED Map's field; INLINE ignores it
    branch = collect["ItemProcessor"]["States"]
    assert branch["CollectBoard"]["Catch"][0]["Next"] == "BoardFailed"
    assert branch["BoardFailed"]["Type"] == "Pass" and branch["BoardFailed"]["End"] is True
    retried = branch["CollectBoard"]["Retry"][0]["ErrorEquals"]
    assert "SourceUnavailable" in retried and "SourceAuthError" not in retried


# Executions under tests.helpers.asl (the interpreter the template's executions use) ------------------------


def _canned(failing_airport: str | None = None) -> Any:
    """Each Lambda answers its canned payload; collect fails for ``failing_airport`` as a rejected key does."""

    def invoke(resource: str, parameters: dict[str, Any]) -> Any:
        function = parameters.get("FunctionName", "").rsplit(":", 1)[-1]
        if function == "collect" and parameters["Payload"].get("airport") == failing_airport:
            raise StatesError("SourceAuthError", '{"errorMessage": "401"}')
        if resource.startswith("arn:aws:states:::glue"):
            return CANNED["Process"]
        name = {"plan": "Plan", "collect": "CollectBoard", "verify": "Verify", "load": "Load"}.get(function)
        return CANNED[name] if name else {"Payload": {}}

    return invoke


def _two_airports() -> dict[str, Any]:
    plan = copy.deepcopy(CANNED["Plan"])
    plan["Payload"]["tasks"] = [
        {"airport": a, "board": b} for a in ("EDDF", "EDDM") for b in ("departures", "arrivals")
    ]
    return plan


def test_one_airports_failed_boards_end_their_iterations_and_the_day_goes_on(
    machine: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CANNED, "Plan", _two_airports())
    execution = Interpreter(machine, _canned(failing_airport="EDDM")).run({})
    assert execution.status == "SUCCEEDED"
    assert execution.entered.count("BoardFailed") == 2
    assert execution.attempts["CollectBoard"] == 4  # a rejected key is not retried
    assert execution.entered[-5:] == ["Process", "Load", "IsPartial", "NotifySuccess", "Done"]


def test_without_the_null_result_path_verify_fails_uncaught_and_nobody_is_notified(machine: dict[str, Any]) -> None:
    """What the template held while Stack.to_json_string dropped the nulls: the Map's output replaced the state."""
    dropped = copy.deepcopy(machine)
    del dropped["States"]["CollectBoards"]["ResultPath"]
    execution = Interpreter(dropped, _canned()).run({})
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert execution.entered[-1] == "Verify" and "NotifyFailure" not in execution.entered


def test_glue_runs_synchronously_with_the_verified_dates_and_quality_failures_are_routed(
    machine: dict[str, Any],
) -> None:
    process = machine["States"]["Process"]
    assert process["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert process["Parameters"]["Arguments"]["--flight_dates.$"] == "$.verified.result.flight_dates_arg"
    load = machine["States"]["Load"]
    assert load["Catch"][0] == {
        "ErrorEquals": [QUALITY_GATE_ERROR],
        "Next": "NotifyQualityFailure",
        "ResultPath": "$.error",
    }
    assert machine["States"]["NotifyQualityFailure"]["Parameters"]["Payload"]["event"] == "flightpipe.quality.failed"
    failure = machine["States"]["NotifyFailure"]["Parameters"]["Payload"]
    assert (failure["event"], failure["state"]) == ("flightpipe.run.failed", "failed")


def test_a_partial_run_is_notified_as_a_failed_run_in_state_partial(machine: dict[str, Any]) -> None:
    payload = machine["States"]["NotifyPartial"]["Parameters"]["Payload"]
    assert (payload["event"], payload["state"]) == ("flightpipe.run.failed", "partial")


def test_validation_finds_a_task_without_retry_or_catch(machine: dict[str, Any]) -> None:
    broken = copy.deepcopy(machine)
    del broken["States"]["Verify"]["Retry"]
    del broken["States"]["CollectBoards"]["ItemProcessor"]["States"]["CollectBoard"]["Catch"]
    assert sorted(validate(broken)) == [
        "CollectBoards/BoardFailed: unreachable from CollectBoard",
        "CollectBoards/CollectBoard: a Task without Catch",
        "Verify: a Task without Retry",
    ]


def test_validation_finds_unreachable_states_and_dangling_transitions(machine: dict[str, Any]) -> None:
    broken = copy.deepcopy(machine)
    broken["States"]["Orphan"] = {"Type": "Succeed"}
    broken["States"]["Load"]["Next"] = "Nowhere"
    problems = validate(broken)
    assert "Load: goes to 'Nowhere', which is not a state" in problems
    assert "Orphan: unreachable from Plan" in problems
    assert "IsPartial: unreachable from Plan" not in problems  # still reached through HasFlightDates


# Executions under moto ------------------------------------------------------------------------------------

#: What each Task returns, in the shape the real handler's result takes after the state's selectors.
CANNED = {
    "Plan": {"Payload": {"day": "2026-06-08", "run_id": "r1", "as_of": "2026-06-09T06:00:00+00:00",
                         "tasks": [{"airport": "EDDF", "board": b} for b in ("departures", "arrivals")],
                         "allow_quality_failures": False}},
    "CollectBoard": {"Payload": {"raw_key": "raw/EDDF/2026-06-08/departures-r1.json", "records": 10}},
    "Verify": {"Payload": {"flight_dates": ["2026-06-07", "2026-06-08"], "flight_dates_arg": "2026-06-07,2026-06-08",
                           "has_flight_dates": True, "missing_boards": 0}},
    "Process": {"Id": "jr_1", "JobRunState": "SUCCEEDED"},
    "Load": {"Payload": {"total_rows": 1234}},
}  # fmt: skip


def as_moto_can_run(machine: dict[str, Any], failing: str | None = None) -> dict[str, Any]:
    """Tasks become Pass states returning their canned result (moto runs no Lambda without Docker, and no
    Glue job); the ``failing`` Task keeps calling a function that does not exist, so its Catch is exercised."""
    out = copy.deepcopy(machine)

    def rewrite(states: dict[str, Any]) -> None:
        for name, state in states.items():
            if state["Type"] == "Map":
                rewrite(state["ItemProcessor"]["States"])
            if state["Type"] != "Task" or name == failing:
                continue
            keep = {k: v for k, v in state.items() if k in {"Next", "End", "ResultPath", "OutputPath"}}
            result = CANNED.get(name, {"Payload": {}})
            if "ResultSelector" in state:  # a Pass state has none: apply it to the canned result here
                result = {k.removesuffix(".$"): _at(result, v) for k, v in state["ResultSelector"].items()}
            states[name] = {"Type": "Pass", "Result": result, **keep}

    rewrite(out["States"])
    return out


def _at(document: dict[str, Any], path: str) -> Any:
    for part in path.removeprefix("$").strip(".").split("."):
        document = document[part] if part else document
    return document


def execute(machine: dict[str, Any], payload: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    import moto

    with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(
            name="flightpipe", definition=json.dumps(machine), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
        deadline = time.monotonic() + 30
        while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not finish"
            time.sleep(0.05)
        events = sfn.get_execution_history(executionArn=execution)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    return described, entered


@pytest.mark.slow
def test_a_good_day_runs_every_step_in_order_under_moto(machine: dict[str, Any]) -> None:
    described, entered = execute(as_moto_can_run(machine), {"time": "2026-06-09T04:00:00Z"})
    assert described["status"] == "SUCCEEDED"
    assert entered == [
        "Plan", "CollectBoards", "CollectBoard", "CollectBoard", "Verify", "HasFlightDates",
        "Process", "Load", "IsPartial", "NotifySuccess", "Done",
    ]  # fmt: skip
    output = json.loads(described["output"])
    assert output["loaded"] == {"total_rows": 1234} and output["processed"]["state"] == "SUCCEEDED"
    assert machine["States"]["NotifySuccess"]["Parameters"]["Payload"]["event"] == "flightpipe.run.succeeded"


def test_a_failing_load_is_caught_and_notified_under_moto(machine: dict[str, Any]) -> None:
    failing = as_moto_can_run(machine, failing="Load")
    failing["States"]["Load"]["Retry"] = [
        dict(r, IntervalSeconds=1, MaxAttempts=0) for r in machine["States"]["Load"]["Retry"]
    ]
    described, entered = execute(failing, {})
    assert described["status"] == "FAILED"
    assert entered[-3:] == ["Load", "NotifyFailure", "RunFailed"]
    assert described["error"] == "Lambda.ResourceNotFoundException"


def test_a_day_without_flight_dates_skips_glue_and_load_under_moto(machine: dict[str, Any]) -> None:
    runnable = as_moto_can_run(machine)
    runnable["States"]["Verify"]["Result"] = {"result": {"flight_dates": [], "flight_dates_arg": "",
                                                         "has_flight_dates": False, "missing_boards": 2}}  # fmt: skip
    described, entered = execute(runnable, {})
    assert described["status"] == "SUCCEEDED"
    assert "Process" not in entered and entered[-3:] == ["IsPartial", "NotifyPartial", "Done"]


def test_load_gets_the_collection_day_and_the_override_flag_under_moto(machine: dict[str, Any]) -> None:
    runnable = as_moto_can_run(machine)
    # Load as a Pass state with Load's own Parameters: the output shows what the Lambda would receive.
    runnable["States"]["Load"] = {
        "Type": "Pass",
        "Parameters": machine["States"]["Load"]["Parameters"]["Payload"],
        "ResultPath": "$.load_input",
        "Next": machine["States"]["Load"]["Next"],
    }
    described, _ = execute(runnable, {})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["load_input"] == {
        "run_id": "r1",
        "day": "2026-06-08",
        "flight_dates": ["2026-06-07", "2026-06-08"],
        "allow_quality_failures": False,
    }
