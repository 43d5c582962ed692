"""One connection factory for every reader and writer.

The store is chosen once, by ``GOV_DB``: a DuckDB file path (the default,
``data/governance.duckdb``) or an Ibis connection URL such as ``postgres://…``. Queries are
Ibis expressions, so the same metric code runs on whichever backend the URL names.
"""

from __future__ import annotations

import os
from pathlib import Path

import ibis
from ibis.backends import BaseBackend

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_DIR / "data" / "governance.duckdb"


def db_url(url: str | os.PathLike | None = None) -> str:
    """The store to use: the argument, else ``$GOV_DB``, else the default DuckDB file."""
    return str(url or os.environ.get("GOV_DB") or DEFAULT_DB)


def is_duckdb_file(url: str) -> bool:
    return "://" not in url or url.startswith("duckdb://")


def duckdb_path(url: str) -> Path:
    return Path(url.removeprefix("duckdb://"))


CATALOG = "gov"  # the name a read-only DuckDB file is attached under


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(url: str | os.PathLike | None = None, *, read_only: bool = False) -> BaseBackend:
    """Open the store named by ``url`` (see :func:`db_url`) as an Ibis backend.

    A read-only DuckDB file is attached to a private in-memory instance rather than opened
    directly: DuckDB hands out one shared instance per path within a process, which after a
    writer has renamed a new file onto the path would keep serving the old file.
    """
    url = db_url(url)
    if is_duckdb_file(url):
        path = duckdb_path(url)
        if not read_only:
            return ibis.duckdb.connect(str(path))
        if not path.exists():
            raise FileNotFoundError(path)
        backend = ibis.duckdb.connect()
        backend.con.execute(f"ATTACH {_sql_string(str(path))} AS {CATALOG} (READ_ONLY)")
        backend.con.execute(f"USE {CATALOG}")
        backend._attached = True
        return backend
    return ibis.connect(url)


def cursor(backend: BaseBackend) -> BaseBackend:
    """A backend safe to use from the calling thread.

    A DuckDB connection refuses concurrent use, so each thread (each Streamlit script run)
    takes its own cursor on the shared database; other engines pool connections themselves.
    """
    if backend.name == "duckdb":
        raw = backend.con.cursor()
        if getattr(backend, "_attached", False):
            raw.execute(f"USE {CATALOG}")  # a cursor starts in the instance's own catalog
        return ibis.duckdb.from_connection(raw)
    return backend
