"""办结率: closure and on-time closure by unit (drilling down with the sidebar) and category,
the lifecycle funnel, where events get solved, backlog ageing and the overdue list."""

from functools import partial

import pandas as pd
import streamlit as st

from analytics import closure as cl
from analytics import formats as fmt
from analytics import labels
from analytics import metrics as m
from ui import charts, data, downloads, findings
from ui.context import current
from ui.sidebar import period_caption, scope_label

LEVEL_TITLE = {"street_id": "街道", "community_id": "社区", "grid_id": "网格"}

ctx = current()
src, f, compare = ctx.src, ctx.filters, ctx.compare
rng = data.data_range(src)
comparison_name = labels.COMPARISON.get(compare, "")
place = fmt.plain(scope_label(f, src))

st.subheader(f"办结率 · {place}", anchor=False)
st.caption(period_caption(f, compare, rng))


def rate_table(df: pd.DataFrame, label: str, title: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "排名": df["rank"],
            title: df[label],
            "受理量": df["intake"],
            "办结率": df["closure_rate"].map(fmt.rate),
            f"办结率{comparison_name}": df["closure_rate_change"].map(
                lambda c: fmt.change("closure_rate", c) or fmt.MISSING
            ),
            "按时办结率": df["on_time_rate"].map(fmt.rate),
            f"按时办结率{comparison_name}": df["on_time_rate_change"].map(
                lambda c: fmt.change("on_time_rate", c) or fmt.MISSING
            ),
        }
    )


queries = {
    "units": partial(data.closure_by_unit, src, f, compare),
    "categories": partial(data.closure_by_category, src, f, compare),
    "funnel": partial(data.funnel, src, f),
    "levels": partial(data.resolution_levels, src, f, "month"),
    "ageing": partial(data.backlog_ageing, src, f),
    "overdue": partial(data.overdue_list, src, f),
}
data.prefetch(*queries.values())

level = cl.drill_level(f)
unit_title = LEVEL_TITLE[level]
left, right = st.columns([1.2, 1], gap="medium")
with left:
    st.markdown(f"**各{unit_title}办结率与按时办结率**")
    st.caption("在左侧选择街道可看其各社区,选择社区可看其各网格。排名按办结率。")
    units = queries["units"]()
    unplaced = units.attrs.get("unplaced")
    if units.empty and unplaced:
        st.info(findings.all_unplaced(unplaced, unit_title))
    elif units.empty:
        st.info("所选范围内没有事件。")
    else:
        fig = charts.rate_ranking(units.head(findings.RATE_RANKING_ROWS), "name", comparison_name)
        config = charts.config(f"办结率_各{unit_title}_{place}")
        st.plotly_chart(fig, config=config, key="closure_units")
        if len(units) > findings.RATE_RANKING_ROWS:
            st.caption(
                f"图中为前 {findings.RATE_RANKING_ROWS} 个{unit_title},全部 {len(units)} 个见下载。"
            )
    if unplaced:
        note = findings.unplaced_units(unplaced, unit_title)
        st.caption(f"{note}它们列在下载表格末行,计入{place}的合计。")
    if not units.empty or unplaced:
        rows = pd.concat([units, pd.DataFrame([unplaced])]) if unplaced else units
        downloads.buttons(
            rate_table(rows, "name", unit_title), f"办结率_各{unit_title}_{place}", "dl_units"
        )
with right:
    st.markdown("**各业务类别办结率**")
    cats = queries["categories"]()
    if cats.empty:
        st.info("所选范围内没有事件。")
    else:
        table = rate_table(cats, "category", "业务类别")
        st.dataframe(table, hide_index=True, width="stretch", height=420)
        downloads.buttons(table, f"办结率_各类别_{place}", "dl_categories")

