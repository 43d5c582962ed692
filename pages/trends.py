"""投诉信访趋势: intake over time by type and category, spikes and their drivers, units side
by side per 1,000 households. Every chart offers its data as CSV and Excel."""

from functools import partial

import pandas as pd
import streamlit as st

from analytics import formats as fmt
from analytics import labels
from analytics import metrics as m
from analytics import queries as q
from analytics import trends as tr
from ui import charts, data, downloads, findings
from ui.context import current
from ui.sidebar import scope_label

FREQS = {"day": "日", "week": "周", "month": "月"}

ctx = current()
src, f, compare = ctx.src, ctx.filters, ctx.compare
rng = data.data_range(src)
has_comparison = q.comparable(f, "yoy", rng)
place = fmt.plain(scope_label(f, src))

st.subheader(f"投诉信访趋势 · {place}", anchor=False)
st.caption(
    f"统计期:{fmt.period(f.start, f.end)} · 受理量按上报时间计 · 数据截至 {fmt.moment(rng.as_of)}"
)

freq_col, mode_col, prev_col, ma_col = st.columns([1.2, 1.2, 1, 1])
freq = (
    freq_col.segmented_control(
        "时间粒度",
        list(FREQS),
        format_func=FREQS.get,
        default=findings.TREND_FREQ,
        key="trend_freq",
    )
    or "week"
)
mode = (
    mode_col.segmented_control(
        "显示方式",
        ["stacked", "split"],
        format_func={"stacked": "堆叠", "split": "分列"}.get,
        default="stacked",
        key="trend_mode",
    )
    or "stacked"
)
previous = (
    prev_col.toggle(
        "叠加上年同期",
        value=True,
        key="trend_previous",
        disabled=not has_comparison,
        help=None if has_comparison else q.comparison_problem(f, "yoy", rng),
    )
    and has_comparison
)
moving = ma_col.toggle(
    "移动平均",
    value=False,
    key="trend_moving",
    help=f"按日为近 {tr.MOVING_WINDOW['day']} 天、按周为近 {tr.MOVING_WINDOW['week']} 周、"
    f"按月为近 {tr.MOVING_WINDOW['month']} 个月的平均",
)

types_section, categories_section, spikes_section, units_section = (
    st.container(),
    st.container(),
    st.container(),
    st.container(),
)
names = data.unit_names(src)
placement = data.placement(src, f)
with units_section:  # its choice of units first: every query is known before any runs
    st.markdown(f"**单位对比 · 每千户事件数(件/{FREQS[freq]})**")
    units = data.org_units(src)
    grid_ids = data.grid_reference(src)["grid_id"]
    options = {
        unit: f"{names[unit]}({labels.UNIT_LEVEL[level]})"
        for level, ids in (
            ("street", units.loc[units.level == "street", "unit_id"]),
            ("community", units.loc[units.level == "community", "unit_id"]),
            ("grid", grid_ids),
        )
        for unit in ids
    }
    default = list(units.loc[units.level == "street", "unit_id"])[: findings.COMPARED_STREETS]
    chosen = st.multiselect(
        "选择要对比的单位(最多 4 个:街道、社区或网格)",
        list(options),
        default=default,
        format_func=lambda u: options[u],
        max_selections=4,
        key="trend_units",
        placeholder="选择街道、社区或网格",
    )

spike_freq = "week" if freq == "month" else freq  # a month is too coarse to see a spike
queries = {
    "types": partial(data.type_trend, src, f, freq, "yoy" if previous else None),
    "categories": partial(data.category_trend, src, f, freq),
    "rising": partial(data.rising_categories, src, f, "yoy") if has_comparison else pd.DataFrame,
    "spikes": partial(data.spikes, src, f, spike_freq),
    "units": partial(data.unit_comparison, src, f, tuple(chosen), freq) if chosen else None,
}
data.prefetch(*(q for q in queries.values() if q is not None))

# ---------------------------------------------------------------- by event type
with types_section:
    st.markdown(f"**受理量 · 按事件类型(件/{FREQS[freq]})**")
    by_type = queries["types"]()
    if by_type.empty:
        st.info("所选范围内没有事件。")
    else:
        fig = charts.intake_by_type(by_type, freq, mode == "stacked", previous, moving)
        config = charts.config(f"受理量按事件类型_{place}")
        st.plotly_chart(fig, config=config, key="trend_types")
        table = by_type.assign(
            时间=by_type["bucket"].dt.date,
            时期=by_type["period"].map(labels.PERIOD_TAG),
            事件类型=by_type["group"].map(lambda g: labels.EVENT_TYPE.get(g, g)),
        ).rename(columns={"intake": "受理量", "moving_avg": "移动平均"})
        downloads.buttons(
            table[["时期", "时间", "事件类型", "受理量", "移动平均"]],
            f"受理量按事件类型_{place}",
            "dl_types",
        )

