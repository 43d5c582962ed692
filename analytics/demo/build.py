"""Deterministic demo data: the fictional 渝兴区 with three years of grid-management events.

:func:`build_demo` writes every table of ``analytics.schema`` into a fresh DuckDB file: the
geography of ``demo.geo``, the grid workers and the events (quarantine stays empty). Events are
generated one calendar month at a time with numpy and appended in ``reported_at`` order, so
memory stays bounded at 10M events and DuckDB's zone maps prune period scans. The data carries
the stories the dashboard tells: seasonality, a few overloaded hot grids, the 2025-01-01 reform
(faster response, more solved inside the grid), and falling 物业管理 complaints and petitions.
The 诉求内容 (``demo.text``) is varied, carries some reporters' own name or phone, plants ~40 hot
issues and hides ~2 % of citizen categories as 未分类; the truth is kept in the demo_* tables
(docs/demo.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import catalogue
from analytics.demo import text
from analytics.demo.geo import STREETS, District, build_district
from analytics.ingest.values import UNCATEGORISED
from analytics.schema import (
    BOARDS,
    CHANNELS,
    EVENT_TIMESTAMPS,
    EVENT_TYPES,
    HANDLING_TYPES,
    RESOLVED_LEVELS,
    SATISFACTION,
    create_schema,
)
from analytics.settings import load as load_settings
from analytics.settings import local_now

START = np.datetime64("2023-11-01T00:00:00", "s")
END = np.datetime64("2026-10-31T23:59:59", "s")
REFORM = np.datetime64("2025-01-01T00:00:00", "s")
SPRING_FESTIVALS = ("2024-02-10", "2025-01-29", "2026-02-17")
# The district's own calendar notes (``calendar_notes``): day, title, detail, unit (None: all).
DEMO_NOTES = (
    ("2025-01-01", "接诉即办改革", "全区推行接诉即办:办结时限缩短,更多事项在网格内解决。", None),
    ("2025-06-01", "进入主汛期", "区防汛指挥部启动汛期值守,防汛排涝类事件增多。", None),
    ("2026-03-01", "物业管理专项整治", "龙湾街道开展物业服务专项整治行动。", "S01"),
    ("2026-06-02", "强降雨", "全区连续强降雨:积水内涝、停电停水和房屋险情报告激增。", None),
)
# A rainstorm's days and how many times their usual rate each category is reported: the
# demo's true spike (the trends page's 异常峰值, with 防汛排涝 as its main category).
STORM_DAYS = ("2026-06-02", "2026-06-03", "2026-06-04")
_STORM = {"防汛排涝": 20.0, "房屋安全": 4.0, "道路交通": 2.5, "供水供电供气": 2.5}

_END_S = int((END - START).astype(np.int64))
_REFORM_S = int((REFORM - START).astype(np.int64))
_DAY = 86_400
_HOUR = 3_600


# How often each category is reported where: > 0 more in the centre, < 0 more at the edge.
# Its 诉求内容 (templates, planted hot issues): ``demo.text``.
URBAN_AFFINITY: dict[str, float] = {
    "物业管理": 1.6, "违章建筑": -0.6, "环境卫生": 0.2, "噪音扰民": 0.8, "矛盾纠纷": 0.0,
    "消防安全": 0.3, "市容秩序": 0.5, "道路交通": 0.2, "供水供电供气": 0.3, "防汛排涝": -1.2,
    "房屋安全": -0.5, "社会保障": -0.2, "劳动欠薪": 0.0, "市场监管": 0.7, "生态环保": -0.6,
    "党员服务": 0.0, "志愿服务": 0.0,
}  # fmt: skip
CATEGORIES = catalogue.CATEGORIES
CATEGORY_NAMES = tuple(CATEGORIES)

MARKUP_PREFIXES = (
    "**紧急** <b>速办</b> [链接](http://x) ",
    "<script>alert('x')</script>",
    "# 加急处理\n",
    "<img src=x onerror=alert(1)> __请回电__ ",
)

# Share (percent) of all events by event_type and channel; the margins give the channel mix.
_TYPE_CHANNEL_SHARE: dict[str, dict[str, float]] = {
    "complaint": {"hotline": 19.5, "app": 7.0, "patrol": 5.5, "online": 1.5, "sensor": 1.0,
                  "visit": 0.5},
    "request": {"hotline": 12.0, "patrol": 7.0, "app": 5.0, "online": 2.0, "visit": 1.0,
                "letter": 0.5, "sensor": 0.5},
    "hazard": {"patrol": 9.0, "sensor": 3.5, "app": 1.0, "hotline": 0.5},
    "consultation": {"hotline": 5.5, "patrol": 3.5, "app": 2.0, "online": 1.0},
    "petition": {"visit": 3.5, "letter": 3.5, "hotline": 2.5, "online": 1.5},
}  # fmt: skip
_TYPE_CATEGORY_WEIGHT: dict[str, dict[str, float]] = {
    "complaint": {"物业管理": 22, "噪音扰民": 16, "环境卫生": 14, "市容秩序": 12, "违章建筑": 9,
                  "道路交通": 7, "供水供电供气": 7, "市场监管": 7, "生态环保": 6},
    "request": {"供水供电供气": 18, "社会保障": 18, "物业管理": 12, "矛盾纠纷": 12,
                "劳动欠薪": 10, "道路交通": 8, "环境卫生": 8, "志愿服务": 7, "党员服务": 7},
    "hazard": {"消防安全": 25, "房屋安全": 15, "防汛排涝": 12, "道路交通": 12, "违章建筑": 10,
               "市容秩序": 10, "环境卫生": 8, "生态环保": 8},
    "consultation": {"社会保障": 30, "党员服务": 12, "市场监管": 12, "物业管理": 12,
                     "劳动欠薪": 10, "供水供电供气": 12, "志愿服务": 12},
    "petition": {"矛盾纠纷": 25, "物业管理": 20, "劳动欠薪": 20, "社会保障": 15, "房屋安全": 10,
                 "违章建筑": 10},
}  # fmt: skip

_SEASON: dict[str, dict[int, float]] = {
    "噪音扰民": {6: 2.0, 7: 2.0, 8: 2.0},
    "防汛排涝": {6: 1.3, 7: 1.6, 8: 1.3},
    "房屋安全": {6: 1.3, 7: 1.6, 8: 1.3},
    "消防安全": {12: 1.4, 1: 1.4, 2: 1.3},
    "供水供电供气": {7: 1.4, 8: 1.4, 12: 1.2, 1: 1.2},
    "劳动欠薪": {12: 1.6, 1: 2.2},
    "环境卫生": {6: 1.2, 7: 1.2, 8: 1.2, 9: 1.1},
    "社会保障": {1: 1.3, 9: 1.2},
    "党员服务": {7: 1.3},
}
_FLOOD_HAZARD_SEASON = {5: 1.3, 6: 2.0, 7: 3.5, 8: 2.0, 9: 1.3}
_PETITION_TREND = 0.82
_PROPERTY_COMPLAINT_TREND = 0.76
_CHANNEL_GROWTH = {"app": 1.25, "letter": 0.85, "online": 1.10}
_BASE_GROWTH = 1.04

_WEEKDAY = {
    "citizen": (1.06, 1.03, 1.02, 1.01, 1.0, 0.82, 0.78),
    "patrol": (1.2, 1.2, 1.2, 1.2, 1.15, 0.35, 0.3),
    "sensor": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "office": (1.25, 1.15, 1.1, 1.1, 1.05, 0.3, 0.25),
}
_HOUR_PROFILES = np.array(
    [
        [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 7, 8, 7, 4, 4, 6.5, 7, 6.5, 5, 3.5, 3, 3, 2.5,
         1.5, 0.8],
        [2, 1, 0.5, 0.3, 0.2, 0.2, 0.5, 1.5, 2, 2, 2, 2, 2.5, 2.5, 2, 2, 2, 2.5, 3, 4, 7, 9, 9, 6],
        [0, 0, 0, 0, 0, 0, 0, 0.3, 4, 8, 9, 7, 2, 2, 7, 9, 8, 5, 1, 0.2, 0, 0, 0, 0],
        [0.6, 0.5, 0.5, 0.5, 0.5, 0.6, 0.8, 1, 1.3, 1.4, 1.4, 1.4, 1.3, 1.3, 1.4, 1.4, 1.4, 1.4,
         1.3, 1.2, 1.1, 1, 0.9, 0.7],
        [0, 0, 0, 0, 0, 0, 0, 0, 2, 8, 9, 8, 1, 1, 7, 8, 7, 3, 0, 0, 0, 0, 0, 0],
    ]
)  # fmt: skip
_PROFILE_DAY, _PROFILE_EVENING, _PROFILE_PATROL, _PROFILE_SENSOR, _PROFILE_OFFICE = range(5)

_ACCEPT_MEDIAN_H = {"patrol": 0.08, "hotline": 1.0, "app": 0.6, "visit": 0.25, "letter": 8.0,
                    "online": 2.0, "sensor": 0.15}  # fmt: skip
_NIGHT_QUEUE = np.array([CHANNELS.index(c) for c in ("app", "online", "letter")])
_PATROL, _SENSOR = CHANNELS.index("patrol"), CHANNELS.index("sensor")
_HANDLING_SHARE = {
    "complaint": (0.28, 0.50, 0.08, 0.10, 0.04),
    "request": (0.38, 0.42, 0.05, 0.08, 0.07),
    "hazard": (0.45, 0.33, 0.12, 0.10, 0.0),
    "consultation": (0.25, 0.05, 0.0, 0.0, 0.70),
    "petition": (0.0, 0.50, 0.25, 0.20, 0.05),
}
_DEADLINE_DAYS = {"immediate": 1, "escalated": 15, "joint": 10, "inform": 3}
_DISPATCH_MEDIAN_H = {"immediate": 0.3, "promised": 2.0, "escalated": 8.0, "joint": 6.0,
                      "inform": 0.5}  # fmt: skip
_HANDLE_MEDIAN_SHARE = {"immediate": 0.2, "promised": 0.35, "escalated": 0.36, "joint": 0.38,
                        "inform": 0.05}  # fmt: skip
_CLOSE_MEDIAN_H = {"immediate": 1.0, "promised": 10.0, "escalated": 24.0, "joint": 16.0,
                   "inform": 1.0}  # fmt: skip
_LEVEL_SHARE_BEFORE = {
    "immediate": (0.80, 0.17, 0.03, 0.0),
    "inform": (0.70, 0.25, 0.05, 0.0),
    "promised": (0.30, 0.40, 0.22, 0.08),
    "joint": (0.05, 0.25, 0.45, 0.25),
    "escalated": (0.0, 0.05, 0.35, 0.60),
}
_LEVEL_SHARE_AFTER = {
    "immediate": (0.90, 0.09, 0.01, 0.0),
    "inform": (0.85, 0.13, 0.02, 0.0),
    "promised": (0.48, 0.32, 0.15, 0.05),
    "joint": (0.12, 0.30, 0.40, 0.18),
    "escalated": (0.02, 0.08, 0.35, 0.55),
}
_STREET_OFFICES = {"party": "党建办", "economy": "经济发展办", "livelihood": "社会事务办",
                   "safety": "综治办"}  # fmt: skip
_STUCK_SHARE = 0.005
_REPEAT_SHARE = 0.06
_MARKUP_SHARE = 0.004

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞波斌宇浩凯俊帅晨欣怡"
    "婷雪琳颖倩佳思雨梦嘉子一诗梓涵轩博然宏志德福林海峰云春秋燕莉琴凤梅亮成龙兵坤瑶悦安荣"
)
_MOBILE_PREFIXES = np.array(
    [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 158, 159, 166,
     173, 176, 177, 180, 181, 183, 185, 186, 187, 188, 189, 199],
    dtype=np.int64,
)  # fmt: skip
_NAME_POOL_SIZE = 30_000
_MEMORY_LIMIT = "512MB"
_ROWS_PER_COMMIT = 1_000_000

# Shown instead of the true category on ~2 % of citizen messages (the true one is in
# ``demo_true_category``): what the importer stores for an empty category, since the column
# is NOT NULL. No 其他: it is not a catalogue category.
_UNCATEGORISED_SHARE = 0.02
_UNCATEGORISED_CHANNELS = ("hotline", "app", "online", "letter")
_PERSONAL_SHARE = 0.03
# Planted hot issues: how many before the last 90 days and within them; at most this share
# of all events (a tiny demo keeps the latest issues that fit).
_ISSUES_EARLY, _ISSUES_RECENT = 31, 9
_ISSUE_EVENT_SHARE = 0.05
_ISSUE_CHANNELS = ("hotline", "app", "online")


def _personal_sql() -> str:
    """A CASE appending the event's own name, phone or address (``text.PERSONAL``)."""
    slots = {
        "name": "reporter_name",
        "surname": "left(reporter_name, 1)",
        "phone": "phone_text",
        "address": "full_address",
        "room": "CAST(room AS VARCHAR) || '室'",
    }
    cases = []
    for k, template in enumerate(text.PERSONAL):
        parts = []
        for i, piece in enumerate(template.replace("}", "{").split("{")):
            if i % 2:
                parts.append(slots[piece])
            elif piece:
                parts.append("'" + piece.replace("'", "''") + "'")
        cases.append(f"WHEN {k} THEN " + " || ".join(parts))
    return f"CASE personal {' '.join(cases)} ELSE '' END"


