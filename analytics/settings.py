"""A deployment's settings: ``settings.toml`` beside ``app.py``, or the file ``$GOV_SETTINGS``
names. Every key is optional; a missing file means the defaults below.

Settings are what differs between districts and changes rarely (a basemap's address, what a
grid worker costs), as opposed to filters, which change with every question.
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analytics.connection import PROJECT_DIR
from analytics.targets import TARGETABLE

DEFAULT_FILE = PROJECT_DIR / "settings.toml"


class SettingsError(ValueError):
    """The settings file cannot be used; the message says which key and why, in Chinese."""


@dataclass(frozen=True)
class Settings:
    # A MapLibre/Mapbox GL style JSON (self-hosted tiles, 天地图 …). Empty: no basemap, so
    # maps work offline and request nothing from the internet.
    map_style_url: str = ""
    # 网格调整推演: a full-time grid worker's yearly cost (元) and working hours per month.
    cost_per_worker_year: float = 96_000.0
    worker_hours_per_month: float = 174.0
    # A new grid gets a second full-time worker beyond this many events a month (and so on).
    events_per_worker_cap: float = 300.0
    # 赛马比拼: a unit (or grid worker) with fewer events in the period is shown apart, not
    # ranked: a handful of events says little about a unit.
    ranking_min_events: int = 30
    # The district's time zone: times are stored as its naive local time; an imported time
    # that carries a zone (2019-10-06T00:05:55Z, … +08:00, … UTC) is converted to it.
    timezone: str = "Asia/Shanghai"
    # Sign-in: "none" (served on 127.0.0.1 only, or a closed intranet's opt-out), "oidc"
    # (st.login with .streamlit/secrets.toml [auth]) or "header" (an authenticating reverse
    # proxy passes the user name in ``user_header``; trusted only from ``trusted_proxies``).
    access_mode: str = "none"
    user_claim: str = "email"
    user_header: str = "X-Remote-User"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    admin_contact: str = "区网格化服务管理中心"
    # 审计日志 kept this many days (at least MIN_RETENTION_DAYS: 网络安全法 asks for 6 months).
    audit_retention_days: int = 365
    # 综合指数 (``analytics.score``): each ratio to target is capped at ``score_cap`` so that
    # one excellent figure cannot hide a failing one; ``score_weights`` are (metric, weight)
    # pairs in ``targets.TARGETABLE`` order, a metric not named weighing 1 (a tuple, not a
    # dict: Settings is a cache key and must stay hashable).
    score_cap: float = 1.2
    score_weights: tuple[tuple[str, float], ...] = ()


ACCESS_MODES = ("none", "oidc", "header")
USER_CLAIMS = ("email", "preferred_username", "sub")  # unique ones; a display name is not
MIN_RETENTION_DAYS = 180


def zone_problem(zone: str, where: str = "") -> str | None:
    """Why ``zone`` is not a time-zone name, in Chinese, ``where`` naming where it was given
    (None when it is one): the one check of the settings, a mapping and the CLI."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{where}「{zone}」不是时区名称,应如 Asia/Shanghai、America/New_York。"
    return None


def local_now(zone: str) -> datetime:
    """The wall-clock time in the district's ``zone``, without a zone, as every time in the
    database is stored (events, imports, notes): a UTC server's ``datetime.now()`` is eight
    hours behind Beijing, and the freshness line would say an import ran in the night."""
    return datetime.now(ZoneInfo(zone)).replace(tzinfo=None)


def settings_path() -> Path:
    return Path(os.environ.get("GOV_SETTINGS") or DEFAULT_FILE)


