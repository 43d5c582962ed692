"""导出汇报材料 and chart images: the deck for the demo district read back with python-pptx
(slides, titles, pictures, key figures equal to the data functions, East Asian fonts), chart
images that show Chinese rather than boxes, and the export button on a filtered page.

The images are real: kaleido drives the machine's chromium (``scripts/install-browser.sh``).
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image, ImageChops
from plotly.utils import PlotlyJSONEncoder
from pptx import Presentation
from pptx.oxml.ns import qn

from analytics import formats as fmt
from analytics import metrics
from analytics.filters import Filters, preset_period
from tests.apptest import open_page
from ui import charts, data, deck, images, panel, report
from ui.context import Context
from ui.panels import response as response_panel

MIN_PICTURE_BYTES = 20_000


def context(db, monkeypatch, **filters) -> Context:
    monkeypatch.setenv("GOV_DB", str(db))
    src = data.source()
    coverage = data.data_range(src)
    return Context(
        src, replace(Filters(*preset_period("ytd", coverage.last_day)), **filters), "yoy"
    )


@pytest.fixture(scope="module")
def built(demo_db):
    """The demo district's deck (built once: it draws about fifteen images) and what each
    section said, from the same data functions."""
    with pytest.MonkeyPatch.context() as mp:
        ctx = context(demo_db, mp)
        deck = report.build_deck(ctx)
        yield ctx, Presentation(io.BytesIO(deck)), report.sections(ctx)


def texts(slide) -> list[str]:
    """Every text of a slide: shapes' paragraphs and table cells."""
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out += [p.text for p in shape.text_frame.paragraphs]
        if shape.has_table:
            out += [c.text for row in shape.table.rows for c in row.cells]
    return out


def slide_titled(prs, title: str):
    [slide] = [s for s in prs.slides if s.shapes.title.text == title]
    return slide


def test_deck_has_a_title_slide_then_a_section_slide_and_a_slide_per_chart(built):
    ctx, prs, sections = built
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 16:9
    titles = [s.shapes.title.text for s in prs.slides]
    # the title, then the meeting brief (no targets are set here: no 目标与问题清单 section)
    assert titles[1].startswith("会前简报:") and "以来的变化" in titles[1]
    expected = [deck.TITLE, titles[1]]
    for section in sections:
        expected += [section.title, *(slide.title for slide in section.sections)]
    assert titles == expected
    assert [s.title for s in sections] == [
        "一屏统览",
        "投诉信访趋势",
        "热点诉求",
        "办结率",
        "响应时效",
        "网格热力图",
        "赛马比拼",
        "网格调整推演",
    ]
    for title in (
        "受理趋势 · 投诉与信访(件/月)",
        "网格地图",
        "热点类别 · 受理量前8",
        "受理量 · 按事件类型(件/周)",
        "异常峰值(按周)",
        "热点诉求清单",
        "热点时间线",
        "热点分布",
        "各街道办结率与按时办结率",
        "流转漏斗 · 上报 → 受理 → 转办 → 处置 → 反馈",
        "响应时长(受理 − 上报) · 按单位",
        "前后对比 · 改进是否真实",
        "各网格每千户事件数",
        "最需要关注的网格 · 每千户事件数",
        "街道得分与档次",
        "每格户数分布",
    ):
        assert title in titles


def test_title_slide_names_unit_period_comparison_and_as_of(built):
    ctx, prs, _ = built
    coverage = data.data_range(ctx.src)
    lines = texts(prs.slides[0])
    assert lines[0] == deck.TITLE
    assert "渝兴区" in lines
    assert "统计期:2026年1月1日至10月31日" in lines
    assert "对比:同比(对比期 2025年1月1日至10月31日)" in lines
    assert any(
        line.startswith(f"数据截至 {fmt.moment(coverage.as_of)} · 导出于 ") for line in lines
    )


