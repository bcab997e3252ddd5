"""A state file as flightpipe wrote it before schema versions (commit 2b6640e): four stores, each creating its
own tables with its own copy of the set-up. The DDL below is theirs, verbatim."""

from __future__ import annotations

import sqlite3
from pathlib import Path

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id        TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    day           TEXT NOT NULL,
    airports      TEXT NOT NULL,
    boards        TEXT NOT NULL,
    source        TEXT NOT NULL,
    simulated     INTEGER NOT NULL,
    state         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    pid           INTEGER NOT NULL,
    host          TEXT NOT NULL,
    error         TEXT,
    summary       TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_day ON runs (day, state);
CREATE TABLE IF NOT EXISTS steps (
    step_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        TEXT NOT NULL REFERENCES runs (run_id),
    stage         TEXT NOT NULL,
    target        TEXT NOT NULL,
    state         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    duration_s    REAL,
    records_in    INTEGER,
    records_out   INTEGER,
    quarantined   INTEGER,
    bytes         INTEGER,
    detail        TEXT,
    error         TEXT
);
CREATE INDEX IF NOT EXISTS steps_by_run ON steps (run_id, step_id);
CREATE TABLE IF NOT EXISTS quality_results (
    result_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id         TEXT NOT NULL,
    checked_at     TEXT NOT NULL,
    scope          TEXT NOT NULL,
    partition_date TEXT NOT NULL,
    airport_icao   TEXT,
    board          TEXT,
    rule           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    level          TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    threshold      REAL,
    message        TEXT NOT NULL,
    counts         TEXT NOT NULL,
    examples       TEXT NOT NULL,
    overridden     INTEGER NOT NULL DEFAULT 0,
    overridden_by  TEXT
);
CREATE INDEX IF NOT EXISTS quality_by_partition ON quality_results (scope, partition_date, airport_icao, board, rule);
CREATE INDEX IF NOT EXISTS quality_by_run ON quality_results (run_id);
"""

ALERTS_DDL = """
CREATE TABLE IF NOT EXISTS alerts_sent (
    dedup_key     TEXT NOT NULL,
    sent_on       TEXT NOT NULL,
    event         TEXT NOT NULL,
    day           TEXT NOT NULL,
    run_id        TEXT,
    sent_at       TEXT NOT NULL,
    summary       TEXT NOT NULL,
    delivered_to  TEXT,
    failed        TEXT,
    PRIMARY KEY (dedup_key, sent_on)
);
"""

USAGE_DDL = """
CREATE TABLE IF NOT EXISTS source_requests (
    source    TEXT NOT NULL,
    month     TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    PRIMARY KEY (source, month)
);
CREATE TABLE IF NOT EXISTS board_pages (
    source      TEXT NOT NULL,
    icao        TEXT NOT NULL,
    board       TEXT NOT NULL,
    pages       INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (source, icao, board)
);
"""

CREDITS_DDL = (
    "CREATE TABLE IF NOT EXISTS source_credits (source TEXT PRIMARY KEY, remaining INTEGER NOT NULL, "
    "seen_at TEXT NOT NULL)"
)

#: Which old store created which tables.
STORES = {"ledger": LEDGER_DDL, "alerts": ALERTS_DDL, "usage": USAGE_DDL, "credits": CREDITS_DDL + ";"}


def write_pre_version_file(path: Path, stores: tuple[str, ...] = ("ledger", "alerts", "usage", "credits")) -> None:
    """Create ``path`` as the named old stores did, with one row in each table they made."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        for store in stores:
            con.executescript(STORES[store])
        if "ledger" in stores:
            con.execute(
                "INSERT INTO runs (run_id, kind, day, airports, boards, source, simulated, state, started_at,"
                " finished_at, pid, host, summary) VALUES ('old-run', 'run', '2026-05-01', 'EDDF', 'departures',"
                " 'simulated', 1, 'succeeded', '2026-05-02T03:00:00.000+00:00', '2026-05-02T03:01:00.000+00:00',"
                " 1, 'old-host', '{\"rows_loaded\": 7}')"
            )
            con.execute(
                "INSERT INTO steps (run_id, stage, target, state, started_at, finished_at, duration_s, records_out,"
                " detail) VALUES ('old-run', 'collect', 'EDDF/departures', 'succeeded',"
                " '2026-05-02T03:00:00.000+00:00', '2026-05-02T03:00:30.000+00:00', 30.0, 7, '{}')"
            )
            con.execute(
                "INSERT INTO quality_results (run_id, checked_at, scope, partition_date, airport_icao, board, rule,"
                " kind, level, outcome, threshold, message, counts, examples) VALUES ('old-run',"
                " '2026-05-02T03:00:40.000+00:00', 'board', '2026-05-01', 'EDDF', 'departures', 'volume_band',"
                " 'dataset', 'warn', 'pass', NULL, 'volume_band pass', '{\"records\": 7}', '[]')"
            )
        if "alerts" in stores:
            con.execute(
                "INSERT INTO alerts_sent (dedup_key, sent_on, event, day, run_id, sent_at, summary, delivered_to)"
                " VALUES ('k1', '2026-05-02', 'flightpipe.run.failed', '2026-05-01', 'old-run',"
                " '2026-05-02T03:02:00+00:00', 'old alert', 'log')"
            )
        if "usage" in stores:
            con.execute("INSERT INTO source_requests (source, month, requests) VALUES ('aviationstack', '2026-05', 12)")
            con.execute(
                "INSERT INTO board_pages (source, icao, board, pages, updated_at)"
                " VALUES ('aviationstack', 'EDDF', 'departures', 3, '2026-05-02T03:00:00+00:00')"
            )
        if "credits" in stores:
            con.execute(
                "INSERT INTO source_credits (source, remaining, seen_at)"
                " VALUES ('opensky', 380, '2026-05-02T03:00:00+00:00')"
            )
    finally:
        con.close()
