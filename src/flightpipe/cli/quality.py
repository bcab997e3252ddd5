"""What ``flightpipe check`` and ``flightpipe quarantine`` compute and print."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from flightpipe.config import Settings
from flightpipe.core.layout import RawKey, processed_partition
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Kind, Outcome, Partition, RuleResult, Scope
from flightpipe.quality.facts import NoHistory, VolumeHistory
from flightpipe.quality.quarantine import quarantine_files, raw_key_of, read_entries
from flightpipe.quality.rules import RULES, rules_for
from flightpipe.stages.check import check_boards, check_flight_date
from flightpipe.state.ledger import Ledger

_COLOURS = {
    Outcome.PASS: "green",
    Outcome.WARN: "yellow",
    Outcome.FAIL: "bold red",
    Outcome.QUARANTINED: "magenta",
    Outcome.SKIP: "dim",
}


def check_date(settings: Settings, day: dt.date) -> list[RuleResult]:
    """Every rule for the boards of collection date ``day`` and for flight date ``day``, judged now from the
    layers as they are (and the stored volume history)."""
    store = ObjectStore(settings.data_dir)
    configs = settings.quality.rule_configs()
    ledger_path = settings.resolved_ledger_path()
    ledger = Ledger(ledger_path) if ledger_path.exists() else None
    history: VolumeHistory = ledger if ledger is not None else NoHistory()
    try:
        results = check_boards(store, configs, settings.airports, settings.boards, day, history)
    finally:
        if ledger is not None:
            ledger.close()
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


def print_results(console: Console, results: list[RuleResult], *, title: str) -> None:
    table = Table(title=title)
    for column in ("partition", "rule", "kind", "level", "outcome", "message", "examples"):
        table.add_column(column, overflow="fold")
    for r in results:
        colour = _COLOURS[r.outcome]
        table.add_row(
            r.partition.label if r.partition else "",
            r.rule,
            str(r.kind),
            "report" if r.rule in RULES and RULES[r.rule].report_only else str(r.level),
            f"[{colour}]{r.outcome}[/]",
            r.message,
            "\n".join(r.examples[:3]) if r.outcome is not Outcome.PASS else "",
        )
    console.print(table)
    tally = Counter(str(r.outcome) for r in results)
    console.print(", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items())))
    failed = [r for r in results if r.failed]
    if failed:
        console.print(
            f"[bold red]{len(failed)} fail-level results[/]: a run stops loading what they concern "
            "(QualityGateFailed); fix the cause and run again, or run with --allow-quality-failures"
        )


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    airport_icao: str
    board: str
    run_id: str
    rule: str
    reason: str
    count: int
    examples: list[str] = field(default_factory=list)


def quarantine_summary(settings: Settings, day: dt.date) -> list[QuarantineRow]:
    """What is in quarantine for collection date ``day``, grouped by raw file, rule and reason."""
    store = ObjectStore(settings.data_dir)
    rows: list[QuarantineRow] = []
    for key in quarantine_files(store, day, settings.airports):
        raw = RawKey.parse(raw_key_of(key))
        groups: dict[tuple[str, str], list[str]] = {}
        for entry in read_entries(store, key):
            groups.setdefault((entry.rule, entry.reason), []).append(entry.label)
        for (rule, reason), labels in groups.items():
            rows.append(QuarantineRow(raw.icao, str(raw.board), raw.run_id, rule, reason, len(labels), labels[:3]))
    return rows


def print_quarantine(console: Console, rows: list[QuarantineRow], *, title: str) -> None:
    if not rows:
        console.print(f"{title}: nothing quarantined")
        return
    table = Table(title=title)
    for column in ("airport", "board", "run", "rule", "reason", "records", "examples"):
        table.add_column(column, overflow="fold", justify="right" if column == "records" else "left")
    for row in rows:
        table.add_row(
            row.airport_icao, row.board, row.run_id, row.rule, row.reason, str(row.count), "\n".join(row.examples)
        )
    console.print(table)
    console.print(f"{sum(r.count for r in rows)} records quarantined")