def test_every_chart_is_a_sharp_png(built):
    _, prs, sections = built
    charted = [
        s for section in sections for s in section.sections if report.chart_of(s) is not None
    ]
    pictures = [sh for slide in prs.slides for sh in slide.shapes if sh.shape_type == 13]
    assert len(pictures) == len(charted) >= 14
    for picture in pictures:
        blob = picture.image.blob
        assert len(blob) > MIN_PICTURE_BYTES and blob[:8] == b"\x89PNG\r\n\x1a\n"
        image = Image.open(io.BytesIO(blob))
        assert image.format == "PNG" and image.width >= 1600
        # drawn for its box: the picture keeps the image's aspect ratio
        assert image.width / image.height == pytest.approx(picture.width / picture.height, 0.01)


def test_key_figures_are_editable_text_equal_to_the_data_functions(built):
    ctx, prs, _ = built
    src, f = ctx.src, ctx.filters
    kpis = data.kpis(src, f, "yoy")
    lines = texts(slide_titled(prs, "受理趋势 · 投诉与信访(件/月)"))
    for row in kpis.itertuples(index=False):
        assert metrics.label(row.metric) in lines
        assert fmt.value(row.metric, row.value) in lines
        assert any(line.startswith(f"同比 {fmt.change(row.metric, row.change)}") for line in lines)

    units = data.closure_by_unit(src, f, "yoy")
    lines = texts(slide_titled(prs, "各街道办结率与按时办结率"))
    assert units["name"].iloc[0] in lines and units["name"].iloc[-1] in lines
    assert f"办结率 {fmt.rate(units['closure_rate'].iloc[0])}" in lines

    total = data.overdue_list(src, f).attrs["total"]
    lines = texts(slide_titled(prs, f"超期未办结清单(共 {fmt.count(total)} 件,按超期时长排列)"))
    assert "联系电话" not in lines and "反映人" not in lines  # personal data stays on the page

    top = data.top_categories(src, f, 8, "yoy")
    lines = texts(slide_titled(prs, "热点类别 · 受理量前8"))
    assert top["category"].iloc[
        0
    ] in lines and f"{fmt.count(top['intake'].iloc[0])} 件" in " ".join(lines)

    from analytics import heatmap

    worst = heatmap.worst(data.grid_figures(src, f, "yoy"), "density", 12)
    lines = texts(slide_titled(prs, "最需要关注的网格 · 每千户事件数"))
    assert all(fmt.value("density", v) in lines for v in worst["density"])
    first = worst.iloc[0]
    lines = texts(slide_titled(prs, "各网格每千户事件数"))
    assert f"{first['street_name']} {first['community_name']} {first['name']}" in lines

    coverage = data.data_range(src)
    from analytics import response

    sides = data.sides(src, f, response.default_pivot(coverage), 365)
    table = response_panel.before_after_table(data.before_after(src, sides))
    lines = texts(slide_titled(prs, "前后对比 · 改进是否真实"))
    for value in table.to_numpy().ravel():
        assert value in lines
    assert any(line.startswith("响应时长:之后更短,差异显著") for line in lines)


def test_whatif_slides_show_the_pages_default_scenario(built):
    """网格调整推演 at the page's defaults: the sidebar's district plans its first street by
    its median households per grid; both maps are pictures, the figures before → after."""
    from ui.panels import whatif

    ctx, prs, _ = built
    unit = whatif.default_unit(ctx)
    scope = whatif.scope(ctx, unit)
    value = whatif.default_value(scope, whatif.DEFAULT_MODE)
    done = whatif.result(ctx, whatif.choice(unit, whatif.DEFAULT_MODE, value, False))
    b, a = done.before.totals, done.after.totals
    before = slide_titled(prs, f"调整前 · {fmt.count(b['grids'])} 个网格")
    after = slide_titled(prs, f"调整后 · {fmt.count(a['grids'])} 个网格")
    assert all(any(sh.shape_type == 13 for sh in s.shapes) for s in (before, after))
    lines = texts(after)
    assert any(
        line.startswith(f"按每格 {fmt.count(value)} 户重新划分:") and line.endswith("同一色阶")
        for line in lines
    )
    assert fmt.count(a["full_time_workers"]) in lines
    assert f"调整前 {fmt.count(b['full_time_workers'])}" in lines
    lines = texts(slide_titled(prs, "调整前后对比 · 龙湾街道"))
    for title, key, show in whatif.ROWS:
        assert {title, show(b[key]), show(a[key])} <= set(lines)


