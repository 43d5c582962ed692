"""A metric card against its target: the status word and colour, and the help's figures."""

from __future__ import annotations

from analytics import targets
from ui import cards

ON_TIME = targets.Target(metric="on_time_rate", target=0.95, amber=0.90)
RESPONSE = targets.Target(metric="response_median", target=2.0)


def test_the_badge_names_the_target_and_the_status_in_its_colour_class():
    assert cards.target_badge(0.97, ON_TIME) == (
        '<div class="gov-target gov-target-green">目标≥95.0%<br><b>达标</b></div>'
    )
    assert "gov-target-amber" in cards.target_badge(0.92, ON_TIME)
    assert "<b>预警</b>" in cards.target_badge(0.92, ON_TIME)
    assert "gov-target-red" in cards.target_badge(0.85, ON_TIME)
    assert cards.target_badge(3.0, RESPONSE).endswith("目标≤2.0小时<br><b>未达标</b></div>")
    assert "gov-target-none" in cards.target_badge(float("nan"), ON_TIME)


def test_the_help_gives_the_gap_and_the_ratio():
    assert cards.target_help("on_time_rate", 0.931, ON_TIME) == (
        "目标:≥ 95.0%(预警 90.0%);预警,差 1.9 个百分点,完成比 0.98(1.00 为恰好达标)。"
    )
    assert cards.target_help("response_median", 1.0, RESPONSE) == (
        "目标:≤ 2.0小时;达标,完成比 2.00(1.00 为恰好达标)。"
    )
    assert "没有可判断的数据" in cards.target_help("on_time_rate", None, ON_TIME)


def test_every_status_has_its_stripe_in_the_page_style():
    for status, colour in targets.STATUS_COLOURS.items():
        assert f".gov-target-{status})" in cards.STYLE and colour in cards.STYLE
