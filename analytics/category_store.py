"""Category suggestions and their decisions, in the admin database; accepted ones applied to
the events through an import.

Suggestions (``analytics.categories``) are written to the admin SQLite file, not the event
store (``analytics.admin_db`` says why): an admin accepts or rejects them in bulk, which
changes nothing in the events. :func:`apply_accepted` then writes the accepted categories
into the store the way every import writes (``analytics.ingest.rows.finish`` inside the
store's copy-and-rename writer): an ``imports`` row says what changed. Each suggestion keeps
the event's category as it was (``current_category``); every decision and application
leaves a ``category_history`` row (the database refuses to change them) and an audit entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import admin_db, audit, categories, masking, queries
from analytics.categories import CLASS_COLUMNS, SUGGESTION_COLUMNS, Evaluation, Model
from analytics.connection import db_url
from analytics.ingest.presets import EVENT_COLUMNS
from analytics.ingest.rows import ImportResult, Rows, finish, publish_import, staging_path
from analytics.settings import local_now
from analytics.store import writing

SCHEMA = """
CREATE TABLE IF NOT EXISTS category_suggestions (
    event_id          TEXT PRIMARY KEY,
    current_category  TEXT,
    suggested         TEXT NOT NULL,
    confidence        REAL NOT NULL,
    second            TEXT,
    second_confidence REAL,
    model             TEXT NOT NULL,
    made_at           TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected', 'applied', 'stale')),
    decided_by        TEXT,
    decided_at        TEXT,
    applied_at        TEXT,
    import_id         TEXT
);
CREATE INDEX IF NOT EXISTS category_suggestions_status
    ON category_suggestions (status, confidence);
CREATE TABLE IF NOT EXISTS category_history (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    login     TEXT NOT NULL,
    action    TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    before    TEXT,
    suggested TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS category_history_no_update BEFORE UPDATE ON category_history
BEGIN SELECT RAISE(ABORT, 'category_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS category_history_no_delete BEFORE DELETE ON category_history
BEGIN SELECT RAISE(ABORT, 'category_history is append-only'); END;
CREATE TABLE IF NOT EXISTS category_models (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    model       TEXT NOT NULL,
    made_at     TEXT NOT NULL,
    made_by     TEXT NOT NULL,
    macro_f1    REAL NOT NULL,
    accuracy    REAL NOT NULL,
    n_train     INTEGER NOT NULL,
    n_test      INTEGER NOT NULL,
    per_class   TEXT NOT NULL,
    excluded    TEXT NOT NULL DEFAULT '{}',
    suggestions INTEGER NOT NULL,
    written     INTEGER NOT NULL,
    seconds     REAL NOT NULL,
    after       INTEGER NOT NULL DEFAULT 0  -- the last category_history id when it was made
);
"""
STATUSES = {
    "pending": "待定",
    "accepted": "已采纳",
    "rejected": "已驳回",
    "applied": "已写入",
    "stale": "已失效",  # the event changed (or left the store) before it was applied
}
COLUMNS = [
    *SUGGESTION_COLUMNS,
    "model",
    "made_at",
    "status",
    "decided_by",
    "decided_at",
    "applied_at",
    "import_id",
]
HISTORY_COLUMNS = ["at", "login", "action", "event_id", "before", "suggested"]
FILE_NAME = "分类建议采纳"  # the import's file name: what the imports list shows


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def load(path: str | os.PathLike, status: str | None = None) -> pd.DataFrame:
    """Suggestions (of ``status`` when given), highest confidence first: ``COLUMNS``."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status: {status}")
    if not Path(path).exists():
        return pd.DataFrame(columns=COLUMNS)
    where, params = ("WHERE status = ?", (status,)) if status else ("", ())
    with admin_db.opened_with(path, SCHEMA) as con:
        rows = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM category_suggestions {where}"
            " ORDER BY confidence DESC, event_id",
            params,
        ).fetchall()
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)  # None stays None
    for column in ("confidence", "second_confidence"):
        frame[column] = frame[column].astype(float)
    return frame


