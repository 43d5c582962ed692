"""响应时效: distributions of response and handling time by group, where the time goes,
SLA compliance per handling type, and a before/after comparison with a rank test."""

from functools import partial

import pandas as pd
import streamlit as st

from analytics import formats as fmt
from analytics import labels
from analytics import metrics as m
from analytics import response as rs
from ui import charts, data, downloads, findings
from ui.context import current
from ui.sidebar import scope_label

MEASURES, GROUPS = findings.RESPONSE_MEASURES, findings.RESPONSE_GROUPS
WINDOWS = {90: "前后各 90 天", 180: "前后各 180 天", 365: "前后各 1 年"}

ctx = current()
src, f = ctx.src, ctx.filters
rng = data.data_range(src)
place = fmt.plain(scope_label(f, src))

st.subheader(f"响应时效 · {place}", anchor=False)
st.caption(
    f"统计期:{fmt.period(f.start, f.end)} · 数据截至 {fmt.moment(rng.as_of)} · 时长单位:小时"
)

measure_col, group_col, log_col = st.columns([1.6, 2, 1])
measure = (
    measure_col.segmented_control(
        "时长", list(MEASURES), format_func=MEASURES.get, default="response", key="resp_measure"
    )
    or "response"
)
by = (
    group_col.segmented_control(
        "分组", list(GROUPS), format_func=GROUPS.get, default="unit", key="resp_by"
    )
    or "unit"
)
log = log_col.toggle("对数坐标", value=True, key="resp_log", help="时长分布右偏,对数坐标看得清")

top_left, top_right = st.columns([1.3, 1], gap="medium")
bottom_left, bottom_right = st.columns([1, 1.3], gap="medium")
with bottom_right:  # the before/after controls first: every query is known before any runs
    st.markdown("**前后对比 · 改进是否真实**")
    pick, window_col = st.columns([1, 1])
    bounds = rs.pivot_bounds(rng)
    pivot = None
    if bounds is None:
        pick.caption(f"数据只有 {fmt.day(rng.first_day)} 一天,没有可选的分界日期。")
    else:
        pivot = pick.date_input(
            "分界日期(含当天算作“之后”)",
            value=rs.default_pivot(rng),
            min_value=bounds[0],
            max_value=bounds[1],
            format="YYYY-MM-DD",
            key="resp_pivot",
        )
    days = window_col.selectbox(
        "比较窗口",
        list(WINDOWS),
        index=list(WINDOWS).index(findings.BEFORE_AFTER_DAYS),
        format_func=WINDOWS.get,
        key="resp_window",
    )

queries = {
    "distribution": partial(data.distribution, src, f, measure, by),
    "stages": partial(data.stage_breakdown, src, f, by),
    "sla": partial(data.sla, src, f),
}
sides = data.sides(src, f, pivot, days) if pivot else None
if sides is not None:
    queries["before_after"] = partial(data.before_after, src, sides)
    queries["rank_tests"] = partial(data.rank_tests, src, sides)
data.prefetch(*queries.values())

with top_left:
    st.markdown(f"**{MEASURES[measure]} · 按{GROUPS[by]}**(箱体 25%–75%,须至 P10 与 P90)")
    dist = queries["distribution"]()
    if dist.empty:
        st.info(findings.NO_DURATIONS[measure])
    else:
        fig = charts.hours_boxes(dist.head(findings.RESPONSE_ROWS), MEASURES[measure], log)
        name = f"{MEASURES[measure][:4]}分布_按{GROUPS[by]}_{place}"
        st.plotly_chart(fig, config=charts.config(name), key="resp_dist")
        table = pd.DataFrame(
            {GROUPS[by]: dist["label"], "件数": dist["n"]}
            | {f"{k.upper()}(小时)": dist[k].round(2) for k in rs.QUANTILES}
        )
        downloads.buttons(table, name, "dl_dist")
with top_right:
    st.markdown(f"**各环节时长中位数 · 按{GROUPS[by]}**")
    stages = queries["stages"]()
    if stages.empty:
        st.info("所选范围内没有事件。")
    elif stages[list(rs.STAGE_METRICS)].isna().all().all():
        st.info("所选范围内没有走完任何一个环节的事件(受理、转办、处置、反馈都未记录)。")
    else:
        name = f"各环节时长_按{GROUPS[by]}_{place}"
        st.plotly_chart(
            charts.stage_bars(stages.head(findings.RESPONSE_ROWS)),
            config=charts.config(name),
            key="resp_stages",
        )
        table = pd.DataFrame(
            {GROUPS[by]: stages["label"]}
            | {m.label(k): stages[k].round(2) for k in rs.STAGE_METRICS}
        )
        downloads.buttons(table, name, "dl_stages")

with bottom_left:
    st.markdown("**承诺时限达成 · 按办理类型**(括号内为按时办结率)")
    compliance = queries["sla"]()
    if compliance.empty:
        st.info("所选范围内没有设定办结时限的事件。")
    else:
        config = charts.config(f"承诺时限达成_{place}")
        st.plotly_chart(charts.sla_bars(compliance), config=config, key="resp_sla")
        if compliance["handling_type"].isna().all():
            st.caption("数据没有记录办理类型:有时限的事件合为一行(未注明)。")
        table = pd.DataFrame(
            {
                "办理类型": compliance["handling_type"].map(
                    lambda h: labels.of("handling_type", h)
                ),
                "有时限事件": compliance["total"],
                **{charts.SLA_NAMES[s]: compliance[s] for s in rs.SLA_STATES},
                "按时办结率": compliance["on_time_rate"].map(fmt.rate),
            }
        )
        downloads.buttons(table, f"承诺时限达成_{place}", "dl_sla")

with bottom_right:
    if bounds is None:
        st.info("前后对比需要至少两天的数据。")
    elif sides is None:
        st.info("分界日期前后都需要有数据。")
    else:
        figures, tests = queries["before_after"](), queries["rank_tests"]()
        st.caption(
            f"之前:{fmt.period(sides.before.start, sides.before.end)};"
            f"之后:{fmt.period(sides.after.start, sides.after.end)}。范围与维度按左侧筛选。"
        )
        table = findings.before_after_table(figures)
        st.dataframe(table, hide_index=True, width="stretch")
        for key, test in tests.items():
            name, finding = findings.measure_name(key), findings.rank_test_finding(key, test)
            if test is None:
                st.caption(f"{name}:{finding}")
            else:
                st.markdown(f"- **{name}**:{finding}")
        downloads.buttons(table, f"前后对比_{pivot}_{place}", "dl_before_after")
