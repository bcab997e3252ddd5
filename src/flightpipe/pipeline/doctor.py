"""``flightpipe doctor``: check the data folder, the ledger and the warehouse, and repair what is safe to repair.

Each check gives findings: what is wrong, and what repairs it (what ``--fix`` does, or the command to run).
``--fix`` only does what loses nothing: it moves files aside instead of deleting them (except ``put``'s
temporary files an interrupted write left, which hold nothing the layers lack), recovers what the layers
prove, and loads the warehouse from ``processed/``. It never calls a source's API.

The run history it recovers from the layers: each raw file names its collection day and run
(``raw/<ICAO>/<day>/<board>-<run_id>.json``); a run whose every raw file is transformed (or quarantined whole)
delivered its boards, so it is recorded again as a succeeded run of kind ``recovered`` for the airports and
boards it collected. That is what ``backfill`` and the scheduler's catch-up ask (``pipeline.completeness``), so
they do not collect those days again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from flightpipe.config import Settings
from flightpipe.core.clock import Clock, utc_now
from flightpipe.core.layout import RAW, RawKey, raw_keys
from flightpipe.core.store import ObjectStore
from flightpipe.pipeline.rebuild import processed_flight_dates, rebuild_warehouse, warehouse_damage
from flightpipe.stages.transform import is_transformed
from flightpipe.state.db import StateError
from flightpipe.state.runs import SUCCEEDED
from flightpipe.state.store import StateStore

#: The kind of the runs ``doctor --fix`` recovers from the layers.
RECOVERED = "recovered"


@dataclass(slots=True)
class Finding:
    """One problem: where (``area``), what, how it is repaired, and whether ``--fix`` repaired it."""

    area: str
    problem: str
    repair: str
    fixed: bool = False


@dataclass(slots=True)
class DoctorReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Nothing is left to repair."""
        return all(finding.fixed for finding in self.findings)


