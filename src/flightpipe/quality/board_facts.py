"""A board's facts from the one raw file that judges it: its transformed rows and its quarantine entries.

The same function serves wherever the rows are: ``flightpipe check`` and the daily run read them back from the
store (``stages.check.board_facts``), and the batch transform builds them in its worker process from the tables
it has just written (``stages.transform_batch``), counted there (:func:`count_rows`) so that only a few numbers
travel back and the process running the checks reads nothing. Either way the rules see the same facts.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from flightpipe.core.schema import TRANSFORMED_SCHEMA
from flightpipe.quality.api import MAX_EXAMPLES, Level, Partition
from flightpipe.quality.facts import BoardFacts, RowCounts
from flightpipe.quality.quarantine import QuarantineEntry
from flightpipe.quality.records import RecordRuleSet, count_violations
from flightpipe.quality.rules import duplicate_counts, null_counts

NOT_TRANSFORMED = "the raw file was not transformed (see the transform step)"


def facts_of_file(
    partition: Partition,
    raw_key: str,
    rows: pa.Table | None,
    entries: list[QuarantineEntry],
    history: list[tuple[dt.date, float]],
    *,
    counted_with: RecordRuleSet | None = None,
) -> BoardFacts:
    """The facts of board ``partition`` whose latest raw file is ``raw_key``: its transformed ``rows`` (None: it
    has no Parquet twin) and its quarantine ``entries``.

    ``counted_with``: the record rules in force; given, the rows are counted now (:func:`count_rows`) and the
    facts carry the counts instead of the rows, and of the entries only those the checks show."""
    empty = TRANSFORMED_SCHEMA.empty_table()
    if len(entries) == 1 and entries[0].whole_file:
        return BoardFacts(
            partition, raw_key, entries[0].reason, 0, empty, 1, {entries[0].rule: 1}, history, entries=entries
        )
    if rows is None:
        return BoardFacts(partition, raw_key, NOT_TRANSFORMED, 0, empty, 0, history=history)
    by_rule: dict[str, int] = {}
    for entry in entries:
        by_rule[entry.rule] = by_rule.get(entry.rule, 0) + 1
    counts = count_rows(rows, counted_with) if counted_with is not None else None
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


def count_rows(rows: pa.Table, rules: RecordRuleSet) -> RowCounts:
    """What the board checks read of a board's transformed ``rows`` under the record ``rules`` in force: the
    counts ``null_share`` and ``duplicate_records`` judge, and the rows each warn-level record rule flags
    (``stages.check`` counts the same from the rows themselves when it has them)."""
    warned = {}
    if rows.num_rows:
        for rule, config in rules.at_level(Level.WARN).rules:
            count, examples = count_violations(rows, rule, config, describe_rows)
            warned[rule.name] = (config, count, examples)
    duplicates, repeated = duplicate_counts(rows) if rows.num_rows else (0, [])
    return RowCounts(rows.num_rows, null_counts(rows), duplicates, repeated, warned)


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
