"""The 汇报材料 deck drawn with python-pptx: a title slide, then per view (``ui.panel.Panel``)
a section slide and a slide per section: its chart as a picture (or its tables, or its
empty message), key figures as editable text cards, and notes. Every run names its East
Asian font, so PowerPoint and WPS show Chinese whatever the theme. No Streamlit here: the
caller (``ui.report``) builds the panels and draws the pictures.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from analytics import targets
from ui.panel import NO_EVENTS, Panel, Section

TITLE = "网格治理一屏统览 汇报材料"
FONT = "Microsoft YaHei"  # 微软雅黑: on every Windows PowerPoint and in WPS

SLIDE_W, SLIDE_H = Emu(12192000), Emu(6858000)  # 13.333 × 7.5 in: 16:9
MARGIN = Inches(0.45)
TITLE_TOP, TITLE_HEIGHT = Inches(0.28), Inches(0.62)
BODY_TOP, BODY_BOTTOM, NOTES_HEIGHT = Inches(1.5), Inches(6.95), Inches(0.62)
GAP = Inches(0.2)
SIDE_WIDTH = Inches(3.2)  # the key figures' column
MAX_SIDE_FIGURES = 4  # more go in a row above the chart
CSS_PX_PER_INCH = 120  # the chart is laid out at this size, so its 16 px text is ~10 pt
IMAGE_SCALE = 3
IMAGE_FONT_SIZE = 16

TABLE_FONT = 12  # pt; a point less for tables of more than six columns
MAX_COLUMN_WEIGHT = 30  # a column of long texts wraps rather than squeezing the others
CELL_MARGINS = 0.2  # inches, left and right together (PowerPoint's default)
MIN_ROW_HEIGHT = Inches(0.36)
MORE_ROWS_HEIGHT = Inches(0.3)

INK = RGBColor(0x1F, 0x2D, 0x3D)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
ACCENT = RGBColor(0x2C, 0x6F, 0xBB)
CARD = RGBColor(0xF3, 0xF6, 0xFA)
TONES = {"good": RGBColor(0x1E, 0x84, 0x49), "bad": RGBColor(0xC0, 0x39, 0x2B), "": GREY}


def east_asian(rPr) -> None:
    """Name the font of a run for Latin, East Asian and complex scripts alike (python-pptx
    sets only Latin): PowerPoint and WPS then draw the Chinese in it whatever the theme."""
    rPr.set("lang", "zh-CN")
    rPr.set("altLang", "en-US")
    for tag in ("a:latin", "a:ea", "a:cs"):
        for old in rPr.findall(qn(tag)):
            rPr.remove(old)
    latin = rPr.get_or_add_latin()
    latin.set("typeface", FONT)
    previous = latin
    for tag in ("a:ea", "a:cs"):
        el = OxmlElement(tag)
        el.set("typeface", FONT)
        previous.addnext(el)
        previous = el


def _theme_fonts(prs) -> None:
    """The theme's East Asian fonts (for text typed later in PowerPoint or WPS) too."""
    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    for scheme in ("a:majorFont", "a:minorFont"):
        font = root.find(f".//{qn('a:fontScheme')}/{qn(scheme)}")
        font.find(qn("a:ea")).set("typeface", FONT)
        for script in font.findall(qn("a:font")):
            if script.get("script") in ("Hans", "Hant"):
                script.set("typeface", FONT)
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _text(
    frame,
    lines: Iterable[tuple[str, float, bool, RGBColor]],
    align=PP_ALIGN.LEFT,
    anchor=MSO_ANCHOR.TOP,
) -> None:
    """Fill a text frame with paragraphs of (text, size in pt, bold, colour)."""
    frame.clear()
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    for i, (text, size, bold, colour) in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.alignment = align
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = colour


def _rgb(colour: str) -> RGBColor:
    """``#c62828`` as python-pptx's colour."""
    return RGBColor.from_string(colour.lstrip("#").upper())