_INSERT_EVENTS = f"""
    INSERT INTO events SELECT
        'E' || lpad(CAST(n AS VARCHAR), 9, '0'),
        channel, event_type, category, board, grid_id, community_id, street_id, lon, lat,
        reported_at, accepted_at, dispatched_at, handled_at, closed_at, deadline_at,
        handling_type, resolved_level, handler_unit, worker_id, satisfaction, resolved,
        CASE WHEN repeat_of >= 0 THEN 'E' || lpad(CAST(repeat_of AS VARCHAR), 9, '0') END,
        reporter_name, phone_text, full_address,
        coalesce(markup, '') || replace(template, '{{place}}', place) || {_personal_sql()}
    FROM (
        SELECT *, CASE WHEN phone > 0 THEN CAST(phone AS VARCHAR) END AS phone_text,
            address || CASE WHEN unit > 0 THEN CAST(unit AS VARCHAR) || '单元' ELSE '' END
                AS full_address
        FROM chunk
    )
"""
# Ground truth for tests and benchmarks (not read by the app, not published to Spark).
_TRUTH_TABLES = (
    """CREATE TABLE demo_hot_issues (issue_id VARCHAR, theme VARCHAR, grid_id VARCHAR,
        category VARCHAR, first_at TIMESTAMP, last_at TIMESTAMP, events BIGINT)""",
    "CREATE TABLE demo_hot_issue_events (issue_id VARCHAR, event_id VARCHAR)",
    "CREATE TABLE demo_true_category (event_id VARCHAR, category VARCHAR)",
)


