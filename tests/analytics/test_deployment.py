"""Safe by default: served on loopback only, a network address refused without sign-in or the
intranet opt-out, and no traceback in the browser."""

from __future__ import annotations

import pytest
from streamlit import config

from analytics import deployment
from tests.apptest import app_test
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
     ("0.0.0.0", False), ("", False), (None, False), ("192.0.2.2", False), ("::", False),
     ("example.org", False)],
)  # fmt: skip
def test_only_the_loopback_address_is_local(address, loopback):
    assert deployment.is_loopback(address) is loopback
    assert (deployment.serving_problem(address, environ={}) is None) is loopback
    assert deployment.serving_problem(address, environ={"GOV_OPEN_INTRANET": "1"}) is None


def test_the_shipped_config_serves_this_machine_only_and_shows_no_error_details():
    import tomllib

    shipped = tomllib.loads((REPO / ".streamlit/config.toml").read_text())
    assert deployment.is_loopback(shipped["server"]["address"])
    assert shipped["client"]["showErrorDetails"] == "none"


def _on(address: str, tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    config.set_option("server.address", address)  # as `streamlit run --server.address` does
    return at.run()


def test_a_network_address_without_sign_in_shows_no_data(tiny_db, monkeypatch):
    monkeypatch.delenv("GOV_OPEN_INTRANET", raising=False)
    at = _on("0.0.0.0", tiny_db, monkeypatch)
    assert not at.exception
    assert "GOV_OPEN_INTRANET=1" in at.error[0].value
    assert not at.metric and not at.get("deck_gl_json_chart") and not at.sidebar.selectbox


def test_the_intranet_opt_out_serves_with_a_permanent_banner(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_OPEN_INTRANET", "1")
    at = _on("0.0.0.0", tiny_db, monkeypatch)
    assert not at.exception and not at.error

    def banner() -> bool:
        return any(deployment.OPEN_BANNER in h.value for h in at.get("html"))

    assert banner() and len(at.metric) == 7
    # anyone on the intranet sees the district, but may not export, import or manage accounts
    assert "导出汇报材料" not in [b.label for b in at.get("download_button")]
    at.switch_page("pages/import.py").run()  # a link to it: refused in Chinese, no uploader
    assert any("无权访问" in e.value for e in at.error)
    assert not at.get("file_uploader")
    at.switch_page("pages/trends.py").run()
    assert banner()


def test_an_unexpected_page_error_is_one_short_chinese_line(tiny_db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("/srv/secret/path.duckdb exploded")

    monkeypatch.setattr("ui.data.top_categories", broken)
    at = _on("127.0.0.1", tiny_db, monkeypatch)
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "内部错误" in shown and "/srv/secret" not in shown and "RuntimeError" not in shown


def test_an_error_before_the_page_runs_is_the_same_short_line(tiny_db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("/srv/secret/path.duckdb exploded in the sidebar")

    monkeypatch.setattr("ui.sidebar.filter_sidebar", broken)
    at = _on("127.0.0.1", tiny_db, monkeypatch)
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "内部错误" in shown and "/srv/secret" not in shown
