"""Navigation: every page opens from its own address for every role, the root moves on to
/overview, a non-admin's link to an admin page is refused in Chinese (and audited), and
every page shows the freshness line."""

from __future__ import annotations

import pytest
from streamlit import config

from analytics import audit
from tests.apptest import app_test

DATA_PAGES = [
    "overview",
    "trends",
    "hotspots",
    "closure",
    "response",
    "heatmap",
    "whatif",
    "rankings",
]


def _freshness(at) -> str:
    return next((c.value for c in at.caption if c.value.startswith("数据截至")), "")


def test_the_root_runs_the_overview_with_the_links_parameters(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {"street": "S01", "present": "1", "rotate": "overview,trends"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_page"] == "overview"  # the overview, not a "home" page
    assert at.query_params["street"] == "S01" and at.query_params["present"] == "1"
    assert at.query_params["rotate"] == "overview,trends"
    assert len(at.metric) == 7


@pytest.mark.parametrize("name", DATA_PAGES)
def test_every_page_shows_when_the_data_was_last_refreshed(tiny_db, monkeypatch, name):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.run()
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_page"] == name
    line = _freshness(at)
    assert "最近导入" in line and "库内事件" in line, line


@pytest.fixture
def intranet(tiny_db, monkeypatch, tmp_path):
    """The app open on a closed intranet (no sign-in): its visitors are 内网访客, not admins."""
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    monkeypatch.setenv("GOV_OPEN_INTRANET", "1")
    monkeypatch.setenv("GOV_ADMIN_DB", str(tmp_path / "admin.sqlite"))
    at = app_test()
    config.set_option("server.address", "0.0.0.0")
    try:
        yield at
    finally:
        config.set_option("server.address", "127.0.0.1")


@pytest.mark.parametrize("name", ["import", "targets", "categories", "users", "audit"])
def test_a_non_admin_opening_an_admin_page_is_refused_in_chinese(intranet, tmp_path, name):
    at = intranet
    at.run()
    at.switch_page(f"pages/{name}.py").run()  # registered for everyone, listed for admins
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["无权访问:此页仅管理员可用。如需使用,请联系管理员。"]
    assert at.get("file_uploader") == [] and len(at.dataframe) == 0
    at.run()  # audited once, not on every rerun
    from ui import auth  # the server's audit writer: wait for what it queued

    auth.flush()
    denied = audit.query(tmp_path / "admin.sqlite", action="denied")
    assert denied["page"].tolist() == [name]
    assert denied["detail"].str.contains("非管理员打开管理页面").all()


def test_an_admin_page_opens_for_an_admin(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()  # on this machine: 本机 is an admin
    at.run()
    at.switch_page("pages/import.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error and len(at.get("file_uploader")) == 1
    assert "最近导入" in _freshness(at)


def test_the_freshness_line_says_when_what_and_how_many():
    from datetime import datetime

    from analytics.queries import Freshness
    from ui.sidebar import freshness_caption

    last = {
        "kind": "events",
        "file_name": "10月工单.xlsx",
        "rows_accepted": 12345,
        "rows_updated": 0,
        "rows_quarantined": 7,
        "started_at": datetime(2026, 11, 1, 8, 1),
        "finished_at": datetime(2026, 11, 1, 8, 2),  # when it was done
    }
    line = freshness_caption(Freshness(datetime(2026, 10, 31, 23, 59), 86963, last))
    assert line == (
        "数据截至 2026年10月31日 23:59 · 最近导入 2026年11月1日 08:02 事件「10月工单.xlsx」"
        "新增 12,345 行、隔离 7 行 · 库内事件 86,963 条"
    )
    assert freshness_caption(Freshness(None, 0, None)) == "暂无事件数据 · 库内事件 0 条"
