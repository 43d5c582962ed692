"""The business categories (业务类别) of grid events: their 四板块 board, the department that
usually handles them and the promised days to close. One catalogue for the demo generator
and the importer (which fills a missing board from it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    board: str  # schema.BOARDS
    department: str  # the usual handling department
    promised_days: int  # the usual time limit (承诺时限)


CATEGORIES: dict[str, Category] = {
    "物业管理": Category(board="livelihood", department="区住建委", promised_days=5),
    "违章建筑": Category(board="safety", department="区城管局", promised_days=15),
    "环境卫生": Category(board="livelihood", department="区城管局", promised_days=5),
    "噪音扰民": Category(board="economy", department="区生态环境局", promised_days=5),
    "矛盾纠纷": Category(board="safety", department="区司法局", promised_days=15),
    "消防安全": Category(board="safety", department="区应急局", promised_days=5),
    "市容秩序": Category(board="livelihood", department="区城管局", promised_days=5),
    "道路交通": Category(board="safety", department="区交通局", promised_days=5),
    "供水供电供气": Category(board="livelihood", department="区住建委", promised_days=5),
    "防汛排涝": Category(board="safety", department="区应急局", promised_days=5),
    "房屋安全": Category(board="safety", department="区住建委", promised_days=15),
    "社会保障": Category(board="livelihood", department="区人力社保局", promised_days=5),
    "劳动欠薪": Category(board="economy", department="区人力社保局", promised_days=15),
    "市场监管": Category(board="economy", department="区市场监管局", promised_days=5),
    "生态环保": Category(board="economy", department="区生态环境局", promised_days=5),
    "党员服务": Category(board="party", department="区委组织部", promised_days=5),
    "志愿服务": Category(board="party", department="区文明办", promised_days=5),
}


def boards() -> dict[str, str]:
    """Category name → its board."""
    return {name: c.board for name, c in CATEGORIES.items()}