def history(path: str | os.PathLike, limit: int = 500) -> pd.DataFrame:
    """The latest ``limit`` decisions and applications, newest first: ``HISTORY_COLUMNS``."""
    if not Path(path).exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    with admin_db.opened_with(path, SCHEMA) as con:
        rows = con.execute(
            f"SELECT {', '.join(HISTORY_COLUMNS)} FROM category_history ORDER BY id DESC LIMIT ?",
            (int(limit),),
        ).fetchall()
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def replace_pending(
    path: str | os.PathLike, frame: pd.DataFrame, model: str, zone: str = "Asia/Shanghai"
) -> int:
    """Replace the pending suggestions by ``frame`` (``SUGGESTION_COLUMNS``) made by ``model``
    (its short id). Decided suggestions stay as they are: an event already accepted,
    rejected or applied gets no new one. Returns how many were written."""
    at = admin_db.now(zone)
    with admin_db.opened_with(path, SCHEMA) as con, admin_db.transaction(con):
        return _replace_pending(con, frame, model, at)


def _replace_pending(con: sqlite3.Connection, frame: pd.DataFrame, model: str, at: str) -> int:
    records = [
        (
            str(r.event_id),
            None if _blank(r.current_category) else str(r.current_category),
            str(r.suggested),
            float(r.confidence),
            None if _blank(r.second) else str(r.second),
            None if _blank(r.second_confidence) else float(r.second_confidence),
            model,
            at,
        )
        for r in frame[SUGGESTION_COLUMNS].itertuples(index=False)
    ]
    con.execute("DELETE FROM category_suggestions WHERE status = 'pending'")
    before = con.total_changes
    con.executemany(
        "INSERT INTO category_suggestions (event_id, current_category, suggested,"
        " confidence, second, second_confidence, model, made_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        records,
    )
    return con.total_changes - before


@dataclass(frozen=True)
class ModelRun:
    """One run of 重新训练并生成建议: the model's held-out evaluation and what it suggested."""

    id: int
    model: str  # the label its suggestions carry: training size, day and run, 812条@2026-11-01#3
    made_at: str
    made_by: str
    macro_f1: float
    accuracy: float
    n_train: int
    n_test: int
    per_class: pd.DataFrame  # CLASS_COLUMNS, largest support first
    excluded: dict[str, int]  # categories with too few texts to learn
    suggestions: int  # events that got a suggestion
    written: int  # of them, new pending ones (the rest were decided before)
    seconds: float


RUN_COLUMNS = [
    "id",
    "model",
    "made_at",
    "made_by",
    "macro_f1",
    "accuracy",
    "n_train",
    "n_test",
    "per_class",
    "excluded",
    "suggestions",
    "written",
    "seconds",
]


def _run(row: tuple) -> ModelRun:
    values = dict(zip(RUN_COLUMNS, row, strict=True))
    per_class = pd.DataFrame(json.loads(values["per_class"]), columns=CLASS_COLUMNS)
    return ModelRun(
        **(values | {"per_class": per_class, "excluded": json.loads(values["excluded"] or "{}")})
    )


def record_run(
    path: str | os.PathLike,
    model: Model,
    evaluation: Evaluation,
    frame: pd.DataFrame,
    by: str,
    *,
    zone: str = "Asia/Shanghai",
    seconds: float = 0.0,
) -> ModelRun:
    """Keep the run's evaluation and replace the pending suggestions by ``frame`` (made by
    ``model``), in one transaction: the figures shown are always those of the model whose
    suggestions are pending."""
    at = admin_db.now(zone)
    per_class = json.dumps(
        [
            {
                "category": str(r.category),
                "precision": float(r.precision),
                "recall": float(r.recall),
                "f1": float(r.f1),
                "support": int(r.support),
            }
            for r in evaluation.per_class.itertuples(index=False)
        ],
        ensure_ascii=False,
    )
    excluded = json.dumps(evaluation.excluded, ensure_ascii=False)
    with admin_db.opened_with(path, SCHEMA) as con, admin_db.transaction(con):
        run_id = con.execute(
            "INSERT INTO category_models (model, made_at, made_by, macro_f1, accuracy, n_train,"
            " n_test, per_class, excluded, suggestions, written, seconds, after)"
            " VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?,"
            " (SELECT coalesce(max(id), 0) FROM category_history)) RETURNING id",
            (
                at,
                by,
                evaluation.macro_f1,
                evaluation.accuracy,
                evaluation.n_train,
                evaluation.n_test,
                per_class,
                excluded,
                len(frame),
                float(seconds),
            ),
        ).fetchone()[0]
        label = f"{model.id}#{run_id}"
        written = _replace_pending(con, frame, label, at)
        con.execute(
            "UPDATE category_models SET model = ?, written = ? WHERE id = ?",
            (label, written, run_id),
        )
        row = con.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM category_models WHERE id = ?", (run_id,)
        ).fetchone()
    run = _run(row)
    detail = {"model": label, "macro_f1": round(run.macro_f1, 4), "suggestions": len(frame)}
    _audit(path, by, "category_suggest", detail | {"written": written}, zone)
    return run


