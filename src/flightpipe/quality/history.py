"""Quality history without the ledger: the JSON results every run writes beside the data, read back.

The Lambda functions have no SQLite ledger (nothing outlives an invocation but the bucket), yet the gate
needs what the ledger gives the local runner: the latest results of every board partition feeding a flight
date, the volumes earlier runs measured (for ``volume_band``) and which fails an override already let
through. Every run writes its results to ``quality/<date>/`` (:func:`flightpipe.quality.results.write_json`),
so those files are the history, and :class:`StoredQualityHistory` reads them. Run ids start with the run's
start time (``20260620T060000Z-1a2b3c``), so the greatest run id of a partition is its latest run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

from flightpipe.core.layout import quality_override_key, quality_prefix
from flightpipe.core.store import ObjectStore
from flightpipe.quality.api import Partition, RuleResult, Scope
from flightpipe.quality.facts import VolumeHistory


class QualityHistory(VolumeHistory, Protocol):
    """What a run's quality (:class:`flightpipe.pipeline.quality.RunQuality`) needs from earlier runs.

    The ledger provides it on one machine, :class:`StoredQualityHistory` from the object store elsewhere.
    """

    def latest_board_results(self, dates: list[dt.date]) -> list[RuleResult]:
        """For every board partition (airport, board, collection date) of ``dates``: the latest run's results."""
        ...

    def record_quality(self, run_id: str, results: list[RuleResult], checked_at: dt.datetime) -> None: ...

    def mark_overridden(self, results: list[RuleResult], by_run: str) -> None:
        """Record that run ``by_run`` loaded data despite these stored fail results."""
        ...


# The airport and board parts of a board file's name cannot contain '-' (ICAO codes, Board names), so the run
# id is everything after them; the file's own body says the same, but the name lets us skip reading it.
_BOARD_FILE = re.compile(r"board-(?P<icao>[A-Z0-9]{4})-(?P<board>departures|arrivals)-(?P<run_id>.+)\.json$")
_FLIGHT_DATE_FILE = re.compile(r"flight-date-(?P<run_id>.+)\.json$")
_OVERRIDE_FILE = re.compile(r"override-(?P<run_id>.+)\.json$")

#: (rule, scope, date, airport, board, run id): one stored fail an override covers.
_OverrideKey = tuple[str, str, str, str | None, str | None, str]


@dataclass(frozen=True, slots=True)
class _ResultsFile:
    """One run's results file for one partition (not yet read)."""

    key: str
    run_id: str
    scope: Scope
    airport_icao: str | None = None
    board: str | None = None


