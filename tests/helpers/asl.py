"""A small Amazon States Language interpreter (JSONPath mode) for the subset flightpipe's state machine uses.

Why not moto's Step Functions interpreter: it invokes a Lambda only inside Docker (not available here) and runs
no Glue job, so its Tasks would have to be rewritten into Pass states, which is exactly what must not happen to
the definition under test. This interpreter runs a definition as written and hands every Task to the test's
``invoke(resource, parameters)``, which calls the real handler (or the Glue job) and returns its result, or
raises ``StatesError`` as the service would.

Supported, with the service's semantics: Task, Map (INLINE; ItemsPath, ItemProcessor), Choice (Variable with
BooleanEquals / NumericGreaterThan / NumericEquals / StringEquals / IsPresent, And / Or / Not, Default), Pass,
Succeed, Fail (Error/ErrorPath, Cause/CausePath); InputPath, Parameters (``.$`` keys: JSONPath, ``$$.`` context
paths, ``States.ArrayLength``), ResultSelector, ResultPath (``null`` keeps the input), OutputPath; Retry
(counted, never slept) and Catch with ``States.ALL`` and ``States.TaskFailed``. A path that does not exist
raises ``States.Runtime``, which no Catch catches: the execution fails, as it does on AWS. A field it does not
know fails loudly instead of being ignored.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Errors States.ALL does not match (the execution fails at once).
UNCATCHABLE = {"States.Runtime", "States.DataLimitExceeded"}

_COMMON = {"Type", "Comment", "Next", "End", "InputPath", "OutputPath"}
_FIELDS = {
    "Task": _COMMON | {"Resource", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "TimeoutSeconds"},
    "Map": _COMMON | {"ItemsPath", "ItemProcessor", "MaxConcurrency", "ResultSelector", "ResultPath", "Retry", "Catch"},
    "Pass": _COMMON | {"Parameters", "Result", "ResultPath"},
    "Choice": {"Type", "Comment", "Choices", "Default", "InputPath", "OutputPath"},
    "Succeed": {"Type", "Comment", "InputPath", "OutputPath"},
    "Fail": {"Type", "Comment", "Error", "ErrorPath", "Cause", "CausePath"},
}


class StatesError(Exception):
    """A failure as Step Functions names it: ``error`` (e.g. a Lambda's errorType) and ``cause``."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass
class Execution:
    status: str = "RUNNING"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    #: Every state entered, in order (Map iterations included, one after the other).
    entered: list[str] = field(default_factory=list)
    #: Attempts per Task state name (1 + its retries).
    attempts: Counter[str] = field(default_factory=Counter)


_MISSING = object()


def read_path(document: Any, path: str) -> Any:
    """``$``, ``$.a.b``, ``$.a[0]``; ``_MISSING`` when a step is absent."""
    if not path.startswith("$"):
        raise StatesError("States.Runtime", f"not a JSONPath: {path!r}")
    current = document
    for part in path[1:].replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = int(part.strip("[]"))
            if not isinstance(current, list) or index >= len(current):
                return _MISSING
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _required(document: Any, path: str, what: str) -> Any:
    value = read_path(document, path)
    if value is _MISSING:
        raise StatesError("States.Runtime", f"{what}: the JSONPath {path!r} could not be found in the input")
    return value


def _intrinsic(text: str, document: Any) -> Any:
    name, _, argument = text.partition("(")
    argument = argument.removesuffix(")").strip()
    if name == "States.ArrayLength":
        return len(_required(document, argument, name))
    raise StatesError("States.Runtime", f"intrinsic {name} is not supported by this interpreter")


def apply_parameters(template: Any, document: Any, context: dict[str, Any]) -> Any:
    if isinstance(template, list):
        return [apply_parameters(v, document, context) for v in template]
    if not isinstance(template, dict):
        return template
    out: dict[str, Any] = {}
    for key, value in template.items():
        if key.endswith(".$"):
            text = str(value)
            if text.startswith("$$"):
                out[key[:-2]] = _required(context, text[1:], key)
            elif text.startswith("States."):
                out[key[:-2]] = _intrinsic(text, document)
            else:
                out[key[:-2]] = _required(document, text, key)
        else:
            out[key] = apply_parameters(value, document, context)
    return out


def merge_result(raw_input: Any, result: Any, result_path: Any) -> Any:
    if result_path is None:
        return raw_input
    if result_path == "$":
        return result
    parts = str(result_path).removeprefix("$.").split(".")
    merged = copy.deepcopy(raw_input)
    if not isinstance(merged, dict):
        raise StatesError("States.Runtime", f"ResultPath {result_path} needs an object input")
    node = merged
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = result
    return merged


def _select(document: Any, path: Any, what: str) -> Any:
    if path is None:
        return {}
    return _required(document, str(path), what)


def _matches(names: list[str], error: str) -> bool:
    if error in UNCATCHABLE:
        return False
    return error in names or "States.ALL" in names or ("States.TaskFailed" in names and error != "States.Timeout")


class Interpreter:
    def __init__(self, definition: dict[str, Any], invoke: Invoke, *, execution_id: str = "arn:execution:1") -> None:
        self.definition = definition
        self.invoke = invoke
        self.context = {"Execution": {"Id": execution_id}}
        self.execution = Execution()

    def run(self, execution_input: Any) -> Execution:
        try:
            self.execution.output = self._machine(self.definition, execution_input)
            self.execution.status = "SUCCEEDED"
        except StatesError as failure:
            self.execution.status = "FAILED"
            self.execution.error, self.execution.cause = failure.error, failure.cause
        return self.execution

    def _machine(self, machine: dict[str, Any], document: Any) -> Any:
        states = machine["States"]
        name = machine["StartAt"]
        while True:
            state = states[name]
            unknown = set(state) - _FIELDS[state["Type"]]
            if unknown:
                raise AssertionError(f"{name}: fields this interpreter does not know: {sorted(unknown)}")
            self.execution.entered.append(name)
            kind = state["Type"]
            if kind == "Succeed":
                return _select(_select(document, state.get("InputPath", "$"), name), state.get("OutputPath", "$"), name)
            if kind == "Fail":
                error = _required(document, state["ErrorPath"], name) if "ErrorPath" in state else state.get("Error")
                cause = _required(document, state["CausePath"], name) if "CausePath" in state else state.get("Cause")
                raise _Failed(str(error), str(cause or ""))
            if kind == "Choice":
                chosen = self._choose(state, _select(document, state.get("InputPath", "$"), name), name)
                document = _select(
                    _select(document, state.get("InputPath", "$"), name), state.get("OutputPath", "$"), name
                )
                name = chosen
                continue
            try:
                document = self._run_state(name, state, document)
            except _Caught as caught:
                document, name = caught.document, caught.next_state
                continue
            if state.get("End"):
                return document
            name = state["Next"]

    def _run_state(self, name: str, state: dict[str, Any], raw: Any) -> Any:
        effective = _select(raw, state.get("InputPath", "$"), name)
        kind = state["Type"]
        if kind == "Pass":
            if "Parameters" in state:
                result = apply_parameters(state["Parameters"], effective, self.context)
            else:
                result = state.get("Result", effective)
            return _select(merge_result(raw, result, state.get("ResultPath", "$")), state.get("OutputPath", "$"), name)
        retried: Counter[int] = Counter()
        while True:
            try:
                if kind == "Task":
                    self.execution.attempts[name] += 1
                    parameters = apply_parameters(state.get("Parameters", effective), effective, self.context)
                    result = self.invoke(state["Resource"], parameters)
                else:
                    result = self._map(state, effective, name)
                if "ResultSelector" in state:
                    result = apply_parameters(state["ResultSelector"], result, self.context)
                merged = merge_result(raw, result, state.get("ResultPath", "$"))
                return _select(merged, state.get("OutputPath", "$"), name)
            except _Failed:
                raise
            except StatesError as failure:
                if failure.error in UNCATCHABLE:
                    raise
                retry = next(
                    (i for i, r in enumerate(state.get("Retry", [])) if _matches(r["ErrorEquals"], failure.error)),
                    None,
                )
                if retry is not None and retried[retry] < state["Retry"][retry].get("MaxAttempts", 3):
                    retried[retry] += 1
                    continue
                for catcher in state.get("Catch", []):
                    if _matches(catcher["ErrorEquals"], failure.error):
                        error_output = {"Error": failure.error, "Cause": failure.cause}
                        merged = merge_result(raw, error_output, catcher.get("ResultPath", "$"))
                        raise _Caught(merged, catcher["Next"]) from failure
                raise

    def _map(self, state: dict[str, Any], effective: Any, name: str) -> list[Any]:
        processor = state["ItemProcessor"]
        mode = processor.get("ProcessorConfig", {}).get("Mode", "INLINE")
        if mode != "INLINE":
            raise AssertionError(f"{name}: only INLINE Maps are supported, got {mode}")
        items = _required(effective, state.get("ItemsPath", "$"), f"{name}.ItemsPath")
        machine = {k: v for k, v in processor.items() if k != "ProcessorConfig"}
        results = []
        for item in items:
            try:
                results.append(self._machine(machine, item))
            except _Failed as failed:  # a failed iteration fails the Map with its error (catchable)
                raise StatesError(failed.error, failed.cause) from failed
        return results

    def _choose(self, state: dict[str, Any], document: Any, name: str) -> str:
        for rule in state["Choices"]:
            if _rule_holds(rule, document, name):
                return str(rule["Next"])
        if "Default" not in state:
            raise StatesError("States.NoChoiceMatched", name)
        return str(state["Default"])


def _rule_holds(rule: dict[str, Any], document: Any, name: str) -> bool:
    if "And" in rule:
        return all(_rule_holds(r, document, name) for r in rule["And"])
    if "Or" in rule:
        return any(_rule_holds(r, document, name) for r in rule["Or"])
    if "Not" in rule:
        return not _rule_holds(rule["Not"], document, name)
    if "IsPresent" in rule:
        return (read_path(document, rule["Variable"]) is not _MISSING) == rule["IsPresent"]
    value = _required(document, rule["Variable"], f"{name}.Choices")
    for operator, test in (
        ("BooleanEquals", lambda v, x: isinstance(v, bool) and v == x),
        ("NumericGreaterThan", lambda v, x: not isinstance(v, bool) and isinstance(v, int | float) and v > x),
        ("NumericEquals", lambda v, x: not isinstance(v, bool) and isinstance(v, int | float) and v == x),
        ("StringEquals", lambda v, x: isinstance(v, str) and v == x),
    ):
        if operator in rule:
            return bool(test(value, rule[operator]))
    raise AssertionError(f"{name}: a choice rule this interpreter does not know: {json.dumps(rule)}")


class _Caught(Exception):
    def __init__(self, document: Any, next_state: str) -> None:
        super().__init__(next_state)
        self.document = document
        self.next_state = next_state


class _Failed(StatesError):
    """A Fail state was reached: the (sub-)machine ends with this error, past every Catch of its own states."""