def _width(text) -> int:
    """Roughly how wide ``text`` is, in half-width characters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


def _row_height(texts: list[str], widths: list[int], size: int) -> int:
    """A table row's height when its longest cell wraps in its column (``size`` pt text)."""
    lines = 1
    for text, width in zip(texts, widths, strict=True):
        room = (Emu(width).inches - CELL_MARGINS) * 72 / (size * 0.7)  # half-width characters
        lines = max(lines, math.ceil(_width(text) / max(room, 1)))
    return max(MIN_ROW_HEIGHT, int(Pt(size * 1.4 * lines) + Inches(0.12)))


def _box(slide, left, top, width, height, lines, **kw):
    shape = slide.shapes.add_textbox(left, top, width, height)
    _text(shape.text_frame, lines, **kw)
    return shape


def _rect(slide, left, top, width, height, colour: RGBColor, shape=MSO_SHAPE.RECTANGLE):
    rect = slide.shapes.add_shape(shape, left, top, width, height)
    rect.fill.solid()
    rect.fill.fore_color.rgb = colour
    rect.line.fill.background()
    rect.shadow.inherit = False
    return rect


@dataclass(frozen=True)
class _Layout:
    chart: tuple[int, int, int, int]  # left, top, width, height in EMU
    cards: tuple[tuple[int, int, int, int], ...]


def layout(slide: Section) -> _Layout:
    """Where the chart and the key figure cards go: figures in a column on the right, or in
    a row above the chart when there are more than ``MAX_SIDE_FIGURES``."""
    bottom = BODY_BOTTOM - (NOTES_HEIGHT if slide.notes else 0)
    width = SLIDE_W - 2 * MARGIN
    n = len(slide.figures)
    if n == 0:
        return _Layout((MARGIN, BODY_TOP, width, bottom - BODY_TOP), ())
    if n > MAX_SIDE_FIGURES:
        card_w = int((width - GAP * (n - 1)) / n)
        card_h = Inches(1.15)
        cards = tuple((MARGIN + i * (card_w + GAP), BODY_TOP, card_w, card_h) for i in range(n))
        top = BODY_TOP + card_h + GAP
        return _Layout((MARGIN, top, width, bottom - top), cards)
    chart_w = width - SIDE_WIDTH - GAP
    card_h = min(Inches(1.3), int((bottom - BODY_TOP - GAP * (n - 1)) / n))
    left = MARGIN + chart_w + GAP
    cards = tuple((left, BODY_TOP + i * (card_h + GAP), SIDE_WIDTH, card_h) for i in range(n))
    return _Layout((MARGIN, BODY_TOP, chart_w, bottom - BODY_TOP), cards)


def picture_size(slide: Section) -> tuple[int, int]:
    """The chart's box on the slide in CSS px at ``CSS_PX_PER_INCH``: the size to draw it at
    (then ``IMAGE_SCALE``× sharper), so that the picture keeps its aspect ratio."""
    _, _, width, height = layout(slide).chart
    return round(Emu(width).inches * CSS_PX_PER_INCH), round(Emu(height).inches * CSS_PX_PER_INCH)


