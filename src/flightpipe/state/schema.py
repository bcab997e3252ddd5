"""The state file's schema, as the ordered list of migrations that build it.

The schema version is SQLite's ``user_version`` (0 in a new file and in every file written before versions
existed). Opening a file applies each migration above its version, in order, in one transaction, and records
the new version: a file written by an older flightpipe is brought up to date, and a file already at the latest
version is not touched.

Version 1 is the schema flightpipe wrote before versions existed (four stores, each creating its own tables
``IF NOT EXISTS``): applied to such a file it keeps every row and adds only the tables the file lacks. A change
to the schema is a new migration appended here, never an edit of an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    #: Run one by one (``executescript`` would commit the migration's transaction halfway).
    statements: tuple[str, ...]


_RUNS_AND_STEPS = (
    """CREATE TABLE IF NOT EXISTS runs (
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
    )""",
    "CREATE INDEX IF NOT EXISTS runs_by_day ON runs (day, state)",
    """CREATE TABLE IF NOT EXISTS steps (
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
    )""",
    "CREATE INDEX IF NOT EXISTS steps_by_run ON steps (run_id, step_id)",
)

_QUALITY_RESULTS = (
    """CREATE TABLE IF NOT EXISTS quality_results (
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
    )""",
    "CREATE INDEX IF NOT EXISTS quality_by_partition"
    " ON quality_results (scope, partition_date, airport_icao, board, rule)",
    "CREATE INDEX IF NOT EXISTS quality_by_run ON quality_results (run_id)",
)

_ALERTS_SENT = (
    """CREATE TABLE IF NOT EXISTS alerts_sent (
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
    )""",
)

_API_USAGE = (
    """CREATE TABLE IF NOT EXISTS source_requests (
        source    TEXT NOT NULL,
        month     TEXT NOT NULL,
        requests  INTEGER NOT NULL,
        PRIMARY KEY (source, month)
    )""",
    """CREATE TABLE IF NOT EXISTS board_pages (
        source      TEXT NOT NULL,
        icao        TEXT NOT NULL,
        board       TEXT NOT NULL,
        pages       INTEGER NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (source, icao, board)
    )""",
)

_CREDITS = (
    "CREATE TABLE IF NOT EXISTS source_credits ("
    " source TEXT PRIMARY KEY, remaining INTEGER NOT NULL, seen_at TEXT NOT NULL)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, steps, quality results, alerts sent, API usage and credits, as written before schema versions",
        _RUNS_AND_STEPS + _QUALITY_RESULTS + _ALERTS_SENT + _API_USAGE + _CREDITS,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
