"""What every handler shares: settings from the environment, the object store, powertools' observability.

Only what the Lambda layer ships is imported here: flightpipe and its dependencies, aws-lambda-powertools
(and aws-xray-sdk for its tracer); boto3 comes with the Lambda runtime.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer

from flightpipe.aws.names import METRICS_NAMESPACE, SERVICE
from flightpipe.config import Settings, load_settings
from flightpipe.core import errors
from flightpipe.core.errors import ConfigError
from flightpipe.core.store import ObjectStore

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def base_error(exc: BaseException) -> BaseException:
    """``exc``, or, for a flightpipe error declared outside ``flightpipe.core.errors`` (a source's own, e.g.
    ``AviationstackPagesError``), the same message as its nearest base declared there: Step Functions matches a
    Lambda's errorType (the class name) exactly, and its retries name the base classes only."""
    if not isinstance(exc, errors.FlightpipeError) or type(exc).__module__ == errors.__name__:
        return exc
    base = next(cls for cls in type(exc).__mro__ if cls.__module__ == errors.__name__)
    raised: BaseException = base(*exc.args)
    return raised


def base_errors(handler: Callable[_P, _R]) -> Callable[_P, _R]:
    """A handler whose flightpipe errors leave it under their ``flightpipe.core.errors`` names (the original
    chained as the cause, so the log keeps it)."""

    @functools.wraps(handler)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return handler(*args, **kwargs)
        except errors.FlightpipeError as exc:
            raised = base_error(exc)
            if raised is exc:
                raise
            raise raised from exc

    return wrapper


def settings() -> Settings:
    """Settings from the function's FLIGHTPIPE__ environment (the stack sets data_dir, airports, source...)."""
    return load_settings()


def open_store(config: Settings) -> ObjectStore:
    """The object store; ``AWS_ENDPOINT_URL`` (moto in tests, a VPC endpoint) is honoured by s3fs too."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    options: dict[str, Any] = {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else {}
    # A Lambda container is reused: a cached listing from the last invocation must not hide new objects.
    options["skip_instance_cache"] = True
    return ObjectStore(config.data_dir, **options) if "://" in config.data_dir else ObjectStore(config.data_dir)


def parse_day(value: Any, what: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{what} must be a date YYYY-MM-DD, got {value!r}") from None


def parse_instant(value: Any, what: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what} must be an ISO 8601 timestamp, got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_flag(value: Any, what: str) -> bool:
    """An optional yes/no of an execution input: absent is false; JSON booleans, or "true"/"false" text."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ConfigError(f"{what} must be true or false, got {value!r}")


def required(event: dict[str, Any], name: str, handler: str) -> Any:
    if name not in event:
        raise ConfigError(f"the {handler} handler needs {name!r} in its input; got keys {sorted(event)}")
    return event[name]
