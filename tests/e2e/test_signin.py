"""End to end sign-in (issue #15): a real Streamlit server with ``[access] mode = "oidc"``, a
local OpenID Connect provider started by the test (``oidc_provider``), and Debian's chromium
typing a user name into the provider's login form. No external service.

One demo district, one provider and one server for the module; every test has its own browser
context, so its own cookies.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.e2e import test_browser
from tests.e2e.oidc_provider import OIDCProvider, User
from tests.e2e.test_browser import ARTIFACTS, ROOT, assert_no_error, kpi, serve, settle

pytestmark = pytest.mark.e2e
browser = test_browser.browser  # fixtures: one chromium for the module, a context per test
page = test_browser.page

CLIENT_ID = "grid-dashboard"
CLIENT_SECRET = "test-client-secret"
SIGN_IN = "统一身份认证登录"
SIGN_OUT = "退出登录"
ADMIN_CONTACT = "区网格化服务管理中心"
STREET_USER = User(username="wang.longwan", email="wang.longwan@grid.test", name="王龙湾")
UNKNOWN_USER = User(username="visitor", email="visitor@grid.test", name="访客")  # no account


@dataclasses.dataclass(frozen=True)
class District:
    """The demo district of this module and the figures a test expects, from ``analytics``."""

    db: Path
    admin_db: Path
    settings: Path
    street_names: dict[str, str]  # street id -> name
    intake: dict[str, int]  # street id -> 受理量 of the default period (本年)


def cli(*args: str, env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> District:
    from analytics import queries
    from analytics.connection import connect
    from analytics.filters import Filters, preset_period

    folder = tmp_path_factory.mktemp("signin")
    db, admin_db, settings = (
        folder / "gov.duckdb",
        folder / "admin.sqlite",
        folder / "settings.toml",
    )
    settings.write_text(
        f'[access]\nmode = "oidc"\nuser_claim = "email"\nadmin_contact = "{ADMIN_CONTACT}"\n'
    )
    env = {"GOV_DB": str(db), "GOV_ADMIN_DB": str(admin_db), "GOV_SETTINGS": str(settings)}
    cli("demo", "--db", str(db), "--events", "3000", env=env)
    cli(
        *("users", "add", STREET_USER.email, "--role", "street", "--unit", "S01"),
        *("--name", STREET_USER.name, "--db", str(db)),
        env=env,
    )

    con = connect(db, read_only=True)
    try:
        span = queries.data_range(con)
        period = Filters(*preset_period("ytd", span.last_day))
        names = queries.unit_names(con)
        intake = {
            street: int(
                queries.kpis(
                    con,
                    dataclasses.replace(period, street_id=street),
                    span,
                    keys=("intake",),
                    compare=None,
                )["value"].iloc[0]
            )
            for street in ("S01", "S02")
        }
    finally:
        con.disconnect()
    assert intake["S01"] != intake["S02"]  # else the URL test below could not tell them apart
    return District(db, admin_db, settings, {s: names[s] for s in intake}, intake)


@pytest.fixture(scope="module")
def idp():
    provider = OIDCProvider(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[],
        users=[STREET_USER, UNKNOWN_USER],
    )
    with provider.running():
        yield provider


@pytest.fixture(scope="module")
def server(district, idp, tmp_path_factory):
    """``app.py`` with sign-in, its ``[auth]`` secrets pointing at ``idp``."""
    pytest.importorskip("playwright.sync_api")
    folder = tmp_path_factory.mktemp("signin-server")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = test_browser._free_port()
    redirect_uri = f"http://127.0.0.1:{port}/oauth2callback"
    idp.redirect_uris.append(redirect_uri)
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        f'cookie_secret = "{os.urandom(16).hex()}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{idp.metadata_url}"\n'
    )
    env = {
        "GOV_ADMIN_DB": str(district.admin_db),
        "GOV_SETTINGS": str(district.settings),
        "STREAMLIT_SECRETS_FILES": str(secrets),  # = --secrets.files
    }
    with serve(district.db, folder / "streamlit.log", env, port=port) as url:
        yield url


def sign_in_screen(page) -> None:
    """Wait for the sign-in screen of a finished script run."""
    page.get_by_role("button", name=SIGN_IN).wait_for(timeout=60_000)
    settle(page, metrics=0)


def sign_in(page, server: str, user: User) -> None:
    """From the app's sign-in button through the provider's form and back to the app."""
    page.goto(server)
    sign_in_screen(page)
    page.get_by_role("button", name=SIGN_IN).click()
    page.get_by_label("User name").fill(user.username)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(
        lambda url: url.startswith(server) and "oauth2callback" not in url, timeout=60_000
    )


def sidebar_streets(page) -> list[str]:
    """The names the sidebar's 街道 choice offers."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="街道").click()
    options = page.locator('[role="option"]')
    options.first.wait_for()
    names = [x.strip() for x in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return names


def intake(page) -> int:
    return int(re.sub(r"\D", "", kpi(page, "受理量")))


def title(page) -> str:
    return page.locator("h3").first.inner_text()


def test_signed_out_sees_only_the_sign_in_button(server, page):
    for path in ("/", "/overview?street=S02", "/import"):
        page.goto(server + path)
        sign_in_screen(page)
        assert page.locator('[data-testid="stMetric"]').count() == 0
        body = page.inner_text("body")
        assert "受理量" not in body and "数据导入" not in body, body[:1000]
        assert_no_error(page)
    page.screenshot(path=str(ARTIFACTS / "signin-screen.png"))


def test_street_user_sees_only_their_street(server, page, district, idp):
    sign_in(page, server, STREET_USER)
    settle(page)
    assert_no_error(page)
    assert idp.events("token")[-1] == STREET_USER.username
    own, other = district.street_names["S01"], district.street_names["S02"]
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert STREET_USER.name in sidebar and "街道" in sidebar and SIGN_OUT in sidebar, sidebar
    page.screenshot(path=str(ARTIFACTS / "signin-street-user.png"))
    assert sidebar_streets(page) == [own]
    assert own in title(page), title(page)
    assert intake(page) == district.intake["S01"]
    assert page.get_by_role("link", name="数据导入").count() == 0

    page.goto(f"{server}/overview?street=S02")  # a link to another street's view
    settle(page)
    assert_no_error(page)
    assert other not in title(page) and own in title(page), title(page)
    assert intake(page) == district.intake["S01"] != district.intake["S02"]
    assert other not in page.locator('[data-testid="stSidebar"]').inner_text()


def test_unknown_account_is_told_to_ask_for_one(server, page, idp):
    sign_in(page, server, UNKNOWN_USER)
    page.get_by_text("尚未开通").wait_for(timeout=60_000)
    settle(page, metrics=0)
    assert idp.events("token")[-1] == UNKNOWN_USER.username
    body = page.inner_text("body")
    assert ADMIN_CONTACT in body, body[:1000]
    assert "受理量" not in body, body[:1000]
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "signin-unknown-account.png"))


