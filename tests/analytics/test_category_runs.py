"""One run of 分类建议: the model evaluated on the held-out fifth is the one that suggests,
its figures kept in the admin database; the pending list joined with the events, masked;
what the store holds for training; the history one row per action."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import categories, category_store
from analytics.connection import connect
from tests.analytics.test_categories import ALL_TEXTS, LABELS
from tests.conftest import G1, G2, event, insert

UNCATEGORISED = {  # event -> (category as stored, text, the category it plainly belongs to)
    "U1": ("其他", "夜间施工噪音扰民,联系电话13812345678", "噪音扰民"),
    "U2": ("", "小区垃圾桶满了发臭没人清运", "环境卫生"),
    "U3": ("未分类", "路口红绿灯坏了车辆拥堵", "道路交通"),
    "U4": ("  ", "楼上装修噪音很大,张三反映", "噪音扰民"),
}
DAY = date(2026, 11, 2)


def _event(event_id: str, category, text: str, grid: dict) -> dict:
    return event(
        event_id=event_id,
        channel="hotline",
        event_type="complaint",
        category=category,
        board="livelihood",
        **grid,
        reported_at=datetime(2026, 5, 1, 9),
        accepted_at=datetime(2026, 5, 1, 10),
        description=text,
    )


def build_store(path: Path) -> Path:
    """The tiny database at ``path`` plus 36 categorised short texts (three categories, 12
    each) and the four ``UNCATEGORISED`` events (reported by 张三, the tiny default)."""
    con = duckdb.connect(str(path))
    labelled = [
        _event(f"L{i:02d}", label, text, G1 if i % 2 else G2)
        for i, (text, label) in enumerate(zip(ALL_TEXTS, LABELS, strict=True))
    ]
    lacking = [_event(e, c, t, G1) for e, (c, t, _) in UNCATEGORISED.items()]
    insert(con, "events", [*labelled, *lacking])
    con.close()
    return path


@pytest.fixture
def store(tiny_db, tmp_path):
    path = build_store(Path(shutil.copy(tiny_db, tmp_path / "gov.duckdb")))
    con = connect(str(path), read_only=True)
    yield con
    con.disconnect()


@pytest.fixture
def admin(tmp_path):
    return tmp_path / "gov.admin.sqlite"


def test_readiness_counts_what_the_store_holds(store):
    ready = categories.readiness(store)
    # tiny: 12 events, all categorised ("描述" or markup as text); 噪音扰民 has E3 and E4
    assert (ready.events, ready.uncategorised, ready.uncategorised_with_text) == (52, 4, 4)
    assert ready.per_category == {
        "噪音扰民": 14,
        "环境卫生": 12,
        "道路交通": 12,
        "物业管理": 4,
        "社会保障": 2,
        "矛盾纠纷": 2,
        "市容秩序": 1,
        "消防安全": 1,
    }
    assert ready.labelled_with_text == 48 and ready.enough
    assert set(ready.learnable) == {"噪音扰民", "环境卫生", "道路交通"}


def test_a_run_is_one_model_evaluated_on_what_it_did_not_learn(store, admin):
    run = category_store.generate(store, admin, "甲", today=DAY)
    # 38 usable texts (14 + 12 + 12; the rarer categories left out): 8 held out (3, 3, 2),
    # 30 trained on, the same split as the print-only evaluation
    assert (run.n_train, run.n_test) == (30, 8)
    assert run.excluded == {
        "物业管理": 4,
        "社会保障": 2,
        "矛盾纠纷": 2,
        "市容秩序": 1,
        "消防安全": 1,
    }
    evaluation = categories.evaluate(store)
    assert run.macro_f1 == pytest.approx(evaluation.macro_f1)
    pd.testing.assert_frame_equal(
        run.per_class.astype({"support": "int64"}),
        evaluation.per_class.astype({"support": "int64"}),
        check_dtype=False,
    )
    assert run.per_class["support"].tolist() == [3, 3, 2]
    assert (run.id, run.model, run.made_by) == (1, "30条@2026-11-02#1", "甲")
    assert (run.suggestions, run.written) == (4, 4)
    stored = category_store.load(admin).set_index("event_id")
    assert (stored["model"] == run.model).all()
    assert stored["suggested"].to_dict() == {e: c for e, (_, _, c) in UNCATEGORISED.items()}
    latest = category_store.latest_run(admin)
    assert latest.model == run.model and latest.per_class.equals(run.per_class)

    category_store.decide(admin, ["U1"], True, "乙")
    again = category_store.generate(store, admin, "乙", today=DAY)
    assert (again.id, again.suggestions, again.written) == (2, 4, 3)  # U1 is decided
    stored = category_store.load(admin).set_index("event_id")
    assert stored.loc["U1", "model"] == run.model and stored.loc["U2", "model"] == again.model
    assert category_store.counts(admin) == {
        "pending": 3,
        "accepted": 1,
        "rejected": 0,
        "applied": 0,
        "stale": 0,
    }
    summary = category_store.history_summary(admin)
    assert summary[["login", "action", "rows", "model"]].values.tolist() == [
        ["乙", "generate", 4, again.model],
        ["乙", "accept", 1, run.model],
        ["甲", "generate", 4, run.model],
    ]


def test_no_run_before_the_first(admin):
    assert category_store.latest_run(admin) is None
    assert category_store.history_summary(admin).empty
    assert category_store.counts(admin)["pending"] == 0


def test_too_few_texts_to_learn_from_is_said(tiny_db):
    con = connect(str(tiny_db), read_only=True)
    try:
        assert not categories.readiness(con).enough  # 物业管理 4, the others fewer
        with pytest.raises(ValueError, match="每类至少 5 条"):
            category_store.generate(con, "unused.sqlite", "甲")
    finally:
        con.disconnect()


def _suggestions(rows):
    return pd.DataFrame(rows, columns=categories.SUGGESTION_COLUMNS)


def test_pending_view_joins_the_events_masked_and_filters(store, admin):
    rows = [
        ("U1", "其他", "噪音扰民", 0.9, "道路交通", 0.05),
        ("U2", "", "环境卫生", 0.7, None, None),
        ("U4", "  ", "噪音扰民", 0.5, "环境卫生", 0.3),
        ("GONE", "其他", "道路交通", 0.8, None, None),  # no longer in the store
    ]
    category_store.replace_pending(admin, _suggestions(rows), "m")
    view = category_store.pending_view(store, admin)
    assert view.total == 4 and view.categories == ["噪音扰民", "环境卫生", "道路交通"]
    frame = view.rows.set_index("event_id")
    assert list(view.rows.columns) == category_store.PENDING_COLUMNS
    assert frame.index.tolist() == ["U1", "GONE", "U2", "U4"]  # highest confidence first
    assert frame.loc["U1", "description"] == "夜间施工噪音扰民,联系电话138****5678"
    assert frame.loc["U4", "description"] == "楼上装修噪音很大,张*反映"  # the reporter's name
    assert frame.loc["U1", "grid_name"] == "甲一社区 第1网格"
    assert frame.loc["U1", "reported_at"] == pd.Timestamp(2026, 5, 1, 9)
    assert pd.isna(frame.loc["GONE", "description"]) and pd.isna(frame.loc["GONE", "grid_name"])

    high = category_store.pending_view(store, admin, min_confidence=0.7, limit=2)
    assert high.total == 3 and high.rows["event_id"].tolist() == ["U1", "GONE"]
    noise = category_store.pending_view(store, admin, category="噪音扰民")
    assert noise.rows["event_id"].tolist() == ["U1", "U4"]
    assert noise.categories == view.categories  # the choices do not shrink with the filter


def test_version_moves_with_every_decision(store, admin):
    assert category_store.version(admin) == ()
    category_store.replace_pending(
        admin, _suggestions([("U1", "其他", "噪音扰民", 0.9, None, None)]), "m"
    )
    first = category_store.version(admin)
    category_store.decide(admin, ["U1"], False, "甲")
    assert category_store.version(admin) != first
