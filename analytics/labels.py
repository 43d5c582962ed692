"""The one catalogue of Chinese labels for codes users see (pages, exports, CLI output)."""

from __future__ import annotations

CHANNEL = {
    "patrol": "网格员巡查",
    "hotline": "12345/8890热线",
    "app": "随手拍/小程序",
    "visit": "来访",
    "letter": "来信/民情信箱",
    "online": "网上征集",
    "sensor": "视频/物联感知",
    "other": "其他渠道",
}
EVENT_TYPE = {
    "complaint": "投诉",
    "petition": "信访",
    "request": "诉求/求助",
    "hazard": "隐患",
    "consultation": "咨询",
    "other": "其他类型",
}
BOARD = {
    "party": "党建统领",
    "economy": "经济发展",
    "livelihood": "民生服务",
    "safety": "平安法治",
}
HANDLING_TYPE = {
    "immediate": "即办件",
    "promised": "承诺件",
    "escalated": "上报件",
    "joint": "协办件",
    "inform": "告知件",
}
RESOLVED_LEVEL = {"grid": "网格", "community": "社区", "street": "街道", "district": "区级"}
SATISFACTION = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
WORKER_ROLE = {
    "full_time": "专职网格员",
    "part_time": "兼职网格员",
    "instructor": "网格指导员",
    "street_staff": "街道工作人员",
}
UNIT_LEVEL = {"district": "区", "street": "街道", "community": "社区", "grid": "网格"}
# Events whose source names no street, community or grid count at district level; where a
# breakdown by unit shows them, their row is called this.
UNPLACED = {"street_id": "未指定街道", "community_id": "未指定社区", "grid_id": "未落格"}
RANKING_LEVEL = {
    "street_id": "街道",
    "community_id": "社区",
    "grid_id": "网格",
    "worker": "专职网格员",
}
TIER = {1: "一档", 2: "二档", 3: "三档", 4: "四档"}
PERIOD_PRESET = {
    "ytd": "本年",
    "last_12m": "近12个月",
    "qtd": "本季度",
    "mtd": "本月",
    "last_month": "上月",
    "last_30d": "近30天",
    "last_90d": "近90天",
    "last_year": "上年",
    "custom": "自定义",
}
COMPARISON = {"yoy": "同比", "mom": "环比"}
PERIOD_TAG = {"current": "本期", "previous": "上年同期"}
BACKLOG_BUCKET = {
    "le_1d": "≤1天",
    "1_3d": "1–3天",
    "3_7d": "3–7天",
    "7_30d": "7–30天",
    "gt_30d": ">30天",
}

BY_DIMENSION = {
    "channel": CHANNEL,
    "event_type": EVENT_TYPE,
    "board": BOARD,
    "handling_type": HANDLING_TYPE,
    "resolved_level": RESOLVED_LEVEL,
    "satisfaction": SATISFACTION,
}


NOT_STATED = "未注明"


def of(dimension: str, code: str | None) -> str:
    """Chinese label of ``code`` in ``dimension``; unknown codes are shown as they are, a
    missing one (None, NaN) as 未注明."""
    if not isinstance(code, str):
        return NOT_STATED
    return BY_DIMENSION.get(dimension, {}).get(code, str(code))


def unit(names: dict[str, str], level: str, unit_id) -> str:
    """Display name of ``unit_id`` at ``level`` (street_id, community_id or grid_id): its
    name in ``names``, its id when unnamed, and 未指定街道 / 未指定社区 / 未落格 when it has
    none (None, NaN or NA: ids are strings)."""
    if not isinstance(unit_id, str):
        return UNPLACED[level]
    return names.get(unit_id, unit_id)


COORDINATES = {
    "wgs84": "WGS-84(GPS、天地图)",
    "gcj02": "GCJ-02(高德、腾讯)",
    "bd09": "BD-09(百度)",
}
IMPORT_KIND = {
    "events": "事件",
    "grids": "网格",
    "buildings": "楼栋",
    "workers": "网格员",
    "demo": "演示数据",
}


def grid_title(street, community, grid) -> str:
    """A grid named so it can be found without a map: 龙湾街道 新民社区 第6网格. Grid names
    repeat in every community ("第6网格"), so a grid alone, or with its community only, is
    ambiguous on a district's screen. Missing parts are left out."""
    parts = [p for p in (street, community, grid) if isinstance(p, str) and p.strip()]
    return " ".join(p.strip() for p in parts)
