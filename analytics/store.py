"""Writing to the DuckDB file without ever leaving it half-written or locking readers out.

DuckDB allows one writer per file, and a reader holding the file open would block an
in-place writer. So a writer copies the live file beside it, changes the copy, and renames
the copy onto the live path in one atomic step. Readers keep reading the old file until
their next query sees the new one (``ui.data`` keys its connection on the file's identity).
A crash at any point leaves the live file exactly as it was. One writer at a time is
ensured by an exclusive lock on ``<file>.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from analytics.schema import create_schema

WRITER_MEMORY = "512MB"


class StoreBusy(RuntimeError):
    """Another import is writing to the same database."""


class _Discard(Exception):
    """Ends a dry run: the copy is thrown away like after a failure, but silently."""


@contextlib.contextmanager
def exclusive(path: str | os.PathLike) -> Iterator[None]:
    """Hold the single-writer lock of the database at ``path`` (every writer takes it)."""
    live = Path(path)
    live.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{live}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreBusy(f"另一个导入或生成任务正在写入 {live},请等它完成后再试。") from exc
        yield


@contextlib.contextmanager
def writing(path: str | os.PathLike, commit: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection on a private copy of ``path``; committed by rename on success.

    The database is created (empty, with the canonical tables) when it does not exist yet.
    With ``commit=False`` the copy is discarded at the end (a dry run that sees exactly what
    the real run would).
    """
    live = Path(path)
    with exclusive(live):
        work = Path(f"{live}.writing")
        for stale in (work, Path(f"{work}.wal")):
            stale.unlink(missing_ok=True)
        if live.exists():
            shutil.copyfile(live, work)
        # An import holds its frames in this process too: DuckDB's share stays bounded and
        # spills to disk beyond it, so a million-row import peaks under 2 GB in all.
        con = duckdb.connect(str(work), config={"memory_limit": WRITER_MEMORY})
        try:
            create_schema(con)
            con.execute("BEGIN TRANSACTION")
            yield con
            if not commit:
                raise _Discard
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
            con.close()
        except BaseException as exc:
            con.close()
            for leftover in (work, Path(f"{work}.wal")):
                leftover.unlink(missing_ok=True)
            if isinstance(exc, _Discard):
                return
            raise
        Path(f"{work}.wal").unlink(missing_ok=True)
        os.replace(work, live)
