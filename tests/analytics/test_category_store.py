"""Category suggestions in the admin database: pending ones replaced, decided ones kept,
bulk decisions counted and audited, accepted ones applied to the events through one import
(and only once); the ``categories`` command end to end."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from analytics import audit, category_store
from analytics.__main__ import main
from analytics.categories import SUGGESTION_COLUMNS
from analytics.schema import create_schema
from tests.analytics.test_categories import ALL_TEXTS, LABELS
from tests.conftest import event, insert, query


@pytest.fixture
def admin(tmp_path):
    return tmp_path / "gov.admin.sqlite"


def _suggestions(rows):
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)


def test_replace_pending_keeps_decided_suggestions(admin):
    first = _suggestions(
        [
            ("A", "其他", "噪音扰民", 0.9, "环境卫生", 0.05),
            ("B", None, "环境卫生", 0.7, "道路交通", 0.2),
            ("C", "", "道路交通", 0.5, "噪音扰民", 0.3),
        ]
    )
    assert category_store.replace_pending(admin, first, "3条@2026-01-01") == 3
    assert category_store.decide(admin, ["A"], True, "甲") == 1
    assert category_store.decide(admin, ["B"], False, "乙") == 1
    second = _suggestions(
        [
            ("A", "其他", "道路交通", 0.6, "噪音扰民", 0.3),
            ("B", None, "噪音扰民", 0.8, "环境卫生", 0.1),
            ("C", "", "噪音扰民", 0.95, "道路交通", 0.01),
            ("D", "未分类", "环境卫生", 0.4, None, None),
        ]
    )
    assert category_store.replace_pending(admin, second, "4条@2026-01-02") == 2
    frame = category_store.load(admin).set_index("event_id")
    assert frame.loc["A", ["suggested", "status", "decided_by", "model"]].tolist() == [
        "噪音扰民",
        "accepted",
        "甲",
        "3条@2026-01-01",
    ]
    assert frame.loc["B", ["suggested", "status"]].tolist() == ["环境卫生", "rejected"]
    assert frame.loc["C", ["suggested", "confidence", "status"]].tolist() == [
        "噪音扰民",
        0.95,
        "pending",
    ]
    assert frame.loc["D", "status"] == "pending" and frame.loc["D", "second"] is None
    assert frame.loc["B", "current_category"] is None and frame.loc["C", "current_category"] == ""
    assert category_store.load(admin, "pending")["event_id"].tolist() == ["C", "D"]


def test_decide_counts_only_pending_and_is_audited(admin):
    rows = [
        (e, "其他", "环境卫生", c, None, None)
        for e, c in zip("ABCD", (0.9, 0.85, 0.6, 0.3), strict=True)
    ]
    category_store.replace_pending(admin, _suggestions(rows), "m")
    chosen = category_store.select(admin, min_confidence=0.8)
    assert chosen == ["A", "B"]
    assert category_store.decide(admin, [*chosen, "X"], True, "甲", detail={"min": 0.8}) == 2
    assert category_store.decide(admin, ["A", "C"], False, "乙") == 1  # A is decided already
    assert category_store.select(admin, max_confidence=0.5) == ["D"]
    assert category_store.select(admin, category="噪音扰民") == []
    assert category_store.decide(admin, [], True, "甲") == 0
    history = category_store.history(admin)
    assert history[["login", "action", "event_id"]].values.tolist() == [
        ["乙", "reject", "C"],
        ["甲", "accept", "B"],
        ["甲", "accept", "A"],
    ]
    log = audit.query(admin)
    assert log["action"].tolist() == ["category_reject", "category_accept"]
    assert '"rows": 2' in log["detail"].iloc[1] and '"min": 0.8' in log["detail"].iloc[1]
    with sqlite3.connect(admin) as con, pytest.raises(sqlite3.IntegrityError):
        con.execute("DELETE FROM category_history")


def _full_event(event_id: str, category: str, text: str) -> dict:
    return event(
        event_id=event_id,
        channel="hotline",
        event_type="complaint",
        category=category,
        board="livelihood",
        grid_id="G1",
        community_id="S01C01",
        street_id="S01",
        lon=106.5123456789,
        lat=29.6012345678,
        reported_at=datetime(2025, 3, 1, 8, 30, 15),
        accepted_at=datetime(2025, 3, 1, 9),
        closed_at=datetime(2025, 3, 3, 17, 45),
        deadline_at=datetime(2025, 3, 6, 8, 30),
        resolved_level="grid",
        satisfaction="satisfied",
        resolved=None,
        description=text,
    )


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "gov.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    insert(
        con,
        "events",
        [
            _full_event("U1", "其他", "楼上装修噪音"),
            _full_event("U2", "未分类", "垃圾没人清运"),
            _full_event("U3", "其他", "红绿灯坏了"),
            _full_event("U4", "物业管理", "物业不作为"),  # re-imported since its suggestion
            _full_event("K1", "环境卫生", "路边垃圾"),
        ],
    )
    con.close()
    return path


def _events(path) -> pd.DataFrame:
    return query(path, "SELECT * FROM events ORDER BY event_id").set_index("event_id")


def test_apply_accepted_changes_exactly_the_accepted_events_once(store, admin):
    before = _events(store)
    rows = [
        ("U1", "其他", "噪音扰民", 0.9, "环境卫生", 0.05),
        ("U2", "未分类", "环境卫生", 0.9, None, None),
        ("U3", "其他", "道路交通", 0.9, None, None),
        ("U4", "其他", "环境卫生", 0.9, None, None),
    ]
    category_store.replace_pending(admin, _suggestions(rows), "m")
    category_store.decide(admin, ["U1", "U2", "U4"], True, "甲")
    category_store.decide(admin, ["U3"], False, "甲")

    result = category_store.apply_accepted(store, admin, "甲")
    assert (result.rows_read, result.rows_updated, result.rows_accepted) == (2, 2, 0)
    assert result.rows_quarantined == 0
    after = _events(store)
    assert after.loc["U1", "category"] == "噪音扰民" and after.loc["U2", "category"] == "环境卫生"
    pd.testing.assert_frame_equal(
        after.drop(columns="category"), before.drop(columns="category"), check_dtype=True
    )
    assert after.loc[["U3", "U4", "K1"], "category"].tolist() == ["其他", "物业管理", "环境卫生"]
    imports = query(store, "SELECT * FROM imports")
    assert len(imports) == 1
    assert imports.loc[0, ["kind", "rows_read", "rows_updated"]].tolist() == ["events", 2, 2]
    assert imports.loc[0, "file_name"].startswith("分类建议采纳")

    frame = category_store.load(admin).set_index("event_id")
    assert frame.loc[["U1", "U2", "U3", "U4"], "status"].tolist() == [
        "applied",
        "applied",
        "rejected",
        "stale",
    ]
    assert frame.loc["U1", "import_id"] == result.import_id
    assert frame.loc["U2", "current_category"] == "未分类"  # the original stays visible
    assert audit.query(admin)["action"].iloc[0] == "category_apply"

    assert category_store.apply_accepted(store, admin, "甲") is None  # nothing left to apply
    assert len(query(store, "SELECT * FROM imports")) == 1
    pd.testing.assert_frame_equal(_events(store), after)


def test_cli_suggest_accept_apply(tmp_path, admin, capsys):
    path = tmp_path / "gov.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    labelled = [
        _full_event(f"L{i:02d}", label, text)
        for i, (text, label) in enumerate(zip(ALL_TEXTS, LABELS, strict=True))
    ]
    insert(
        con,
        "events",
        [
            *labelled,
            _full_event("U1", "其他", "夜间施工噪音扰民"),
            _full_event("U2", "", "垃圾桶满了发臭"),
        ],
    )
    con.close()
    where = ["--db", str(path), "--admin-db", str(admin)]
    assert main(["categories", "--suggest", *where]) == 0
    out = capsys.readouterr().out
    assert "写入待定 2 条" in out and "建议类别" in out and "合计" in out
    assert main(["categories", "--accept", *where]) == 2  # a threshold is required
    capsys.readouterr()
    assert main(["categories", "--accept", "--min-confidence", "0", "--by", "甲", *where]) == 0
    assert "已采纳 2 条建议;待定还有 0 条" in capsys.readouterr().out
    assert main(["categories", "--apply", "--by", "甲", *where]) == 0
    assert "已写入 2 条事件的类别" in capsys.readouterr().out
    events = _events(path)
    assert events.loc[["U1", "U2"], "category"].tolist() == ["噪音扰民", "环境卫生"]
    assert main(["categories", "--apply", *where]) == 0
    assert "没有可写入的采纳建议" in capsys.readouterr().out