def generate(
    con,
    path: str | os.PathLike,
    by: str,
    *,
    zone: str = "Asia/Shanghai",
    today: date | None = None,
    **options,
) -> ModelRun:
    """重新训练并生成建议: a model trained on the stratified 80 % of the store ``con``'s
    categorised events (``categories.train_evaluated``; ``options`` go there), evaluated on
    the other 20 %, its suggestions for the uncategorised events replacing the pending ones
    (decided ones kept), the run recorded (:func:`record_run`). ValueError when the store
    has too few categorised texts to learn from."""
    started = time.perf_counter()
    today = today or admin_db.today(zone)
    model, evaluation = categories.train_evaluated(con, today=today, **options)
    frame = categories.suggest(con, model)
    seconds = time.perf_counter() - started
    return record_run(path, model, evaluation, frame, by, zone=zone, seconds=seconds)


def latest_run(path: str | os.PathLike) -> ModelRun | None:
    """The latest :class:`ModelRun`, or None before the first."""
    if not Path(path).exists():
        return None
    with admin_db.opened_with(path, SCHEMA) as con:
        row = con.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM category_models ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return None if row is None else _run(row)


def counts(path: str | os.PathLike) -> dict[str, int]:
    """How many suggestions each status holds (every status, 0 when none)."""
    found = {}
    if Path(path).exists():
        with admin_db.opened_with(path, SCHEMA) as con:
            found = dict(
                con.execute(
                    "SELECT status, count(*) FROM category_suggestions GROUP BY status"
                ).fetchall()
            )
    return {s: int(found.get(s, 0)) for s in STATUSES}


def version(path: str | os.PathLike) -> tuple:
    """What changes with every run, decision and application: part of a cache key."""
    if not Path(path).exists():
        return ()
    with admin_db.opened_with(path, SCHEMA) as con:
        return tuple(
            con.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM category_models),"
                " (SELECT coalesce(max(id), 0) FROM category_history),"
                " (SELECT count(*) FROM category_suggestions WHERE status = 'pending')"
            ).fetchone()
        )


SUMMARY_COLUMNS = ["at", "login", "action", "rows", "model"]


def history_summary(path: str | os.PathLike, limit: int = 200) -> pd.DataFrame:
    """Who did what when, one row per run, decision or application (not per event), newest
    first: ``SUMMARY_COLUMNS`` (action: generate, accept, reject, apply, stale; model: the
    suggestions' model label(s))."""
    if not Path(path).exists():
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    with admin_db.opened_with(path, SCHEMA) as con:
        rows = con.execute(
            "SELECT at, login, action, rows, model FROM ("
            " SELECT max(h.id) AS k, 0 AS run, h.at, h.login, h.action, count(*) AS rows,"
            "  group_concat(DISTINCT s.model) AS model"
            " FROM category_history h LEFT JOIN category_suggestions s USING (event_id)"
            " GROUP BY h.at, h.login, h.action"
            " UNION ALL"
            " SELECT after + 0.5, id, made_at, made_by, 'generate', suggestions, model"
            " FROM category_models"
            ") ORDER BY k DESC, run DESC LIMIT ?",
            (int(limit),),
        ).fetchall()
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


PENDING_COLUMNS = [
    "event_id",
    "reported_at",
    "grid_name",
    "current_category",
    "suggested",
    "confidence",
    "second",
    "second_confidence",
    "description",
]


@dataclass(frozen=True)
class Pending:
    """The pending suggestions a page lists: the first ``limit`` of those passing the filters
    with their events' details (description masked), how many pass, and every category the
    pending suggestions propose (for the filter's choices)."""

    rows: pd.DataFrame  # PENDING_COLUMNS, highest confidence first
    total: int
    categories: list[str]


def _masked(description, name) -> str | None:
    """The description as a page may show it: phones, ID and house numbers masked, and the
    reporter's own name (张三 → 张*) wherever the text repeats it."""
    shown = masking.mask_description(description)
    if shown and isinstance(name, str) and len(name.strip()) >= 2:
        shown = shown.replace(name.strip(), masking.mask_name(name.strip()) or "*")
    return shown