def fake_names(rng: np.random.Generator, count: int) -> list[str]:
    """Plausible Chinese full names: a common surname plus one or two given characters."""
    rank = np.arange(1, len(_SURNAMES) + 1)
    surname = rng.choice(len(_SURNAMES), size=count, p=(1 / rank) / (1 / rank).sum())
    first = rng.integers(len(_GIVEN), size=count)
    second = np.where(rng.random(count) < 0.65, rng.integers(len(_GIVEN), size=count), -1)
    return [
        _SURNAMES[s] + _GIVEN[a] + (_GIVEN[b] if b >= 0 else "")
        for s, a, b in zip(surname, first, second, strict=True)
    ]


def _build_workers(rng: np.random.Generator, district: District) -> pd.DataFrame:
    """1 full-time worker per grid (2 above 700 households), 3-6 part-time, instructors, staff."""
    rows: list[tuple[str | None, str]] = []
    grids = district.grids
    for grid_id, households in zip(grids.grid_id, grids.households, strict=True):
        rows += [(grid_id, "full_time")] * (2 if households > 700 else 1)
        rows += [(grid_id, "part_time")] * int(rng.integers(3, 7))
    for community_id in grids.community_id.unique():
        rows.append((grids.grid_id[grids.community_id == community_id].iloc[0], "instructor"))
    for _ in STREETS:
        rows += [(None, "street_staff")] * int(rng.integers(2, 5))
    workers = pd.DataFrame(rows, columns=["grid_id", "role"])
    workers.insert(0, "worker_id", [f"W{i:05d}" for i in range(1, len(workers) + 1)])
    workers["name"] = fake_names(rng, len(workers))
    return workers


