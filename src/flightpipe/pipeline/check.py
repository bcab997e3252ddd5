"""``flightpipe check``: every quality rule of one date, judged now from the layers as they are stored."""

from __future__ import annotations

import datetime as dt

from flightpipe.config import Settings
from flightpipe.core.layout import processed_partition
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Kind, Partition, RuleResult, Scope
from flightpipe.quality.facts import NoHistory
from flightpipe.quality.rules import rules_for
from flightpipe.stages.check import check_boards, check_flight_date
from flightpipe.state.store import StateStore


def check_date(settings: Settings, day: dt.date) -> list[RuleResult]:
    """Every rule for the boards of collection date ``day`` and for flight date ``day``, judged now from the
    layers as they are (and the stored volume history)."""
    store = ObjectStore(settings.data_dir)
    configs = settings.quality.rule_configs()
    ledger_path = settings.resolved_ledger_path()
    # The volume rules compare with the history in the ledger; without a ledger (nothing ran here yet) there is
    # none, and opening one would create an empty file.
    if ledger_path.exists():
        with StateStore.open(ledger_path, read_only=True) as state:
            results = check_boards(store, configs, settings.airports, settings.boards, day, state.quality)
    else:
        results = check_boards(store, configs, settings.airports, settings.boards, day, NoHistory())
    # Any Parquet file of the partition: the DuckDB step writes one file, the Glue job part-*-<uuid> files
    # (check_flight_date reads the whole partition either way).
    if any(key.endswith(".parquet") for key in store.list(processed_partition(day))):
        results += check_flight_date(store, configs, day)
    else:
        partition = Partition(Scope.FLIGHT_DATE, day)
        for rule in rules_for(Scope.FLIGHT_DATE):
            skipped = configs[rule.name].skipped("flight date not processed (no processed partition)")
            results.append(skipped.at(partition, Kind.DATASET))
    return results
