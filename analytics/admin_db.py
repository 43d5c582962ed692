"""The admin database: accounts and the audit log, in one SQLite file beside the DuckDB file.

Why not the DuckDB file: writers replace that file on every import (``analytics.store``), and
DuckDB lets one process at a time open a file for writing, while accounts are changed from the
CLI and the admin page and the audit log is appended by every session of the server while
imports run. SQLite in WAL mode gives exactly that: small transactional writes from several
processes, readers never blocked. The file is ``$GOV_ADMIN_DB``, else the DuckDB file's name
with ``.admin.sqlite`` (``data/governance.admin.sqlite``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from analytics.connection import DEFAULT_DB, db_url, is_duckdb_file, is_spark, store_path

ADMIN_DB = "GOV_ADMIN_DB"
MIN_KEEP_DAYS = 180  # = settings.MIN_RETENTION_DAYS; the trigger refuses younger deletions

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS users (
    login      TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    unit_id    TEXT,
    name       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    login   TEXT NOT NULL,
    role    TEXT NOT NULL DEFAULT '',
    action  TEXT NOT NULL,
    page    TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT '{{}}',
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_keep BEFORE DELETE ON audit_log
WHEN OLD.at >= datetime('now', '-{MIN_KEEP_DAYS - 1} days')
BEGIN SELECT RAISE(ABORT, 'audit_log rows are kept at least {MIN_KEEP_DAYS} days'); END;
"""


def now(zone: str = "Asia/Shanghai") -> str:
    """The current time in the district's zone, as both tables store it."""
    return datetime.now(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def today(zone: str = "Asia/Shanghai") -> date:
    """Today in the district's zone: the day of the entries written ``now`` (the machine's
    own date differs for eight hours a day on a UTC server)."""
    return datetime.now(ZoneInfo(zone)).date()


def admin_path(url: str | None = None) -> Path:
    """The admin database of the store ``url`` (default ``$GOV_DB``)."""
    explicit = os.environ.get(ADMIN_DB)
    if explicit:
        return Path(explicit)
    url = db_url(url)
    store = store_path(url) if is_duckdb_file(url) or is_spark(url) else DEFAULT_DB
    return store.with_name(store.name.removesuffix(".duckdb") + ".admin.sqlite")


_READY: set[Path] = set()  # files this process has put the schema and WAL mode in


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """A connection with the schema in place; WAL so that readers never wait for writers.
    The schema and the (persistent) WAL mode are set once per file and process: every page
    run looks an account up, and need not re-run the DDL each time."""
    path = Path(path).resolve()
    fresh = path not in _READY or not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA busy_timeout=10000")
    if fresh:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
        _READY.add(path)
    return con


@contextlib.contextmanager
def opened(path: str | os.PathLike) -> Iterator[sqlite3.Connection]:
    """:func:`connect`, closed at the end of the block (statements autocommit)."""
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


_TABLES: set[tuple[Path, str]] = set()  # (file, DDL) pairs this process has put in place


@contextlib.contextmanager
def opened_with(path: str | os.PathLike, schema: str) -> Iterator[sqlite3.Connection]:
    """:func:`opened` with a module's own tables (``schema``: its DDL) in place too, run once
    per file, schema and process: targets and dated notes keep their tables here."""
    resolved = Path(path).resolve()
    fresh = (resolved, schema) not in _TABLES or not resolved.exists()
    with opened(resolved) as con:
        if fresh:
            con.executescript(schema)
            _TABLES.add((resolved, schema))
        yield con


@contextlib.contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on an autocommit connection: all of it or nothing."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
