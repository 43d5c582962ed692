"""A panel's sections on a page (``ui.panel``): the page chooses where each goes (columns,
heights), this module draws it the same way everywhere. The slide twin is ``ui.deck``."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from _plotly_utils.utils import convert_to_base64

from analytics import formats as fmt
from ui import charts, downloads, maps, presentation
from ui.cards import status_cell_css
from ui.panel import KeyFigure, Panel, Section, Table


def title(panel: Panel, place: str) -> None:
    st.subheader(f"{panel.title} · {fmt.plain(place)}", anchor=False)


def figure_line(figures: tuple[KeyFigure, ...]) -> str:
    """Key figures as one caption line: 办结率第一 龙湾街道(办结率 99.1%) · …"""
    return " · ".join(f"{f.label} {f.value}" + (f"({f.note})" if f.note else "") for f in figures)


def show(
    section: Section,
    *,
    height: int | None = None,
    figures: str = "caption",
    heading: bool = True,
    head=None,
    notes: str = "caption",
    on_select=None,
    selection_mode=None,
):
    """Draw ``section`` in the current container: its title, caption and hint, the chart,
    map or tables (or its empty message), key figures (``figures``: a caption line, cards,
    or not at all where the page shows them elsewhere), notes and the download buttons.
    ``height`` sets the chart's, map's or table's height; ``head`` is the container for
    the title when the page puts a widget beside it. ``notes="list"`` shows the notes as a
    list whose lead (up to the first full-width colon) is bold: findings rather than
    footnotes. ``on_select`` ("rerun" or a callback, with ``selection_mode``) makes the chart
    or the tables selectable; the chart's (or last table's) selection state is returned."""
    event = None
    picking = {"on_select": on_select, "selection_mode": selection_mode} if on_select else {}
    if heading:
        (head or st).markdown(f"**{fmt.plain(section.title)}**")
    presenting = presentation.active()
    hint = "" if presenting else section.hint  # a projector has no widgets to use
    about = "。".join(part for part in (section.caption, hint) if part)
    if about:
        st.caption(fmt.plain(about))
    if figures == "cards" and section.figures:
        cards(section.figures)
    key = section.key
    if section.chart is not None:
        chart = presentation.figure(section.chart) if presenting else section.chart
        drawn = st.plotly_chart(
            AsBuilt(chart, height), config=charts.config(section.name), key=key, **picking
        )
        event = drawn if on_select else None
    elif section.map is not None:
        tall = height or 400
        st.pydeck_chart(section.map.deck(height_px=tall), height=tall, key=key)
        if section.map.legend:
            st.html(maps.legend_html(section.map.legend))
    for i, table in enumerate(section.tables):
        if table.title:
            st.markdown(f"**{fmt.plain(table.title)}**")
        if presenting:  # legible HTML, the rows that fit (a canvas ignores the font size)
            presentation.table(table, height or table.height)
            continue
        drawn = st.dataframe(
            styled(table),
            hide_index=True,
            width="stretch",
            height=height or table.height or "auto",
            column_config=column_config(table),
            key=f"{key}_table{i}" if on_select else None,
            **picking,
        )
        event = drawn if on_select else event
    if not section.drawn:
        if section.settled:
            st.success(section.empty, icon=":material/check_circle:")
        else:
            st.info(section.empty)
    if figures == "caption" and section.figures and section.drawn:
        st.caption(fmt.plain(figure_line(section.figures)))
    for note in section.notes:
        if notes == "list":
            lead, colon, rest = note.partition(":")
            st.markdown(
                f"- **{fmt.plain(lead)}**:{fmt.plain(rest)}" if colon else f"- {fmt.plain(note)}"
            )
        else:
            st.caption(fmt.plain(note))
    if section.download is not None and not presenting:  # no controls on a projector
        d = section.download
        downloads.buttons(d.frame, d.name, d.key or f"dl_{key}", full=d.full)
    return event


def styled(table: Table):
    """The table as ``st.dataframe`` takes it: its status column (if any) tinted and written
    in the targets' status colours, the same on every page."""
    if not table.status or table.status not in table.frame.columns:
        return table.frame
    return table.frame.style.map(status_cell_css, subset=[table.status])


def column_config(table: Table) -> dict:
    """``st.dataframe``'s column config for a table's formats and help."""
    config = {}
    for column in table.frame.columns:
        if column in table.formats:
            config[column] = st.column_config.NumberColumn(
                column, format=table.formats[column], help=table.help.get(column)
            )
        elif column in table.help:
            config[column] = st.column_config.TextColumn(column, help=table.help[column])
    return config


def cards(figures: tuple[KeyFigure, ...]) -> None:
    """Key figures as a row of bordered cards, each note inside its card in grey."""
    for col, figure in zip(st.columns(len(figures)), figures, strict=True):
        col.metric(
            figure.label,
            figure.value,
            delta=figure.note or None,
            delta_arrow="off",
            delta_color="off",
            border=True,
        )


def footnote(panel: Panel) -> None:
    if panel.footnote:
        st.caption(panel.footnote)


class AsBuilt(go.Figure):
    """``fig`` for ``st.plotly_chart`` without plotly's deep copy of every value in it: the
    dicts and lists are copied, the arrays shared (plotly's ``to_dict`` then replaces arrays
    by base64 in the copy, as here). Streamlit only asks for ``to_dict()`` and serialises
    it; the deep copy was ~4 ms a chart on every rerun. ``height`` (px) overrides the
    figure's in the copy: a built figure may be cached and shared, so it is never changed."""

    def __init__(self, fig: go.Figure, height: int | None = None) -> None:
        self._built = fig  # plotly's own __init__ would copy it again
        self._height = height

    def to_dict(self) -> dict:
        spec = {"data": _containers(self._built._data), "layout": _containers(self._built._layout)}
        if self._height:
            spec["layout"]["height"] = self._height
        convert_to_base64(spec)
        return spec


def _containers(value):
    """``value`` with its dicts and lists copied; everything else shared."""
    if isinstance(value, dict):
        return {k: _containers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_containers(v) for v in value]
    return value


def uploader_in_chinese(key: str, types: list[str]) -> None:
    """The uploader's own texts in Chinese (Streamlit has no setting for "Upload", "Drag and
    drop file here", "… per file"): hidden, and the Chinese drawn in their place by CSS
    scoped to the uploader with widget key ``key``."""
    limit = st.get_option("server.maxUploadSize")
    kinds = "、".join(t.upper() for t in types)
    words = {
        "button": "选择文件",
        "drop": f"拖放文件到此处 · 单个文件不超过 {limit:,} MB · {kinds}",
    }
    zone = f'.st-key-{key} [data-testid="stFileUploaderDropzone"]'
    st.html(
        f"""<style>
{zone} button [data-testid="stMarkdownContainer"] p,
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span {{
  visibility: hidden; font-size: 0 !important;}}
{zone} button [data-testid="stMarkdownContainer"] p::after {{
  visibility: visible; font-size: 14px; content: "{words["button"]}";}}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  visibility: visible; font-size: 14px; content: "{words["drop"]}";}}
</style>"""
    )


def rerun_saying(key: str, message: str) -> None:
    """Rerun so that the whole page shows a change just made, and say ``message`` (Markdown)
    at its top on that run (:func:`said`)."""
    st.session_state[key] = message
    st.rerun()


def said(key: str) -> None:
    """The message :func:`rerun_saying` left under ``key``, once."""
    if message := st.session_state.pop(key, None):
        st.success(message, icon=":material/check_circle:")