def pending_view(
    con,
    path: str | os.PathLike,
    *,
    min_confidence: float = 0.0,
    category: str | None = None,
    limit: int = 1000,
) -> Pending:
    """The pending suggestions of confidence ≥ ``min_confidence`` (suggesting ``category``
    when given) joined with their events in the store ``con``: report time, grid name and
    the masked description. Events gone from the store keep their row, details empty."""
    frame = load(path, "pending")
    proposed = sorted(frame["suggested"].dropna().astype(str).unique().tolist())
    chosen = frame["confidence"] >= min_confidence
    if category:
        chosen &= frame["suggested"] == category
    frame = frame[chosen].reset_index(drop=True)
    total = len(frame)
    frame = frame.head(limit)
    ids = frame["event_id"].astype(str).tolist()
    details = pd.DataFrame(columns=["event_id", "reported_at", "grid_id", "description", "name"])
    if ids:
        t = con.table("events")
        details = (
            t.filter(t.event_id.isin(ids))
            .select("event_id", "reported_at", "grid_id", "description", name=t.reporter_name)
            .execute()
            .drop_duplicates("event_id")
        )
    names = queries.unit_names(con) if len(details) else {}
    details = details.assign(
        grid_name=[names.get(g, g) if isinstance(g, str) else None for g in details["grid_id"]],
        description=[
            _masked(d, n) for d, n in zip(details["description"], details["name"], strict=True)
        ],
    )
    rows = frame.merge(
        details[["event_id", "reported_at", "grid_name", "description"]],
        on="event_id",
        how="left",
    )
    return Pending(rows=rows[PENDING_COLUMNS], total=total, categories=proposed)


def select(
    path: str | os.PathLike,
    *,
    min_confidence: float = 0.0,
    max_confidence: float = 1.0,
    category: str | None = None,
    status: str = "pending",
) -> list[str]:
    """The event ids of the suggestions of ``status`` with a confidence in
    [``min_confidence``, ``max_confidence``] (and suggesting ``category`` when given)."""
    frame = load(path, status)
    chosen = frame["confidence"].between(min_confidence, max_confidence)
    if category:
        chosen &= frame["suggested"] == category
    return frame.loc[chosen, "event_id"].astype(str).tolist()


def _history(con: sqlite3.Connection, at: str, by: str, action: str, rows: Iterable) -> None:
    con.executemany(
        "INSERT INTO category_history (at, login, action, event_id, before, suggested)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(at, by, action, event_id, before, suggested) for event_id, before, suggested in rows],
    )


def _audit(path, by: str, action: str, detail: dict, zone: str) -> None:
    audit.record_now(path, audit.Entry(login=by, action=action, detail=detail), zone)


def decide(
    path: str | os.PathLike,
    event_ids: Iterable[str],
    accept: bool,
    by: str,
    *,
    zone: str = "Asia/Shanghai",
    detail: dict | None = None,
) -> int:
    """Accept (``accept``) or reject the pending suggestions of ``event_ids``; returns how
    many were decided (others are not pending and stay as they are). The events are not
    touched: accepted ones reach them by :func:`apply_accepted`. Audited with ``detail``
    (e.g. the confidence threshold the admin chose)."""
    action = "category_accept" if accept else "category_reject"
    audit.Entry(login=by, action=action)  # an action the log refuses fails before any change
    ids = sorted({str(e) for e in event_ids})
    status = "accepted" if accept else "rejected"
    at = admin_db.now(zone)
    with admin_db.opened_with(path, SCHEMA) as con, admin_db.transaction(con):
        decided = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            decided += con.execute(
                "UPDATE category_suggestions SET status = ?, decided_by = ?, decided_at = ?"
                f" WHERE status = 'pending' AND event_id IN ({marks})"
                " RETURNING event_id, current_category, suggested",
                (status, by, at, *chunk),
            ).fetchall()
        _history(con, at, by, "accept" if accept else "reject", decided)
    if decided:
        counts = pd.Series([s for *_, s in decided]).value_counts()
        entry = {"rows": len(decided), "by_category": {str(k): int(v) for k, v in counts.items()}}
        _audit(path, by, action, entry | (detail or {}), zone)
    return len(decided)


