"""End to end: the map pages answer on the first screen. At 1920×1080 the heatmap's map and
its most-in-need table, and the what-if page's two maps and its comparison table, lie
within the window without scrolling. Screenshots land in ``tests/e2e/artifacts/maps/``."""

from __future__ import annotations

import pytest

from tests.e2e import test_browser
from tests.e2e.test_browser import ARTIFACTS, DECK_CANVAS, assert_no_error, drawn, steady

# The browser tests' fixtures: a fresh server on the demo district, chromium, a 1920×1080 page.
browser, page, server = test_browser.browser, test_browser.page, test_browser.server

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "maps"
HEIGHT = 1080
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def boxes(tab, selector: str) -> list[dict]:
    return [el.bounding_box() for el in tab.locator(selector).all()]


def on_first_screen(box: dict) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT


def test_heatmap_map_and_its_table_on_the_first_screen(server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/heatmap?street=S01")
    page.wait_for_selector(READY, timeout=60_000)
    drawn(page, DECK_CANVAS, 1)
    steady(page.locator('[data-testid="stDeckGlJsonChart"]').first)
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)  # see below
    assert_no_error(page)
    [deck] = boxes(page, '[data-testid="stDeckGlJsonChart"]')
    table = boxes(page, '[data-testid="stDataFrame"]')[0]
    assert on_first_screen(deck) and on_first_screen(table), (deck, table)
    assert "最需要关注的网格" in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "heatmap-S01.png"))


def test_whatif_maps_and_comparison_on_the_first_screen(server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/whatif")
    page.wait_for_selector(READY, timeout=120_000)
    drawn(page, DECK_CANVAS, 2)
    # the comparison table's code may still be loading (a placeholder) when the maps are drawn
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    assert_no_error(page)
    decks = boxes(page, '[data-testid="stDeckGlJsonChart"]')
    table = boxes(page, '[data-testid="stDataFrame"]')[0]
    assert len(decks) == 2 and all(on_first_screen(b) for b in [*decks, table]), (decks, table)
    body = page.inner_text("body")
    assert body.count("比目标少 30% 以上") == 1  # one legend for both maps
    page.screenshot(path=str(SHOTS / "whatif.png"))
