"""``flightpipe quarantine``: what a date holds in quarantine, grouped, and what a replay recovered."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from flightpipe.config import load_settings
from flightpipe.core.layout import Board, RawKey
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.quarantined import QuarantineRow, ReplayAccount, quarantine_summary

DAY = dt.date(2026, 6, 9)


def _row(rule: str, count: int) -> QuarantineRow:
    return QuarantineRow("EDDH", "departures", "run-1", rule, "why", count)


def _quarantine(store: ObjectStore, raw: RawKey, *entries: tuple[str, str, str]) -> None:
    lines = [
        json.dumps({"raw_key": raw.key, "page": 1, "index": i, "rule": rule, "reason": reason, "record": {"number": n}})
        for i, (rule, reason, n) in enumerate(entries)
    ]
    store.put(raw.quarantine_key, ("\n".join(lines) + "\n").encode())


def test_quarantine_is_grouped_by_raw_file_rule_and_reason_with_three_examples(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"), airports="EDDH,EDDF")
    store = ObjectStore(settings.data_dir)
    departures = RawKey("EDDH", DAY, Board.DEPARTURES, "run-1")
    _quarantine(
        store,
        departures,
        *[("delay_consistent", "delay contradicts times", f"LH {n}") for n in range(4)],
        ("status_known", "status 'x' unknown", "LH 9"),
    )
    _quarantine(store, RawKey("EDDF", DAY, Board.ARRIVALS, "run-1"), ("parse", "not JSON", "EW 1"))
    _quarantine(store, RawKey("EDDM", DAY, Board.ARRIVALS, "run-1"), ("parse", "not JSON", "EW 2"))

    rows = quarantine_summary(settings, DAY)

    examples = [f"LH {n} (page 1 record {n})" for n in range(3)]
    assert rows == [
        QuarantineRow("EDDH", "departures", "run-1", "delay_consistent", "delay contradicts times", 4, examples),
        QuarantineRow(
            "EDDH", "departures", "run-1", "status_known", "status 'x' unknown", 1, ["LH 9 (page 1 record 4)"]
        ),
        QuarantineRow("EDDF", "arrivals", "run-1", "parse", "not JSON", 1, ["EW 1 (page 1 record 0)"]),
    ]  # EDDM is not a configured airport


def test_a_replay_recovered_what_left_the_quarantine() -> None:
    account = ReplayAccount(before=[_row("a", 7), _row("b", 3)], after=[_row("b", 2)])

    assert (account.recovered, account.still_quarantined) == (8, 2)


def test_a_replay_that_emptied_the_quarantine_leaves_nothing_quarantined() -> None:
    account = ReplayAccount(before=[_row("a", 5)], after=[])

    assert (account.recovered, account.still_quarantined) == (5, 0)