def examine(settings: Settings, *, fix: bool = False, clock: Clock = utc_now) -> DoctorReport:
    """Every check, in the order their repairs depend on each other (the ledger before the warehouse)."""
    report = DoctorReport()
    data_dir = Path(settings.data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        report.findings.append(Finding("data folder", f"{data_dir} is not a folder", "set data_dir to a folder"))
        return report
    store = ObjectStore(settings.data_dir)
    _check_leftovers(store, report, fix=fix)
    _check_stray_raw_files(store, report)
    _check_untransformed(store, report)
    _check_ledger(settings, store, report, fix=fix, clock=clock)
    _check_warehouse(settings, store, report, fix=fix, clock=clock)
    return report


def _check_leftovers(store: ObjectStore, report: DoctorReport, *, fix: bool) -> None:
    leftovers = store.leftover_temp_files()
    if leftovers:
        finding = Finding(
            "data folder",
            f"{len(leftovers)} temporary file(s) an interrupted write left, e.g. {leftovers[0]}",
            "--fix deletes them (each run's start does too)",
        )
        if fix:
            store.remove_leftover_temp_files()
            finding.fixed = True
        report.findings.append(finding)


def _check_stray_raw_files(store: ObjectStore, report: DoctorReport) -> None:
    listed = [key for key in store.list(RAW + "/") if key.endswith(".json")]
    stray = sorted(set(listed) - set(raw_keys(listed)))
    if stray:
        report.findings.append(
            Finding(
                "data folder",
                f"{len(stray)} file(s) in raw/ that are not flightpipe's (ignored by every command), e.g. {stray[0]}",
                "move them out of raw/ if they are yours; flightpipe leaves them alone",
                fixed=True,  # harmless: nothing to repair
            )
        )


def _check_untransformed(store: ObjectStore, report: DoctorReport) -> None:
    days = sorted({run.day for run in _runs_in_layers(store) if not run.complete})
    if days:
        report.findings.append(
            Finding(
                "layers",
                f"raw files of {len(days)} day(s) have no transformed twin (a run stopped between collect and "
                f"transform), e.g. {days[0]}",
                f"`flightpipe run --date {days[0]}` transforms them in its verify step",
            )
        )


def ledger_damage(path: Path) -> str | None:
    """Why the ledger at ``path`` is not a sound SQLite file (None: it is, or it does not exist)."""
    if not path.exists():
        return None
    try:
        con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    verdict = [str(row[0]) for row in rows]
    return None if verdict == ["ok"] else "; ".join(verdict[:3])


def _check_ledger(settings: Settings, store: ObjectStore, report: DoctorReport, *, fix: bool, clock: Clock) -> None:
    path = settings.paths().ledger
    if path.exists() and path.is_dir():
        report.findings.append(Finding("ledger", f"{path} is a folder", "set ledger_path to a file"))
        return
    damage = ledger_damage(path)
    if damage is not None:
        finding = Finding(
            "ledger",
            f"{path} is damaged: {damage}",
            "--fix moves it aside and recovers the run history from the layers",
        )
        if fix:
            aside = _move_aside(path, clock)
            recovered = recover_run_history(settings, store, clock=clock)
            finding.repair = f"moved to {aside.name}; {recovered} run(s) recovered from the layers"
            finding.fixed = True
        report.findings.append(finding)
        return
    with StateStore.open(path) as state:
        missing = _runs_missing_from(state, _runs_in_layers(store))
    if missing:
        finding = Finding(
            "ledger",
            f"{len(missing)} run(s) whose raw files are all transformed are not in the ledger "
            f"(backfill would collect their days again), e.g. {missing[0]}",
            "--fix records them as recovered runs",
        )
        if fix:
            recover_run_history(settings, store, clock=clock)
            finding.fixed = True
        report.findings.append(finding)


@dataclass(frozen=True, slots=True)
class LayerRun:
    """A run as the raw layer shows it: its day, the airports and boards it collected, all transformed?"""

    run_id: str
    day: dt.date
    airports: list[str]
    boards: list[str]
    complete: bool


def _runs_in_layers(store: ObjectStore) -> list[LayerRun]:
    by_run: dict[tuple[dt.date, str], list[RawKey]] = defaultdict(list)
    for key in raw_keys(store.list(RAW + "/")):
        parsed = RawKey.parse(key)
        by_run[(parsed.collection_date, parsed.run_id)].append(parsed)
    return [
        LayerRun(
            run_id=run_id,
            day=day,
            airports=sorted({k.icao for k in keys}),
            boards=sorted({str(k.board) for k in keys}),
            complete=all(is_transformed(store, k.key) for k in keys),
        )
        for (day, run_id), keys in sorted(by_run.items())
    ]


def _runs_missing_from(state: StateStore, runs: list[LayerRun]) -> list[str]:
    return [run.run_id for run in runs if run.complete and state.runs.find(run.run_id) is None]


def recover_run_history(settings: Settings, store: ObjectStore, *, clock: Clock = utc_now) -> int:
    """Record every complete run of the raw layer the ledger lacks as a succeeded ``recovered`` run; returns
    how many. A run with a raw file not yet transformed is left out: its day is not proven complete."""
    with StateStore.open(settings.paths().ledger) as state:
        runs = _runs_in_layers(store)
        missing = set(_runs_missing_from(state, runs))
        for run in runs:
            if run.run_id not in missing:
                continue
            state.runs.start(
                run.run_id,
                kind=RECOVERED,
                day=run.day,
                airports=run.airports,
                boards=run.boards,
                source=settings.source.type,
                simulated=settings.is_simulated,
            )
            state.runs.finish(
                run.run_id, SUCCEEDED, summary={"recovered_from": "raw and transformed layers (flightpipe doctor)"}
            )
    return len(missing)


def _check_warehouse(settings: Settings, store: ObjectStore, report: DoctorReport, *, fix: bool, clock: Clock) -> None:
    processed = processed_flight_dates(store)
    damage = warehouse_damage(settings)
    missing_file = settings.warehouse.type == "duckdb" and not settings.resolved_warehouse_path().exists()
    if damage is not None or (missing_file and processed):
        problem = f"the warehouse is damaged: {damage}" if damage else "the warehouse file is missing"
        finding = Finding("warehouse", problem, "--fix (or `flightpipe warehouse rebuild`) loads it from processed/")
        if fix:
            rebuilt = rebuild_warehouse(settings, clock=clock)
            finding.repair = f"rebuilt from processed/: {len(rebuilt.loaded)} flight date(s)"
            finding.fixed = True
        report.findings.append(finding)
        return
    if not processed or missing_file:
        return
    from flightpipe.pipeline.warehouse_access import warehouse_status

    loaded = {d.flight_date for d in warehouse_status(settings).dates}
    held = _held_flight_dates(settings)
    absent = [d for d in processed if d not in loaded and d not in held]
    if absent:
        finding = Finding(
            "warehouse",
            f"{len(absent)} processed flight date(s) are not in the warehouse (was it deleted and created anew?), "
            f"e.g. {absent[0]}",
            "--fix (or `flightpipe warehouse rebuild --start D --end D`) loads them from processed/",
        )
        if fix:
            for day in absent:
                rebuild_warehouse(settings, start=day, end=day, clock=clock)
            finding.fixed = True
        report.findings.append(finding)


def _held_flight_dates(settings: Settings) -> set[dt.date]:
    """Flight dates a quality gate held (a failed ``gate`` step): their absence is the gate's decision."""
    path = settings.paths().ledger
    if not path.exists():
        return set()
    try:
        with StateStore.open(path, read_only=True) as state:
            rows = state.db.read("SELECT DISTINCT target FROM steps WHERE stage = 'gate' AND state = 'failed'")
    except StateError:
        return set()  # a damaged ledger is its own finding
    held = set()
    for row in rows:
        try:
            held.add(dt.date.fromisoformat(row["target"]))
        except ValueError:
            continue  # the gate's override step, not a flight date
    return held


def _move_aside(path: Path, clock: Clock) -> Path:
    stamp = f"{clock().astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(aside)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + suffix))
    return aside