def test_every_run_names_its_east_asian_font(built):
    _, prs, _ = built
    runs = 0
    for slide in prs.slides:
        for run in slide.shapes._spTree.iter(qn("a:r")):
            props = run.find(qn("a:rPr"))
            assert props is not None and props.get("lang") == "zh-CN"
            for tag in ("a:latin", "a:ea", "a:cs"):
                assert props.find(qn(tag)).get("typeface") == deck.FONT
            runs += 1
    assert runs > 200
    theme = prs.slide_master.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"
    ).blob.decode()
    assert f'<a:ea typeface="{deck.FONT}"/>' in theme


def test_file_name_has_unit_and_period(demo_db, monkeypatch):
    ctx = context(demo_db, monkeypatch, street_id="S01")
    assert report.file_name(ctx) == "汇报材料_龙湾街道_2026-01-01至2026-10-31.pptx"


def test_a_scope_without_events_still_makes_a_deck(tiny_db, monkeypatch):
    ctx = context(tiny_db, monkeypatch, categories=("没有这个类别",))
    prs = Presentation(io.BytesIO(report.build_deck(ctx)))
    lines = [line for slide in prs.slides for line in texts(slide)]
    assert panel.NO_EVENTS in lines
    assert prs.slides[0].shapes.title.text == deck.TITLE
    assert any(line.startswith("筛选:业务类别 没有这个类别") for line in lines)


# ---------------------------------------------------------------- Chinese, not boxes


def title_strip(title: str) -> Image.Image:
    """A figure with only ``title`` (big), drawn by ``images.png``; the title's strip."""
    fig = go.Figure()
    fig.update_layout(title=dict(text=title, x=0.02), width=800, height=300)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    png = images.png(fig, width=800, height=300, scale=1, font_size=48)
    image = Image.open(io.BytesIO(png)).convert("L")
    return image.crop((0, 0, 800, 110))


def ink(image: Image.Image) -> int:
    return int((np.asarray(image) < 128).sum())


def test_chinese_renders_as_glyphs_not_boxes():
    """Without a CJK font every character is the same missing-glyph box, so two different
    titles would draw the same picture; and an unknown code point (private use) draws a box
    or nothing, never what Chinese draws."""
    a, b, unknown = (title_strip(t) for t in ("网格治理", "统览办结", "\ue000\ue001\ue002\ue003"))
    assert ink(a) > 500 and ink(b) > 500
    assert ImageChops.difference(a, b).getbbox() is not None
    assert ImageChops.difference(a, unknown).getbbox() is not None
    assert ImageChops.difference(b, unknown).getbbox() is not None


def test_images_use_a_cjk_font_and_say_in_chinese_what_is_missing(monkeypatch):
    assert images.cjk_family() == "Noto Sans CJK SC"
    spec = images.prepared(go.Figure(layout=dict(font=dict(family="Arial"))))
    assert spec["layout"]["font"]["family"].startswith("Noto Sans CJK SC")
    assert images.problem() is None
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chrome")
    assert "BROWSER_PATH" in images.problem()
    with pytest.raises(images.ImageError, match="不是可执行的浏览器"):
        images.browser_path()


