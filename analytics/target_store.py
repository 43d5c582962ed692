"""Where targets live: the admin database, with an append-only history of every change.

Targets sit in the admin SQLite file beside accounts and the audit log (``analytics.admin_db``
says why not in DuckDB: an edit must not rewrite or republish the event store). Each change
— set on the admin page or the CLI, removed, imported from a file — leaves a
``target_history`` row saying who changed what and when, with the target before and after;
the database refuses to update or delete those rows.

Files are CSV in display units (95 for 95 %, hours in hours), so that an office can keep its
targets in a spreadsheet: :func:`to_csv` writes one, :func:`parse_csv` reads one back and
keeps every row it cannot use with the reason, in Chinese.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analytics import admin_db, metrics, targets
from analytics import formats as fmt

SCHEMA = """
CREATE TABLE IF NOT EXISTS targets (
    metric     TEXT NOT NULL,
    unit_id    TEXT NOT NULL DEFAULT '',
    op         TEXT NOT NULL,
    target     REAL NOT NULL,
    amber      REAL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (metric, unit_id)
);
CREATE TABLE IF NOT EXISTS target_history (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    login   TEXT NOT NULL,
    action  TEXT NOT NULL,
    metric  TEXT NOT NULL,
    unit_id TEXT NOT NULL DEFAULT '',
    before  TEXT,
    after   TEXT
);
CREATE TRIGGER IF NOT EXISTS target_history_no_update BEFORE UPDATE ON target_history
BEGIN SELECT RAISE(ABORT, 'target_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS target_history_no_delete BEFORE DELETE ON target_history
BEGIN SELECT RAISE(ABORT, 'target_history is append-only'); END;
"""
ACTIONS = {"set": "设定", "remove": "删除", "import": "导入"}
HISTORY_COLUMNS = ["at", "login", "action", "metric", "unit_id", "before", "after"]
CSV_COLUMNS = ["指标代码", "指标", "单位编码", "单位", "方向", "目标值", "预警线"]
REJECTED_COLUMNS = ["行号", "内容", "原因"]
DISTRICT = "全区"
_DIRECTIONS = {
    ">=": ">=",
    "≥": ">=",
    "=>": ">=",
    "不低于": ">=",
    "<=": "<=",
    "≤": "<=",
    "=<": "<=",
    "不高于": "<=",
}


def _order(metric: str) -> int:
    return (
        targets.TARGETABLE.index(metric)
        if metric in targets.TARGETABLE
        else len(targets.TARGETABLE)
    )


def _state(t: targets.Target) -> str:
    """A target as stored in a history row (JSON, so that it reads back exactly)."""
    return json.dumps({"op": t.op, "target": t.target, "amber": t.amber}, sort_keys=True)


def _from_state(metric: str, unit: str, state: str | None) -> targets.Target | None:
    if not state:
        return None
    data = json.loads(state)
    return targets.Target(
        metric=metric, target=data["target"], op=data["op"], amber=data["amber"], unit_id=unit
    )


def _stored(con: sqlite3.Connection, metric: str, unit: str) -> targets.Target | None:
    row = con.execute(
        "SELECT op, target, amber FROM targets WHERE metric = ? AND unit_id = ?", (metric, unit)
    ).fetchone()
    if row is None:
        return None
    return targets.Target(metric=metric, target=row[1], op=row[0], amber=row[2], unit_id=unit)


def _record(
    con: sqlite3.Connection,
    at: str,
    by: str,
    action: str,
    metric: str,
    unit: str,
    before: targets.Target | None,
    after: targets.Target | None,
) -> None:
    con.execute(
        "INSERT INTO target_history (at, login, action, metric, unit_id, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            at,
            by,
            action,
            metric,
            unit,
            None if before is None else _state(before),
            None if after is None else _state(after),
        ),
    )


def _write(con: sqlite3.Connection, t: targets.Target, by: str, at: str, action: str) -> bool:
    """Upsert ``t`` with a history row; False (and nothing written) when it is unchanged."""
    unit = t.unit_id or ""
    before = _stored(con, t.metric, unit)
    if before == targets.Target(
        metric=t.metric, target=t.target, op=t.op, amber=t.amber, unit_id=unit
    ):
        return False
    con.execute(
        "INSERT INTO targets (metric, unit_id, op, target, amber, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (metric, unit_id) DO UPDATE SET op = excluded.op,"
        " target = excluded.target, amber = excluded.amber,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (t.metric, unit, t.op, t.target, t.amber, at, by),
    )
    _record(con, at, by, action, t.metric, unit, before, t)
    return True


def _delete(con: sqlite3.Connection, metric: str, unit: str, by: str, at: str) -> bool:
    before = _stored(con, metric, unit)
    if before is None:
        return False
    con.execute("DELETE FROM targets WHERE metric = ? AND unit_id = ?", (metric, unit))
    _record(con, at, by, "remove", metric, unit, before, None)
    return True


def _with_units(frame: pd.DataFrame) -> pd.DataFrame:
    """``unit_id`` as Python objects, None for the district (pandas would make it NaN)."""
    units = [None if _blank(u) else u for u in frame["unit_id"]]
    return frame.assign(unit_id=pd.Series(units, index=frame.index, dtype=object))


def load(path: str | os.PathLike) -> pd.DataFrame:
    """Every stored target: ``targets.FRAME_COLUMNS`` plus ``updated_at`` and ``updated_by``;
    ``unit_id`` None for the district; in ``TARGETABLE`` order, the district first."""
    with admin_db.opened_with(path, SCHEMA) as con:
        rows = con.execute(
            "SELECT metric, unit_id, op, target, amber, updated_at, updated_by FROM targets"
        ).fetchall()
    rows.sort(key=lambda r: (_order(r[0]), r[0], r[1] != "", r[1]))
    columns = [*targets.FRAME_COLUMNS, "updated_at", "updated_by"]
    records = [
        dict(zip(columns, (m, u or None, op, value, amber, at, by), strict=True))
        for m, u, op, value, amber, at, by in rows
    ]
    return _with_units(pd.DataFrame(records, columns=columns))


def book(path: str | os.PathLike) -> targets.Book:
    """The district's targets, ready to look up (``targets.Book``)."""
    return targets.Book(load(path))


def has_any(path: str | os.PathLike) -> bool:
    """Whether any target is set: without one, pages show figures and a prompt to set them."""
    with admin_db.opened_with(path, SCHEMA) as con:
        return con.execute("SELECT 1 FROM targets LIMIT 1").fetchone() is not None


def put(
    path: str | os.PathLike,
    t: targets.Target,
    by: str,
    units: Sequence[str] | None = None,
    zone: str = "Asia/Shanghai",
) -> targets.Target:
    """Set ``t`` (replacing the same metric and unit's target), checked by
    ``targets.validate`` against ``units`` (the street and community ids); returns it as
    stored. Setting a target to what it already is changes nothing and leaves no history."""
    t = targets.validate(t, units)
    with admin_db.opened_with(path, SCHEMA) as con, admin_db.transaction(con):
        _write(con, t, by, admin_db.now(zone), "set")
    return t


def remove(
    path: str | os.PathLike,
    metric: str,
    unit_id: str | None,
    by: str,
    zone: str = "Asia/Shanghai",
) -> bool:
    """Remove the target of ``metric`` set for ``unit_id`` (None: the district's); False when
    there was none. The unit then follows the target of the unit above it."""
    with admin_db.opened_with(path, SCHEMA) as con, admin_db.transaction(con):
        return _delete(con, metric, unit_id or "", by, admin_db.now(zone))


def _history_text(metric: str, unit: str, state: str | None) -> str:
    if not state:
        return ""
    try:
        return targets.describe(_from_state(metric, unit, state))
    except (KeyError, ValueError):  # a metric this version no longer knows
        return state


def history(path: str | os.PathLike, limit: int = 500) -> pd.DataFrame:
    """The latest ``limit`` changes, newest first: at, login, action (set / remove / import),
    metric, unit_id (None: the district), before and after (``targets.describe`` text, ''
    when there was no target)."""
    with admin_db.opened_with(path, SCHEMA) as con:
        rows = con.execute(
            "SELECT at, login, action, metric, unit_id, before, after FROM target_history"
            " ORDER BY id DESC LIMIT ?",
            (int(limit),),
        ).fetchall()
    records = [
        {
            "at": at,
            "login": login,
            "action": action,
            "metric": metric,
            "unit_id": unit or None,
            "before": _history_text(metric, unit, before),
            "after": _history_text(metric, unit, after),
        }
        for at, login, action, metric, unit, before, after in rows
    ]
    return _with_units(pd.DataFrame(records, columns=HISTORY_COLUMNS))


def import_targets(
    path: str | os.PathLike,
    items: Sequence[targets.Target],
    by: str,
    replace: bool = False,
    zone: str = "Asia/Shanghai",
) -> int:
    """Store ``items`` (already checked, e.g. by :func:`parse_csv`) in one transaction, each
    change with an ``import`` history row; ``replace`` also removes every stored target the
    file does not have (``remove`` rows). Returns the number of changes: targets added or
    changed (one already as in the file is no change) plus targets removed."""
    checked = [targets.validate(t) for t in items]
    at = admin_db.now(zone)
    changes = 0
    with admin_db.opened_with(path, SCHEMA) as con, admin_db.transaction(con):
        for t in checked:
            changes += _write(con, t, by, at, "import")
        if replace:
            keep = {(t.metric, t.unit_id or "") for t in checked}
            stored = con.execute("SELECT metric, unit_id FROM targets").fetchall()
            for metric, unit in stored:
                if (metric, unit) not in keep:
                    changes += _delete(con, metric, unit, by, at)
    return changes


# ---- files ------------------------------------------------------------------------------


def value_text(metric: str, x: float | None) -> str:
    """A target value as a file or the CLI writes it: rates in percent numbers (95 for
    0.95), hours in hours, counts as counts; '' for none."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    shown = float(x) * 100 if metrics.unit(metric) == "rate" else float(x)
    return f"{shown:.6f}".rstrip("0").rstrip(".")


_SUFFIXES = re.compile(r"(%|％|个百分点|小时|h|件|个)$", re.IGNORECASE)


def value_from_text(metric: str, text: str, what: str = "目标值") -> float:
    """A value written in display units (``95``, ``95%``, ``2小时``, ``1,200``) in the
    metric's own unit (0.95, 2.0, 1200.0); TargetError, in Chinese, when it is no number."""
    raw = str(text).strip()
    cleaned = _SUFFIXES.sub("", raw.replace(",", "").replace(",", "")).strip()
    name = metrics.label(metric)
    try:
        value = float(cleaned)
    except ValueError:
        raise targets.TargetError(f"{name}的{what}不是数字:{raw}。") from None
    if not math.isfinite(value):
        raise targets.TargetError(f"{name}的{what}不是有限的数字。")
    if metrics.unit(metric) == "rate":
        return value / 100
    return value


def metric_named(text: str) -> str:
    """The metric a user wrote by code (``on_time_rate``) or Chinese label (按时办结率)."""
    key = str(text).strip()
    if key in metrics.METRICS:
        return key
    for name, m in metrics.METRICS.items():
        if m.label == key:
            return name
    raise targets.TargetError(
        f"没有指标“{key}”:请写指标代码(如 on_time_rate)或名称(如 按时办结率)。"
    )


def direction(text: str, metric: str) -> str:
    """``>=`` or ``<=`` from what a file says (also ≥ ≤ 不低于 不高于); the metric's own
    direction when empty."""
    key = str(text).strip().replace(" ", "")
    if not key:
        return targets.default_op(metric)
    if key not in _DIRECTIONS:
        raise targets.TargetError(f"方向须为 >= 或 <=(也可写 ≥、≤),不是 {text}。")
    return _DIRECTIONS[key]


def _blank(x) -> bool:
    return x is None or x is pd.NA or x == "" or (isinstance(x, float) and math.isnan(x))


def to_csv(frame: pd.DataFrame, names: Mapping[str, str]) -> bytes:
    """``frame`` (``load`` or ``targets.frame``) as a CSV file Excel opens (UTF-8 with BOM):
    one row per target in ``CSV_COLUMNS``, values in display units, the unit by code and
    name (全区 for the district). :func:`parse_csv` reads it back."""
    rows = []
    for row in frame.itertuples(index=False):
        unit = None if _blank(row.unit_id) else str(row.unit_id)
        amber = None if _blank(row.amber) else float(row.amber)
        rows.append(
            {
                "指标代码": row.metric,
                "指标": metrics.label(row.metric) if row.metric in metrics.METRICS else "",
                "单位编码": unit or "",
                "单位": DISTRICT if unit is None else names.get(unit, unit),
                "方向": row.op,
                "目标值": value_text(row.metric, float(row.target)),
                "预警线": value_text(row.metric, amber),
            }
        )
    return fmt.csv_bytes(pd.DataFrame(rows, columns=CSV_COLUMNS), lineterminator="\r\n")


@dataclass(frozen=True)
class Parsed:
    """What a targets file holds: the usable targets, and every other row with the reason."""

    targets: list[targets.Target]
    rejected: pd.DataFrame  # columns REJECTED_COLUMNS


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise targets.TargetError("无法识别文件编码:请保存为 UTF-8 或 GBK 编码的 CSV。") from None


def _unit_named(
    code: str, name: str, units: Sequence[str], by_name: Mapping[str, list[str]]
) -> str | None:
    """The unit a row means: by code, else by name; None for the district (empty, 全区)."""
    allowed = set(units)
    for text in (code, name):
        text = text.strip()
        if text.startswith("'") and text[1:] in allowed | set(by_name):
            text = text[1:]  # the guard to_csv put before a name a spreadsheet would run
        if text in allowed:
            return text
        if text in by_name:
            found = by_name[text]
            if len(found) > 1:
                raise targets.TargetError(
                    f"有 {len(found)} 个单位名为“{text}”({'、'.join(found)}):请填写单位编码。"
                )
            return found[0]
        if text and text != DISTRICT:
            raise targets.TargetError(f"没有编码或名称为“{text}”的街道或社区。")
    return None


def _target_of(
    row: Mapping[str, str], units: Sequence[str], by_name: Mapping[str, list[str]]
) -> targets.Target:
    code, label = row.get("指标代码", "").strip(), row.get("指标", "").strip()
    if not code and not label:
        raise targets.TargetError("没有填写指标。")
    metric = metric_named(code or label)
    unit = _unit_named(row.get("单位编码", ""), row.get("单位", ""), units, by_name)
    op = direction(row.get("方向", ""), metric)
    written = row.get("目标值", "").strip()
    if not written:
        raise targets.TargetError(f"{metrics.label(metric)}没有填写目标值。")
    value = value_from_text(metric, written)
    if (
        metrics.unit(metric) == "rate"
        and op == ">="
        and 0 < value < 0.01
        and "%" not in written
        and "％" not in written
    ):
        raise targets.TargetError(
            f"{metrics.label(metric)}的目标值 {written} 像是小数写法:比率请写百分数,"
            f"如 95 表示 95%。"
        )
    amber_text = row.get("预警线", "").strip()
    amber = value_from_text(metric, amber_text, "预警线") if amber_text else None
    t = targets.Target(metric=metric, target=value, op=op, amber=amber, unit_id=unit)
    return targets.validate(t, units)


def parse_csv(
    content: bytes, units: Sequence[str], names: Mapping[str, str] | None = None
) -> Parsed:
    """The targets of a CSV file (UTF-8, with or without BOM, or GB18030) in ``CSV_COLUMNS``
    (指标代码 or 指标, and 目标值, are needed; the rest may be left out): metrics by code or
    Chinese label, units by code or name (``names``: unit_id → name; empty or 全区 = the
    district). Every row that cannot be used is kept in ``rejected`` with its line number
    and the reason, as is the later of two rows for the same metric and unit. TargetError
    when the header lacks the needed columns."""
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    header = [str(h).strip().lstrip("\ufeff") for h in header or []]
    if not ({"指标代码", "指标"} & set(header)) or "目标值" not in header:
        raise targets.TargetError(
            "文件缺少表头:第一行须含“指标代码”或“指标”,以及“目标值”(可选:单位编码、单位、"
            "方向、预警线)。可先导出一份目标文件作为模板。"
        )
    allowed = set(units)
    by_name: dict[str, list[str]] = {}
    for unit_id, name in (names or {}).items():
        if unit_id in allowed and name:
            by_name.setdefault(str(name).strip(), []).append(unit_id)
    found: list[targets.Target] = []
    first_line: dict[tuple[str, str | None], int] = {}
    rejected = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        content_text = ",".join(cells)
        if len(cells) > len(header):
            rejected.append((number, content_text, f"列数({len(cells)})多于表头({len(header)})。"))
            continue
        row = dict(zip(header, cells, strict=False))
        try:
            t = _target_of(row, units, by_name)
        except targets.TargetError as exc:
            rejected.append((number, content_text, str(exc)))
            continue
        key = (t.metric, t.unit_id)
        if key in first_line:
            where = DISTRICT if t.unit_id is None else t.unit_id
            rejected.append(
                (
                    number,
                    content_text,
                    f"与第 {first_line[key]} 行重复({metrics.label(t.metric)},{where}):"
                    "同一指标和单位只能有一行。",
                )
            )
            continue
        first_line[key] = number
        found.append(t)
    return Parsed(targets=found, rejected=pd.DataFrame(rejected, columns=REJECTED_COLUMNS))


# ---- the demo district ------------------------------------------------------------------


def demo_targets() -> list[targets.Target]:
    """Targets an office of the demo district (渝兴区) could set, chosen against its figures
    for this year to date (1M-event demo: 办结率 98.8 %, 按时办结率 91.5 %, 响应时长中位数
    22 分钟, 响应率 85.3 %, 满意率 92.3 %, 解决率 86.5 %, 网格内解决率 57.8 %, 办理时长中位数
    35.6 小时, 重复诉求率 6.0 %) so that every status shows: green for 办结率 (≥ 98 %), 响应
    时长中位数 (≤ 1 小时), 满意率 (≥ 90 %) and 办理时长中位数 (≤ 48 小时); amber for 按时办结率
    (≥ 95 %, 预警 90 %), 响应率 (≥ 90 %, 预警 80 %) and 重复诉求率 (≤ 5 %, 预警 8 %); red for
    解决率 (≥ 90 %, 预警 88 %) and 网格内解决率 (小事不出网格 ≥ 65 %, 预警 60 %). The values are
    of the kind 12345 assessments use. Two street overrides: 龙湾街道 (S01, the old town,
    按时办结率 88.9 %) has a phased ≥ 92 % (预警 88 %), amber where the district's target would
    make it red; 青木镇 (S05, the best served, 满意率 95.7 %) is held to ≥ 95 % (预警 92 %).
    Counts (积压, 超期) get none: they scale with the district's size and the period."""
    t = targets.Target
    return [
        t(metric="closure_rate", target=0.98, amber=0.95),
        t(metric="on_time_rate", target=0.95, amber=0.90),
        t(metric="on_time_rate", target=0.92, amber=0.88, unit_id="S01"),
        t(metric="response_median", target=1.0, amber=2.0),
        t(metric="handling_median", target=48.0, amber=72.0),
        t(metric="response_rate", target=0.90, amber=0.80),
        t(metric="satisfaction_rate", target=0.90, amber=0.85),
        t(metric="satisfaction_rate", target=0.95, amber=0.92, unit_id="S05"),
        t(metric="resolution_rate", target=0.90, amber=0.88),
        t(metric="grid_level_rate", target=0.65, amber=0.60),
        t(metric="repeat_rate", target=0.05, amber=0.08),
    ]


def seed_demo(path: str | os.PathLike, by: str = "演示数据") -> int:
    """Store :func:`demo_targets` when no target is set (never over a district's own);
    returns how many were stored (0 when targets existed)."""
    if has_any(path):
        return 0
    return import_targets(path, demo_targets(), by)
