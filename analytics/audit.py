"""The audit trail (个人信息保护法: who saw and took what): an append-only ``audit_log``.

Sign-in and sign-out, page views with their filters, downloads and exports (file name,
rows), imports (file hash, counts), account changes and denied attempts. Rows are never
updated, and the database itself refuses to delete a row younger than
``admin_db.MIN_KEEP_DAYS`` (a trigger); older rows go only by :func:`purge` under the
retention setting, which leaves an entry of its own.

Pages must not wait for the disk: :class:`AuditLog` queues entries and one background thread
writes them in batches, so a page view costs a queue put, whatever the number of sessions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from analytics import admin_db

LOG = logging.getLogger(__name__)

ACTIONS = {
    "sign_in": "登录",
    "sign_out": "退出登录",
    "view": "查看页面",
    "download": "下载",
    "export": "导出汇报材料",
    "import": "导入数据",
    "denied": "拒绝访问",
    "user_add": "开通或修改账号",
    "user_remove": "删除账号",
    "target_set": "设定目标",
    "target_remove": "删除目标",
    "target_import": "导入目标",
    "note_add": "添加日期标注",
    "note_remove": "删除日期标注",
    "category_suggest": "生成分类建议",
    "category_accept": "采纳分类建议",
    "category_reject": "驳回分类建议",
    "category_apply": "写入采纳的分类",
    "purge": "清理过期日志",
}
MAX_DETAIL = 4000  # characters of JSON kept per entry
COLUMNS = ["at", "login", "role", "action", "page", "detail", "address"]


@dataclass(frozen=True)
class Entry:
    login: str
    action: str
    role: str = ""
    page: str = ""
    detail: dict = field(default_factory=dict)
    address: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown audit action: {self.action}")


def _row(at: str, e: Entry) -> tuple:
    detail = json.dumps(e.detail, ensure_ascii=False, default=str, sort_keys=True)
    if len(detail) > MAX_DETAIL:
        detail = detail[: MAX_DETAIL - 1] + "…"
    return (at, e.login, e.role, e.action, e.page, detail, e.address or "")


def write(path: str | os.PathLike, rows: list[tuple[str, Entry]]) -> None:
    """Append ``(at, entry)`` rows in one transaction."""
    with admin_db.opened(path) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(
                f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [_row(at, e) for at, e in rows],
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def record_now(path: str | os.PathLike, entry: Entry, zone: str = "Asia/Shanghai") -> None:
    """Append one entry before returning (the CLI: a one-shot process has no time to wait)."""
    write(path, [(admin_db.now(zone), entry)])


class AuditLog:
    """Entries queued by every session of a server, written by one background thread."""

    BATCH = 500

    def __init__(
        self, path: str | os.PathLike, zone: str = "Asia/Shanghai", retention_days: int = 0
    ) -> None:
        self.path = path
        self.zone = zone
        self.retention_days = retention_days  # > 0: entries older are purged once a day
        self._next_purge = 0.0  # time.monotonic() of the next purge
        self._queue: queue.Queue[tuple[str, Entry]] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="audit-log", daemon=True)
        self._thread.start()

    def record(self, entry: Entry) -> None:
        """Queue ``entry`` stamped with the current time; returns at once."""
        self._queue.put((admin_db.now(self.zone), entry))

    def flush(self) -> None:
        """Wait until every entry queued so far is written."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)
            self._purge_daily()
            for _ in batch:
                self._queue.task_done()

    def _purge_daily(self) -> None:
        if self.retention_days <= 0 or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + 86_400
        try:
            purge(self.path, self.retention_days, zone=self.zone)
        except Exception:
            LOG.exception("audit log retention purge failed")

    def _write(self, batch: list[tuple[str, Entry]]) -> None:
        """Write with retries; what still cannot be written goes to the server log, whole."""
        for attempt in range(3):
            try:
                write(self.path, batch)
                return
            except Exception:
                if attempt == 2:
                    LOG.exception("audit log not writable; entries follow")
                    for at, e in batch:
                        LOG.error("audit %s", _row(at, e))
                    return
                threading.Event().wait(0.5 * (attempt + 1))


def file_hash(content: bytes | str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (or of the file at a path, read in blocks)."""
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    with open(content, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def import_detail(result: Any, name: str, sha256: str, kind: str) -> dict:
    """What the log keeps of an import (``analytics.ingest.rows.ImportResult``): the file's name and
    SHA-256, the kind, whether it was only checked, and the row counts."""
    return {
        "file": name,
        "sha256": sha256,
        "kind": kind,
        "dry_run": bool(result.dry_run),
        "read": result.rows_read,
        "added": result.rows_accepted,
        "updated": result.rows_updated,
        "unchanged": result.rows_unchanged,
        "quarantined": result.rows_quarantined,
    }


def _where(
    login: str | None, action: str | None, start: date | None, end: date | None
) -> tuple[str, list]:
    """The WHERE clause (with bound values) of an account, action and inclusive date range."""
    where, params = [], []
    if login:
        where.append("login = ?")
        params.append(login)
    if action:
        where.append("action = ?")
        params.append(action)
    if start:
        where.append("at >= ?")
        params.append(start.isoformat())
    if end:
        where.append("at < ?")
        params.append((end + timedelta(days=1)).isoformat())
    return (" WHERE " + " AND ".join(where) if where else ""), params


def query(
    path: str | os.PathLike,
    login: str | None = None,
    action: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int | None = 10_000,
) -> pd.DataFrame:
    """Entries newest first, filtered by account, action and an inclusive date range."""
    where, params = _where(login, action, start, end)
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log{where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with admin_db.opened(path) as con:
        rows = con.execute(sql, params).fetchall()
    return pd.DataFrame(rows, columns=COLUMNS)


def logins(path: str | os.PathLike) -> list[str]:
    """Every account name that appears in the log, for the page's filter."""
    with admin_db.opened(path) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT login FROM audit_log ORDER BY 1")]


def count(
    path: str | os.PathLike,
    login: str | None = None,
    action: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """How many entries :func:`query` would return without a limit."""
    where, params = _where(login, action, start, end)
    with admin_db.opened(path) as con:
        return int(con.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0])


def purge(
    path: str | os.PathLike, retention_days: int, by: str = "系统", zone: str = "Asia/Shanghai"
) -> int:
    """Delete entries older than ``retention_days`` (the database refuses anything younger
    than ``admin_db.MIN_KEEP_DAYS``); the purge itself is logged. Returns the rows deleted."""
    days = max(int(retention_days), admin_db.MIN_KEEP_DAYS)
    cutoff = (datetime.now(ZoneInfo(zone)) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
    with admin_db.opened(path) as con:
        deleted = con.execute("DELETE FROM audit_log WHERE at < ?", (cutoff,)).rowcount
    if deleted:
        record_now(
            path,
            Entry(login=by, action="purge", detail={"before": cutoff, "rows": deleted}),
            zone,
        )
    return deleted