def _current(con, ids: list[str]) -> pd.DataFrame:
    """The full ``events`` rows of ``ids`` as stored (Arrow types, so they write back exactly)."""
    view = "apply_ids"
    con.register(view, pa.table({"event_id": pa.array(ids, pa.string())}))
    try:
        columns = ", ".join(f'e."{c}"' for c in EVENT_COLUMNS)
        table = con.sql(
            f"SELECT {columns} FROM events e SEMI JOIN {view} USING (event_id) ORDER BY event_id"
        ).to_arrow_table()
    finally:
        con.unregister(view)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _same(stored, recorded) -> bool:
    """Whether the event's category now is the one the suggestion was made for."""

    def norm(c):
        return c.strip() if isinstance(c, str) else ""

    return norm(stored) == norm(recorded)


def apply_accepted(
    db: str | os.PathLike | None,
    admin_path: str | os.PathLike,
    by: str,
    *,
    zone: str = "Asia/Shanghai",
    progress: Callable[[str, float], None] | None = None,
) -> ImportResult | None:
    """Write the accepted categories into the events of the store ``db`` as one import
    (``imports`` row, the store's writer, Spark published after), the rest of each row as
    it is. Accepted suggestions whose event no longer holds the category they were made for
    (re-imported, or gone) become ``stale``; applied ones ``applied`` with the import's id,
    so nothing is applied twice. None when no event was written."""
    report = progress or (lambda message, fraction: None)
    audit.Entry(login=by, action="category_apply")  # fails before any change, if refused
    accepted = load(admin_path, "accepted")
    if accepted.empty:
        return None
    url = db_url(db)
    path = staging_path(url)
    started = local_now(zone)
    wanted = dict(zip(accepted["event_id"], accepted["suggested"], strict=True))
    recorded = dict(zip(accepted["event_id"], accepted["current_category"], strict=True))
    result = None
    try:
        with writing(path) as con:
            rows = _current(con, sorted(wanted))
            stored = rows["category"].astype(object).where(rows["category"].notna(), None)
            events = list(zip(rows["event_id"], stored, strict=True))
            # done: applied by an earlier run whose admin-database update was lost
            done = [e for e, c in events if c == wanted[e]]
            fresh = [_same(c, recorded[e]) and c != wanted[e] for e, c in events]
            rows = rows[fresh].reset_index(drop=True)
            if rows.empty:
                raise _NothingToWrite
            rows["category"] = pd.Series(
                [wanted[e] for e in rows["event_id"]], dtype=rows["category"].dtype
            )
            pairs = "\n".join(
                f"{e}\t{c}" for e, c in zip(rows["event_id"], rows["category"], strict=True)
            )
            sha256 = hashlib.sha256(pairs.encode()).hexdigest()
            state = Rows(
                raw=rows.iloc[0:0],
                source_row=np.arange(1, len(rows) + 1),
                reason=pd.Series(None, index=rows.index, dtype=object),
            )
            result = finish(
                con,
                state,
                rows,
                kind="events",
                label="事件编号",
                name=f"{FILE_NAME} {started:%Y-%m-%d %H:%M}",
                sha256=sha256,
                started=started,
                zone=zone,
                raw_of=lambda bad: pd.Series([], dtype=object),
                blank_rows=0,
                created=0,
                dry_run=False,
            )
    except _NothingToWrite:
        pass
    if result is not None:
        publish_import(result, url, report)
    written = set(rows["event_id"]) if result is not None else set()
    applied = set(done) | written
    stale = set(wanted) - applied
    at = admin_db.now(zone)
    with admin_db.opened_with(admin_path, SCHEMA) as con, admin_db.transaction(con):
        con.executemany(
            "UPDATE category_suggestions SET status = 'applied', applied_at = ?,"
            " import_id = ? WHERE event_id = ? AND status = 'accepted'",
            [(at, result.import_id if e in written else None, e) for e in sorted(applied)],
        )
        con.executemany(
            "UPDATE category_suggestions SET status = 'stale' WHERE event_id = ?"
            " AND status = 'accepted'",
            [(e,) for e in sorted(stale)],
        )
        _history(con, at, by, "apply", [(e, recorded[e], wanted[e]) for e in sorted(applied)])
        _history(con, at, by, "stale", [(e, recorded[e], wanted[e]) for e in sorted(stale)])
    detail = {"applied": len(applied), "stale": len(stale)}
    if result is not None:
        detail |= audit.import_detail(result, result.file_name, sha256, "events")
    _audit(admin_path, by, "category_apply", detail, zone)
    return result


class _NothingToWrite(Exception):
    """Every accepted suggestion was stale or already applied: the copy is discarded."""
