"""End to end: an admin sets a target on 目标管理 and the overview's card takes its status
colour; a district without targets shows figures without colour and says so (issue #20)."""

from __future__ import annotations

import re

import pytest

from analytics import targets
from tests.e2e.test_browser import ARTIFACTS, assert_no_error, browser, page, serve, settle  # noqa: F401

pytestmark = pytest.mark.e2e

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CARD = "按时办结率"


@pytest.fixture(scope="module")
def targets_server(demo_db, tmp_path_factory):
    """A server on the demo district with an admin database of its own, without targets."""
    folder = tmp_path_factory.mktemp("targets-server")
    env = {"GOV_ADMIN_DB": str(folder / "admin.sqlite")}
    with serve(demo_db, folder / "streamlit.log", env) as url:
        yield url


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def card_state(tab) -> dict:
    """The 按时办结率 card: its value, its status class and its border's colour."""
    return tab.evaluate(
        """(label) => {
          const card = [...document.querySelectorAll('[data-testid="stMetric"]')]
            .find(m => m.querySelector('[data-testid="stMetricLabel"]').innerText.trim()
              .startsWith(label));
          const column = card.closest('[data-testid="stColumn"]');
          const badge = column.querySelector('.gov-target');
          return {
            value: card.querySelector('[data-testid="stMetricValue"]').innerText.trim(),
            status: badge ? [...badge.classList].find(c => c.startsWith('gov-target-')) : null,
            badge: badge ? badge.innerText : '',
            border: getComputedStyle(card).borderTopColor,
          };
        }""",
        CARD,
    )


def set_target(tab, url: str, value: float) -> None:
    """On 目标管理: the district's 按时办结率 target, in percent, saved through the form."""
    tab.goto(f"{url}/targets")
    tab.wait_for_selector(IDLE, timeout=60_000)
    form = tab.locator('[data-testid="stForm"]').filter(has_text="设定或修改目标")
    form.locator('[data-testid="stSelectbox"]').filter(has_text="指标").click()
    tab.locator('[role="option"]').filter(has_text=re.compile(f"^{CARD}$")).click()
    field = form.locator('[data-testid="stNumberInput"]').filter(has_text="目标值").locator("input")
    field.fill(f"{value:g}")
    form.get_by_role("button", name="保存").click()
    tab.wait_for_function(
        "document.body.innerText.includes('已保存')", timeout=60_000
    )  # the success line of the rerun
    tab.wait_for_selector(IDLE, timeout=60_000)
    assert_no_error(tab)


def test_a_target_set_on_the_admin_page_colours_the_overview_card(targets_server, page):  # noqa: F811
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{targets_server}/overview")
    settle(page)
    before = card_state(page)
    assert before["status"] is None  # no target: the figure alone, no colour
    assert "尚未设定目标值" in page.inner_text("body")
    value = float(before["value"].rstrip("%"))

    set_target(page, targets_server, value + 3)  # above the figure: 未达标
    page.goto(f"{targets_server}/overview")
    settle(page)
    missed = card_state(page)
    assert missed["status"] == "gov-target-red", missed
    assert missed["border"] == _rgb(targets.STATUS_COLOURS["red"]), missed
    assert "未达标" in missed["badge"] and f"{value + 3:.1f}%" in missed["badge"]
    assert "尚未设定目标值" not in page.inner_text("body")
    assert page.locator(".gov-score").count() == 1  # the 综合指数 line in the header
    page.screenshot(path=str(ARTIFACTS / "overview-target-red.png"))

    set_target(page, targets_server, value - 3)  # below the figure: 达标
    page.goto(f"{targets_server}/overview")
    settle(page)
    met = card_state(page)
    assert met["status"] == "gov-target-green", met
    assert met["border"] == _rgb(targets.STATUS_COLOURS["green"]), met
    assert met["value"] == before["value"]  # the figure is the same; only its judgement moved
    page.screenshot(path=str(ARTIFACTS / "overview-target-green.png"))