def test_a_prepared_figure_is_what_plotlys_validated_update_makes():
    """The figure dict drawn is the one plotly's own ``update_layout`` would make: white
    template, every text in the CJK family, empty settings left out."""
    fig = go.Figure(
        go.Bar(x=["甲", "乙"], y=[1, 2], name="件"),
        layout=dict(
            title=dict(text="标题"),
            annotations=[dict(text="注"), dict(text="另注", font=dict(size=9))],
            legend=dict(title=dict()),
            yaxis=dict(title=dict(), tickformat=",d"),
        ),
    )
    family = f"{images.cjk_family()}, sans-serif"
    expected = go.Figure(fig)
    expected.update_layout(template="plotly_white", font_family=family, font_size=16)
    expected.update_layout(title_font_family=family, legend_font_family=family)
    expected.update_annotations(font_family=family)
    as_json = functools.partial(json.dumps, cls=PlotlyJSONEncoder, sort_keys=True)
    assert as_json(images.prepared(fig, 16)) == as_json(expected.to_dict())


def test_images_drawn_at_once_each_get_their_own_picture_without_page_reloads(monkeypatch):
    """Images are drawn side by side (kaleido hands each a tab): every future gets the
    picture of its own figure. A tab is reloaded (plotly.js parsed again) only every
    ``RELOAD_EVERY`` images: kaleido's own reload after each image is skipped."""
    from kaleido._kaleido_tab._tab import _KaleidoTab

    reloads = []
    reload = _KaleidoTab.reload

    async def counted(tab):
        reloads.append(tab)
        await reload(tab)

    monkeypatch.setattr(_KaleidoTab, "reload", counted)
    monkeypatch.setattr(images, "RELOAD_EVERY", 1_000)
    widths = [300, 320, 340, 360, 380]
    futures = [
        images.draw(go.Figure(go.Bar(x=["甲", "乙"], y=[1, i])), width=w, height=200, scale=1)
        for i, w in enumerate(widths)
    ]
    drawn = [Image.open(io.BytesIO(future.result())) for future in futures]
    assert [(image.width, image.height) for image in drawn] == [(w, 200) for w in widths]
    assert reloads == []
    monkeypatch.setattr(images, "RELOAD_EVERY", 1)
    images.png(go.Figure(), width=200, height=100, scale=1)
    assert len(reloads) == 1


def test_chart_camera_button_saves_a_large_png_with_a_chinese_name():
    config = charts.config("流转漏斗_龙湾街道 · 桂花/社区")
    options = config["toImageButtonOptions"]
    assert options == {
        "format": "png",
        "width": 1600,
        "height": 900,
        "scale": 2,
        "filename": "流转漏斗_龙湾街道_·_桂花_社区",
    }
    assert config["displaylogo"] is False


# ---------------------------------------------------------------- the app


@pytest.mark.parametrize(
    ("page", "charts_drawn"),
    [("pages/closure.py", 4), ("pages/trends.py", 5), ("pages/response.py", 3)],
)
def test_filtered_pages_offer_the_export_and_large_chart_images(
    demo_db, monkeypatch, page, charts_drawn
):
    at = open_page(demo_db, monkeypatch, page)
    [button] = [b for b in at.sidebar.get("download_button") if b.proto.label == "导出汇报材料"]
    assert not button.proto.disabled
    assert button.proto.HasField("deferred_file_id")  # made on click, not on every run
    drawn = at.get("plotly_chart")
    assert len(drawn) == charts_drawn
    for chart in drawn:
        options = json.loads(chart.proto.config)["toImageButtonOptions"]
        assert options["width"] * options["scale"] >= 3200 and options["filename"]


def test_the_export_is_disabled_with_the_reason_without_a_browser(tiny_db, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chrome")
    at = open_page(tiny_db, monkeypatch, "pages/overview.py")
    [button] = [b for b in at.sidebar.get("download_button") if b.proto.label == "导出汇报材料"]
    assert button.proto.disabled and "BROWSER_PATH" in button.proto.help
