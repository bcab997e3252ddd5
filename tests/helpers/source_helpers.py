"""Collect one board from a source into a store and transform it, the way a run does: what landed."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from flightpipe.core.layout import Board, RawKey
from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.quality.records import RecordRuleSet
from flightpipe.sources.base import Source
from flightpipe.stages.collect import CollectResult, collect_board
from flightpipe.stages.transform import read_transformed, transform_raw_object


@dataclass
class Landed:
    collected: CollectResult
    envelope: dict[str, Any]
    rows: pa.Table
    quarantine: list[dict[str, Any]]

    def column(self, name: str) -> list[Any]:
        return list(self.rows.column(name).to_pylist())


def land_board(
    store: ObjectStore,
    source: Source,
    *,
    icao: str,
    day: dt.date,
    board: Board,
    as_of: dt.datetime,
    run_id: str = "r1",
    rules: RecordRuleSet | None = None,
) -> Landed:
    collected = collect_board(store, source, icao=icao, day=day, board=board, run_id=run_id, as_of=as_of)
    result = transform_raw_object(store, collected.raw_key, rules)
    rows = (
        read_transformed(store, result.transformed_key) if result.transformed_key else TRANSFORMED_SCHEMA.empty_table()
    )
    key = RawKey.parse(collected.raw_key)
    quarantine = (
        [json.loads(line) for line in store.get(key.quarantine_key).decode().splitlines() if line]
        if store.exists(key.quarantine_key)
        else []
    )
    return Landed(collected, json.loads(store.get(collected.raw_key)), rows, quarantine)
