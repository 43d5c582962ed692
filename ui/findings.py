"""Words that several views' panels (``ui.panels``) share: what a map leaves out, the empty
backlog, events with no unit at a breakdown's level. No Streamlit calls."""

from __future__ import annotations

from analytics import formats as fmt


def map_note(placement: dict[str, int], hexagons: bool = False) -> str | None:
    """What a map of the scope leaves out (``data.placement``), or None when nothing: events
    without a grid (未落格) and, on a grid map, those whose grid has no outline; on a map of
    hexagons (drawn from the events' coordinates) those without coordinates."""
    no_grid = f"{fmt.count(placement['no_grid'])} 件未落到网格" if placement["no_grid"] else ""
    if hexagons:
        missing = placement["no_coordinates"]
        off = f"{fmt.count(missing)} 件没有坐标,不在地图上" if missing else ""
        text = ";".join(part for part in (no_grid, off) if part)
    else:
        outline = placement["no_outline"]
        parts = [no_grid, f"{fmt.count(outline)} 件所在网格没有边界" if outline else ""]
        off = "、".join(part for part in parts if part)
        text = f"{off},不在地图上" if off else ""
    return f"{text}。" if text else None


NO_BACKLOG = "所选范围内没有未办结事件,没有积压。"


def unplaced_units(unplaced: dict | None, unit_title: str) -> str | None:
    """The 办结率 by unit's note on the events with no unit at its level (``attrs["unplaced"]``
    of ``closure.by_unit``): how many, their 办结率, and that they are not ranked."""
    if not unplaced:
        return None
    return (
        f"另有 {fmt.count(unplaced['intake'])} 件事件{unplaced['name']}"
        f"(办结率 {fmt.rate(unplaced['closure_rate'])}):不属于任何{unit_title},不参与排名。"
    )


def all_unplaced(unplaced: dict, unit_title: str) -> str:
    """When every event of the scope lacks a unit at the breakdown's level."""
    events = fmt.count(unplaced["intake"])
    return f"所选范围内的 {events} 件事件都{unplaced['name']},无法按{unit_title}比较。"
