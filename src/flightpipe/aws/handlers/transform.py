"""transform: S3 event notifications on ``raw/`` in, Parquet twins out.

S3 delivers at least once and in no particular order, so the handler is a function of the object alone: a
raw key whose twin exists is skipped (a duplicate event changes nothing), and order cannot matter because
every raw key is written once and never again. The file is transformed under the configured record rules, as
the local runner transforms it (``flightpipe.pipeline.transform``). Keys arrive URL-encoded (``+`` for a space,
``%3D`` for ``=``); ``s3:TestEvent`` (sent when a notification is configured), keys outside ``raw/`` and files
in ``raw/`` that are not raw keys are acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from flightpipe.aws.names import DIM_AIRPORT, METRICS_NAMESPACE, RECORDS_QUARANTINED, ROWS_TRANSFORMED
from flightpipe.aws.runtime import base_errors, logger, open_store, settings, tracer
from flightpipe.core.layout import RAW, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.transform import RawTransform
from flightpipe.stages.transform import TransformResult, is_transformed


def store_keys(event: dict[str, Any], store_url: str) -> tuple[list[str], list[str]]:
    """The raw keys (relative to the store) an S3 event names, and what it named that is not ours."""
    if event.get("Event") == "s3:TestEvent":
        return [], ["s3:TestEvent"]
    bucket, _, prefix = store_url.removeprefix("s3://").partition("/")
    prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    keys, ignored = [], []
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        key = unquote_plus(str(s3.get("object", {}).get("key", "")))
        name = str(record.get("eventName", ""))
        relative = key.removeprefix(prefix) if key.startswith(prefix) else None
        if (
            s3.get("bucket", {}).get("name") != bucket
            or not name.startswith("ObjectCreated")
            or relative is None
            or not relative.startswith(f"{RAW}/")
            or not relative.endswith(".json")
        ):
            ignored.append(f"{name} s3://{s3.get('bucket', {}).get('name')}/{key}")
            continue
        if RawKey.parse_or_none(relative) is None:
            # Someone's file in raw/ (README.json, "departures-copy (1).json"): not ours, so not an error to retry
            # into the failure queue; the local commands skip it with the same warning.
            logger.warning("ignoring %s: not a raw file of flightpipe", relative)
            ignored.append(f"{name} s3://{s3.get('bucket', {}).get('name')}/{key} (not a raw key)")
            continue
        if relative not in keys:  # one event may repeat a key; do it once
            keys.append(relative)
    return keys, ignored


def transform_keys(
    store: ObjectStore, keys: list[str], transform: RawTransform | None = None
) -> tuple[list[TransformResult], list[str]]:
    """Transform the raw ``keys`` that lack their twin; ``transform`` defaults to the configured rules."""
    if transform is None:
        transform = RawTransform.configured(settings(), store)
    done, skipped = [], []
    for key in keys:
        if is_transformed(store, key):
            skipped.append(key)  # a duplicate or late event: the twin is there, nothing to change
            continue
        result = transform(key)
        done.append(result)
        airport = RawKey.parse(key).icao
        for name, value in ((ROWS_TRANSFORMED, result.rows_out), (RECORDS_QUARANTINED, result.quarantined)):
            with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=METRICS_NAMESPACE) as metric:
                metric.add_dimension(name=DIM_AIRPORT, value=airport)
    return done, skipped


def transform_event(event: dict[str, Any]) -> dict[str, Any]:
    config = settings()
    keys, ignored = store_keys(event, config.data_dir)
    store = open_store(config)
    done, skipped = transform_keys(store, keys, RawTransform.configured(config, store))
    return {
        "transformed": [r.raw_key for r in done],
        "rows": sum(r.rows_out for r in done),
        "quarantined": sum(r.quarantined for r in done),
        "skipped_already_transformed": skipped,
        "ignored": ignored,
    }


@base_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = transform_event(event)
    logger.info("transform event handled", extra=result)
    return result
