"""The history file's schema, and the migrations that bring any earlier version to the current one
(`PRAGMA user_version` counts them; each runs in its own transaction)."""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # Instants are INTEGER microseconds since the Unix epoch, UTC.
    # 1: scans, hosts, each finding's current state and its transitions.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        command TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        hosts INTEGER NOT NULL,
        fail INTEGER NOT NULL,
        unknown INTEGER NOT NULL,
        warn INTEGER NOT NULL,
        info INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        version TEXT NOT NULL,
        resolver TEXT NOT NULL
    );
    CREATE INDEX scans_by_time ON scans (scope, finished_at);
    CREATE TABLE subjects (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        account TEXT NOT NULL,
        host TEXT NOT NULL,
        brand TEXT NOT NULL,
        last_scan INTEGER,
        UNIQUE (scope, account, host)
    );
    CREATE TABLE findings (
        subject INTEGER NOT NULL REFERENCES subjects (id),
        code TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY (subject, code)
    ) WITHOUT ROWID;
    CREATE TABLE transitions (
        id INTEGER PRIMARY KEY,
        scan INTEGER NOT NULL,
        subject INTEGER NOT NULL REFERENCES subjects (id),
        code TEXT NOT NULL,
        before TEXT,
        after TEXT,
        title TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX transitions_by_subject ON transitions (subject, at);
    CREATE INDEX transitions_by_time ON transitions (at);
    """,
    # 2: observed values worth a timeline (CNAME target, certificate, the ESP's state, blocklists).
    """
    CREATE TABLE observed (
        subject INTEGER NOT NULL REFERENCES subjects (id),
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY (subject, name)
    ) WITHOUT ROWID;
    CREATE TABLE observations (
        id INTEGER PRIMARY KEY,
        scan INTEGER NOT NULL,
        subject INTEGER NOT NULL REFERENCES subjects (id),
        name TEXT NOT NULL,
        value TEXT,
        at INTEGER NOT NULL
    );
    CREATE INDEX observations_by_subject ON observations (subject, at);
    CREATE INDEX observations_by_time ON observations (at);
    """,
    # 3: the ESPs' daily click figures, once per click scope (an account, or one of its sending
    # domains / subaccounts: `click_scope` is the ESP's scope key, "" for the whole account), not
    # per host: many hosts share one scope's figures. `day` is the UTC day as a day number (days
    # since 1970-01-01). Each host's subject says which scope its figures are in (NULL: none seen).
    """
    CREATE TABLE click_days (
        scope TEXT NOT NULL,
        account TEXT NOT NULL,
        click_scope TEXT NOT NULL,
        day INTEGER NOT NULL,
        delivered INTEGER NOT NULL,
        unique_clicks INTEGER NOT NULL,
        PRIMARY KEY (scope, account, click_scope, day)
    ) WITHOUT ROWID;
    ALTER TABLE subjects ADD COLUMN click_scope TEXT;
    ALTER TABLE subjects ADD COLUMN click_label TEXT;
    """,
)

CURRENT_VERSION = len(MIGRATIONS)


class NewerSchema(Exception):  # noqa: N818 - a condition the user resolves, not a bug
    """The file was written by a newer trackdeck."""


def migrate(connection: sqlite3.Connection, *, upto: int = CURRENT_VERSION) -> int:
    """Bring the file to schema `upto`, one migration per transaction; the version it was at."""
    (found,) = connection.execute("PRAGMA user_version").fetchone()
    if found > CURRENT_VERSION:
        raise NewerSchema(f"schema version {found}, newer than this trackdeck's {CURRENT_VERSION}")
    for version in range(found, upto):
        connection.execute("BEGIN IMMEDIATE")
        try:
            (again,) = connection.execute("PRAGMA user_version").fetchone()
            if again == version:  # another process may have migrated meanwhile
                for statement in _statements(MIGRATIONS[version]):
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {version + 1}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    return int(found)


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
