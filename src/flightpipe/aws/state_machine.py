"""The Step Functions definition (Amazon States Language, JSONPath), built here and used by the CDK stack.

    Plan -> CollectBoards (Map over airports x boards; Retry with backoff and jitter; a board that still fails
            ends its own iteration with a failed marker, so one airport never sinks the day)
         -> Verify -> HasFlightDates? -> Process (glue:startJobRun.sync)
         -> Load -> Partial? -> NotifySuccess | NotifyPartial -> Done
    any failure -> NotifyFailure -> RunFailed;  QualityGateFailed at Load -> NotifyQualityFailure -> QualityFailed

Error names in ``ErrorEquals`` are flightpipe's exception class names (a Lambda's errorType), so the retry
policy says which failures are worth another attempt: an unavailable source is, refused credentials are not.
Step Functions matches names exactly, so the handlers raise the base names of ``flightpipe.core.errors``
(``flightpipe.aws.runtime.base_errors``) and ``error_names`` lists a base with every subclass declared there.
``validate`` checks the structure the tests and the stack rely on.

No state sets ``ResultPath`` to ``None`` in a way a serialiser may drop: the stack writes the definition with
``json.dumps`` (nulls kept), and a test compares the synthesized template's definition with this one as JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flightpipe.aws.names import (
    ALLOW_QUALITY_FAILURES,
    QUALITY_FAILED,
    QUALITY_GATE_ERROR,
    RUN_FAILED,
    RUN_STATE_FAILED,
    RUN_STATE_PARTIAL,
    RUN_SUCCEEDED,
)
from flightpipe.core import errors
from flightpipe.core.errors import LoadError, SourceUnavailable, StoreError

#: Transient failures of the Lambda service itself, worth retrying for every function.
LAMBDA_TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
]


@dataclass(frozen=True, slots=True)
class Targets:
    """What the state machine calls: function ARNs and the Glue job, plus the run's knobs."""

    plan_function: str
    collect_function: str
    verify_function: str
    load_function: str
    notify_function: str
    glue_job: str
    data_url: str
    glue_database: str
    glue_table: str
    max_concurrency: int = 10
    #: The run's deadline: an execution still running after this times out (and alarms).
    timeout_seconds: int = 3 * 3600


def error_names(*bases: type[errors.FlightpipeError]) -> list[str]:
    """``bases`` and every subclass of them in ``flightpipe.core.errors``, by name: what a retry must list, as the
    handlers raise only those names (a subclass declared elsewhere is raised as its base there)."""
    declared = [
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.FlightpipeError) and cls.__module__ == errors.__name__
    ]
    return [cls.__name__ for cls in declared if issubclass(cls, bases)]


def _retry(errors: list[str], *, interval: int, attempts: int, max_delay: int = 300) -> dict[str, Any]:
    return {
        "ErrorEquals": errors,
        "IntervalSeconds": interval,
        "MaxAttempts": attempts,
        "BackoffRate": 2.0,
        "MaxDelaySeconds": max_delay,
        "JitterStrategy": "FULL",  # many boards retrying at once must not hit a source in lockstep
    }


def _invoke(function: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, **({"Payload": payload} if payload else {"Payload.$": "$"})},
    }


def _catch_all(next_state: str) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "Next": next_state, "ResultPath": "$.error"}


def _notify(
    targets: Targets, event: str, next_state: str, *, with_error: bool, state: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"event": event, "run.$": "$", "execution.$": "$$.Execution.Id"}
    if state is not None:  # run.failed stands for a failed and a partial run alike, as it does locally
        payload["state"] = state
    if with_error:
        payload["error.$"] = "$.error"
    return {
        **_invoke(targets.notify_function, payload),
        "ResultPath": None,
        "Retry": [_retry([*LAMBDA_TRANSIENT, "States.TaskFailed"], interval=2, attempts=3)],
        # A notification that cannot be sent still ends the run in the state it reached; the alarm on failed
        # executions (and on the notify function's errors) covers the silence.
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "NotificationFailed", "ResultPath": "$.notify_error"}],
        "Next": next_state,
    }