class Deck:
    def __init__(self) -> None:
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_W, SLIDE_H
        _theme_fonts(self.prs)
        self.footer = ""

    def _slide(self, layout_index: int, title: str, top=TITLE_TOP, height=TITLE_HEIGHT):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[layout_index])
        head = slide.shapes.title
        head.left, head.top, head.width, head.height = MARGIN, top, SLIDE_W - 2 * MARGIN, height
        _text(head.text_frame, [(title, 26, True, INK)], anchor=MSO_ANCHOR.MIDDLE)
        return slide

    def title_slide(self, lines: list[str]) -> None:
        slide = self._slide(0, TITLE, top=Inches(1.7), height=Inches(1.1))
        _text(slide.shapes.title.text_frame, [(TITLE, 40, True, INK)], anchor=MSO_ANCHOR.BOTTOM)
        _rect(slide, 0, 0, SLIDE_W, Inches(0.2), ACCENT)
        _rect(slide, Inches(0.8), Inches(2.95), Inches(1.4), Inches(0.07), ACCENT)
        sub = slide.placeholders[1]
        sub.left, sub.top, sub.width, sub.height = (
            Inches(0.8),
            Inches(3.25),
            SLIDE_W - Inches(1.6),
            Inches(3.4),
        )
        _text(
            sub.text_frame,
            [(lines[0], 26, True, ACCENT), *((line, 16, False, GREY) for line in lines[1:])],
        )
        head = slide.shapes.title
        head.left, head.width = Inches(0.8), SLIDE_W - Inches(1.6)

    def section_slide(self, panel: Panel) -> None:
        slide = self._slide(5, panel.title, top=Inches(2.6), height=Inches(1.0))
        _text(slide.shapes.title.text_frame, [(panel.title, 36, True, INK)])
        _rect(slide, MARGIN, Inches(2.6), Inches(0.12), Inches(2.1), ACCENT)
        slide.shapes.title.left = MARGIN + Inches(0.4)
        contents = "、".join(
            dict.fromkeys(s.title.split(" · ")[0].split("(")[0] for s in panel.sections)
        )
        _box(
            slide,
            MARGIN + Inches(0.4),
            Inches(3.65),
            SLIDE_W - 2 * MARGIN - Inches(0.4),
            Inches(1.0),
            [(contents, 16, False, GREY), (self.footer, 14, False, GREY)],
        )

    def text_slide(self, title: str, lines: Sequence[str]) -> None:
        """A slide of numbered sentences under its title (the meeting brief)."""
        slide = self._slide(5, title)
        _rect(slide, MARGIN, Inches(1.32), Inches(0.9), Inches(0.05), ACCENT)
        size = 18 if sum(_width(line) for line in lines) < 700 else 15
        _box(
            slide, MARGIN, BODY_TOP, SLIDE_W - 2 * MARGIN, BODY_BOTTOM - BODY_TOP,
            [(f"{i}. {line}", size, False, INK) for i, line in enumerate(lines, start=1)],
        )  # fmt: skip

    def content_slide(self, spec: Section, image: bytes | None) -> None:
        slide = self._slide(5, spec.title)
        width = SLIDE_W - 2 * MARGIN
        if spec.caption:
            _box(slide, MARGIN, Inches(0.9), width, Inches(0.36), [(spec.caption, 13, False, GREY)])
        _rect(slide, MARGIN, Inches(1.32), Inches(0.9), Inches(0.05), ACCENT)
        place = layout(spec)
        left, top, w, h = place.chart
        notes_top = BODY_BOTTOM - NOTES_HEIGHT + Inches(0.08)
        if spec.tables:
            tables = [(t.title, t.on_slide(), t.status) for t in spec.tables]
            notes_top = self._tables(slide, tables, place.chart) + Inches(0.25)
        elif image is not None:
            picture = slide.shapes.add_picture(io.BytesIO(image), left, top, w, h)
            picture.name = spec.title
            picture._element.nvPicPr.cNvPr.set("descr", f"{spec.title}({spec.caption})")
        else:
            _box(
                slide, left, top, w, h, [(spec.empty or NO_EVENTS, 18, False, GREY)],
                align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE,
            )  # fmt: skip
        for figure, (x, y, cw, ch) in zip(spec.figures, place.cards, strict=True):
            card = _rect(slide, x, y, cw, ch, CARD, MSO_SHAPE.ROUNDED_RECTANGLE)
            card.adjustments[0] = 0.08
            frame = card.text_frame
            frame.margin_left = frame.margin_right = Inches(0.14)
            frame.margin_top = frame.margin_bottom = Inches(0.06)
            big = len(spec.figures) <= MAX_SIDE_FIGURES
            lines = [
                (figure.label, 11, False, GREY),
                (figure.value, 22 if big else 18, True, INK),
            ]
            if figure.note:
                lines.append((figure.note, 10, False, TONES[figure.tone]))
            if figure.status:  # the card in its status colour, as on the page
                card.fill.fore_color.rgb = _rgb(targets.STATUS_TINTS[figure.status])
                card.line.fill.solid()
                card.line.fill.fore_color.rgb = _rgb(targets.STATUS_COLOURS[figure.status])
                word = targets.STATUS_LABELS[figure.status]
                colour = _rgb(targets.STATUS_COLOURS[figure.status])
                lines.append((f"{figure.target} · {word}", 10, True, colour))
            _text(frame, lines, anchor=MSO_ANCHOR.MIDDLE)
        if spec.notes:
            _box(
                slide,
                MARGIN,
                notes_top,
                width,
                NOTES_HEIGHT,
                [(line, 11, False, INK) for line in spec.notes],
            )

    def _tables(self, slide, tables, area) -> int:
        """Tables side by side in ``area``, each under its heading, with as many rows as fit
        (rows that wrap are taller) and a line saying the rest are on the page; where the
        lowest ends."""
        left, top, width, height = area
        bottom = top
        each = int((width - GAP * (len(tables) - 1)) / len(tables))
        for i, (heading, df, status_column) in enumerate(tables):
            x, y = left + i * (each + GAP), top
            if heading:
                _box(slide, x, y, each, Inches(0.4), [(heading, 14, True, INK)])
                y += Inches(0.45)
            size = TABLE_FONT if len(df.columns) <= 6 else TABLE_FONT - 1
            weights = [
                min(MAX_COLUMN_WEIGHT, max(6, *(_width(v) for v in [name, *df[name]])))
                for name in df.columns
            ]
            margins = Inches(CELL_MARGINS) * len(weights)  # every column pays its margins
            needed = margins + sum(Pt(weight * size * 0.7) for weight in weights)
            table_w = min(each, max(int(needed * 1.15), Inches(4)))  # not stretched past its text
            widths = [
                Inches(CELL_MARGINS) + int((table_w - margins) * weight / sum(weights))
                for weight in weights
            ]
            cells = [[str(name) for name in df.columns]]
            cells += [[str(v) for v in row] for row in df.itertuples(index=False)]
            heights = [_row_height(row, widths, size) for row in cells]
            room = top + height - y
            shown = len(cells)
            while shown > 1 and sum(heights[:shown]) > room:
                shown -= 1
                room = top + height - y - MORE_ROWS_HEIGHT
            frame = slide.shapes.add_table(
                shown, len(df.columns), x, y, table_w, sum(heights[:shown])
            )
            table = frame.table
            for j, column_width in enumerate(widths):
                table.columns[j].width = column_width
            for r in range(shown):
                table.rows[r].height = heights[r]
                for j, text in enumerate(cells[r]):
                    cell = table.cell(r, j)
                    cell.margin_top = cell.margin_bottom = Inches(0.03)
                    colour = RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else INK
                    status = (
                        targets.STATUS_OF_LABEL.get(text)
                        if r and df.columns[j] == status_column
                        else None
                    )
                    if status:  # the status column in its colours, as on the page
                        colour = _rgb(targets.STATUS_COLOURS[status])
                        cell.fill.solid()
                        cell.fill.fore_color.rgb = _rgb(targets.STATUS_TINTS[status])
                    bold = r == 0 or status is not None
                    _text(cell.text_frame, [(text, size, bold, colour)], anchor=MSO_ANCHOR.MIDDLE)
            y += sum(heights[:shown])
            if shown < len(cells):
                more = f"此处列出前 {shown - 1} 行,全部见页面与下载。"
                _box(slide, x, y, table_w, MORE_ROWS_HEIGHT, [(more, 10, False, GREY)])
                y += MORE_ROWS_HEIGHT
            bottom = max(bottom, y)
        return bottom

    def finish(self) -> bytes:
        """Footers and page numbers, every run's East Asian font, and the file."""
        slides = list(self.prs.slides)
        for number, slide in enumerate(slides[1:], start=2):
            y = SLIDE_H - Inches(0.42)
            _box(slide, MARGIN, y, Inches(9), Inches(0.3), [(self.footer, 10, False, GREY)])
            _box(
                slide, SLIDE_W - MARGIN - Inches(1.5), y, Inches(1.5), Inches(0.3),
                [(f"{number} / {len(slides)}", 10, False, GREY)], align=PP_ALIGN.RIGHT,
            )  # fmt: skip
        for slide in slides:
            for run in slide.shapes._spTree.iter(qn("a:r")):
                east_asian(run.get_or_add_rPr())
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()
