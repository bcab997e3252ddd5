"""A board's facts from the one raw file that judges it: its transformed rows and its quarantine entries.

The same function serves wherever the rows are: ``flightpipe check`` and the daily run read them back from the
store (``stages.check.board_facts``), and the batch transform builds them in its worker process from the tables
it has just written (``stages.transform_batch``), counted there (:func:`counted_facts`: every board of a pass
at once) so that only a few numbers travel back and the process running the checks reads nothing. Either way the
rules see the same facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.quality.api import MAX_EXAMPLES, Level, Partition
from flightpipe.quality.facts import BoardFacts, RowCounts
from flightpipe.quality.quarantine import QuarantineEntry
from flightpipe.quality.records import RecordRuleSet, count_violations_by_file
from flightpipe.quality.rules import duplicate_counts_by_file, null_counts_by_file
from flightpipe.quality.segments import offsets_of

NOT_TRANSFORMED = "the raw file was not transformed (see the transform step)"


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """A board's latest raw file as its transform left it: its typed ``rows`` (None: it has no Parquet twin)
    and its quarantine ``entries``."""

    partition: Partition
    raw_key: str
    rows: pa.Table | None
    entries: list[QuarantineEntry]


def facts_of_file(
    partition: Partition,
    raw_key: str,
    rows: pa.Table | None,
    entries: list[QuarantineEntry],
    history: list[tuple[dt.date, float]],
) -> BoardFacts:
    """The facts of board ``partition`` whose latest raw file is ``raw_key``: its transformed ``rows`` (None: it
    has no Parquet twin) and its quarantine ``entries``; the rules count the rows."""
    return _facts(WrittenFile(partition, raw_key, rows, entries), history, None)


def counted_facts(files: Sequence[WrittenFile], rules: RecordRuleSet) -> list[BoardFacts]:
    """The facts of the boards whose latest raw ``files`` these are (without volume history), their rows counted
    now under the record ``rules`` in force, all files at once (:func:`count_rows`): the facts carry the counts
    instead of the rows, and of the entries only those the checks show."""
    counts = iter(count_rows([rows for f in files if (rows := _rows_to_count(f)) is not None], rules))
    return [_facts(f, [], next(counts) if _rows_to_count(f) is not None else None) for f in files]


def _rows_to_count(file: WrittenFile) -> pa.Table | None:
    """The rows of ``file`` the board checks count: none when it was quarantined whole or not transformed."""
    return None if _quarantined_whole(file.entries) else file.rows


def _facts(file: WrittenFile, history: list[tuple[dt.date, float]], counts: RowCounts | None) -> BoardFacts:
    partition, raw_key, rows, entries = file.partition, file.raw_key, file.rows, file.entries
    if _quarantined_whole(entries):
        empty = TRANSFORMED_SCHEMA.empty_table()
        return BoardFacts(
            partition, raw_key, entries[0].reason, 0, empty, 1, {entries[0].rule: 1}, history, entries=entries
        )
    if rows is None:
        return BoardFacts(partition, raw_key, NOT_TRANSFORMED, 0, TRANSFORMED_SCHEMA.empty_table(), 0, history=history)
    by_rule: dict[str, int] = {}
    for entry in entries:
        by_rule[entry.rule] = by_rule.get(entry.rule, 0) + 1
    return BoardFacts(
        partition=partition,
        raw_key=raw_key,
        corrupt_reason=None,
        records_in=rows.num_rows + len(entries),
        rows=rows if counts is None else None,
        quarantined=len(entries),
        quarantined_by_rule=by_rule,
        history=history,
        entries=entries if counts is None else _examples(entries),
        counts=counts,
    )


def _quarantined_whole(entries: list[QuarantineEntry]) -> bool:
    return len(entries) == 1 and entries[0].whole_file


def count_rows(tables: Sequence[pa.Table], rules: RecordRuleSet) -> list[RowCounts]:
    """What the board checks read of each board's transformed rows (one table per board) under the record
    ``rules`` in force: the counts ``null_share`` and ``duplicate_records`` judge, and the rows each warn-level
    record rule flags (``stages.check`` counts the same from the rows themselves when it has them).

    Counted over all tables at once (``quality.segments``): a few dozen pyarrow calls whatever the number of
    tables, where one table at a time cost about a millisecond each."""
    if not tables:
        return []
    rows = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    offsets = offsets_of([table.num_rows for table in tables])
    warned = []
    if rows.num_rows:
        for rule, config in rules.at_level(Level.WARN).rules:
            warned.append((rule.name, config, count_violations_by_file(rows, offsets, rule, config, describe_rows)))
    duplicates = duplicate_counts_by_file(rows, offsets)
    nulls = null_counts_by_file(rows, offsets)
    return [
        RowCounts(
            table.num_rows,
            nulls[i],
            *duplicates[i],
            {name: (config, *by_file[i]) for name, config, by_file in warned} if table.num_rows else {},
        )
        for i, table in enumerate(tables)
    ]


def describe_rows(rows: pa.Table) -> pa.Array:
    """A label per transformed row for examples: its flight number and flight date."""
    flight = pc.coalesce(rows["flight_iata"], rows["flight_icao"], pa.scalar("?"))
    return pc.binary_join_element_wise(flight, pc.cast(rows["flight_date"], pa.string()), " ")


def _examples(entries: list[QuarantineEntry]) -> list[QuarantineEntry]:
    """The first MAX_EXAMPLES entries of each rule, in order: all a record rule's result shows of them."""
    seen: dict[str, int] = {}
    kept = []
    for entry in entries:
        seen[entry.rule] = seen.get(entry.rule, 0) + 1
        if seen[entry.rule] <= MAX_EXAMPLES:
            kept.append(entry)
    return kept
