"""Who may see what: the accounts of a deployment with sign-in, each with a role and a scope.

A role decides the scope's level and the rights; the scope is one organisation unit:

| role        | 名称     | scope                          | exports | admin pages |
|-------------|----------|--------------------------------|---------|-------------|
| `leader`    | 区级领导 | the district                   | no      | no          |
| `street`    | 街道     | one street                     | no      | no          |
| `community` | 社区     | one community                  | no      | no          |
| `analyst`   | 分析员   | the district, a street or a community | yes | no       |
| `admin`     | 管理员   | the district                   | yes     | imports, users, audit |

Accounts live in the admin database (``analytics.admin_db``); every change is written to the
audit log by the caller's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from analytics import admin_db

ROLES = {
    "leader": "区级领导",
    "street": "街道",
    "community": "社区",
    "analyst": "分析员",
    "admin": "管理员",
}
UNIT_LEVELS = {  # the levels a role's unit may have; () = the whole district, no unit
    "leader": (),
    "street": ("street",),
    "community": ("community",),
    "analyst": ("street", "community", None),
    "admin": (),
}
EXPORTERS = ("analyst", "admin")
MAX_LOGIN = 200


class AccountError(ValueError):
    """An account cannot be added or removed; the message says why, in Chinese."""


@dataclass(frozen=True)
class User:
    login: str
    role: str
    unit_id: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """名称 · 角色, for the sidebar and the audit page."""
        return f"{self.name or self.login} · {ROLES.get(self.role, self.role)}"

    @property
    def can_export(self) -> bool:
        return self.role in EXPORTERS

    @property
    def can_annotate(self) -> bool:
        """May add and remove the dated notes of the time charts (页面“日期标注”)."""
        return self.role in ("analyst", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


LOCAL = User(login="本机", role="admin", name="本机用户")  # no sign-in, on this machine only
# No sign-in on a closed intranet (GOV_OPEN_INTRANET=1): anyone who reaches it sees the
# district, but imports, accounts and the audit log stay on this machine and the CLI.
INTRANET = User(login="内网访客", role="leader", name="内网访客")


def normalise(login: str) -> str:
    """Accounts match whatever case a sign-in platform sends (e-mail addresses especially)."""
    return str(login or "").strip().casefold()


def validate(user: User, units: pd.DataFrame) -> User:
    """``user`` with its login normalised, or AccountError: a known role, a unit of the level
    the role needs (``units``: org_units with unit_id and level)."""
    login = normalise(user.login)
    if not login or len(login) > MAX_LOGIN or any(ch.isspace() or ord(ch) < 32 for ch in login):
        raise AccountError("账号不能为空,不能含空白或控制字符,且不超过 200 个字符。")
    if user.role not in ROLES:
        raise AccountError(f"角色须为 {'、'.join(ROLES)} 之一({'、'.join(ROLES.values())})。")
    levels = UNIT_LEVELS[user.role]
    unit = (user.unit_id or "").strip() or None
    if unit is None:
        if levels and None not in levels:
            raise AccountError(f"{ROLES[user.role]}账号须指定所属单位(--unit)。")
    else:
        if not levels:
            raise AccountError(f"{ROLES[user.role]}账号看全区,不指定单位。")
        found = units.loc[units["unit_id"] == unit, "level"]
        if found.empty:
            raise AccountError(
                f"单位 {unit} 不存在。请核对单位编码(区划表 org_units 的 unit_id,如 S01、S01C01)。"
            )
        if found.iloc[0] not in levels:
            raise AccountError(
                f"{ROLES[user.role]}账号的单位须为"
                f"{'或'.join({'street': '街道', 'community': '社区'}[lv] for lv in levels if lv)}"
                f",{unit} 不是。"
            )
    name = str(user.name or "").strip()[:50]
    return User(login=login, role=user.role, unit_id=unit, name=name)


def add(
    path: str | os.PathLike,
    user: User,
    units: pd.DataFrame,
    by: str,
    zone: str = "Asia/Shanghai",
) -> User:
    """Add or change an account (the same login is replaced); returns it as stored."""
    user = validate(user, units)
    with admin_db.opened(path) as con:
        con.execute(
            "INSERT INTO users (login, role, unit_id, name, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (login) DO UPDATE SET role = excluded.role,"
            " unit_id = excluded.unit_id, name = excluded.name,"
            " created_at = excluded.created_at, created_by = excluded.created_by",
            (user.login, user.role, user.unit_id, user.name, admin_db.now(zone), by),
        )
    return user


def remove(path: str | os.PathLike, login: str) -> bool:
    """Remove an account; False when there was none."""
    with admin_db.opened(path) as con:
        cur = con.execute("DELETE FROM users WHERE login = ?", (normalise(login),))
        return cur.rowcount > 0


def get(path: str | os.PathLike, login: str) -> User | None:
    """The account ``login`` signs in as; None for an unknown one."""
    with admin_db.opened(path) as con:
        row = con.execute(
            "SELECT login, role, unit_id, name FROM users WHERE login = ?", (normalise(login),)
        ).fetchone()
    return User(*row) if row else None


def listing(path: str | os.PathLike) -> pd.DataFrame:
    """Every account: login, role, unit_id, name, created_at, created_by."""
    with admin_db.opened(path) as con:
        cur = con.execute(
            "SELECT login, role, unit_id, name, created_at, created_by FROM users ORDER BY login"
        )
        return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