def definition(targets: Targets) -> dict[str, Any]:
    collect_branch = {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "CollectBoard",
        "States": {
            "CollectBoard": {
                **_invoke(targets.collect_function),
                "OutputPath": "$.Payload",
                "Retry": [
                    _retry(error_names(SourceUnavailable, StoreError), interval=30, attempts=3, max_delay=600),
                    _retry(LAMBDA_TRANSIENT, interval=2, attempts=4),
                ],
                "Catch": [_catch_all("BoardFailed")],
                "End": True,
            },
            # The iteration ends with a failed marker, not a failure: an INLINE Map fails as a whole on one failed
            # iteration (ToleratedFailurePercentage is for DISTRIBUTED Maps only). Verify counts the raw files
            # that did not land and the load's quality gate holds their airport, as the local runner does.
            "BoardFailed": {
                "Type": "Pass",
                "Parameters": {
                    "failed": True,
                    "airport.$": "$.airport",
                    "board.$": "$.board",
                    "error.$": "$.error.Error",
                },
                "End": True,
            },
        },
    }
    states: dict[str, Any] = {
        "Plan": {
            **_invoke(targets.plan_function),
            "OutputPath": "$.Payload",
            "Retry": [_retry(LAMBDA_TRANSIENT, interval=2, attempts=3)],
            "Catch": [_catch_all("NotifyFailure")],
            "Next": "CollectBoards",
        },
        "CollectBoards": {
            "Type": "Map",
            "ItemsPath": "$.tasks",
            "MaxConcurrency": targets.max_concurrency,
            "ItemProcessor": collect_branch,
            "ResultPath": None,  # verify looks at what landed; the branch outputs are in the history
            "Catch": [_catch_all("NotifyFailure")],  # what no iteration catches (States.Runtime is not caught)
            "Next": "Verify",
        },
        "Verify": {
            **_invoke(
                targets.verify_function,
                {"day.$": "$.day", "run_id.$": "$.run_id", "expected_files.$": "States.ArrayLength($.tasks)"},
            ),
            "ResultSelector": {"result.$": "$.Payload"},
            "ResultPath": "$.verified",
            "Retry": [
                _retry(error_names(StoreError), interval=10, attempts=3),
                _retry(LAMBDA_TRANSIENT, interval=2, attempts=4),
            ],
            "Catch": [_catch_all("NotifyFailure")],
            "Next": "HasFlightDates",
        },
        "HasFlightDates": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.verified.result.has_flight_dates", "BooleanEquals": True, "Next": "Process"}],
            "Default": "IsPartial",
        },
        "Process": {
            "Type": "Task",
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {
                "JobName": targets.glue_job,
                "Arguments": {
                    "--data_url": targets.data_url,
                    "--flight_dates.$": "$.verified.result.flight_dates_arg",
                    "--database": targets.glue_database,
                    "--table": targets.glue_table,
                },
            },
            "ResultSelector": {"job_run_id.$": "$.Id", "state.$": "$.JobRunState"},
            "ResultPath": "$.processed",
            "Retry": [
                _retry(["Glue.ConcurrentRunsExceededException", "Glue.ThrottlingException"], interval=60, attempts=5),
                _retry(["States.TaskFailed"], interval=60, attempts=1),
            ],
            "Catch": [_catch_all("NotifyFailure")],
            "Next": "Load",
        },
        "Load": {
            # The load gates on quality: it checks the boards of the collection day and takes the override flag
            # plan passed on from the execution input.
            **_invoke(
                targets.load_function,
                {
                    "run_id.$": "$.run_id",
                    "day.$": "$.day",
                    "flight_dates.$": "$.verified.result.flight_dates",
                    f"{ALLOW_QUALITY_FAILURES}.$": f"$.{ALLOW_QUALITY_FAILURES}",
                },
            ),
            "ResultSelector": {"total_rows.$": "$.Payload.total_rows"},
            "ResultPath": "$.loaded",
            "Retry": [
                _retry(error_names(LoadError), interval=30, attempts=2),
                _retry(LAMBDA_TRANSIENT, interval=2, attempts=4),
            ],
            "Catch": [
                {"ErrorEquals": [QUALITY_GATE_ERROR], "Next": "NotifyQualityFailure", "ResultPath": "$.error"},
                _catch_all("NotifyFailure"),
            ],
            "Next": "IsPartial",
        },
        "IsPartial": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.verified.result.missing_boards", "NumericGreaterThan": 0, "Next": "NotifyPartial"}
            ],
            "Default": "NotifySuccess",
        },
        "NotifySuccess": _notify(targets, RUN_SUCCEEDED, "Done", with_error=False),
        "NotifyPartial": _notify(targets, RUN_FAILED, "Done", with_error=False, state=RUN_STATE_PARTIAL),
        "NotifyQualityFailure": _notify(targets, QUALITY_FAILED, "QualityFailed", with_error=True),
        "NotifyFailure": _notify(targets, RUN_FAILED, "RunFailed", with_error=True, state=RUN_STATE_FAILED),
        "Done": {"Type": "Succeed"},
        "QualityFailed": {"Type": "Fail", "Error": QUALITY_GATE_ERROR, "Cause": "the quality gate stopped the load"},
        "RunFailed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        "NotificationFailed": {"Type": "Fail", "Error": "NotificationFailed", "Cause": "SNS notification not sent"},
    }
    return {
        "Comment": "flightpipe daily run: collect every airport and board, verify, process (Glue), load (Redshift)",
        "StartAt": "Plan",
        "TimeoutSeconds": targets.timeout_seconds,
        "States": states,
    }