left, right = st.columns([1, 1.2], gap="medium")
with left:
    st.markdown("**流转漏斗 · 上报 → 受理 → 转办 → 处置 → 反馈**")
    funnel = queries["funnel"]()
    if funnel["reached"].iloc[0] == 0:
        st.info("所选范围内没有事件。")
    else:
        config = charts.config(f"流转漏斗_{place}")
        st.plotly_chart(charts.lifecycle_funnel(funnel), config=config, key="closure_funnel")
        st.caption("到达某环节 = 截至数据时点已走到该环节或其后环节(即办件当场处置,不经转办)。")
        table = funnel.rename(
            columns={"name": "环节", "reached": "到达(件)", "dropped": "止步于上一环节(件)"}
        ).assign(占上报=funnel["share"].map(fmt.rate))
        downloads.buttons(
            table[["环节", "到达(件)", "止步于上一环节(件)", "占上报"]],
            f"流转漏斗_{place}",
            "dl_funnel",
        )
with right:
    st.markdown("**在哪一级解决 · 办结事件按解决层级(按上报月份)**")
    levels = queries["levels"]()
    if levels.empty:
        st.info("所选范围内没有记录了解决层级的办结事件。")
    else:
        config = charts.config(f"解决层级_{place}")
        st.plotly_chart(charts.level_shares(levels, "month"), config=config, key="closure_levels")
        st.caption("小事不出网格、大事不出社区、难事不出街道:绿色越多,越多事情在网格内解决。")
        table = pd.DataFrame(
            {
                "月份": levels["bucket"].dt.strftime("%Y年%m月"),
                "解决层级": levels["level"].map(labels.RESOLVED_LEVEL),
                "办结(件)": levels["closed"],
                "占比": levels["share"].map(fmt.rate),
            }
        )
        downloads.buttons(table, f"解决层级_{place}", "dl_levels")


def overdue_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The overdue list as shown and exported (names and phones arrive masked)."""
    return pd.DataFrame(
        {
            "事件编号": rows["event_id"],
            "业务类别": rows["category"],
            "街道": rows["street_name"],
            "社区": rows["community_name"],
            "网格": rows["grid_name"],
            "办理类型": rows["handling_type"].map(
                lambda h: labels.HANDLING_TYPE.get(h, h) if h else fmt.MISSING
            ),
            "上报时间": rows["reported_at"].map(fmt.moment),
            "办结时限": rows["deadline_at"].map(fmt.moment),
            "已超期(天)": rows["overdue_days"].round(1),
            "反映人": rows["reporter_name"],
            "联系电话": rows["reporter_phone"],
        }
    )


left, right = st.columns([1, 1.6], gap="medium")
with left:
    st.markdown("**积压账龄(件)**")
    ageing = queries["ageing"]()
    if ageing["backlog"].sum() == 0:
        st.success(findings.NO_BACKLOG, icon=":material/check_circle:")
    else:
        config = charts.config(f"积压账龄_{place}")
        st.plotly_chart(
            charts.backlog_bars(ageing, height=340), config=config, key="closure_ageing"
        )
with right:
    overdue = queries["overdue"]()
    total = overdue.attrs.get("total", len(overdue))
    st.markdown(f"**超期未办结清单**(共 {fmt.count(total)} 件,按超期时长排列)")
    if overdue.empty:
        st.success("所选范围内没有超期未办结事件。", icon=":material/check_circle:")
    else:
        table = overdue_table(overdue)
        st.dataframe(table, hide_index=True, width="stretch", height=340)
        if total > len(overdue):
            st.caption(f"清单列出超期最久的 {fmt.count(len(overdue))} 件,下载为全部。")
        st.caption("反映人和联系电话已脱敏。")
        downloads.buttons(
            table,
            f"超期清单_{place}",
            "dl_overdue",
            full=lambda: overdue_table(data.overdue_export(src, f)),
        )

st.caption(
    f"口径:{m.METRICS['closure_rate'].description};{m.METRICS['on_time_rate'].description}。"
)
