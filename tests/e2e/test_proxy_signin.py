"""End to end: sign-in by an authenticating reverse proxy's header (``[access] mode =
"header"``), a real server and chromium. The header is believed only from the configured
proxy addresses, so the same request from anywhere else is refused."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import pytest

from analytics import audit
from tests.e2e.test_browser import ROOT, browser, page, serve  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def _proxy_server(db, folder, proxies: str):
    settings = folder / "settings.toml"
    settings.write_text(
        f'[access]\nmode = "header"\nuser_header = "X-Remote-User"\ntrusted_proxies = {proxies}\n',
        encoding="utf-8",
    )
    env = {
        "GOV_SETTINGS": str(settings),
        "GOV_ADMIN_DB": str(folder / "admin.sqlite"),
        "FORWARDED_ALLOW_IPS": "",  # as scripts/run.sh starts it: the real peer address
    }
    for login, role, unit in (("s2@qu.gov.cn", "street", "S02"), ("boss", "admin", None)):
        cmd = [sys.executable, "-m", "analytics", "users", "add", login, "--role", role]
        cmd += ["--unit", unit] if unit else []
        subprocess.run([*cmd, "--db", str(db)], cwd=ROOT, env={**os.environ, **env}, check=True)
    with serve(db, folder / "streamlit.log", env) as url:
        yield url


def _logged(folder, action: str, reason: str, timeout: float = 10) -> bool:
    """Whether the server's audit log got an entry (its writer thread batches: poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = audit.query(folder / "admin.sqlite", action=action)
        if log["detail"].str.contains(reason).any():
            return True
        time.sleep(0.2)
    return False


def _open(browser, url: str, user: str, **headers: str):  # noqa: F811
    context = browser.new_context(
        viewport={"width": 1600, "height": 1000},
        locale="zh-CN",
        extra_http_headers={"X-Remote-User": user, **headers},
    )
    p = context.new_page()
    p.goto(url)
    p.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    return context, p


def test_the_proxys_user_sees_only_their_street(tiny_db, tmp_path, browser):  # noqa: F811
    with _proxy_server(tiny_db, tmp_path, '["127.0.0.1", "::1"]') as url:
        context, p = _open(browser, f"{url}/overview?street=S01", "S2@qu.gov.cn")
        p.wait_for_function("document.querySelectorAll('[data-testid=\"stMetric\"]').length === 7")
        heading = p.locator("h1, h2, h3").first.inner_text()
        assert (
            "乙街道" in heading and "甲街道" not in p.locator("[data-testid=stMain]").inner_text()
        )
        assert "数据导入" not in p.locator("[data-testid=stSidebarNav]").inner_text()
        context.close()
        context, p = _open(browser, f"{url}/import", "s2@qu.gov.cn")  # an admin page's link
        assert p.locator("[data-testid=stFileUploader]").count() == 0
        context.close()
        assert _logged(tmp_path, "denied", "非管理员打开管理页面")
        assert _logged(tmp_path, "denied", "链接超出授权范围")  # the ?street=S01 above
        context, p = _open(browser, url, "nobody")
        p.wait_for_selector("text=尚未开通")
        assert p.locator('[data-testid="stMetric"]').count() == 0
        context.close()


def test_a_header_from_an_untrusted_address_is_refused(tiny_db, tmp_path, browser):  # noqa: F811
    with _proxy_server(tiny_db, tmp_path, '["192.0.2.10"]') as url:  # the proxy is elsewhere
        # claiming to come through the proxy changes nothing: the peer is what counts
        context, p = _open(browser, url, "boss", **{"X-Forwarded-For": "192.0.2.10"})
        p.wait_for_selector("text=请通过统一登录入口访问本看板")
        assert p.locator('[data-testid="stMetric"]').count() == 0
        assert p.locator("[data-testid=stSidebarNav]").count() == 0
        context.close()