# Validation -----------------------------------------------------------------------------------------------


def _successors(state: dict[str, Any]) -> Iterator[str]:
    if "Next" in state:
        yield state["Next"]
    if "Default" in state:
        yield state["Default"]
    for choice in state.get("Choices", []):
        yield choice["Next"]
    for catch in state.get("Catch", []):
        yield catch["Next"]


def _validate_machine(machine: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    states: dict[str, Any] = machine.get("States", {})
    start = machine.get("StartAt")
    if start not in states:
        return [f"{where}: StartAt {start!r} is not a state"]
    for name, state in states.items():
        kind = state.get("Type")
        targets = list(_successors(state))
        problems.extend(f"{where}{name}: goes to {t!r}, which is not a state" for t in targets if t not in states)
        terminal = kind in {"Succeed", "Fail"} or state.get("End") is True
        if kind == "Choice":
            terminal = False
            if "Default" not in state:
                problems.append(f"{where}{name}: a Choice needs a Default")
        elif not terminal and "Next" not in state:
            problems.append(f"{where}{name}: neither Next nor End")
        if terminal and "Next" in state:
            problems.append(f"{where}{name}: both terminal and Next")
        if kind == "Task":
            if not state.get("Retry"):
                problems.append(f"{where}{name}: a Task without Retry")
            if not state.get("Catch"):
                problems.append(f"{where}{name}: a Task without Catch")
        if kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            problems.extend(_validate_machine(processor, f"{where}{name}/"))
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current in seen or current not in states:
            continue
        seen.add(current)
        todo.extend(_successors(states[current]))
    problems.extend(f"{where}{name}: unreachable from {start}" for name in states if name not in seen)
    return problems


def validate(machine: dict[str, Any]) -> list[str]:
    """Problems with a definition: dangling transitions, unreachable states, Tasks without Retry or Catch."""
    return _validate_machine(machine, "")


def task_states(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Task, including those inside Map states, as (path, state)."""
    for name, state in machine.get("States", {}).items():
        if state.get("Type") == "Task":
            yield name, state
        if state.get("Type") == "Map":
            for inner, inner_state in task_states(state.get("ItemProcessor", {})):
                yield f"{name}/{inner}", inner_state
