"""End to end: what a review meeting sees. Every page opened from its own address on one fresh
server (signed in through a trusted proxy's header: an admin, and a street's user for an
admin page's link), with the demo's targets set, at 1920×1080, then again in presentation mode.

Asserted: no "Page not found" and none of Streamlit's or plotly's English texts; no request
leaves this machine; in presentation mode nothing lies beyond the 1920×1080 screen, key
figures are at least 48 px, table text at least 18 px, chart text at least 16 px, and no
control is left. Screenshots land in ``tests/e2e/artifacts/meeting/<page>[-present].png``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from analytics import audit, target_store
from tests.e2e.test_browser import ARTIFACTS, browser, drawn_all  # noqa: F401  (fixture)
from tests.e2e.test_proxy_signin import _logged, _proxy_server

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "meeting"
VIEWPORT = {"width": 1920, "height": 1080}
DATA_PAGES = [
    "overview", "trends", "closure", "response", "heatmap", "whatif", "rankings", "problems",
]  # fmt: skip
ADMIN_PAGES = ["import", "targets", "notes", "users", "audit"]  # 日期标注: analysts too
KPI_MIN_PX, TABLE_MIN_PX, CHART_MIN_PX = 48, 18, 16
# Streamlit's and plotly's own English, as a user could meet it on a page.
ENGLISH = [
    "Page not found",
    "does not seem to exist",
    "Running...",
    "Press Enter to apply",
    "No results",
    "Choose an option",
    "Choose options",
    "Drag and drop",
    "per file",
    "Upload",
    "Browse files",
    "Select all",
    "Made with Streamlit",
    "Traceback",
    "Error",
    "Double-click",
    "Zoom",
    "Autoscale",
]
CONTROLS = ", ".join(
    f'[data-testid="stMain"] [data-testid="{c}"]'
    for c in (
        "stSelectbox", "stMultiSelect", "stRadio", "stCheckbox", "stButtonGroup", "stSlider",
        "stNumberInput", "stDateInput", "stTextInput", "stDownloadButton", "stTooltipIcon",
        "stFileUploader", "stExpander",
    )
) + ', [data-testid="stMain"] .modebar-container'  # fmt: skip

MEASURE = """(least) => {
  const W = innerWidth, H = innerHeight;
  const shown = e => { const s = getComputedStyle(e), r = e.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; };
  const px = e => parseFloat(getComputedStyle(e).fontSize);
  const name = e => {
    const key = [...e.classList].find(c => c.startsWith('st-key-'));
    const inner = e.querySelector('[data-testid]');
    return key || (inner && inner.getAttribute('data-testid')) || e.tagName; };
  const out = {overflow: [], kpi: [], table: [], chart: [], canvas: 0, controls: [], badge: []};
  for (const e of document.querySelectorAll(
      '[data-testid="stMain"] .stElementContainer, [data-testid="stMain"] tr')) {
    if (!shown(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.bottom > H + 1 || r.right > W + 1 || r.left < -1 || r.top < -1)
      out.overflow.push(`${name(e)} bottom ${Math.round(r.bottom)} right ${Math.round(r.right)}`
        + ` «${(e.innerText || '').trim().slice(0, 24)}»`);
  }
  for (const e of document.querySelectorAll('[data-testid="stMetricValue"]'))
    if (shown(e) && px(e) < least.kpi) out.kpi.push(`${px(e)}px «${e.innerText.trim()}»`);
  for (const e of document.querySelectorAll('[data-testid="stMain"] table :is(td, th)'))
    if (shown(e) && e.innerText.trim() && px(e) < least.table)
      out.table.push(`${px(e)}px «${e.innerText.trim().slice(0, 20)}»`);
  out.canvas = [...document.querySelectorAll('[data-testid="stDataFrame"]')].filter(shown).length;
  const small = new Map();
  for (const e of document.querySelectorAll('[data-testid="stPlotlyChart"] svg text')) {
    const s = getComputedStyle(e);
    if (!e.textContent.trim() || s.display === 'none' || s.visibility === 'hidden'
        || s.opacity === '0' || e.getBBox().width === 0) continue;
    if (px(e) < least.chart) small.set(`${px(e)}px`, e.textContent.trim().slice(0, 16));
  }
  out.chart = [...small].map(([size, text]) => `${size} «${text}»`);
  out.controls = [...document.querySelectorAll(least.controls)].filter(shown)
    .map(e => e.getAttribute('data-testid') || e.className);
  for (const b of document.querySelectorAll('.gov-target')) {  // a target against its label
    const label = b.closest('[data-testid="stColumn"]')
      .querySelector('[data-testid="stMetricLabel"] p');
    const text = document.createRange();
    text.selectNodeContents(label);
    const r = b.getBoundingClientRect(), l = text.getBoundingClientRect();
    if (r.left - l.right < 4 && r.right > l.left && r.top < l.bottom && r.bottom > l.top)
      out.badge.push(`«${b.innerText.trim()}» against «${label.innerText.trim()}»`);
  }
  return out;
}"""
LEAST = {"kpi": KPI_MIN_PX, "table": TABLE_MIN_PX, "chart": CHART_MIN_PX, "controls": CONTROLS}


@pytest.fixture(scope="module")
def meeting(demo_db, tmp_path_factory, browser):  # noqa: F811
    """One fresh server on the demo district; its URL and a way to open a page as a user."""
    folder = tmp_path_factory.mktemp("meeting")
    SHOTS.mkdir(parents=True, exist_ok=True)
    target_store.seed_demo(folder / "admin.sqlite")  # cards, score and 问题清单 with targets
    with _proxy_server(demo_db, folder, '["127.0.0.1", "::1"]') as url:

        def open_as(user: str):
            context = browser.new_context(
                viewport=VIEWPORT,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                extra_http_headers={"X-Remote-User": user},
            )
            page = context.new_page()
            outside: list[str] = []  # requests to anywhere but this machine
            page.on("request", lambda r: None if _local(r.url) else outside.append(r.url))
            return context, page, outside

        yield url, folder, open_as


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in ("127.0.0.1", "localhost", "::1")


def visit(page, url: str) -> None:
    """Open ``url`` and wait until the run is over and every chart and map is drawn."""
    page.goto(url)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    drawn_all(page)
    page.wait_for_timeout(800)  # plotly's layout pass and the fonts


def english(page) -> list[str]:
    """Streamlit's or plotly's English on the page: visible text, the mode bar's tooltips."""
    body = page.inner_text("body")
    found = [w for w in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", body)]
    titles = page.eval_on_selector_all(  # a tooltip is the button's ::after (its data-title)
        ".modebar-btn[data-title]", "bs => bs.map(b => getComputedStyle(b, '::after').content)"
    )
    return found + [t for t in titles if not re.search(r"[\u4e00-\u9fff]", t)]


@pytest.mark.parametrize("name", DATA_PAGES)
def test_a_page_opens_cleanly_from_its_own_address(meeting, name):
    url, _, open_as = meeting
    context, page, outside = open_as("boss")
    try:
        visit(page, f"{url}/{name}")
        page.screenshot(path=str(SHOTS / f"{name}.png"))
        assert urlsplit(page.url).path == f"/{name}"
        assert english(page) == []
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "数据截至" in page.inner_text("[data-testid=stMain]")  # the freshness line
        assert "最近导入" in page.inner_text("[data-testid=stMain]")
        icon = page.eval_on_selector("link[rel~=icon]", "l => l.href")
        assert icon.startswith((url, "data:")), icon
        assert outside == []
    finally:
        context.close()


@pytest.mark.parametrize("name", DATA_PAGES)
def test_presentation_mode_is_legible_on_one_screen(meeting, name):
    url, _, open_as = meeting
    context, page, outside = open_as("boss")
    try:
        visit(page, f"{url}/{name}?present=1")
        page.screenshot(path=str(SHOTS / f"{name}-present.png"))
        assert urlsplit(page.url).path == f"/{name}" and "present=1" in page.url
        assert english(page) == []
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert "数据截至" in page.inner_text("[data-testid=stMain]")  # small print, still there
        found = page.evaluate(MEASURE, LEAST)
        problems = {k: v for k, v in found.items() if v}
        assert problems == {}, f"{name}: {problems}"
        assert outside == []
    finally:
        context.close()


def test_the_root_moves_on_to_the_overview_with_the_links_filters(meeting):
    url, _, open_as = meeting
    context, page, outside = open_as("boss")
    try:
        visit(page, f"{url}/?street=S01&present=1&rotate=overview,trends&every=30")
        assert urlsplit(page.url).path == "/overview"
        assert "street=S01" in page.url and "rotate=overview%2Ctrends" in page.url.replace(
            ",", "%2C"
        )
        assert english(page) == []
        assert "秒后切换到「投诉信访趋势」" in page.inner_text("body")
    finally:
        context.close()


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_admin_page_opens_cleanly_for_an_admin(meeting, name):
    url, _, open_as = meeting
    context, page, outside = open_as("boss")
    try:
        visit(page, f"{url}/{name}")
        page.screenshot(path=str(SHOTS / f"{name}.png"))
        assert urlsplit(page.url).path == f"/{name}"
        assert english(page) == []
        assert "无权访问" not in page.inner_text("body")
        if name == "import":  # the uploader's own words are replaced by Chinese ones
            zone = '[data-testid="stFileUploaderDropzone"]'
            words = (
                f'{zone} button p, {zone} [data-testid="stFileUploaderDropzoneInstructions"] span'
            )
            said = page.eval_on_selector_all(
                words, "es => es.map(e => getComputedStyle(e, '::after').content).join(' ')"
            )
            assert "选择文件" in said and "拖放文件到此处" in said and "800 MB" in said, said
        assert outside == []
    finally:
        context.close()


def test_a_non_admin_opening_an_admin_page_is_refused_in_chinese(meeting):
    url, folder, open_as = meeting
    context, page, outside = open_as("s2@qu.gov.cn")
    try:
        visit(page, f"{url}/import")
        page.screenshot(path=str(SHOTS / "import-not-admin.png"))
        body = page.inner_text("body")
        assert "无权访问" in body and english(page) == []
        assert page.locator("[data-testid=stFileUploader]").count() == 0
        assert "数据导入" not in page.inner_text("[data-testid=stSidebarNav]")
        assert outside == []
    finally:
        context.close()
    assert _logged(folder, "denied", "非管理员打开管理页面")
    assert audit.query(folder / "admin.sqlite", action="denied")["page"].eq("import").any()
