"""分级授权, accounts, sign-in and the audit trail (issue #15 §2–4).

The scope checks compare what a scoped connection returns with plain SQL over the tiny
database (``tests/conftest.py``: street S01 has community S01C01 and grid S01C01G01, street
S02 has S02C01 and S02C01G01).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime, timedelta

import pytest

from analytics import access, accounts, admin_db, audit, deployment, queries, rankings
from analytics.connection import connect, cursor
from analytics.filters import Filters
from analytics.settings import SettingsError, load
from tests.apptest import app_test
from tests.conftest import query

PERIOD = Filters(date(2026, 1, 1), date(2026, 10, 31))
SECRETS = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret-for-tests-only",
    "client_id": "dashboard",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def units(tiny_con):
    return queries.org_units(tiny_con)


# ---------------------------------------------------------------- settings and deployment


def test_access_settings_are_checked(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[access]\nmode = "header"\nuser_header = "X-Forwarded-User"\n'
        'trusted_proxies = ["10.0.0.0/8"]\nadmin_contact = "区信息中心 王工"\n'
        "[audit]\nretention_days = 400\n",
        encoding="utf-8",
    )
    s = load(path)
    assert (s.access_mode, s.user_header, s.trusted_proxies) == (
        "header",
        "X-Forwarded-User",
        ("10.0.0.0/8",),
    )
    assert (s.admin_contact, s.audit_retention_days) == ("区信息中心 王工", 400)
    for bad in (
        '[access]\nmode = "ldap"\n',
        '[access]\ntrusted_proxies = ["proxy.example"]\n',
        '[access]\nmode = "header"\ntrusted_proxies = []\n',
        "[audit]\nretention_days = 30\n",
    ):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(SettingsError):
            load(path)


def test_a_network_address_is_served_only_with_sign_in():
    assert deployment.serving_problem("0.0.0.0", "none", environ={}) is not None
    assert deployment.serving_problem("0.0.0.0", "oidc", environ={}) is None
    assert deployment.serving_problem("0.0.0.0", "header", environ={}) is None


def test_a_proxy_header_needs_a_server_that_believes_no_forwarded_address():
    assert "FORWARDED_ALLOW_IPS" in deployment.sign_in_problem("header", None, environ={})
    spoofable = {"FORWARDED_ALLOW_IPS": "127.0.0.1"}
    assert deployment.sign_in_problem("header", None, environ=spoofable) is not None
    assert deployment.sign_in_problem("header", None, environ={"FORWARDED_ALLOW_IPS": ""}) is None


def test_oidc_without_its_secrets_is_refused_not_opened():
    assert deployment.sign_in_problem("none", None) is None
    assert "client_secret" in deployment.sign_in_problem("oidc", {**SECRETS, "client_secret": ""})
    assert "oauth2callback" in deployment.sign_in_problem(
        "oidc", {**SECRETS, "redirect_uri": "http://x/"}
    )
    assert deployment.sign_in_problem("oidc", SECRETS) is None


@pytest.mark.parametrize(
    ("peer", "trusted"),
    [(None, True), ("127.0.0.1", True), ("::1", True), ("10.1.2.3", False),
     ("192.168.5.9", True), ("::ffff:192.168.5.9", True), ("not-an-ip", False)],
)  # fmt: skip
def test_only_the_configured_proxies_may_name_the_user(peer, trusted):
    assert deployment.trusted_peer(peer, ("127.0.0.1", "::1", "192.168.5.0/24")) is trusted


# ---------------------------------------------------------------- accounts


def test_accounts_need_a_unit_of_their_roles_level(admin_file, units):
    add = accounts.add
    street = add(admin_file, accounts.User(" Alice@X.org ", "street", "S01"), units, by="t")
    assert street == accounts.User("alice@x.org", "street", "S01", "")
    assert accounts.get(admin_file, "ALICE@x.org") == street
    for user in (
        accounts.User("b", "street", None),  # a street account without its street
        accounts.User("b", "street", "S01C01"),  # a community is not a street
        accounts.User("b", "community", "S01"),
        accounts.User("b", "leader", "S01"),  # the district's leaders see the district
        accounts.User("b", "street", "S09"),  # no such unit
        accounts.User("b", "superuser", None),
        accounts.User("has space", "leader", None),
        accounts.User("", "leader", None),
    ):
        with pytest.raises(accounts.AccountError):
            add(admin_file, user, units, by="t")
    add(admin_file, accounts.User("c", "analyst", "S02C01"), units, by="t")
    assert list(accounts.listing(admin_file)["login"]) == ["alice@x.org", "c"]
    assert accounts.remove(admin_file, "c") and not accounts.remove(admin_file, "c")
    assert accounts.get(admin_file, "c") is None


def test_cli_manages_accounts_and_audits_the_changes(admin_file, tiny_db, capsys):
    from analytics.__main__ import main

    assert (
        main(["users", "add", "s1", "--role", "street", "--unit", "S01", "--db", str(tiny_db)]) == 0
    )
    assert (
        main(["users", "add", "x", "--role", "street", "--unit", "S01C01", "--db", str(tiny_db)])
        == 2
    )
    assert "须为街道" in capsys.readouterr().err
    assert main(["users", "list", "--db", str(tiny_db)]) == 0
    assert "s1\t街道\tS01" in capsys.readouterr().out
    assert main(["users", "remove", "s1", "--db", str(tiny_db)]) == 0
    log = audit.query(admin_file)
    assert list(log["action"]) == ["user_remove", "user_add"]
    assert log["login"].str.startswith("命令行").all()


# ---------------------------------------------------------------- the audit log


def test_the_audit_log_is_append_only(admin_file):
    audit.record_now(admin_file, audit.Entry(login="a", action="view", page="overview"))
    with sqlite3.connect(admin_file) as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE audit_log SET login = 'b'")
        with pytest.raises(sqlite3.DatabaseError, match="at least 180 days"):
            con.execute("DELETE FROM audit_log")
    assert audit.query(admin_file)["login"].tolist() == ["a"]


def test_retention_purges_only_what_is_older_and_says_so(admin_file):
    old = (datetime.now() - timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")
    audit.write(admin_file, [(old, audit.Entry(login="a", action="view"))])
    audit.record_now(admin_file, audit.Entry(login="b", action="view"))
    assert audit.purge(admin_file, 365, by="admin") == 1
    log = audit.query(admin_file)
    assert list(log["action"]) == ["purge", "view"] and log["login"].tolist() == ["admin", "b"]
    assert audit.purge(admin_file, 30) == 0  # never below the legal minimum of 180 days


def test_concurrent_sessions_lose_no_entry(admin_file):
    log = audit.AuditLog(admin_file)
    start = threading.Barrier(8)

    def session(n: int) -> None:
        start.wait()
        for i in range(250):
            log.record(audit.Entry(login=f"u{n}", action="view", detail={"i": i}))

    threads = [threading.Thread(target=session, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.flush()
    assert audit.count(admin_file) == 2_000
    assert audit.query(admin_file, login="u3", limit=None)["detail"].nunique() == 250


def test_the_audit_query_filters_with_bound_values(admin_file):
    for who, action in (("a", "view"), ("b", "download"), ("a'; DROP TABLE audit_log;--", "view")):
        audit.record_now(admin_file, audit.Entry(login=who, action=action))
    assert audit.query(admin_file, login="a")["action"].tolist() == ["view"]
    assert len(audit.query(admin_file, action="view")) == 2
    assert audit.count(admin_file, action="view") == 2 and audit.count(admin_file) == 3
    assert audit.query(admin_file, login="a'; DROP TABLE audit_log;--")["action"].tolist() == [
        "view"
    ]
    today = admin_db.today()  # entries are stamped in the district's zone
    assert len(audit.query(admin_file, start=today, end=today)) == 3
    assert audit.query(admin_file, end=today - timedelta(days=1)).empty


# ---------------------------------------------------------------- scope in analytics


def _scoped(tiny_con, scope):
    return access.scoped(cursor(tiny_con), scope)


@pytest.mark.parametrize(
    "scope",
    [access.Scope(street_id="S01"), access.Scope(street_id="S02", community_id="S02C01")],
)
def test_a_scoped_connection_sees_only_its_units_rows(tiny_con, tiny_db, scope):
    con = _scoped(tiny_con, scope)
    column, unit = (
        ("community_id", scope.community_id)
        if scope.community_id
        else ("street_id", scope.street_id)
    )
    n = query(tiny_db, f"SELECT count(*) n FROM events WHERE {column} = ?", [unit])["n"][0]
    assert con.table("events").count().execute() == n
    assert con.table("events").filter(lambda t: t[column] != unit).count().execute() == 0
    grids = query(tiny_db, f"SELECT grid_id FROM grids WHERE {column} = ?", [unit])["grid_id"]
    assert sorted(con.table("grids").grid_id.execute()) == sorted(grids)
    assert set(con.table("workers").grid_id.execute()) <= set(grids)
    assert set(con.table("buildings").grid_id.execute()) <= set(grids)
    assert con.table("quarantine").count().execute() == 0
    assert "S02" not in set(queries.org_units(con)["unit_id"]) or scope.street_id == "S02"


def test_filters_naming_another_street_return_nothing_of_it(tiny_con):
    con = _scoped(tiny_con, access.Scope(street_id="S01"))
    span = queries.data_range(con)
    other = Filters(PERIOD.start, PERIOD.end, street_id="S02")
    intake = queries.kpis(con, other, span, compare=None).set_index("metric")["value"]["intake"]
    assert intake == 0
    assert queries.grid_metrics(con, other, span, compare=None).empty


def test_the_data_span_is_the_districts_for_every_viewer(tiny_con):
    whole = queries.data_range(cursor(tiny_con))
    for scope in (access.Scope(street_id="S01"), access.Scope("S02", "S02C01")):
        assert queries.data_range(_scoped(tiny_con, scope)) == whole


def test_clamp_brings_a_selection_inside_the_scope_and_names_what_it_dropped(tiny_con):
    parent = access.parents(
        queries.org_units(cursor(tiny_con)), queries.grid_reference(cursor(tiny_con))
    )
    street = access.Scope(street_id="S01")
    inside = Filters(PERIOD.start, PERIOD.end, "S01", "S01C01", "S01C01G01")
    assert access.clamp(inside, street, parent) == (inside, [])
    f, dropped = access.clamp(Filters(PERIOD.start, PERIOD.end, "S02", "S02C01"), street, parent)
    assert (f.street_id, f.community_id, dropped) == ("S01", None, ["S02", "S02C01"])
    f, dropped = access.clamp(PERIOD, street, parent)  # 全区 for a street: its street, no attempt
    assert (f.street_id, dropped) == ("S01", [])
    mixed = Filters(PERIOD.start, PERIOD.end, "S01", "S01C01", "S02C01G01")  # a grid elsewhere
    f, dropped = access.clamp(mixed, street, parent)
    assert (f.unit_id, dropped) == ("S01", ["S02C01G01"])
    community = access.Scope("S02", "S02C01")
    f, dropped = access.clamp(Filters(PERIOD.start, PERIOD.end, "S02"), community, parent)
    assert (f.community_id, dropped) == ("S02C01", [])


def test_a_street_secretary_ranks_among_peer_streets_but_sees_inside_only_their_own(tiny_con):
    con = _scoped(tiny_con, access.Scope(street_id="S01"))
    span = queries.data_range(con)
    f = Filters(PERIOD.start, PERIOD.end, street_id="S01")
    assert rankings.levels_below(f, access.Scope(street_id="S01"))[0] == "street_id"
    streets = rankings.unit_ranking(con, f, span, "street_id", min_events=1)
    whole = rankings.unit_ranking(cursor(tiny_con), PERIOD, span, "street_id", min_events=1)
    assert sorted(streets.ranked["unit_id"]) == ["S01", "S02"]
    assert streets.ranked.drop(columns="trend").equals(whole.ranked.drop(columns="trend"))
    own = streets.ranked.set_index("unit_id").loc["S01"]
    sentence = rankings.standing(streets, "S01", "街道")
    assert sentence.startswith(f"甲街道在 2 个街道中排第 {int(own['rank'])} 名")
    communities = rankings.unit_ranking(con, f, span, "community_id", min_events=1)
    assert set(communities.ranked["unit_id"]) | set(communities.apart["unit_id"]) == {"S01C01"}
    grids = rankings.unit_ranking(con, f, span, "grid_id", min_events=1)
    assert set(grids.ranked["unit_id"]) | set(grids.apart["unit_id"]) == {"S01C01G01"}


# ---------------------------------------------------------------- the app, signed in


def _app(tiny_db, tmp_path, monkeypatch, login: str | None, mode: str = "oidc"):
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[access]\nmode = "{mode}"\n', encoding="utf-8")
    monkeypatch.setenv("GOV_SETTINGS", str(settings))
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.secrets["auth"] = SECRETS
    if login is not None:
        at.user = {"is_logged_in": True, "email": login, "name": "测试"}
    return at


def _add(admin_file, tiny_db, login, role, unit=None):
    units = queries.org_units(connect(tiny_db, read_only=True))
    accounts.add(admin_file, accounts.User(login, role, unit), units, by="test")


def _log(admin_file):
    from ui import auth

    auth.flush()
    return audit.query(admin_file)


def test_not_signed_in_shows_the_sign_in_button_and_no_data(
    tiny_db, tmp_path, monkeypatch, admin_file
):
    at = _app(tiny_db, tmp_path, monkeypatch, None).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["统一身份认证登录"]
    assert not at.metric and not at.sidebar.selectbox


def test_an_unknown_account_gets_no_data_and_whom_to_ask(
    tiny_db, tmp_path, monkeypatch, admin_file
):
    at = _app(tiny_db, tmp_path, monkeypatch, "stranger@x.org").run()
    assert not at.exception and not at.metric
    assert "尚未开通" in at.warning[0].value and "区网格化服务管理中心" in at.warning[0].value
    log = _log(admin_file)
    assert log[["login", "action"]].values.tolist() == [["stranger@x.org", "denied"]]


def test_a_street_account_sees_its_street_only(tiny_db, tmp_path, monkeypatch, admin_file):
    _add(admin_file, tiny_db, "s1@x.org", "street", "S01")
    at = _app(tiny_db, tmp_path, monkeypatch, "s1@x.org")
    at.query_params["street"] = "S02"
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="f_street").options == ["甲街道"]
    assert at.sidebar.selectbox(key="f_street").value == "S01"
    assert "S02" not in at.query_params.get("street", "")
    intake = at.metric[0].value
    whole = query(
        tiny_db,
        "SELECT count(*) n FROM events WHERE street_id = 'S01' AND reported_at >= '2026-01-01'",
    )["n"][0]
    assert intake == str(whole)
    labels = {p.label for p in at.get("download_button")}
    assert "导出汇报材料" not in labels and "下载 CSV" not in labels  # no exports for 街道
    log = _log(admin_file)
    assert {"sign_in", "view", "denied"} <= set(log["action"])
    denied = log[log["action"] == "denied"]["detail"].iloc[0]
    assert "S02" in denied


def test_admin_pages_exist_for_admins_only(tiny_db, tmp_path, monkeypatch, admin_file):
    _add(admin_file, tiny_db, "s1@x.org", "street", "S01")
    _add(admin_file, tiny_db, "root@x.org", "admin")
    at = _app(tiny_db, tmp_path, monkeypatch, "s1@x.org").run()
    # Registered for everyone (a link must not end in Streamlit's English "Page not found")
    # but refused: no account list, a Chinese refusal, and the attempt in the audit log.
    at.switch_page("pages/users.py").run()
    assert not at.exception
    assert not at.dataframe
    assert any("无权访问" in e.value for e in at.error)
    denied = _log(admin_file).query("action == 'denied'")
    assert denied["page"].eq("users").any()
    at = _app(tiny_db, tmp_path, monkeypatch, "root@x.org").run()
    assert not at.exception
    at.switch_page("pages/users.py").run()
    assert not at.exception
    assert "s1@x.org" in at.dataframe[0].value["账号"].tolist()
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert {"登录", "查看页面"} <= set(shown["操作"])


def test_what_if_for_a_community_uses_the_districts_model_and_shows_its_grids(demo_db):
    from analytics.planning import whatif

    backend = connect(demo_db, read_only=True)
    whole = whatif.calibrated_model(cursor(backend), queries.data_range(cursor(backend)))
    community = access.Scope(street_id="S01", community_id="S01C01")
    con = _scoped(backend, community)
    calibration, model, tests = whatif.calibrated_model(con, queries.data_range(con))
    mine = set(con.table("grids").grid_id.execute())
    assert model == whole[1]  # a community alone has too few grids to fit one
    assert set(calibration["grid_id"]) <= mine and len(calibration) >= 1
    for kind, test in tests.items():
        assert set(test.predictions["grid_id"]) <= mine
        assert test.median_mape == whole[2][kind].median_mape


def test_a_scoped_viewer_plans_what_if_only_inside_their_unit(units):
    assert access.within(units, access.DISTRICT) == ["D", "S01", "S02", "S01C01", "S02C01"]
    assert access.within(units, access.Scope(street_id="S01")) == ["S01", "S01C01"]
    assert access.within(units, access.Scope("S02", "S02C01")) == ["S02C01"]


def test_an_analyst_may_download_and_each_file_is_audited_with_its_rows(
    tiny_db, tmp_path, monkeypatch, admin_file
):
    from ui import auth

    _add(admin_file, tiny_db, "ana@x.org", "analyst", "S01")
    at = _app(tiny_db, tmp_path, monkeypatch, "ana@x.org").run()
    at.switch_page("pages/closure.py").run()
    assert not at.exception
    buttons = [b for b in at.get("download_button") if b.label == "下载 CSV"]
    assert buttons  # an analyst may export
    viewer = at.session_state["_viewer"]
    produce = auth.audited(
        "download", "x.csv", lambda: (b"a,b\n1,2\n", 1)
    )  # the wrapper every button uses
    with monkeypatch.context() as m:
        m.setattr(auth, "current", lambda: viewer)
        assert produce() == b"a,b\n1,2\n"
    log = _log(admin_file)
    entry = log[log["action"] == "download"].iloc[0]
    assert entry["login"] == "ana@x.org" and '"rows": 1' in entry["detail"]
    assert '"file": "x.csv"' in entry["detail"]
