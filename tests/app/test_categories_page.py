"""The 分类建议 page under AppTest: refused to a non-admin; an admin trains (the held-out
figures and the pending table appear), accepts the rows above a threshold, and writes them
into the events through an import; descriptions are shown masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from analytics import category_store
from tests.analytics.test_category_runs import UNCATEGORISED, build_store
from tests.apptest import app_test, open_page
from tests.conftest import query

PAGE = "pages/categories.py"


@pytest.fixture
def store(db) -> Path:
    """The tiny database with 36 categorised short texts (3 categories) and 4 events that
    lack a category (``test_category_runs.build_store``)."""
    return build_store(db)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label.startswith(label)).click()
    return run(at)


def table(at: AppTest, first_column: str):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def test_a_non_admin_is_refused(store, monkeypatch, admin_file):
    monkeypatch.setenv("GOV_DB", str(store))
    monkeypatch.setenv("GOV_OPEN_INTRANET", "1")  # visitors are 内网访客, not admins
    at = app_test()
    config.set_option("server.address", "0.0.0.0")
    try:
        run(at)
        at.switch_page(PAGE)
        run(at)
    finally:
        config.set_option("server.address", "127.0.0.1")
    assert [e.value for e in at.error] == ["无权访问:此页仅管理员可用。如需使用,请联系管理员。"]
    assert not at.button and not at.dataframe


def test_before_a_run_the_page_counts_and_says_nothing_was_generated(
    store, monkeypatch, admin_file
):
    at = open_page(store, monkeypatch, PAGE)
    assert "**4** 条没有可用类别" in at.markdown[0].value
    assert any(i.value.startswith("还没有生成过分类建议") for i in at.info)
    assert not at.metric and not at.dataframe
    assert not next(b for b in at.button if b.label == "重新训练并生成建议").disabled


def test_train_accept_above_a_threshold_and_write_into_the_events(store, monkeypatch, admin_file):
    from ui import warmup

    warmed = []  # the page asks for the new data's warm-up; not run here (a thread past the test)
    monkeypatch.setattr(warmup, "start", lambda: warmed.append(True))
    at = open_page(store, monkeypatch, PAGE)
    click(at, "重新训练并生成建议")
    assert at.success[0].value.startswith("已训练模型并为 4 条事件生成建议")
    run_ = category_store.latest_run(admin_file)
    # 38 usable texts in 3 categories: 30 trained on, 8 held out (test_category_runs)
    assert (run_.n_train, run_.n_test) == (30, 8)
    assert {m.label for m in at.metric} == {
        "宏平均 F1",
        "准确率",
        "训练条数",
        "测试条数",
        "训练时间",
    }
    assert next(m for m in at.metric if m.label == "测试条数").value == "8"
    classes = table(at, "类别")
    assert set(classes["类别"]) == {"噪音扰民", "环境卫生", "道路交通"}
    assert classes["测试条数"].sum() == run_.n_test
    assert any("留出的 20%" in c.value for c in at.caption)

    pending = table(at, "事件编号").set_index("事件编号")
    assert sorted(pending.index) == ["U1", "U2", "U3", "U4"]
    assert pending["建议类别"].to_dict() == {e: want for e, (_, _, want) in UNCATEGORISED.items()}
    assert pending.loc["U1", "当前类别"] == "其他" and pending.loc["U4", "当前类别"] == "(空)"
    assert pending.loc["U1", "所在网格"].endswith("第1网格")
    text = pending.loc["U1", "诉求内容"]
    assert "13812345678" not in text and "138****5678" in text  # masked in analytics/

    confidence = (pending["置信度"] / 100).to_dict()
    threshold = sorted(confidence.values())[1]  # the lowest one stays pending
    above = sorted(e for e, c in confidence.items() if c >= threshold)
    at.slider(key="cs_min_confidence").set_value(int(threshold * 100))
    run(at)
    shown = table(at, "事件编号")
    assert sorted(shown["事件编号"]) == sorted(
        e for e, c in confidence.items() if c * 100 >= int(threshold * 100)
    )
    expected = sorted(shown["事件编号"])
    click(at, f"采纳筛选出的 {len(expected)} 条")
    assert at.success[0].value.startswith(f"已采纳 {len(expected)} 条建议")
    assert len(expected) >= len(above)
    accepted = category_store.load(admin_file, "accepted")
    assert sorted(accepted["event_id"]) == expected
    before = query(store, "SELECT event_id, category FROM events ORDER BY event_id")
    imports = len(query(store, "SELECT * FROM imports"))

    click(at, "写入事件库")
    assert at.success[0].value.startswith(f"已写入 {len(expected)} 条事件的类别")
    after = query(store, "SELECT event_id, category FROM events ORDER BY event_id")
    changed = after[after["category"].fillna("") != before["category"].fillna("")]
    assert sorted(changed["event_id"]) == expected and warmed == [True]
    assert all(
        after.set_index("event_id").loc[e, "category"] == UNCATEGORISED[e][2] for e in expected
    )
    rows = query(store, "SELECT * FROM imports ORDER BY finished_at")
    assert len(rows) == imports + 1 and rows["file_name"].iloc[-1].startswith("分类建议采纳")
    # the caches see the new file: one event fewer lacks a category per written one
    assert f"**{4 - len(expected)}** 条没有可用类别" in at.markdown[0].value
    history = table(at, "时间")
    assert history["操作"].tolist()[:3] == ["写入事件", "采纳", "生成建议"]