class StoredQualityHistory:
    """:class:`QualityHistory` from the ``quality/`` JSON files of an object store.

    Overrides are small marker files (``quality/<date>/override-<run_id>.json``) naming the exact stored fails
    (rule, partition, run) a run let through, rather than rewrites of those runs' files: S3 has no
    compare-and-swap, so two executions rewriting one file could lose each other's marks, while a marker is
    one new object per overriding run. A run's results file therefore stays exactly what that run wrote.

    Use one instance per run: it caches each day's listing and the files it read (a run writes its own
    results only after it has read the history; its override markers are re-read when written).
    """

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._listings: dict[dt.date, list[str]] = {}
        self._bodies: dict[str, dict[str, Any]] = {}
        self._overrides: dict[dt.date, set[_OverrideKey]] = {}

    # ------------------------------------------------------------------------------------------ reading

    def volume_history(self, icao: str, board: str, dates: list[dt.date]) -> dict[dt.date, float]:
        """The board's record count on each of ``dates`` that a run measured (the latest measurement wins)."""
        found: dict[dt.date, float] = {}
        for day in dates:
            for stored in self._board_files(day):  # oldest first: a later measurement replaces an earlier one
                if (stored.airport_icao, stored.board) != (icao, board):
                    continue
                volume = next((r for r in self._results(day, stored) if r.rule == "volume_band"), None)
                records = volume.counts.get("records") if volume is not None else None
                if records is not None:
                    found[day] = float(records)
        return found

    def latest_board_results(self, dates: list[dt.date]) -> list[RuleResult]:
        results: list[RuleResult] = []
        for day in sorted(set(dates)):
            latest: dict[tuple[str | None, str | None], _ResultsFile] = {}
            for stored in self._board_files(day):  # sorted by run id: the last one per board is the latest
                latest[(stored.airport_icao, stored.board)] = stored
            for board_key in sorted(latest, key=str):
                results.extend(self._results(day, latest[board_key]))
        return results

    # ------------------------------------------------------------------------------------------ writing

    def record_quality(self, run_id: str, results: list[RuleResult], checked_at: dt.datetime) -> None:
        """Nothing to do: the run writes its results as JSON (``write_json``), and those files are the record."""

    def mark_overridden(self, results: list[RuleResult], by_run: str) -> None:
        """Write, per date, a marker naming every stored fail of these (rule, partition)s not yet overridden,
        as the ledger marks its rows: fails stored later by other runs are not covered."""
        by_day: dict[dt.date, set[_OverrideKey]] = {}
        for result in results:
            if result.partition is None:
                continue
            day = result.partition.date
            for stored in self._files_of(result.partition):
                if any(r.rule == result.rule and r.failed and not r.overridden for r in self._results(day, stored)):
                    by_day.setdefault(day, set()).add(_override_key(result.rule, result.partition, stored.run_id))
        for day, keys in by_day.items():
            self._write_marker(day, by_run, keys)

    # ------------------------------------------------------------------------------------------ files

    def _listing(self, day: dt.date) -> list[str]:
        if day not in self._listings:
            self._listings[day] = self.store.list(quality_prefix(day))
        return self._listings[day]

    def _board_files(self, day: dt.date) -> list[_ResultsFile]:
        found = []
        for key in self._listing(day):
            match = _BOARD_FILE.fullmatch(key.rsplit("/", 1)[-1])
            if match:
                found.append(_ResultsFile(key, match["run_id"], Scope.BOARD, match["icao"], match["board"]))
        return sorted(found, key=lambda f: f.run_id)

    def _flight_date_files(self, day: dt.date) -> list[_ResultsFile]:
        found = []
        for key in self._listing(day):
            match = _FLIGHT_DATE_FILE.fullmatch(key.rsplit("/", 1)[-1])
            if match:
                found.append(_ResultsFile(key, match["run_id"], Scope.FLIGHT_DATE))
        return sorted(found, key=lambda f: f.run_id)

    def _files_of(self, partition: Partition) -> list[_ResultsFile]:
        if partition.scope is Scope.FLIGHT_DATE:
            return self._flight_date_files(partition.date)
        return [
            f
            for f in self._board_files(partition.date)
            if (f.airport_icao, f.board) == (partition.airport_icao, partition.board)
        ]

    def _body(self, key: str) -> dict[str, Any]:
        if key not in self._bodies:
            body = json.loads(self.store.get(key))
            assert isinstance(body, dict), f"{key} is not a JSON object"
            self._bodies[key] = body
        return self._bodies[key]

    def _results(self, day: dt.date, stored: _ResultsFile) -> list[RuleResult]:
        """The file's results, with the fails a later override covers marked overridden."""
        overrides = self._overrides_of(day)
        results = []
        for item in self._body(stored.key).get("results", []):
            result = RuleResult.from_dict(item)
            if (
                result.partition is not None
                and _override_key(result.rule, result.partition, stored.run_id) in overrides
            ):
                result = replace(result, overridden=True)
            results.append(result)
        return results

    def _overrides_of(self, day: dt.date) -> set[_OverrideKey]:
        if day not in self._overrides:
            keys: set[_OverrideKey] = set()
            for key in self._listing(day):
                if _OVERRIDE_FILE.fullmatch(key.rsplit("/", 1)[-1]):
                    keys.update(_parse_override(item) for item in self._body(key).get("overrides", []))
            self._overrides[day] = keys
        return self._overrides[day]

    def _write_marker(self, day: dt.date, by_run: str, keys: set[_OverrideKey]) -> None:
        key = quality_override_key(day, by_run)
        if self.store.exists(key):  # the same run marking twice (a retried invocation): keep both
            keys = keys | {_parse_override(item) for item in json.loads(self.store.get(key)).get("overrides", [])}
        body = {"run_id": by_run, "overrides": [_override_dict(k) for k in sorted(keys, key=str)]}
        self.store.put(key, json.dumps(body, indent=1).encode("utf-8"))
        # The day's listing and overrides change: read them again when next asked.
        self._listings.pop(day, None)
        self._overrides.pop(day, None)
        self._bodies.pop(key, None)


def _override_key(rule: str, partition: Partition, run_id: str) -> _OverrideKey:
    return (rule, str(partition.scope), partition.date.isoformat(), partition.airport_icao, partition.board, run_id)


def _override_dict(key: _OverrideKey) -> dict[str, Any]:
    rule, scope, date, icao, board, run_id = key
    return {
        "rule": rule,
        "partition": {"scope": scope, "date": date, "airport_icao": icao, "board": board},
        "run_id": run_id,
    }


def _parse_override(item: dict[str, Any]) -> _OverrideKey:
    part = item["partition"]
    return (item["rule"], part["scope"], part["date"], part.get("airport_icao"), part.get("board"), item["run_id"])