class _Model:
    """Per-grid and per-combination tables that every monthly chunk draws from."""

    def __init__(
        self,
        district: District,
        workers: pd.DataFrame,
        rng: np.random.Generator,
        variants: text.Variants,
    ):
        grids = district.grids
        self.n_grids = len(grids)
        self.grid_dict = pa.array(grids.grid_id.tolist())
        communities = district.org_units[district.org_units.level == "community"]
        self.community_dict = pa.array(communities.unit_id.tolist())
        self.street_dict = pa.array([s[0] for s in STREETS])
        self.grid_community = grids.community_id.map(
            {c: i for i, c in enumerate(communities.unit_id)}
        ).to_numpy()
        self.grid_street = grids.street_id.map({s[0]: i for i, s in enumerate(STREETS)}).to_numpy()

        urban = district.grid_urbanity
        self.hot = np.zeros(self.n_grids, dtype=bool)
        candidates = np.flatnonzero(urban > np.median(urban))
        self.hot[rng.choice(candidates, size=4, replace=False)] = True
        weight = grids.households.to_numpy() * np.exp(rng.normal(0, 0.25, self.n_grids))
        weight *= np.where(self.hot, rng.uniform(2.0, 3.0, self.n_grids), 1.0)
        self.grid_p = np.empty((len(CATEGORY_NAMES), self.n_grids))
        for k, name in enumerate(CATEGORY_NAMES):
            w = weight * np.exp(URBAN_AFFINITY[name] * (urban - urban.mean()))
            if name == "物业管理":
                w = w * np.where(self.hot, 1.5, 1.0)
            self.grid_p[k] = w / w.sum()

        full_time = workers[workers.role == "full_time"]
        self.worker_dict = pa.array(workers.worker_id.tolist())
        position = {g: i for i, g in enumerate(grids.grid_id)}
        ft_grid = full_time.grid_id.map(position).to_numpy()
        self.ft_first = np.full(self.n_grids, -1)
        self.ft_count = np.bincount(ft_grid, minlength=self.n_grids)
        first_rows = ~pd.Series(ft_grid).duplicated().to_numpy()
        self.ft_first[ft_grid[first_rows]] = full_time.index.to_numpy()[first_rows]
        load = weight / self.ft_count
        self.slowness = np.clip(np.sqrt(load / np.median(load)), 0.7, 2.2)
        self.slowness *= np.where(self.hot, 1.3, 1.0)

        b_grid = district.buildings.grid_id.map(position).to_numpy()
        self.b_count = np.bincount(b_grid, minlength=self.n_grids)
        self.b_start = np.concatenate([[0], np.cumsum(self.b_count)[:-1]])
        self.b_lon = district.buildings.lon.to_numpy()
        self.b_lat = district.buildings.lat.to_numpy()
        self.b_rural = district.building_rural
        self.b_address, addresses = pd.factorize(district.building_address)
        self.address_dict = pa.array(list(addresses))
        self.b_place, places = pd.factorize(district.building_place)
        self.place_dict = pa.array(list(places))
        self.extent = district.extent

        street_names = [s[1] for s in STREETS]
        departments = list(dict.fromkeys(c.department for c in CATEGORIES.values()))
        self.handler_dict = pa.array(
            communities.name.tolist()
            + [f"{s}{_STREET_OFFICES[b]}" for s in street_names for b in BOARDS]
            + departments
        )
        self.n_communities = len(communities)
        self.cat_department = np.array(
            [departments.index(CATEGORIES[c].department) for c in CATEGORY_NAMES]
        )
        self.cat_board = np.array([BOARDS.index(CATEGORIES[c].board) for c in CATEGORY_NAMES])
        self.name_dict = pa.array(list(dict.fromkeys(fake_names(rng, _NAME_POOL_SIZE))))
        self.per_category = variants.per_category
        texts = list(variants.texts)
        self.theme_text: dict[tuple[int, str], tuple[int, int]] = {}  # → (first code, count)
        for t, theme in enumerate(text.THEMES):
            for spot in theme.spots:
                paraphrases = text.issue_texts(theme, spot)
                self.theme_text[t, spot] = (len(texts), len(paraphrases))
                texts += paraphrases
        self.template_dict = pa.array(texts)
        self.b_grid = b_grid
        self.grid_households = grids.households.to_numpy()
        self.grid_rural = np.bincount(b_grid, weights=self.b_rural, minlength=self.n_grids) > 0
        self._build_combos()

    def _build_combos(self) -> None:
        channel, etype, category, weight = [], [], [], []
        for t, channels in _TYPE_CHANNEL_SHARE.items():
            cats = _TYPE_CATEGORY_WEIGHT[t]
            total = sum(cats.values())
            for ch, share in channels.items():
                for cat, w in cats.items():
                    channel.append(CHANNELS.index(ch))
                    etype.append(EVENT_TYPES.index(t))
                    category.append(CATEGORY_NAMES.index(cat))
                    weight.append(share * w / total)
        self.c_channel = np.array(channel)
        self.c_type = np.array(etype)
        self.c_category = np.array(category)
        self.c_weight = np.array(weight)
        noise = self.c_category == CATEGORY_NAMES.index("噪音扰民")
        profile = np.where(noise, _PROFILE_EVENING, _PROFILE_DAY)
        ch = np.array(CHANNELS)[self.c_channel]
        profile = np.where(ch == "patrol", _PROFILE_PATROL, profile)
        profile = np.where(ch == "sensor", _PROFILE_SENSOR, profile)
        self.c_profile = np.where(np.isin(ch, ("visit", "letter")), _PROFILE_OFFICE, profile)
        self.profile_cdf = np.cumsum(_HOUR_PROFILES, axis=1) / _HOUR_PROFILES.sum(axis=1)[:, None]

    def daily_intensity(self, days: np.ndarray) -> np.ndarray:
        """Relative event rate for every (day, combination): season, trend, weekday, holiday,
        and the rainstorm (``STORM_DAYS``)."""
        month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
        dow = (days.astype(np.int64) + 3) % 7
        years = (days - START.astype("datetime64[D]")).astype(np.int64) / 365.25 - 1.5
        season = np.ones((13, len(self.c_weight)))
        for c, (t, k) in enumerate(zip(self.c_type, self.c_category, strict=True)):
            name = CATEGORY_NAMES[k]
            table = (
                _FLOOD_HAZARD_SEASON
                if EVENT_TYPES[t] == "hazard" and name in ("防汛排涝", "房屋安全")
                else _SEASON.get(name, {})
            )
            for m, factor in table.items():
                season[m, c] = factor
        growth = np.full(len(self.c_weight), np.log(_BASE_GROWTH))
        for c, (ch, t, k) in enumerate(
            zip(self.c_channel, self.c_type, self.c_category, strict=True)
        ):
            growth[c] += np.log(_CHANNEL_GROWTH.get(CHANNELS[ch], 1.0))
            if EVENT_TYPES[t] == "petition":
                growth[c] += np.log(_PETITION_TREND)
            elif EVENT_TYPES[t] == "complaint" and CATEGORY_NAMES[k] == "物业管理":
                growth[c] += np.log(_PROPERTY_COMPLAINT_TREND)
        groups = np.array([_weekday_group(CHANNELS[ch]) for ch in self.c_channel])
        weekday = np.array([_WEEKDAY[g] for g in groups]).T
        weekday /= weekday.mean(axis=0)
        holiday = np.ones(len(days))
        for festival in SPRING_FESTIVALS:
            offset = (days - np.datetime64(festival, "D")).astype(np.int64)
            holiday[(offset >= -4) & (offset <= 5)] = 0.5
        storm = np.ones((len(days), len(self.c_weight)))
        stormy = np.isin(days, np.array(STORM_DAYS, dtype="datetime64[D]"))
        for c, k in enumerate(self.c_category):
            storm[stormy, c] = _STORM.get(CATEGORY_NAMES[k], 1.0)
        return (
            self.c_weight[None, :]
            * season[month]
            * np.exp(np.outer(years, growth))
            * weekday[dow]
            * holiday[:, None]
            * storm
        )


_CHANNEL_DICT = pa.array(CHANNELS)
_TYPE_DICT = pa.array(EVENT_TYPES)
_CATEGORY_DICT = pa.array(CATEGORY_NAMES)
_BOARD_DICT = pa.array(BOARDS)
_HANDLING_DICT = pa.array(HANDLING_TYPES)
_LEVEL_DICT = pa.array(RESOLVED_LEVELS)
_SATISFACTION_DICT = pa.array(SATISFACTION)
_MARKUP_DICT = pa.array(MARKUP_PREFIXES)
_SHOWN_CATEGORY_DICT = pa.array([*CATEGORY_NAMES, UNCATEGORISED])
# 未分类 takes the board the importer gives a category outside the catalogue
_SHOWN_BOARD = np.array(
    [BOARDS.index(CATEGORIES[c].board) for c in CATEGORY_NAMES] + [BOARDS.index("livelihood")]
)
_HIDDEN_CHANNELS = np.array([CHANNELS.index(c) for c in _UNCATEGORISED_CHANNELS])


def _coded(codes: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    """A dictionary-encoded string column; negative codes are NULL."""
    codes = np.asarray(codes, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), dictionary)


def _weekday_group(channel: str) -> str:
    if channel in ("patrol", "sensor"):
        return channel
    return "office" if channel in ("visit", "letter") else "citizen"


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(rng.normal(0.0, sigma, median.shape))