def load(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default :func:`settings_path`); defaults if it is missing."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"设置文件 {path} 无法解析:{exc}") from exc
    style = str(raw.get("map", {}).get("style_url", "") or "").strip()
    if style and urlparse(style).scheme not in ("http", "https"):
        raise SettingsError(
            f"设置文件 {path} 中 [map] style_url 须为 http(s) 地址(MapLibre 样式 JSON),"
            f"而不是 {style!r}。留空则不使用底图。"
        )
    whatif = raw.get("whatif", {})
    numbers = {}
    for key, low in (
        ("cost_per_worker_year", 0),
        ("worker_hours_per_month", 1),
        ("events_per_worker_cap", 1),
    ):
        if key in whatif:
            value = whatif[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise SettingsError(f"设置文件 {path} 中 [whatif] {key} 须为不小于 {low} 的数字。")
            numbers[key] = float(value)
    rankings = raw.get("rankings", {})
    if "min_events" in rankings:
        value = rankings["min_events"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SettingsError(f"设置文件 {path} 中 [rankings] min_events 须为不小于 1 的整数。")
        numbers["ranking_min_events"] = value
    zone = str(raw.get("district", {}).get("timezone", "") or "").strip()
    if zone:
        problem = zone_problem(zone, f"设置文件 {path} 中 [district] timezone ")
        if problem:
            raise SettingsError(problem)
        numbers["timezone"] = zone
    numbers.update(_access(raw.get("access", {}), path))
    audit = raw.get("audit", {})
    if "retention_days" in audit:
        value = audit["retention_days"]
        if isinstance(value, bool) or not isinstance(value, int) or value < MIN_RETENTION_DAYS:
            raise SettingsError(
                f"设置文件 {path} 中 [audit] retention_days 须为不小于 {MIN_RETENTION_DAYS} 的整数"
                "(网络安全法要求日志留存不少于六个月)。"
            )
        numbers["audit_retention_days"] = value
    numbers.update(_score(raw.get("score", {}), path))
    return Settings(map_style_url=style, **numbers)


def _score(score: dict, path: Path) -> dict:
    """The [score] table, checked: ``cap`` a number ≥ 1, ``weights`` a table of targetable
    metrics (``targets.TARGETABLE``) with weights ≥ 0."""
    out: dict = {}
    if not isinstance(score, dict):
        raise SettingsError(f"设置文件 {path} 中 score 须为表 [score]。")
    if "cap" in score:
        value = score["cap"]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 1
        ):
            raise SettingsError(f"设置文件 {path} 中 [score] cap 须为不小于 1 的数字(如 1.2)。")
        out["score_cap"] = float(value)
    if "weights" in score:
        weights = score["weights"]
        if not isinstance(weights, dict):
            raise SettingsError(
                f"设置文件 {path} 中 [score] weights 须为指标到权重的表,"
                "如 weights = { closure_rate = 2 }。"
            )
        for key, value in weights.items():
            if key not in TARGETABLE:
                raise SettingsError(
                    f"设置文件 {path} 中 [score] weights 的 {key!r} 不是可设目标的指标,"
                    f"应为 {'、'.join(TARGETABLE)} 之一。"
                )
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise SettingsError(
                    f"设置文件 {path} 中 [score] weights 的 {key} 须为不小于 0 的数字。"
                )
        out["score_weights"] = tuple((m, float(weights[m])) for m in TARGETABLE if m in weights)
    return out


def _access(access: dict, path: Path) -> dict:
    """The [access] table, checked: a wrong sign-in setting must stop the app, not open it."""
    out: dict = {}
    mode = str(access.get("mode", "none") or "none").strip()
    if mode not in ACCESS_MODES:
        raise SettingsError(
            f"设置文件 {path} 中 [access] mode 须为 none、oidc 或 header,而不是 {mode!r}。"
        )
    out["access_mode"] = mode
    claim = str(access.get("user_claim", "email") or "email").strip()
    if claim not in USER_CLAIMS:
        raise SettingsError(
            f"设置文件 {path} 中 [access] user_claim 须为 {'、'.join(USER_CLAIMS)} 之一。"
        )
    out["user_claim"] = claim
    header = str(access.get("user_header", "X-Remote-User") or "").strip()
    if not header or not header.replace("-", "").replace("_", "").isascii():
        raise SettingsError(f"设置文件 {path} 中 [access] user_header 须为请求头名称。")
    out["user_header"] = header
    if "trusted_proxies" in access:
        proxies = access["trusted_proxies"]
        if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
            raise SettingsError(f"设置文件 {path} 中 [access] trusted_proxies 须为地址列表。")
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy.strip(), strict=False)
            except ValueError as exc:
                raise SettingsError(
                    f"设置文件 {path} 中 [access] trusted_proxies 的 {proxy!r} 不是 IP 地址或网段。"
                ) from exc
        out["trusted_proxies"] = tuple(p.strip() for p in proxies)
    if mode == "header" and not out.get("trusted_proxies", ("127.0.0.1",)):
        raise SettingsError(f"设置文件 {path} 中 [access] 用请求头登录时须配置 trusted_proxies。")
    contact = str(access.get("admin_contact", "") or "").strip()
    if contact:
        out["admin_contact"] = contact
    return out
