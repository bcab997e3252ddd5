"""The quality check stage: gather the facts of a partition from the layers, run the rules, return the results.

Everything is read from the object store (and earlier results, for the volume history), so the runner after
a run and ``flightpipe check`` afterwards evaluate the same way (a range's reprocess hands in the boards' facts
its transform workers counted from the same rows, ``quality.board_facts``, instead of reading them back):

* a **board** partition (airport, board, collection date) is judged by its latest raw file: the transformed
  rows and quarantine entries that file produced, plus the history of its volume;
* a **flight date** is judged by its processed partition and the transformed rows that went into it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import pyarrow.compute as pc

from flightpipe.core.layout import Board, RawKey, processed_partition, raw_keys, raw_prefix
from flightpipe.core.parquet import read_parquet
from flightpipe.core.schema import PROCESSED_SCHEMA, TRANSFORMED_SCHEMA
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Kind, Level, Outcome, Partition, Rule, RuleConfig, RuleResult, Scope
from flightpipe.quality.board_facts import describe_rows, facts_of_file
from flightpipe.quality.facts import BoardFacts, FlightDateFacts, VolumeHistory
from flightpipe.quality.quarantine import QuarantineEntry, read_entries
from flightpipe.quality.records import count_violations
from flightpipe.quality.rules import RECORD_RULES, VOLUME_HISTORY_WEEKS, rules_for
from flightpipe.stages.process import (
    ProcessResult,
    distinct_records,
    read_partition,
    read_transformed_rows,
    transformed_keys,
)


def check_boards(
    store: ObjectStore,
    configs: Mapping[str, RuleConfig],
    airports: Sequence[str],
    boards: Sequence[Board | str],
    day: dt.date,
    history: VolumeHistory,
    counted: Iterable[BoardFacts] = (),
) -> list[RuleResult]:
    """Results of every record and board rule for each configured airport and board of collection date ``day``.

    ``counted``: facts of some of these boards built where their latest raw file was just transformed
    (``stages.transform_batch``), without history; the other boards' facts are read from the store."""
    known = {(f.partition.airport_icao, f.partition.board): f for f in counted if f.partition.date == day}
    results: list[RuleResult] = []
    for icao in airports:
        for board in boards:
            name = str(Board(board))
            facts = known.get((icao, name))
            if facts is None:
                facts = board_facts(store, icao, Board(board), day, history)
            else:
                facts = replace(facts, history=past_volumes(icao, name, day, history))
            results.extend(check_board(facts, configs))
    return results


def check_board(facts: BoardFacts, configs: Mapping[str, RuleConfig]) -> list[RuleResult]:
    results = [_record_rule_result(facts, rule_name, configs) for rule_name in _record_rule_names()]
    for rule in rules_for(Scope.BOARD):
        config = configs.get(rule.name, rule.default_config())
        if config.off:
            result = config.skipped(f"turned off ([quality.{rule.name}] off = true)")
        else:
            assert rule.check is not None
            result = rule.check(facts, config)
        results.append(result.at(facts.partition, Kind.DATASET))
    return results


def check_flight_date(
    store: ObjectStore,
    configs: Mapping[str, RuleConfig],
    flight_date: dt.date,
    processed: ProcessResult | None = None,
) -> list[RuleResult]:
    facts = flight_date_facts(store, flight_date, processed)
    results = []
    for rule in rules_for(Scope.FLIGHT_DATE):
        config = configs.get(rule.name, rule.default_config())
        if config.off:
            result = config.skipped(f"turned off ([quality.{rule.name}] off = true)")
        else:
            assert rule.check is not None
            result = rule.check(facts, config)
        results.append(result.at(facts.partition, Kind.DATASET))
    return results


# --------------------------------------------------------------------------------------------- facts


def latest_raw_key(store: ObjectStore, icao: str, board: Board, day: dt.date) -> str | None:
    """The newest collection of the board (run ids start with the collection time, so they sort by it)."""
    mine = [RawKey.parse(k) for k in raw_keys(store.list(raw_prefix(icao, day)))]
    mine = [k for k in mine if k.board is board]
    return max(mine, key=lambda k: k.run_id).key if mine else None


def past_volumes(icao: str, board: str, day: dt.date, history: VolumeHistory) -> list[tuple[dt.date, float]]:
    """The board's volumes on the same weekday of the earlier weeks ``volume_band`` looks at, newest first."""
    earlier = _earlier_weeks(day)
    volumes = history.volume_history(icao, board, earlier)
    return [(d, volumes[d]) for d in earlier if d in volumes]


def _earlier_weeks(day: dt.date) -> list[dt.date]:
    return [day - dt.timedelta(weeks=w) for w in range(1, VOLUME_HISTORY_WEEKS + 1)]


