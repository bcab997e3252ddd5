"""One raw file through both runtimes, with quality settings that are not the defaults: the same output.

Both runtimes read the settings from the environment here (as the Lambda functions do), so one setting,
``codes_well_formed`` lowered to warn, must reach the local runner's transform, the transform Lambda (the S3
event) and the verify Lambda (a file whose event never came) alike: the same Parquet twin, byte for byte, and
the same quarantine.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from flightpipe.aws.handlers import transform, verify
from flightpipe.config import load_settings
from flightpipe.core.layout import RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.runner import run_day
from flightpipe.stages.transform import transform_raw_object
from tests.helpers.aws_helpers import FakeLambdaContext
from tests.integration.aws.conftest import drain_events

DAY = dt.date(2026, 6, 8)
AS_OF = dt.datetime(2026, 6, 20, 6, 0, tzinfo=dt.UTC)
CTX = FakeLambdaContext()


@pytest.fixture
def bad_codes_only_warned(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One airport whose records have malformed codes, and codes_well_formed at warn: kept, not quarantined."""
    monkeypatch.setenv("FLIGHTPIPE__AIRPORTS", "EDDH")
    monkeypatch.setenv("FLIGHTPIPE__SOURCE__DEFECTS__BAD_CODE", "0.05")
    monkeypatch.setenv("FLIGHTPIPE__QUALITY__CODES_WELL_FORMED__LEVEL", "warn")
    return aws


def _bytes_or_none(store: ObjectStore, key: str) -> bytes | None:
    return store.get(key) if store.exists(key) else None


@pytest.mark.slow
def test_a_raw_file_transforms_alike_locally_and_in_the_transform_and_verify_lambdas(
    bad_codes_only_warned: dict[str, Any], tmp_path: Path
) -> None:
    aws = bad_codes_only_warned
    local_settings = load_settings(data_dir=str(tmp_path / "local"))
    summary = run_day(local_settings, DAY, clock=lambda: AS_OF)
    local = ObjectStore(local_settings.data_dir)
    departures, arrivals = (
        next(k for k in local.list(f"raw/EDDH/{DAY}/") if RawKey.parse(k).board == board)
        for board in ("departures", "arrivals")
    )
    bucket = ObjectStore(f"s3://{aws['bucket']}/data", skip_instance_cache=True)

    bucket.put(departures, local.get(departures))  # its S3 event reaches the transform Lambda
    (event,) = [e for e in drain_events(aws) if "Records" in e]
    transformed = transform.handler(event, CTX)
    bucket.put(arrivals, local.get(arrivals))  # its event is lost: verify transforms it
    drain_events(aws)
    verified = verify.handler({"day": DAY.isoformat(), "run_id": summary.run_id}, CTX)

    assert transformed["transformed"] == [departures] and verified["repaired"] == [arrivals]
    assert verified["flight_dates"] == [d.isoformat() for d in summary.flight_dates]
    for raw_key in (departures, arrivals):
        key = RawKey.parse(raw_key)
        here = pq.read_table(io.BytesIO(local.get(key.transformed_key)))
        on_aws = pq.read_table(io.BytesIO(bucket.get(key.transformed_key)))
        assert on_aws.to_pylist() == here.to_pylist()
        assert bucket.get(key.transformed_key) == local.get(key.transformed_key)
        assert _bytes_or_none(bucket, key.quarantine_key) == _bytes_or_none(local, key.quarantine_key)
    assert transformed["rows"] == pq.read_metadata(local.local_path(RawKey.parse(departures).transformed_key)).num_rows

    # The setting mattered: with the default rules the same file loses its malformed records to quarantine.
    scratch = ObjectStore(str(tmp_path / "scratch"))
    scratch.put(departures, local.get(departures))
    assert transform_raw_object(scratch, departures).quarantined_by_rule.get("codes_well_formed", 0) > 0
