"""Step Functions matches error names exactly: the retry lists come from the error hierarchy, and every
flightpipe error a handler can raise reaches the state machine under a name those lists use."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

import pytest

import flightpipe
from flightpipe.aws.runtime import base_error, base_errors
from flightpipe.aws.state_machine import Targets, definition, error_names, task_states
from flightpipe.core import errors
from flightpipe.sources.aviationstack.client import AviationstackPagesError

TARGETS = Targets(*(f"arn:{n}" for n in ("plan", "collect", "verify", "load", "notify", "job", "s3://b", "db", "t")))


@functools.cache
def _all_flightpipe_errors() -> set[type[errors.FlightpipeError]]:
    """Every FlightpipeError subclass of the package: each module imported, then the tree walked."""
    for module in pkgutil.walk_packages(flightpipe.__path__, "flightpipe."):
        if ".web" in module.name or module.name.endswith("__main__"):
            continue  # optional extras
        try:
            importlib.import_module(module.name)
        except ImportError:
            continue
    found: set[type[errors.FlightpipeError]] = set()
    todo: list[type[errors.FlightpipeError]] = [errors.FlightpipeError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def _core_subclasses(names: list[str]) -> set[str]:
    """The names of the core classes named in ``names`` and of every class declared there below them."""
    named = [getattr(errors, n) for n in names if isinstance(getattr(errors, n, None), type)]
    return {cls.__name__ for cls in _all_flightpipe_errors() if cls.__module__ == errors.__name__ and named
            and issubclass(cls, tuple(named))}  # fmt: skip


def test_every_retry_that_names_a_flightpipe_error_names_each_of_its_subclasses_too() -> None:
    retries = [(path, r["ErrorEquals"]) for path, task in task_states(definition(TARGETS)) for r in task["Retry"]]
    named = [(path, names) for path, names in retries if any(hasattr(errors, n) for n in names)]
    assert [path for path, _ in named] == ["CollectBoards/CollectBoard", "Verify", "Load"]
    for path, names in named:
        assert {n for n in names if hasattr(errors, n)} == _core_subclasses(names), path


def test_error_names_lists_a_base_and_its_core_subclasses() -> None:
    assert error_names(errors.SourceError) == [
        "SourceError", "QuotaExceeded", "SourceAuthError", "SourceUnavailable", "SourceResponseError",
        "DayNotAvailableYet",
    ]  # fmt: skip


def test_every_flightpipe_error_reaches_step_functions_under_a_core_name() -> None:
    outside = [cls for cls in _all_flightpipe_errors() if cls.__module__ != errors.__name__]
    assert AviationstackPagesError in outside
    for cls in outside:
        try:
            instance = cls("message")
        except TypeError:
            continue  # needs other arguments; its base is still found by the same walk
        raised = base_error(instance)
        assert type(raised).__module__ == errors.__name__ and isinstance(instance, type(raised)), cls


def test_a_handler_raises_a_source_error_under_its_base_name_with_the_original_as_cause() -> None:
    original = AviationstackPagesError("page 3: 503, retries exhausted")

    @base_errors
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise original

    with pytest.raises(errors.SourceUnavailable) as raised:
        handler({}, None)
    assert type(raised.value) is errors.SourceUnavailable
    assert str(raised.value) == "page 3: 503, retries exhausted" and raised.value.__cause__ is original