class RangeVolumes:
    """The volume ``history`` of the boards of a range of collection ``days``, read once: one query per board
    for every earlier date the days look back to, rather than one per board and day. The answers are the
    history's (the latest measurement of each date), as long as it does not change meanwhile: a run records its
    results at its end. A question outside what was read goes to ``history``."""

    def __init__(
        self,
        history: VolumeHistory,
        airports: Sequence[str],
        boards: Sequence[Board | str],
        days: Iterable[dt.date],
    ) -> None:
        self._history = history
        self._dates = sorted({earlier for day in days for earlier in _earlier_weeks(day)})
        self._read = {
            (icao, str(Board(board))): history.volume_history(icao, str(Board(board)), self._dates)
            for icao in airports
            for board in boards
        }

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        read = self._read.get((icao, board))
        if read is None or not set(dates) <= set(self._dates):
            return self._history.volume_history(icao, board, dates)
        return {d: read[d] for d in dates if d in read}


def board_facts(store: ObjectStore, icao: str, board: Board, day: dt.date, history: VolumeHistory) -> BoardFacts:
    partition = Partition(Scope.BOARD, day, icao, str(board))
    past = past_volumes(icao, str(board), day, history)
    raw_key = latest_raw_key(store, icao, board, day)
    if raw_key is None:
        return BoardFacts(partition, None, None, 0, TRANSFORMED_SCHEMA.empty_table(), 0, history=past)
    key = RawKey.parse(raw_key)
    entries = read_entries(store, key.quarantine_key) if store.exists(key.quarantine_key) else []
    rows = None
    if not (len(entries) == 1 and entries[0].whole_file) and store.exists(key.transformed_key):
        rows = read_parquet(store.get(key.transformed_key), TRANSFORMED_SCHEMA)
    return facts_of_file(partition, raw_key, rows, entries, past)


def flight_date_facts(store: ObjectStore, flight_date: dt.date, processed: ProcessResult | None) -> FlightDateFacts:
    partition = Partition(Scope.FLIGHT_DATE, flight_date)
    # The DuckDB step writes one file per partition, the Glue job part-*-<uuid> files: read_partition reads
    # either (reading only the DuckDB file name would judge a Glue partition as empty, and skip its rules).
    written = any(k.endswith(".parquet") for k in store.list(processed_partition(flight_date)))
    flights = read_partition(store, flight_date) if written else PROCESSED_SCHEMA.empty_table()
    if processed is not None:
        return FlightDateFacts(partition, processed.rows_in, flights, processed.codeshares, processed.duplicates_merged)
    # Without the process step's own counts (``flightpipe check``), count them again the way process does.
    rows = read_transformed_rows(store, transformed_keys(store, [flight_date]), [flight_date])
    codeshares = int(pc.sum(pc.list_value_length(flights["codeshare_flight_iatas"])).as_py() or 0)
    return FlightDateFacts(partition, rows.num_rows, flights, codeshares, rows.num_rows - distinct_records(rows))


# --------------------------------------------------------------------------------------------- record rules


def _record_rule_names() -> list[str]:
    return [rule.name for rule in RECORD_RULES]


def _record_rule_result(facts: BoardFacts, name: str, configs: Mapping[str, RuleConfig]) -> RuleResult:
    """A record rule's result for one board: how many records broke it, a few of them, and where they went."""
    rule = next(r for r in RECORD_RULES if r.name == name)
    config = configs.get(name, rule.default_config())
    partition = facts.partition
    if config.off:
        return config.skipped(f"turned off ([quality.{name}] off = true)").at(partition, Kind.RECORD)
    if not facts.collected and not facts.quarantined:
        return config.skipped("nothing collected").at(partition, Kind.RECORD)
    # Quarantined records carry the rule that sent them there; a warn-level rule is counted over the kept rows.
    quarantined = facts.quarantined_by_rule.get(name, 0)
    warned = 0
    examples = [_entry_example(e) for e in facts.entries if e.rule == name]
    if config.level is Level.WARN and rule.check is not None and facts.row_count:
        warned, warn_examples = _warned(facts, rule, config)
        examples += warn_examples
    total = facts.records_in
    counts = {"violations": float(quarantined + warned), "records": float(total)}
    if quarantined:
        result = RuleResult(
            rule=name,
            level=config.level,
            outcome=Outcome.QUARANTINED,
            message=f"{quarantined} of {total} records quarantined"
            + (f", {warned} kept with a warning" if warned else ""),
            threshold=config.threshold,
            counts=counts,
            examples=examples[:5],
        )
    elif warned:
        result = config.fired(f"{warned} of {total} records kept with a warning", examples=examples, counts=counts)
    else:
        result = config.passed(f"all {total} records pass", counts=counts)
    return result.at(partition, Kind.RECORD)


def _warned(facts: BoardFacts, rule: Rule, config: RuleConfig) -> tuple[int, list[str]]:
    """The rows breaking warn-level ``rule``, and a few: counted now from the rows, or where they were held."""
    if facts.counts is None:
        return count_violations(facts.table, rule, config, describe_rows)
    counted = facts.counts.warned.get(rule.name)
    if counted is None or counted[0] != config:
        raise ValueError(f"{facts.partition.label}: the rows were counted under other settings of {rule.name}")
    return counted[1], counted[2]


def _entry_example(entry: QuarantineEntry) -> str:
    return f"{entry.label}: {entry.reason}"