def test_sign_out_returns_to_the_sign_in_screen(server, page, idp):
    sign_in(page, server, STREET_USER)
    settle(page)
    logouts = len(idp.events("logout"))
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name=SIGN_OUT).click()
    sign_in_screen(page)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert len(idp.events("logout")) == logouts + 1  # via the provider's end_session
    page.goto(f"{server}/overview")  # the session cookie is gone, not just the page
    sign_in_screen(page)
    assert page.locator('[data-testid="stMetric"]').count() == 0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _call(url: str, form: dict | None = None, **headers: str) -> tuple[int, dict, str]:
    """Status, headers and body of one request; redirects are not followed."""
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_provider_checks_what_a_real_one_checks():
    """The browser tests prove the app against the provider; this proves the provider: it
    refuses an unregistered redirect URI, an unknown user, a wrong client secret, a wrong PKCE
    verifier and a replayed code, and signs ID tokens that its JWKS verifies."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge
    from joserfc import jwt
    from joserfc.jwk import KeySet

    back = "http://127.0.0.1:9/oauth2callback"  # never followed
    verifier = "v" * 48
    request = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": back,
        "scope": "openid email profile",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    with OIDCProvider(CLIENT_ID, CLIENT_SECRET, [back], [UNKNOWN_USER]).running() as idp:
        authorize, token_url = f"{idp.issuer}/authorize", f"{idp.issuer}/token"
        meta = json.loads(_call(idp.metadata_url)[2])
        assert meta["issuer"] == idp.issuer and "S256" in meta["code_challenge_methods_supported"]
        status, _, text = _call(
            f"{authorize}?{urlencode({**request, 'redirect_uri': 'http://x/cb'})}"
        )
        assert status == 400 and "redirect_uri" in text
        status, _, text = _call(f"{authorize}?{urlencode(request)}")
        assert status == 200 and 'name="username"' in text
        assert "Unknown user." in _call(authorize, {**request, "username": "nobody"})[2]

        def code() -> str:
            status, headers, _ = _call(authorize, {**request, "username": UNKNOWN_USER.username})
            assert status == 302, status
            answer = parse_qs(urlsplit(headers["Location"]).query)
            assert answer["state"] == ["s1"]
            return answer["code"][0]

        form = {"grant_type": "authorization_code", "redirect_uri": back, "code_verifier": verifier}
        first = {**form, "code": code()}
        assert _call(token_url, first, Authorization=_basic(CLIENT_ID, "wrong"))[0] == 401
        status, _, text = _call(token_url, first, Authorization=_basic(CLIENT_ID, CLIENT_SECRET))
        assert status == 200, text
        tokens = json.loads(text)
        keys = KeySet.import_key_set(json.loads(_call(f"{idp.issuer}/jwks")[2]))
        claims = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"]).claims
        assert (claims["iss"], claims["aud"], claims["nonce"]) == (idp.issuer, CLIENT_ID, "n1")
        assert claims["email"] == UNKNOWN_USER.email
        bearer = f"Bearer {tokens['access_token']}"
        assert (
            json.loads(_call(f"{idp.issuer}/userinfo", Authorization=bearer)[2])
            == UNKNOWN_USER.claims()
        )

        post = {**first, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        replay = _call(token_url, post)  # client_secret_post, the same code again
        assert replay[0] == 400 and json.loads(replay[2])["error"] == "invalid_grant"
        forged = _call(token_url, {**post, "code": code(), "code_verifier": "w" * 48})
        assert forged[0] == 400 and json.loads(forged[2])["error"] == "invalid_grant"
