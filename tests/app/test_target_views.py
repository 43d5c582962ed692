"""The figures against their targets in the pages and the deck (issue #20): the overview's
cards and its 综合指数 line, the 问题清单 page and its print file, the brief and the deck's
slides, with and without targets. The tiny database's figures for 2026 (events E1..E7 of
``tests/conftest.py``), this year to its last day: 办结率 4/7, 满意率 2/3."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation

from analytics import access, problems, queries, score, target_store, targets
from analytics.connection import connect, cursor
from analytics.filters import Filters, preset_period
from tests.apptest import open_page
from ui import data, deck, printable
from ui.context import Context
from ui.panels import targets as targets_panel

CLOSURE = targets.Target(metric="closure_rate", target=0.90, amber=0.55)  # 4/7: 预警
SATISFIED = targets.Target(metric="satisfaction_rate", target=0.60)  # 2/3: 达标


@pytest.fixture
def with_targets(admin_file):
    for t in (CLOSURE, SATISFIED):
        target_store.put(admin_file, t, by="test")
    return admin_file


def bodies(at) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def district(tiny_db) -> tuple:
    con = cursor(connect(tiny_db, read_only=True))
    coverage = queries.data_range(con)
    f = Filters(*preset_period("ytd", coverage.last_day))
    parents = access.parents(queries.org_units(con), queries.grid_reference(con))
    return con, coverage, f, parents


def test_without_targets_the_cards_have_no_colour_and_the_page_says_so(
    tiny_db, monkeypatch, admin_file
):
    at = open_page(tiny_db, monkeypatch, "pages/overview.py")
    drawn = [b for b in bodies(at) if not b.startswith("<style>")]
    assert not any("gov-target" in b or "gov-score" in b for b in drawn)
    assert any("尚未设定目标值" in c.value for c in at.caption)


def test_a_card_shows_its_target_and_status_and_the_header_the_score(
    tiny_db, monkeypatch, with_targets
):
    at = open_page(tiny_db, monkeypatch, "pages/overview.py")
    shown = bodies(at)
    assert '<div class="gov-target gov-target-amber">目标≥90.0%<br><b>预警</b></div>' in shown
    assert '<div class="gov-target gov-target-green">目标≥60.0%<br><b>达标</b></div>' in shown
    help_text = {m.label: m.proto.help for m in at.metric}["办结率"]
    assert "目标:≥ 90.0%(预警 55.0%);预警,差 32.9 个百分点,完成比 0.63" in help_text
    assert not any("尚未设定目标值" in c.value for c in at.caption)
    # the score: (min(4/7 / 0.9, 1.2) + min((2/3) / 0.6, 1.2)) / 2 = (0.635 + 1.111) / 2
    [line] = [b for b in shown if b.startswith('<div class="gov-score"')]
    assert '<span class="gov-score-name">综合指数</span><b class="gov-score-red">0.87</b>' in line
    assert line.count('class="gov-score-window"') == 4


def test_the_brief_is_made_only_when_asked_for(tiny_db, monkeypatch, with_targets):
    at = open_page(tiny_db, monkeypatch, "pages/overview.py")
    assert not at.get("code")  # the popover is closed: no brief computed


def test_the_problem_page_lists_what_missed_with_status_colours(tiny_db, monkeypatch, with_targets):
    at = open_page(tiny_db, monkeypatch, "pages/problems.py")
    con, coverage, f, parents = district(tiny_db)
    book = targets.Book([CLOSURE, SATISFIED])
    expected = problems.table(problems.problem_list(con, f, coverage, book, parents))
    [score_table, listed] = at.dataframe
    assert listed.value.reset_index(drop=True).equals(expected)
    assert list(score_table.value["状态"]) == ["预警", "达标"]
    labels = [b.label for b in at.get("download_button")]
    assert "打印版" in labels


def test_the_problem_page_without_targets_prompts_to_set_them(tiny_db, monkeypatch, admin_file):
    at = open_page(tiny_db, monkeypatch, "pages/problems.py")
    assert any("尚未设定目标值" in i.value for i in at.info)
    assert not at.dataframe


def test_the_print_file_escapes_cells_and_colours_the_status():
    import pandas as pd

    table = pd.DataFrame({"单位": ["<b>甲</b>"], "状态": ["未达标"]})
    page = printable.document("问题清单 · 渝兴区", ["统计期:2026年"], table, status="状态")
    assert "&lt;b&gt;甲&lt;/b&gt;" in page and "<b>甲</b>" not in page
    assert f"color: {targets.STATUS_COLOURS['red']}" in page
    assert "@page {size: A4 landscape" in page and "Noto Sans CJK SC" in page


def test_the_deck_slides_of_the_targets_read_back(tiny_db, monkeypatch, with_targets):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    src = data.source()
    coverage = data.data_range(src)
    ctx = Context(src, Filters(*preset_period("ytd", coverage.last_day)), "yoy")
    panel = targets_panel.deck_build(ctx)
    brief = targets_panel.meeting_brief(ctx, data.target_book())
    slides = deck.Deck()
    slides.footer = "test"
    slides.text_slide(brief.title, brief.lines)
    for section in panel.sections:
        slides.content_slide(section, None)
    prs = Presentation(io.BytesIO(slides.finish()))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == [brief.title, "综合指数", "问题清单"]
    said = [p.text for shape in prs.slides[0].shapes if shape.has_text_frame
            for p in shape.text_frame.paragraphs]  # fmt: skip
    numbered = [f"{i}. {line}" for i, line in enumerate(brief.lines, start=1)]
    assert said[-len(numbered) :] == numbered
    con, coverage, f, parents = district(tiny_db)
    expected = score.of_period(con, f, coverage, targets.Book([CLOSURE, SATISFIED]), parents)
    cells = [c.text for shape in prs.slides[1].shapes if shape.has_table
             for row in shape.table.rows for c in row.cells]  # fmt: skip
    assert score.score_text(expected.value) == "0.87"
    cards = [p.text for shape in prs.slides[1].shapes if shape.has_text_frame
             for p in shape.text_frame.paragraphs]  # fmt: skip
    assert "0.87" in cards and "2 项中 1 项达标" in cards
    assert "办结率" in cells and "满意率" in cells and "预警" in cells
    [table] = [shape.table for shape in prs.slides[1].shapes if shape.has_table]
    status_col = [c.text for c in table.rows[0].cells].index("状态")
    amber = table.cell(1, status_col)  # 办结率: 预警, in the status colours as on the page
    assert amber.text == "预警"
    assert str(amber.fill.fore_color.rgb) == targets.STATUS_TINTS["amber"].lstrip("#").upper()
    run = amber.text_frame.paragraphs[0].runs[0]
    assert str(run.font.color.rgb) == targets.STATUS_COLOURS["amber"].lstrip("#").upper()


def test_without_targets_the_deck_leaves_the_section_out(tiny_db, monkeypatch, admin_file):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    src = data.source()
    coverage = data.data_range(src)
    ctx = Context(src, Filters(*preset_period("ytd", coverage.last_day)), "yoy")
    assert targets_panel.deck_build(ctx) is None
    brief = targets_panel.meeting_brief(ctx, data.target_book())
    assert "尚未设定目标" in brief.lines[0]


def test_the_overview_slide_cards_carry_their_targets(tiny_db, monkeypatch, with_targets):
    from ui.panels import overview

    monkeypatch.setenv("GOV_DB", str(tiny_db))
    src = data.source()
    coverage = data.data_range(src)
    ctx = Context(src, Filters(*preset_period("ytd", coverage.last_day)), "yoy")
    figures = {k.label: k for k in overview.build(ctx)["trend"].figures}
    assert (figures["办结率"].status, figures["办结率"].target) == (
        "amber",
        "目标≥ 90.0%(预警 55.0%)",
    )
    assert figures["满意率"].status == "green" and figures["受理量"].status is None
    slides = deck.Deck()
    slides.footer = "test"
    slides.content_slide(overview.build(ctx)["trend"], None)
    prs = Presentation(io.BytesIO(slides.finish()))
    said = [p.text for shape in prs.slides[0].shapes if shape.has_text_frame
            for p in shape.text_frame.paragraphs]  # fmt: skip
    assert "目标≥ 90.0%(预警 55.0%) · 预警" in said and "目标≥ 60.0% · 达标" in said
