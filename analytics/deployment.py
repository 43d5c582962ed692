"""Where the dashboard may be served, decided before any data is shown.

The local demo serves on the loopback address only (``.streamlit/config.toml``). Serving on
a network needs sign-in (``[access] mode`` oidc or header, see README「部署」); a closed
intranet may instead opt out with ``GOV_OPEN_INTRANET=1``, and every page then says that it
is open to anyone who reaches it.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

OPEN_INTRANET = "GOV_OPEN_INTRANET"  # deliberate opt-out for a closed intranet without sign-in
OPEN_BANNER = (
    "本看板未启用登录:能访问本机网络地址的人都能看到全区数据(不能导入、下载或管理账号)。"
    "仅限封闭内网使用(GOV_OPEN_INTRANET=1)。"
)
PROXY_ENV = "FORWARDED_ALLOW_IPS"  # uvicorn: whose X-Forwarded-For replaces the peer address


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` (Streamlit's server.address; empty or None = every interface)
    is reachable from this machine only."""
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def open_intranet(environ: dict | None = None) -> bool:
    return (environ if environ is not None else os.environ).get(OPEN_INTRANET) == "1"


OIDC_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


def sign_in_problem(mode: str, auth: Mapping | None, environ: Mapping | None = None) -> str | None:
    """Why the configured sign-in cannot work (None when it can): OIDC needs the ``[auth]``
    table of ``.streamlit/secrets.toml`` with Streamlit's keys; a proxy's header can only be
    trusted when the server sees the real peer address, i.e. uvicorn trusts no
    X-Forwarded-For (``FORWARDED_ALLOW_IPS=""``, set by scripts/run.sh). A broken sign-in
    must stop the app rather than leave it open."""
    environ = os.environ if environ is None else environ
    if mode == "header" and environ.get(PROXY_ENV) != "":
        return (
            '用请求头登录([access] mode = "header")时,看板须以环境变量 '
            f"{PROXY_ENV}= (空值)启动,否则本机进程可伪造 X-Forwarded-For 冒充认证代理。"
            "请用 scripts/run.sh 启动(已设置),或手动设置后重新启动。"
        )
    if mode != "oidc":
        return None
    absent = [m for m in ("authlib", "httpx") if importlib.util.find_spec(m) is None]
    if absent:
        return (
            f"统一身份认证登录需要 Python 包 {'、'.join(absent)},本机未安装。"
            "请运行 bash scripts/setup.sh(按 requirements.txt 安装)后重新启动。"
        )
    missing = [key for key in OIDC_KEYS if not (auth or {}).get(key)]
    if missing:
        return (
            '设置了统一身份认证登录([access] mode = "oidc"),但 .streamlit/secrets.toml 的'
            f" [auth] 中缺少 {'、'.join(missing)}。请按 README「部署」配置后重新启动。"
        )
    if not str(auth["redirect_uri"]).endswith("/oauth2callback"):
        return "[auth] redirect_uri 须以 /oauth2callback 结尾,如 https://看板地址/oauth2callback。"
    return None


def trusted_peer(address: str | None, proxies: Iterable[str]) -> bool:
    """Whether a connection from ``address`` may vouch for a user in a request header: only
    the configured reverse proxies may (None = a loopback connection, as Streamlit reports
    it)."""
    try:
        peer = ipaddress.ip_address(address or "127.0.0.1")
    except ValueError:
        return False
    if peer.version == 6 and peer.ipv4_mapped:
        peer = peer.ipv4_mapped
    return any(peer in ipaddress.ip_network(p, strict=False) for p in proxies)


def serving_problem(
    address: str | None, mode: str = "none", environ: dict | None = None
) -> str | None:
    """Why the app must not serve data on ``address`` (None when it may): a network address
    without sign-in and without the intranet opt-out."""
    if is_loopback(address) or mode in ("oidc", "header") or open_intranet(environ):
        return None
    where = address or "所有网络接口"
    return (
        f"没有启用登录时,为保护数据,看板不在 {where} 上提供服务。"
        "只在本机使用时,请用 README 的命令启动(只监听 127.0.0.1);"
        "在网络上提供服务须先配置登录(settings.toml 的 [access] mode,见 README「部署」);"
        f"确需在封闭内网中不登录使用时,请设置环境变量 {OPEN_INTRANET}=1 后重新启动"
        "(每页顶部将一直显示未登录提示)。"
    )


def secrets_auth(project: Path) -> dict | None:
    """The ``[auth]`` table of the project's ``.streamlit/secrets.toml`` (for the start
    script, before Streamlit runs); None when there is none."""
    path = project / ".streamlit" / "secrets.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("auth")
    except (OSError, tomllib.TOMLDecodeError):
        return None


if __name__ == "__main__":  # scripts/run.sh: refuse before starting, with the same words
    import sys

    from analytics.connection import PROJECT_DIR
    from analytics.settings import SettingsError, load

    try:
        mode = load().access_mode
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        sys.exit(1)
    reason = sign_in_problem(mode, secrets_auth(PROJECT_DIR)) or serving_problem(
        sys.argv[1] if len(sys.argv) > 1 else None, mode
    )
    if reason:
        print(reason, file=sys.stderr)
        sys.exit(1)
