"""Where the dashboard may be served, decided before any data is shown.

The local demo serves on the loopback address only (``.streamlit/config.toml``). Serving on
a network needs sign-in; until a deployment has it, a closed intranet may opt out with
``GOV_OPEN_INTRANET=1``, and every page then says that it is open to anyone who reaches it.
"""

from __future__ import annotations

import ipaddress
import os

OPEN_INTRANET = "GOV_OPEN_INTRANET"  # deliberate opt-out for a closed intranet without sign-in
OPEN_BANNER = (
    "本看板未启用登录:能访问本机网络地址的人都能看到全部数据并导入数据。"
    "仅限封闭内网使用(GOV_OPEN_INTRANET=1)。"
)


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


def serving_problem(address: str | None, environ: dict | None = None) -> str | None:
    """Why the app must not serve data on ``address`` (None when it may): a network address
    without sign-in and without the intranet opt-out."""
    if is_loopback(address) or open_intranet(environ):
        return None
    where = address or "所有网络接口"
    return (
        f"没有启用登录时,为保护数据,看板不在 {where} 上提供服务。"
        "只在本机使用时,请用 README 的命令启动(只监听 127.0.0.1);"
        f"确需在封闭内网中不登录使用时,请设置环境变量 {OPEN_INTRANET}=1 后重新启动"
        "(每页顶部将一直显示未登录提示)。"
    )


if __name__ == "__main__":  # scripts/run.sh: refuse before starting, with the same words
    import sys

    reason = serving_problem(sys.argv[1] if len(sys.argv) > 1 else None)
    if reason:
        print(reason, file=sys.stderr)
        sys.exit(1)