# ---------------------------------------------------------------- categories
with categories_section:
    left, right = st.columns([1.4, 1], gap="medium")
    with left:
        st.markdown(f"**业务类别构成(前 8 类,件/{FREQS[freq]})**")
        cats = queries["categories"]()
        if cats.empty:
            st.info("所选范围内没有事件。")
        else:
            config = charts.config(f"业务类别构成_{place}")
            st.plotly_chart(charts.category_area(cats, freq), config=config, key="trend_categories")
            table = cats.assign(时间=cats["bucket"].dt.date).rename(
                columns={"group": "业务类别", "intake": "受理量"}
            )
            downloads.buttons(
                table[["时间", "业务类别", "受理量"]], f"业务类别构成_{place}", "dl_cats"
            )
    with right:
        st.markdown("**同比上升最快的类别**")
        rising = queries["rising"]()
        if not has_comparison:
            st.info(q.comparison_problem(f, "yoy", rng) or "没有上年同期数据。")
        elif rising.empty:
            st.info(f"没有同比上升的类别(两期均需至少 {m.MIN_EVENTS_TO_COMPARE} 件才比较)。")
        else:
            config = charts.config(f"同比上升类别_{place}")
            st.plotly_chart(charts.rising_bars(rising), config=config, key="trend_rising")
            table = rising.rename(
                columns={"category": "业务类别", "intake": "本期", "intake_prev": "上年同期"}
            ).assign(同比=rising["change"].map(lambda c: fmt.change("intake", c)))
            downloads.buttons(
                table[["业务类别", "本期", "上年同期", "同比"]],
                f"同比上升类别_{place}",
                "dl_rising",
            )

# ---------------------------------------------------------------- spikes
with spikes_section:
    window = tr.SPIKE_WINDOW[spike_freq]
    st.markdown(f"**异常峰值(按{FREQS[spike_freq]})**")
    st.caption(
        f"某{FREQS[spike_freq]}受理量高于其前 {window} {FREQS[spike_freq]}的中位数"
        f" + {tr.SPIKE_K:g} 倍稳健标准差(1.4826 × 中位数绝对偏差),且至少多出 "
        f"{tr.SPIKE_MIN_EXCESS} 件,即标为异常;“主要类别/网格”是当{FREQS[spike_freq]}"
        "比各自前期中位数增加最多的类别和网格。"
    )
    judged, found = queries["spikes"]()
    chart_col, list_col = st.columns([1.4, 1], gap="medium")
    with chart_col:
        if judged.empty:
            st.info(
                f"无法判断异常:每{FREQS[spike_freq]}须与其前 {window} {FREQS[spike_freq]}比较,"
                f"数据从 {fmt.day(rng.first_day)} 开始,统计期内还没有哪一{FREQS[spike_freq]}"
                "之前有这么长的数据。"
            )
        else:
            fig = charts.spike_chart(judged, found, spike_freq)
            config = charts.config(f"异常峰值_{place}")
            st.plotly_chart(fig, config=config, key="trend_spikes")
    with list_col:
        if judged.empty:
            pass
        elif found.empty:
            st.success("统计期内没有异常峰值。", icon=":material/check_circle:")
        else:
            table = pd.DataFrame(
                {
                    "时间": found["bucket"].dt.date,
                    "受理量": found["intake"].astype(int),
                    "基线": found["baseline"].round(1),
                    "多出": found["excess"].round(1),
                    "主要类别": found["categories"].map(findings.drivers),
                    "主要网格": found["grids"].map(lambda g: findings.drivers(g, names)),
                }
            )
            st.dataframe(
                table, hide_index=True, width="stretch", height=min(260, 38 + 35 * len(table))
            )
            downloads.buttons(table, f"异常峰值_{place}", "dl_spikes")
            if placement["no_grid"]:
                st.caption("未落到网格的事件计入受理量和主要类别,不计入主要网格。")

# ---------------------------------------------------------------- units side by side
with units_section:
    compared = queries["units"]() if chosen else None
    if compared is None:
        st.info("请选择要对比的单位。")
    elif compared["intake"].sum() == 0:
        st.info(findings.UNITS_WITHOUT_EVENTS)
    else:
        chosen_names = {u: options[u] for u in chosen}
        per_households = compared["density"].notna().any()
        if not per_households:
            st.info(findings.UNITS_WITHOUT_HOUSEHOLDS)
        st.plotly_chart(
            charts.unit_lines(compared, chosen_names, freq, per_households=per_households),
            config=charts.config(f"单位对比_{place}"),
            key="trend_units_chart",
        )
        table = pd.DataFrame(
            {
                "单位": compared["unit_id"].map(chosen_names),
                "时间": compared["bucket"].dt.date,
                "受理量": compared["intake"],
                "户数": compared["households"],
                "每千户事件数": compared["density"].round(2),
            }
        )
        downloads.buttons(table, f"单位对比_{place}", "dl_units")
    unplaced = [
        f"{fmt.count(placement[key])} 件{what}"
        for key, what in (("no_street", "未指定街道"), ("no_grid", "未落到网格"))
        if placement[key]
    ]
    if unplaced:
        st.caption(f"统计期内 {'、'.join(unplaced)}:计入全区数字,不在相应单位的对比中。")