def _lookup(
    table: dict[str, float], names: tuple[str, ...], codes: np.ndarray, default: float = 0.0
) -> np.ndarray:
    """Per-row values of a table keyed by enumerated name, indexed by the rows' codes."""
    return np.array([table.get(name, default) for name in names])[codes]


def _pick(rng: np.random.Generator, cumulative: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a row-wise cumulative probability matrix."""
    return (rng.random(len(cumulative))[:, None] > cumulative[:, :-1]).sum(axis=1)


class _History(NamedTuple):
    key: np.ndarray
    ts: np.ndarray
    n: np.ndarray
    building: np.ndarray
    name: np.ndarray
    phone: np.ndarray


def _empty_history() -> _History:
    empty = np.empty(0, dtype=np.int64)
    return _History(empty, empty, empty, empty, empty, empty)


class _Issues(NamedTuple):
    """Planted hot issues: one row per issue (``meta``) and one entry per event (arrays)."""

    meta: pd.DataFrame  # issue_id, theme, grid_id, category
    day: np.ndarray  # day since START
    combo: np.ndarray
    building: np.ndarray
    name: np.ndarray
    phone: np.ndarray
    text: np.ndarray  # code in model.template_dict
    issue: np.ndarray  # row of meta


def _plan_issues(model: _Model, seed: int, events: int) -> _Issues:
    """A fixed set of hot issues (``text.THEMES``): one grid, one place, one category, 6-40
    citizens within 2-10 days; never two in one grid on overlapping days. The plan does not
    depend on ``events``, except that a tiny demo keeps only the latest issues that fit."""
    rng = np.random.default_rng([seed, 5])
    n_days = _END_S // _DAY + 1
    starts = np.concatenate(
        [
            rng.integers(7, n_days - 100, _ISSUES_EARLY),
            rng.integers(n_days - 88, n_days - 12, _ISSUES_RECENT),
        ]
    )
    starts.sort()
    citizen_combo = np.isin(model.c_channel, [CHANNELS.index(c) for c in _ISSUE_CHANNELS])
    taken: list[tuple[int, int, int]] = []  # grid, first day, last day
    rows, parts = [], []
    for start in starts[::-1]:  # latest first, so a small cap keeps the recent ones
        month = int(str((START + np.timedelta64(int(start), "D")).astype("datetime64[M]"))[5:7])
        fits = [t for t, th in enumerate(text.THEMES) if th.months is None or month in th.months]
        t = int(rng.choice(fits))
        theme = text.THEMES[t]
        spot = theme.spots[int(rng.integers(len(theme.spots)))]
        days = int(rng.integers(2, 11))
        count = int(rng.integers(6, 41))
        last = int(start) + days - 1
        allowed = np.ones(model.n_grids, dtype=bool) if not theme.urban else ~model.grid_rural
        for grid, first, end in taken:
            if first <= last + 3 and int(start) <= end + 3:  # a few days apart at least
                allowed[grid] = False
        weight = np.where(allowed, model.grid_households, 0.0)
        grid = int(rng.choice(model.n_grids, p=weight / weight.sum()))
        taken.append((grid, int(start), last))
        # one place (road or 组) of the grid, every event at one of its buildings
        lo, n_b = model.b_start[grid], model.b_count[grid]
        place = model.b_place[lo + int(rng.integers(n_b))]
        same = lo + np.flatnonzero(model.b_place[lo : lo + n_b] == place)
        category = CATEGORY_NAMES.index(theme.category)
        combos = np.flatnonzero(citizen_combo & (model.c_category == category))
        p = model.c_weight[combos] / model.c_weight[combos].sum()
        first_code, n_text = model.theme_text[t, spot]
        day = int(start) + np.sort(rng.integers(0, days, count))
        day[0], day[-1] = int(start), last  # the issue spans its days
        phone = _MOBILE_PREFIXES[rng.integers(len(_MOBILE_PREFIXES), size=count)] * 100_000_000
        parts.append(
            (
                day,
                combos[rng.choice(len(combos), size=count, p=p)],
                same[rng.integers(len(same), size=count)],
                rng.choice(len(model.name_dict), size=count, replace=False),
                phone + rng.integers(0, 100_000_000, count),
                first_code + rng.integers(0, n_text, count),
            )
        )
        rows.append((theme.label, model.grid_dict[grid].as_py(), theme.category))
    # keep the latest issues while they fit in the cap, then number them by time
    sizes = np.array([len(part[0]) for part in parts], dtype=np.int64)
    keep = int(np.searchsorted(np.cumsum(sizes), int(events * _ISSUE_EVENT_SHARE), "right"))
    rows, parts = rows[:keep][::-1], parts[:keep][::-1]
    meta = pd.DataFrame(rows, columns=["theme", "grid_id", "category"])
    meta.insert(0, "issue_id", [f"H{i + 1:03d}" for i in range(len(meta))])
    issue = np.repeat(np.arange(len(parts)), [len(part[0]) for part in parts])
    arrays = [
        np.concatenate([part[k] for part in parts]) if parts else np.empty(0, dtype=np.int64)
        for k in range(6)
    ]
    return _Issues(meta, *arrays, issue.astype(np.int64))


def _month_events(
    model: _Model,
    rng: np.random.Generator,
    day_offset: int,
    counts: np.ndarray,
    first_n: int,
    history: _History,
    planted: _Issues,
) -> tuple[pa.Table, _History]:
    """Events of one calendar month (counts per day x combination, plus the month's planted
    hot-issue events), sorted by reported_at."""
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    day, combo = np.divmod(cell, counts.shape[1])
    day = np.concatenate([day, planted.day - day_offset])
    combo = np.concatenate([combo, planted.combo])
    background = np.full(len(cell), -1, dtype=np.int64)
    issue = np.concatenate([background, planted.issue])
    u = rng.random(len(day))
    hour = (u[:, None] > model.profile_cdf[model.c_profile[combo]][:, :-1]).sum(axis=1)
    ts = (day_offset + day) * _DAY + hour * _HOUR + rng.integers(0, _HOUR, len(day))
    order = np.argsort(ts, kind="stable")
    ts, combo, issue = ts[order], combo[order], issue[order]
    # where a planted event's own values sit in ``planted`` (its rows follow the background)
    source = order - len(cell)
    hot = np.flatnonzero(issue >= 0)
    n_events = len(ts)
    number = first_n + np.arange(n_events)
    channel = model.c_channel[combo]
    etype = model.c_type[combo]
    category = model.c_category[combo]
    machine = (channel == _PATROL) | (channel == _SENSOR)
    citizen = ~machine
    letter = channel == CHANNELS.index("letter")

    grid = np.empty(n_events, dtype=np.int64)
    for k in range(len(CATEGORY_NAMES)):
        idx = np.flatnonzero(category == k)
        grid[idx] = rng.choice(model.n_grids, size=len(idx), p=model.grid_p[k])
    no_grid = citizen & (rng.random(n_events) < 0.025)
    building = model.b_start[grid] + (rng.random(n_events) * model.b_count[grid]).astype(np.int64)
    pool = len(model.name_dict)
    named = citizen & (rng.random(n_events) > 0.04)
    name = np.where(named, rng.integers(0, pool, n_events), -1)
    phone = _MOBILE_PREFIXES[rng.integers(len(_MOBILE_PREFIXES), size=n_events)] * 100_000_000
    phone += rng.integers(0, 100_000_000, n_events)
    phone = np.where(citizen & ~(letter & (rng.random(n_events) < 0.3)), phone, -1)
    building[hot] = planted.building[source[hot]]
    grid[hot] = model.b_grid[building[hot]]
    no_grid[hot] = False
    name[hot] = planted.name[source[hot]]
    phone[hot] = planted.phone[source[hot]]

    # ~2 % of citizen messages (not a hot issue's) show 未分类, not their category
    n_cat = len(CATEGORY_NAMES)
    hidden = np.isin(channel, _HIDDEN_CHANNELS) & (issue < 0)
    shown = np.where(hidden & (rng.random(n_events) < _UNCATEGORISED_SHARE), n_cat, category)

    key = np.where(no_grid, -1, grid * (n_cat + 1) + shown)
    all_key = np.concatenate([history.key, key])
    all_ts = np.concatenate([history.ts, ts])
    sort = np.lexsort((all_ts, all_key))
    prev, cur = sort[:-1], sort[1:]
    h = len(history.key)
    linked = (
        (all_key[cur] == all_key[prev])
        & (all_key[cur] >= 0)
        & (all_ts[cur] > all_ts[prev])
        & (all_ts[cur] - all_ts[prev] <= 30 * _DAY)
        & (cur >= h)
    )
    prev, cur = prev[linked], cur[linked] - h
    keep = citizen[cur] & (issue[cur] < 0)  # a hot issue's citizens are its own
    prev, cur = prev[keep], cur[keep]
    boost = np.where(model.hot[grid[cur]], 1.8, 1.0)
    chance = np.minimum(0.6, _REPEAT_SHARE * n_events * boost / max(boost.sum(), 1.0))
    chosen = rng.random(len(cur)) < chance
    prev, cur = prev[chosen], cur[chosen]
    all_n = np.concatenate([history.n, number])
    all_building = np.concatenate([history.building, building])
    all_name = np.concatenate([history.name, name])
    all_phone = np.concatenate([history.phone, phone])
    repeat_of = np.full(n_events, -1, dtype=np.int64)
    repeat_of[cur] = all_n[prev]
    building[cur] = all_building[prev]
    same_person = all_name[prev] >= 0
    name[cur[same_person]] = all_name[prev[same_person]]
    phone[cur[same_person]] = all_phone[prev[same_person]]

    lon = model.b_lon[building] + rng.normal(0, 3e-5, n_events)
    lat = model.b_lat[building] + rng.normal(0, 3e-5, n_events)
    minx, miny, maxx, maxy = model.extent
    lon, lat = np.clip(lon, minx, maxx).round(6), np.clip(lat, miny, maxy).round(6)
    missing_p = np.where(letter, 0.25, 0.015)
    missing = rng.random(n_events) < np.where(no_grid, 0.5, missing_p)

    life = _lifecycle(model, rng, ts, channel, etype, category, grid, no_grid)

    month_end = ts.max() if n_events else 0
    horizon = np.concatenate([history.ts, ts]) >= month_end - 30 * _DAY
    new_history = _History(
        all_key[horizon],
        all_ts[horizon],
        all_n[horizon],
        all_building[horizon],
        all_name[horizon],
        all_phone[horizon],
    )

    unit = np.where(model.b_rural[building], 0, rng.integers(1, 5, n_events))
    markup = np.where(
        rng.random(n_events) < _MARKUP_SHARE, rng.integers(len(MARKUP_PREFIXES), size=n_events), -1
    )
    template = category * model.per_category + rng.integers(0, model.per_category, n_events)
    template[hot] = planted.text[source[hot]]
    personal = rng.integers(len(text.PERSONAL), size=n_events)
    needs = np.array(text.PERSONAL_NEEDS)[personal]
    able = (~needs[:, 0] | (name >= 0)) & (~needs[:, 1] | (phone > 0))
    personal = np.where(citizen & able & (rng.random(n_events) < _PERSONAL_SHARE), personal, -1)
    frame = pa.table(
        {
            "n": number,
            "channel": _coded(channel, _CHANNEL_DICT),
            "event_type": _coded(etype, _TYPE_DICT),
            "category": _coded(shown, _SHOWN_CATEGORY_DICT),
            "board": _coded(_SHOWN_BOARD[shown], _BOARD_DICT),
            "grid_id": _coded(np.where(no_grid, -1, grid), model.grid_dict),
            "community_id": _coded(model.grid_community[grid], model.community_dict),
            "street_id": _coded(model.grid_street[grid], model.street_dict),
            "lon": pa.array(lon, mask=missing),
            "lat": pa.array(lat, mask=missing),
            **life,
            "repeat_of": repeat_of,
            "reporter_name": _coded(name, model.name_dict),
            "phone": phone,
            "address": _coded(model.b_address[building], model.address_dict),
            "unit": unit,
            "markup": _coded(markup, _MARKUP_DICT),
            "template": _coded(template, model.template_dict),
            "place": _coded(model.b_place[building], model.place_dict),
            "personal": pa.array(personal, mask=personal < 0),
            "room": (rng.integers(1, 33, n_events) * 100 + rng.integers(1, 5, n_events)),
            "issue": issue,
            "true_category": _coded(np.where(shown != category, category, -1), _CATEGORY_DICT),
        }
    )
    return frame, new_history


def _lifecycle(
    model: _Model,
    rng: np.random.Generator,
    reported: np.ndarray,
    channel: np.ndarray,
    etype: np.ndarray,
    category: np.ndarray,
    grid: np.ndarray,
    no_grid: np.ndarray,
) -> dict[str, pa.Array]:
    """Timestamps, handling and outcome columns for one chunk of events."""
    n = len(reported)
    after = reported >= _REFORM_S
    slow = model.slowness[grid]
    hot = model.hot[grid]

    machine = (channel == _PATROL) | (channel == _SENSOR)
    accept_h = _lognormal(rng, _lookup(_ACCEPT_MEDIAN_H, CHANNELS, channel), 1.0)
    accept_h *= slow * np.where(after, 0.6, 1.0)
    hour = (reported % _DAY) / _HOUR
    queued = np.isin(channel, _NIGHT_QUEUE) & ((hour < 8) | (hour >= 20))
    accept_h += np.where(queued, (8.5 - hour) % 24, 0.0)

    cumulative = np.cumsum(np.array([_HANDLING_SHARE[t] for t in EVENT_TYPES]), axis=1)
    handling = _pick(rng, cumulative[etype])
    promised_days = np.array([CATEGORIES[c].promised_days for c in CATEGORY_NAMES])[category]
    deadline_days = np.where(
        handling == HANDLING_TYPES.index("promised"),
        promised_days,
        _lookup(_DEADLINE_DAYS, HANDLING_TYPES, handling, 1.0),
    )

    dispatch_h = _lognormal(rng, _lookup(_DISPATCH_MEDIAN_H, HANDLING_TYPES, handling), 0.9)
    dispatch_h *= np.where(after, 0.7, 1.0)
    direct = (handling == HANDLING_TYPES.index("inform")) & (rng.random(n) < 0.7)
    dispatch_h[direct] = 0.0
    handle_h = _lognormal(
        rng, 24 * deadline_days * _lookup(_HANDLE_MEDIAN_SHARE, HANDLING_TYPES, handling), 0.75
    )
    handle_h *= slow * np.where(after, 0.85, 1.0)
    stuck = rng.random(n) < _STUCK_SHARE
    handle_h[stuck] = rng.uniform(35, 300, int(stuck.sum())) * 24
    close_h = _lognormal(rng, _lookup(_CLOSE_MEDIAN_H, HANDLING_TYPES, handling), 0.8)

    def seconds(hours: np.ndarray) -> np.ndarray:
        return np.maximum(np.round(hours * _HOUR), 1).astype(np.int64)

    accepted = reported + seconds(accept_h)
    dispatched = accepted + np.where(direct, 0, seconds(dispatch_h))
    handled = dispatched + seconds(handle_h)
    closed = handled + seconds(close_h)
    deadline = reported + (deadline_days * _DAY).astype(np.int64)
    is_closed = closed <= _END_S

    before_share = np.cumsum(np.array([_LEVEL_SHARE_BEFORE[h] for h in HANDLING_TYPES]), axis=1)
    after_share = np.cumsum(np.array([_LEVEL_SHARE_AFTER[h] for h in HANDLING_TYPES]), axis=1)
    level = _pick(rng, np.where(after[:, None], after_share[handling], before_share[handling]))
    level = np.where(no_grid & (level == 0), 1, level)
    level = np.where(is_closed, level, -1)
    board = model.cat_board[category]
    handler = np.select(
        [level == 0, level == 1, level == 2, level == 3],
        [
            model.grid_community[grid],
            model.grid_community[grid],
            model.n_communities + model.grid_street[grid] * len(BOARDS) + board,
            model.n_communities + len(STREETS) * len(BOARDS) + model.cat_department[category],
        ],
        -1,
    )
    worker = model.ft_first[grid] + (rng.random(n) < 0.5) * (model.ft_count[grid] - 1)
    worker = np.where(((channel == _PATROL) | (level == 0)) & ~no_grid, worker, -1)

    late = closed > deadline
    total_days = (closed - reported) / _DAY
    petition = etype == EVENT_TYPES.index("petition")
    property_cat = category == CATEGORY_NAMES.index("物业管理")
    score = (
        1.9
        - 0.55 * np.log1p(total_days)
        - 1.3 * late
        - 0.5 * hot
        - 0.4 * petition
        - 0.3 * property_cat
        + 0.2 * after
        + rng.normal(0, 1, n)
    )
    not_rated = np.where(machine, 0.9, 0.15)
    rated = is_closed & (rng.random(n) >= not_rated)
    satisfaction = np.where(score > 0.4, 0, np.where(score > -0.6, 1, 2))
    satisfaction = np.where(rated, satisfaction, -1)
    resolved_p = np.array([0.95, 0.75, 0.25])[np.maximum(satisfaction, 0)]
    resolved = pa.array(rng.random(n) < resolved_p, mask=~rated)

    def stamp(values: np.ndarray, valid: np.ndarray) -> pa.Array:
        return pa.array(START + values.astype("timedelta64[s]"), mask=~valid)

    return {
        "reported_at": stamp(reported, np.ones(n, dtype=bool)),
        "accepted_at": stamp(accepted, accepted <= _END_S),
        "dispatched_at": stamp(dispatched, (dispatched <= _END_S) & ~direct),
        "handled_at": stamp(handled, handled <= _END_S),
        "closed_at": stamp(closed, is_closed),
        "deadline_at": stamp(deadline, deadline <= _END_S),
        "handling_type": _coded(handling, _HANDLING_DICT),
        "resolved_level": _coded(level, _LEVEL_DICT),
        "handler_unit": _coded(handler, model.handler_dict),
        "worker_id": _coded(worker, model.worker_dict),
        "satisfaction": _coded(satisfaction, _SATISFACTION_DICT),
        "resolved": resolved,
    }


def _now() -> datetime:
    """The district's wall-clock time, as imports are stamped (``settings.local_now``)."""
    return local_now(load_settings().timezone)


def _import_row(kind: str, seed: int, events: int, rows: int, started: datetime) -> tuple:
    return (f"demo-{kind}", kind, f"demo(seed={seed}, events={events})", None, rows, rows, 0, 0, 0,
            started, _now())  # fmt: skip


def _write_events(
    con: duckdb.DuckDBPyConnection,
    model: _Model,
    events: int,
    seed: int,
    report: Callable[[str, float], None],
) -> int:
    """Draw the (day, combination) counts, then generate and append one month at a time."""
    days = np.arange(START.astype("datetime64[D]"), END.astype("datetime64[D]") + 1)
    intensity = model.daily_intensity(days)
    issues = _plan_issues(model, seed, events)
    counts = np.random.default_rng([seed, 3]).multinomial(
        events - len(issues.issue), (intensity / intensity.sum()).ravel()
    )
    counts = counts.reshape(intensity.shape)
    months = days.astype("datetime64[M]")
    bounds = np.r_[np.flatnonzero(np.r_[True, months[1:] != months[:-1]]), len(days)]
    history = _empty_history()
    written = uncommitted = 0
    planted_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    true_rows: list[tuple[np.ndarray, np.ndarray]] = []
    con.execute("BEGIN")
    for m, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        rng = np.random.default_rng([seed, 4, m])
        month = (issues.day >= lo) & (issues.day < hi)
        planted = _Issues(issues.meta, *(a[month] for a in issues[1:]))
        chunk, history = _month_events(
            model, rng, int(lo), counts[lo:hi], written + 1, history, planted
        )
        con.register("chunk", chunk.drop_columns(["issue", "true_category"]))
        con.execute(_INSERT_EVENTS)
        con.unregister("chunk")
        issue = chunk.column("issue").to_numpy()
        hot = issue >= 0
        number = chunk.column("n").to_numpy()
        reported = chunk.column("reported_at").to_numpy()
        planted_rows.append((issue[hot], number[hot], reported[hot]))
        truth = chunk.column("true_category").combine_chunks()
        valid = truth.is_valid().to_numpy(zero_copy_only=False)
        codes = truth.indices.to_numpy(zero_copy_only=False)[valid].astype(np.int64)
        true_rows.append((number[valid], codes))
        written += chunk.num_rows
        uncommitted += chunk.num_rows
        if uncommitted >= _ROWS_PER_COMMIT:
            con.execute("COMMIT")
            con.execute("BEGIN")
            uncommitted = 0
        label = str(months[lo]).replace("-", "年") + "月"
        report(f"生成事件：{label}", 0.05 + 0.87 * (m + 1) / (len(bounds) - 1))
    con.execute("COMMIT")
    _write_truth(con, issues.meta, planted_rows, true_rows)
    return written


def _write_truth(
    con: duckdb.DuckDBPyConnection,
    meta: pd.DataFrame,
    planted_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    true_rows: list[tuple[np.ndarray, np.ndarray]],
) -> None:
    """The ground-truth tables (``_TRUTH_TABLES``): planted issues and 未分类 events."""
    issue, number, reported = (np.concatenate([r[k] for r in planted_rows]) for k in range(3))
    hot = pd.DataFrame({"issue_id": meta.issue_id.to_numpy()[issue], "n": number, "at": reported})
    spans = hot.groupby("issue_id").agg(
        first_at=("at", "min"), last_at=("at", "max"), events=("n", "size")
    )
    issues = meta.join(spans, on="issue_id")
    true_number, true_code = (np.concatenate([r[k] for r in true_rows]) for k in range(2))
    true = pd.DataFrame({"n": true_number, "category": np.array(CATEGORY_NAMES)[true_code]})
    for ddl in _TRUTH_TABLES:
        con.execute(ddl)
    for name, frame, sql in (
        ("issues", issues, "INSERT INTO demo_hot_issues SELECT * FROM issues ORDER BY issue_id"),
        (
            "hot",
            hot,
            "INSERT INTO demo_hot_issue_events SELECT issue_id,"
            " 'E' || lpad(CAST(n AS VARCHAR), 9, '0') FROM hot ORDER BY n",
        ),
        (
            "truth",
            true,
            "INSERT INTO demo_true_category SELECT 'E' || lpad(CAST(n AS VARCHAR), 9, '0'),"
            " category FROM truth ORDER BY n",
        ),
    ):
        con.register(name, frame)
        con.execute(sql)
        con.unregister(name)


def build_demo(
    db_path: str | os.PathLike,
    events: int = 1_000_000,
    seed: int = 20260101,
    progress: Callable[[str, float], None] | None = None,
) -> dict:
    """Write the demo district and ``events`` events into a new DuckDB file at ``db_path``.

    The file is built beside the target and renamed onto it at the end, so a crash never leaves
    a half-written database. The same ``seed`` and ``events`` always give the same data.
    Returns ``path``, ``seed``, ``as_of`` (the latest event timestamp) and ``rows`` per table.
    """
    if events < 0:
        raise ValueError("events must be >= 0")
    from analytics.store import exclusive

    with exclusive(db_path):  # never race an import writing the same file
        return _build_demo(db_path, events, seed, progress)


def _build_demo(db_path, events: int, seed: int, progress) -> dict:
    report = progress or (lambda message, fraction: None)
    target = Path(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(f"{target}.tmp")
    tmp_files = (tmp, Path(f"{tmp}.wal"))
    for stale in tmp_files:
        stale.unlink(missing_ok=True)

    report("生成区划、网格与楼栋", 0.0)
    started = _now()
    district = build_district(np.random.default_rng([seed, 0]))
    workers = _build_workers(np.random.default_rng([seed, 1]), district)
    grids = district.grids.copy()
    counts = workers[workers.grid_id.notna()].groupby(["grid_id", "role"]).size().unstack()
    grids["full_time_workers"] = grids.grid_id.map(counts["full_time"]).astype(np.int32)
    grids["part_time_workers"] = grids.grid_id.map(counts["part_time"]).astype(np.int32)
    variants = text.render_variants(np.random.default_rng([seed, 6]), CATEGORY_NAMES)
    model = _Model(district, workers, np.random.default_rng([seed, 2]), variants)
    tables = {
        "org_units": district.org_units,
        "grids": grids,
        "buildings": district.buildings,
        "workers": workers,
    }

    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"SET memory_limit = '{_MEMORY_LIMIT}'")
        con.execute("SET enable_progress_bar = false")
        create_schema(con)
        for table, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM frame")
            con.unregister("frame")
        con.executemany(
            "INSERT INTO calendar_notes (day, title, detail, unit_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(day, title, detail, unit, started) for day, title, detail, unit in DEMO_NOTES],
        )
        bookkeeping = [
            _import_row(kind, seed, events, len(tables[kind]), started)
            for kind in ("grids", "buildings", "workers")
        ]
        report("生成事件", 0.05)
        events_started = _now()
        written = _write_events(con, model, events, seed, report)
        bookkeeping.append(_import_row("events", seed, events, written, events_started))
        con.executemany("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", bookkeeping)

        report("写入数据库", 0.93)
        rows = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (*tables, "events", "imports", "quarantine")
        }
        latest = ", ".join(EVENT_TIMESTAMPS)
        as_of = con.execute(f"SELECT max(greatest({latest})) FROM events").fetchone()[0]
        con.execute("CHECKPOINT")
        con.close()
    except BaseException:
        con.close()
        for leftover in tmp_files:
            leftover.unlink(missing_ok=True)
        raise
    Path(f"{target}.wal").unlink(missing_ok=True)
    os.replace(tmp, target)
    report("完成", 1.0)
    return {"path": str(target), "seed": seed, "as_of": as_of, "rows": rows}
