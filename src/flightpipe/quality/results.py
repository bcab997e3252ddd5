"""Quality results as they are stored: JSON beside the data, and Arrow rows for the warehouse table."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa

from flightpipe.core.layout import quality_board_key, quality_flight_date_key
from flightpipe.core.schema import QUALITY_RESULTS_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Kind, RuleResult, Scope

#: Which count is a result's headline figure (``observed`` in the warehouse), by rule; record rules: violations.
OBSERVED_COUNT = {
    "board_collected": "files",
    "volume_band": "records",
    "null_share": "share",
    "quarantine_share": "share",
    "duplicate_records": "share",
    "dedup_report": "duplicates_merged",
}


def observed(result: RuleResult) -> float | None:
    key = "violations" if result.kind is Kind.RECORD else OBSERVED_COUNT.get(result.rule, "")
    value = result.counts.get(key)
    return None if value is None else float(value)


def write_json(
    store: ObjectStore, run_id: str, checked_at: dt.datetime, results: list[RuleResult], gate: dict[str, Any]
) -> list[str]:
    """One JSON file per partition this run checked; returns the keys written."""
    by_partition: dict[tuple[Any, ...], list[RuleResult]] = {}
    for result in results:
        assert result.partition is not None
        p = result.partition
        by_partition.setdefault((p.scope, p.date, p.airport_icao, p.board), []).append(result)
    keys = []
    for (scope, day, icao, board), group in sorted(by_partition.items(), key=lambda item: str(item[0])):
        if scope is Scope.BOARD:
            key = quality_board_key(day, icao, board, run_id)
            extra: dict[str, Any] = {}
        else:
            key = quality_flight_date_key(day, run_id)
            extra = {"gate": gate.get(day.isoformat(), {"held": None})}
        body = {
            "run_id": run_id,
            "checked_at": checked_at.isoformat(timespec="seconds"),
            "partition": group[0].partition.as_dict() if group[0].partition else None,
            **extra,
            "results": [r.as_dict() for r in group],
        }
        # Compact: indenting takes Python off its C encoder (4x slower; a reprocess writes hundreds of these).
        store.put(key, json.dumps(body, separators=(",", ":"), default=str).encode("utf-8"))
        keys.append(key)
    return keys


def results_table(run_id: str, checked_at: dt.datetime, results: list[RuleResult]) -> pa.Table:
    """QUALITY_RESULTS_SCHEMA rows for the warehouse."""
    rows = []
    for r in results:
        assert r.partition is not None
        rows.append(
            {
                "run_id": run_id,
                "checked_at_utc": checked_at,
                "scope": str(r.partition.scope),
                "partition_date": r.partition.date,
                "airport_icao": r.partition.airport_icao,
                "board": r.partition.board,
                "rule": r.rule,
                "kind": str(r.kind),
                "level": str(r.level),
                "outcome": str(r.outcome),
                "threshold": r.threshold,
                "observed": observed(r),
                "message": r.message,
                "counts_json": json.dumps(r.counts, sort_keys=True),
                "examples": list(r.examples),
                "overridden": r.overridden,
            }
        )
    return pa.Table.from_pylist(rows, schema=QUALITY_RESULTS_SCHEMA)
