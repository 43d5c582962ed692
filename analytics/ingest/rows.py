"""The rows of an import and how every import ends: validated, upserted, quarantined, counted.

Every importer (events, grids, buildings, workers) holds its data rows in :class:`Rows`
while its rules reject some of them, then calls :func:`finish`: duplicates within the file
settled, the accepted rows upserted (:func:`upsert`), the rejected ones written to
``quarantine`` with their text as it stood in the file (:func:`raw_text`) and a Chinese
reason, and the ``imports`` row recorded; rows_read = accepted + updated + unchanged +
quarantined (:class:`ImportResult`). What was written is read back: figures that do not
agree raise :class:`ImportCheckFailed` and the transaction is aborted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.connection import PublishFailed, publish_if_spark, store_path
from analytics.ingest.reading import ImportFileError
from analytics.masking import mask_text
from analytics.settings import local_now


@dataclass
class Rows:
    """The data rows under validation with their reasons (first failing rule wins)."""

    raw: pd.DataFrame  # one column per canonical column, strings
    source_row: np.ndarray
    reason: pd.Series
    unmapped: dict[str, int] = field(default_factory=dict)  # column -> values made other/none

    def reject(self, mask: pd.Series, reason: str, values: pd.Series | None = None) -> None:
        """Give rows of ``mask`` without a reason yet this one; ``{}`` takes the row's value,
        with any phone or ID number in it masked (reasons are shown on the import page; the
        row itself stays whole in the quarantine table)."""
        fresh = mask.fillna(False).astype(bool) & self.reason.isna()
        if not fresh.any():
            return
        if values is None:
            self.reason[fresh] = reason
        else:
            self.reason[fresh] = values[fresh].map(lambda v: reason.format(mask_text(str(v))))


@dataclass
class ImportResult:
    import_id: str
    file_name: str
    rows_read: int
    rows_accepted: int
    rows_updated: int
    rows_unchanged: int
    rows_quarantined: int
    blank_rows: int
    created_units: int
    reasons: dict[str, int]
    quarantined: pd.DataFrame = field(default_factory=pd.DataFrame)  # source_row, reason (≤200)
    dry_run: bool = False
    quarantine_new: int = 0  # quarantined rows not already kept from an earlier import
    preset: str = ""  # the preset used ("mapping" for a user's mapping)
    preset_reason: str = ""  # why ``auto`` chose it (empty when named)
    other_values: dict[str, int] = field(default_factory=dict)  # column -> rows made other/none
    notes: list[str] = field(default_factory=list)  # what was completed or assumed, in Chinese
    # Set when the import was written to Spark's staging file but could not be published:
    # the data are imported (and audited), Spark still shows the previous version.
    publish_error: str = ""

    def summary(self) -> str:
        text = (
            f"读取 {self.rows_read:,} 行:新增 {self.rows_accepted:,},更新 {self.rows_updated:,},"
            f"未变 {self.rows_unchanged:,},隔离 {self.rows_quarantined:,}"
        )
        if self.blank_rows:
            text += f"(另跳过空行 {self.blank_rows:,})"
        if self.created_units:
            text += f";新建区划/网格 {self.created_units:,} 个"
        return text


def raw_text(cells: pd.DataFrame, delimiter: str) -> pd.Series:
    """Rows as text, as they stood in the file (trailing empty cells dropped)."""
    if cells.empty:
        return pd.Series([], dtype="object")
    return cells.apply(lambda r: delimiter.join(r.tolist()).rstrip(delimiter), axis=1)


class ImportCheckFailed(RuntimeError):
    """What an import wrote does not read back as meant: it is aborted, nothing changes."""


def upsert(con, table: str, key: str, incoming: pd.DataFrame) -> tuple[int, int, int]:
    """Insert new keys, replace changed rows, keep identical ones: (new, updated, unchanged).

    ``incoming`` holds the table's columns in order, one row per key. The rows are read
    straight from an Arrow view in every statement, never staged in a temporary table (a
    TEMP table filled inside a transaction lost every row past 122,880 on duckdb 2.0.0).
    The figures are read back from the table after the write and must agree with what was
    meant: every incoming row is present exactly as given, and the table grew by the new
    rows alone; otherwise :class:`ImportCheckFailed` aborts the transaction.
    """
    schema = con.execute(f"DESCRIBE {table}").fetchall()
    typed = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind, *_ in schema)
    cols = ", ".join(f'"{name}"' for name, *_ in schema)
    view = f"incoming_{uuid.uuid4().hex[:8]}"
    con.register(
        view, pa.Table.from_pandas(incoming[[n for n, *_ in schema]], preserve_index=False)
    )
    rows = f"(SELECT {typed} FROM {view})"

    def scalar(sql: str) -> int:
        return int(con.execute(sql).fetchall()[0][0])

    try:
        before = scalar(f"SELECT count(*) FROM {table}")
        existing = scalar(f"SELECT count(*) FROM {rows} i SEMI JOIN {table} USING ({key})")
        changed_keys = (
            f"SELECT {key} FROM (SELECT {cols} FROM {rows} i SEMI JOIN {table} USING ({key}) "
            f"EXCEPT SELECT {cols} FROM {table})"
        )
        changed = scalar(f"SELECT count(*) FROM ({changed_keys})")
        deleted = scalar(f"DELETE FROM {table} WHERE {key} IN ({changed_keys})") if changed else 0
        con.execute(
            f"INSERT INTO {table} SELECT {cols} FROM {rows} i ANTI JOIN {table} USING ({key})"
        )
        after = scalar(f"SELECT count(*) FROM {table}")
        missing = scalar(
            f"SELECT count(*) FROM (SELECT {cols} FROM {rows} EXCEPT SELECT {cols} FROM {table})"
        )
    finally:
        con.unregister(view)
    new = len(incoming) - existing
    if deleted != changed or after - before != new or missing:
        raise ImportCheckFailed(
            f"写入 {table} 后核对不符(应新增 {new:,} 行、更新 {changed:,} 行,"
            f"实际新增 {after - before:,} 行、替换 {deleted:,} 行、缺少 {missing:,} 行),"
            "导入已撤销,数据库未改变。请把文件和这条信息反馈给管理员。"
        )
    return new, changed, existing - changed


def finish(
    con,
    state: Rows,
    frame: pd.DataFrame,
    *,
    kind: str,
    label: str,
    name: str,
    sha256: str,
    started: datetime,
    zone: str,
    raw_of: Callable[[np.ndarray], pd.Series],
    blank_rows: int,
    created: int,
    dry_run: bool,
) -> ImportResult:
    """The end of every import (events, grids, buildings, workers): duplicates within the
    file settled, the accepted rows of ``frame`` (the table's columns, keyed by the first)
    upserted into table ``kind``, the quarantined rows (their raw text from ``raw_of(mask)``)
    and the ``imports`` row written, its times on the district's clock (``zone``);
    rows_read = accepted + updated + unchanged + quarantined."""
    key = frame.columns[0]
    exact = _settle_duplicates(state, frame, key, label)
    ok = state.reason.isna()
    before = con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
    accepted, updated, unchanged = upsert(con, kind, key, frame[ok & ~exact].reset_index(drop=True))
    bad = (~ok).to_numpy()
    result = ImportResult(
        import_id=uuid.uuid4().hex[:12],
        file_name=name,
        rows_read=len(frame),
        rows_accepted=accepted,
        rows_updated=updated,
        rows_unchanged=unchanged + int(exact.sum()),
        rows_quarantined=int(bad.sum()),
        blank_rows=blank_rows,
        created_units=created,
        reasons={},
        dry_run=dry_run,
    )
    quarantined = pd.DataFrame(
        {
            "import_id": result.import_id,
            "source_file": name,
            "source_row": np.asarray(state.source_row[bad]),
            "raw": np.asarray(raw_of(bad), dtype=object),
            "reason": np.asarray(state.reason[bad], dtype=object),
        }
    )
    result.quarantine_new = _keep_quarantined(con, quarantined)
    result.reasons = _reason_counts(quarantined["reason"])
    result.quarantined = quarantined[["source_row", "reason"]].head(200).reset_index(drop=True)
    parts = (result.rows_accepted, result.rows_updated, result.rows_unchanged)
    assert result.rows_read == sum(parts) + result.rows_quarantined
    figures = [result.rows_read, result.rows_accepted, result.rows_updated,
               result.rows_unchanged, result.rows_quarantined]  # fmt: skip
    con.execute(
        "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.import_id, kind, name, sha256, *figures, started, local_now(zone)],
    )
    stored = con.execute(
        "SELECT rows_read, rows_accepted, rows_updated, rows_unchanged, rows_quarantined "
        "FROM imports WHERE import_id = ?",
        [result.import_id],
    ).fetchall()
    after = con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
    if [list(r) for r in stored] != [figures] or after - before != accepted:
        raise ImportCheckFailed(
            f"导入后核对不符(应新增 {accepted:,} 行,{kind} 表实际增加 {after - before:,} 行),"
            "导入已撤销,数据库未改变。请把文件和这条信息反馈给管理员。"
        )
    return result


def _keep_quarantined(con, quarantined: pd.DataFrame) -> int:
    """Write the quarantined rows not already kept from an earlier import of the same file
    (same file name, row, text and reason), so a re-import adds no second copy; the number
    written is read back and checked."""
    view = f"quarantined_{uuid.uuid4().hex[:8]}"
    con.register(view, pa.Table.from_pandas(quarantined, preserve_index=False))
    try:
        fresh = (
            f"SELECT CAST(import_id AS VARCHAR), CAST(source_file AS VARCHAR), "
            f"CAST(source_row AS BIGINT), CAST(raw AS VARCHAR), CAST(reason AS VARCHAR) "
            f"FROM {view} q WHERE NOT EXISTS (SELECT 1 FROM quarantine k WHERE "
            "k.source_file IS NOT DISTINCT FROM q.source_file AND k.source_row = q.source_row "
            "AND k.raw IS NOT DISTINCT FROM q.raw AND k.reason = q.reason)"
        )
        expected = int(con.execute(f"SELECT count(*) FROM ({fresh})").fetchall()[0][0])
        con.execute(f"INSERT INTO quarantine {fresh}")
    finally:
        con.unregister(view)
    import_id = quarantined["import_id"].iloc[0] if len(quarantined) else None
    written = con.execute(
        "SELECT count(*) FROM quarantine WHERE import_id = ?", [import_id]
    ).fetchall()[0][0]
    if written != expected:
        raise ImportCheckFailed(
            f"隔离表写入后核对不符(应写入 {expected:,} 行,实际 {written:,} 行),"
            "导入已撤销,数据库未改变。"
        )
    return expected


def _settle_duplicates(state: Rows, frame: pd.DataFrame, key: str, label: str) -> pd.Series:
    """Rows repeating an earlier accepted row's key: identical ones are exact duplicates
    (returned: counted as unchanged, not written again); contradicting ones are quarantined."""
    ok = state.reason.isna()
    ids = frame.loc[ok, key]
    twice = ok & frame[key].isin(ids[ids.duplicated()])  # only these need hashing
    seen = frame.loc[twice, [key]].assign(k=_content_key(frame.loc[twice]))
    repeated = seen[key].duplicated()
    same = seen["k"] == seen.groupby(key)["k"].transform("first")
    exact = (repeated & same).reindex(frame.index, fill_value=False)
    conflict = (repeated & ~same).reindex(frame.index, fill_value=False)
    state.reject(
        conflict, f"{label}「{{}}」在本文件中重复且内容不同,以第一次出现的行为准", frame[key]
    )
    return exact


def _reason_counts(reasons: pd.Series) -> dict[str, int]:
    """Reasons grouped by rule (the value in 「」 left out), most frequent first."""
    rules = reasons.str.replace(r"「[^」]*」", "", regex=True)
    return {k: int(v) for k, v in rules.value_counts().items()}


def _content_key(frame: pd.DataFrame) -> pd.Series:
    return pd.util.hash_pandas_object(frame.astype("string"), index=False)


def staging_path(url: str) -> Path:
    """The DuckDB file an import writes for the store ``url`` (``connection.store_path``: the
    file itself, or Spark's staging file); a store it cannot write is the import's error."""
    try:
        return store_path(url)
    except ValueError as exc:
        raise ImportFileError(str(exc)) from exc


def publish_import(result: ImportResult, url: str, report: Callable[[str, float], None]) -> None:
    """After a committed import, publish the staging file when the store is Spark (the last
    tenth of the progress). A failed publish does not undo the import: it is kept in
    ``result.publish_error`` for the page and the CLI to show."""
    if result.dry_run:
        return
    try:
        publish_if_spark(url, lambda stage, fraction: report(stage, 0.9 + fraction * 0.1))
    except PublishFailed as exc:
        result.publish_error = str(exc)
