"""Charts that do not mislead: red only for worse, bar axes from zero, whole events with
thousands separators, partial buckets marked, calendar notes drawn as plain text."""

from __future__ import annotations

import colorsys
from datetime import date

import pandas as pd

from ui import charts


def _hue(colour: str) -> tuple[float, float]:
    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    return h * 360, s


def _warm_or_green(colour: str) -> bool:
    """Red, orange or green enough to be read as bad or good."""
    hue, saturation = _hue(colour)
    return saturation > 0.25 and (hue < 50 or hue > 330 or 80 < hue < 160)


def test_series_colours_carry_no_good_or_bad_meaning():
    palettes = {
        "event types": list(charts.EVENT_TYPE_COLORS.values()),
        "categories": charts.CATEGORY_COLORS,
        "units": charts.UNIT_COLORS,
        "levels": list(charts.LEVEL_COLORS.values()),
        "stages": list(charts.STAGE_COLORS.values()),
        "tiers": list(charts.TIER_COLORS.values()),  # a rank's quarter is not a verdict
    }
    for name, colours in palettes.items():
        assert not [c for c in colours if _warm_or_green(c)], name
    assert _warm_or_green(charts.WORSE) and _warm_or_green(charts.BETTER)


def _trend(freq: str = "week") -> pd.DataFrame:
    buckets = pd.date_range("2025-12-29", periods=5, freq="W-MON")
    rows = []
    for group, base in (("complaint", 1200), ("petition", 300)):
        for i, bucket in enumerate(buckets):
            rows.append(
                {
                    "bucket": bucket,
                    "group": group,
                    "period": "current",
                    "intake": base // 2 if i in (0, 4) else base + i,
                    "partial": i in (0, 4),
                    "moving_avg": None if i in (0, 4) else base + i - 0.5,
                }
            )
    return pd.DataFrame(rows)


def test_partial_buckets_are_drawn_apart_and_counts_are_whole():
    df = _trend()
    stacked = charts.intake_by_type(df, "week", stacked=True, previous=False, moving=True)
    bars = [t for t in stacked.data if t.type == "bar"]
    hatched = [t for t in bars if t.marker.pattern.shape == "/"]
    assert {len(t.x) for t in hatched} == {2} and all(t.marker.opacity < 1 for t in hatched)
    assert all("不完整周期" in t.hovertemplate for t in hatched)
    assert [t.showlegend for t in hatched] == [False, False]  # the legend shows whole bars
    assert any(t.name == charts.PARTIAL for t in stacked.data)  # 不完整周期 in the legend
    assert len(stacked.layout.shapes) == 2  # a grey band over each partial week
    moving = next(t for t in stacked.data if t.name == "合计(移动平均)")
    assert ",.0f" in moving.hovertemplate  # no "6206.5 件"
    assert stacked.layout.yaxis.tickformat == ",d" and stacked.layout.separators == ".,"

    lines = charts.intake_by_type(df, "week", stacked=False, previous=False, moving=False)
    main = next(t for t in lines.data if t.name == "投诉")
    assert pd.isna(main.y[0]) and pd.isna(main.y[4]) and main.y[1] == 1201
    stub = next(t for t in lines.data if t.name == "投诉(不完整周期)")
    assert stub.line.dash == "dash" and not pd.isna(stub.y[0]) and pd.isna(stub.y[2])


def test_bar_axes_start_at_zero():
    ranks = pd.DataFrame(
        {
            "name": ["甲", "乙"],
            "rank": [1, 2],
            "closure_rate": [0.995, 0.977],
            "on_time_rate": [0.97, 0.95],
            "closure_rate_change": [0.001, -0.002],
            "on_time_rate_change": [0.0, 0.01],
            "intake": [1200, 900],
        }
    )
    assert charts.rate_ranking(ranks, "name").layout.xaxis.range[0] == 0
    scores = pd.DataFrame(
        {
            "unit_id": ["S01", "S02"],
            "name": ["甲", "乙"],
            "score": [92.0, 88.0],
            "rank": [1, 2],
            "tier": [1, 2],
            "size": [10, 12],
        }
    )
    assert charts.score_bars(scores).layout.xaxis.range[0] == 0


def test_a_fall_is_not_red():
    rising = pd.DataFrame(
        {
            "category": ["噪音扰民", "物业管理"],
            "intake": [130, 80],
            "intake_prev": [100, 100],
            "change": [0.3, -0.2],
        }
    )
    fig = charts.rising_bars(rising)
    colours = dict(zip(fig.data[0].y, fig.data[0].marker.color, strict=True))
    assert colours["噪音扰民"] == charts.WORSE and colours["物业管理"] != charts.WORSE


def _notes(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"day": d, "end": e, "title": t, "detail": x, "unit_id": None, "kind": k}
            for d, e, t, x, k in rows
        ]
    )


def test_notes_are_plain_text_markers_that_do_not_overlap():
    fig = charts.intake_by_type(_trend(), "week", stacked=True, previous=False, moving=False)
    notes = _notes(
        [
            (
                date(2026, 1, 5),
                date(2026, 1, 5),
                '<a href="http://x">点我</a>',
                "<b>详情</b>",
                "note",
            ),
            (date(2026, 1, 7), date(2026, 1, 7), "接诉即办改革", "", "note"),
            (date(2025, 12, 31), date(2026, 1, 6), "春节", "假期", "holiday"),
        ]
    )
    charts.mark_dates(fig, notes, width_px=600)
    texts = [a.text for a in fig.layout.annotations]
    assert "<a" not in "".join(texts) and any("&lt;a href" in t for t in texts)
    assert all("<b>" not in (a.hovertext or "") for a in fig.layout.annotations)
    assert any("&lt;b&gt;详情" in (a.hovertext or "") for a in fig.layout.annotations)
    # By day: 春节 (31 Dec) and the 5 January note share the top row, the 7 January label
    # would overlap the 5 January one on a 600 px chart of five weeks, so it steps down.
    assert [a.y for a in fig.layout.annotations] == [1.0, 1.0, 0.92]
    kinds = [s.type for s in fig.layout.shapes]
    assert kinds.count("line") == 2 and kinds.count("rect") == 1 + 2  # band + partial weeks
    far = _notes([(date(2030, 1, 1), date(2030, 1, 1), "很久以后", "", "note")])
    assert not charts.mark_dates(go_copy(fig), far).layout.annotations[3:]


def go_copy(fig):
    import plotly.graph_objects as go

    return go.Figure(fig)


def test_a_note_inside_the_last_bucket_is_marked():
    """The axis runs to the end of the last bucket (its own days); a note dated inside that
    bucket, after the day that names it, is on the chart and is marked."""
    fig = charts.intake_by_type(_trend(), "week", stacked=True, previous=False, moving=False)
    last = pd.Timestamp(
        max(max(pd.to_datetime(pd.Series(t.x))) for t in fig.data if t.x is not None)
    )
    inside = (last + pd.Timedelta(days=3)).date()
    after = (last + pd.Timedelta(days=7)).date()
    notes = _notes([(inside, inside, "最后一周", "", "note"), (after, after, "下一周", "", "note")])
    charts.mark_dates(fig, notes)
    assert [a.text for a in fig.layout.annotations] == ["最后一周"]


def _every_chart() -> dict:
    """Each chart builder on a small frame (both modes of those that have two)."""
    from analytics import scales

    trend = _trend()
    both = pd.concat([trend, trend.assign(period="previous")], ignore_index=True)
    buckets = pd.date_range("2026-01-01", periods=4, freq="MS")
    monthly = pd.DataFrame({"bucket": buckets, "intake": [40.0, 42.0, 90.0, 41.0]})
    judged = monthly.assign(baseline=41.0, threshold=60.0)
    categories = pd.DataFrame(
        {"category": ["噪音扰民", "物业管理"], "intake": [130, 80], "intake_prev": [100, 100]}
    ).assign(change=[0.3, -0.2])
    units = trend.rename(columns={"group": "unit_id"}).assign(households=800, density=1.5)
    hours = pd.DataFrame(
        {"label": ["甲", "乙"], "n": [30, 12], "p10": [0.2, 0.5], "p25": [0.5, 1.0]}
    ).assign(p50=[1.0, 2.0], p75=[2.0, 4.0], p90=[5.0, 9.0])
    stages = pd.DataFrame({"label": ["甲"], **{m: [1.5] for m in charts.STAGE_COLORS}})
    sla = pd.DataFrame(
        {"handling_type": ["immediate"], "total": [10], "on_time": [6], "late": [2]}
    ).assign(open_overdue=1, open_due=1, on_time_rate=0.75)
    ranks = pd.DataFrame(
        {"name": ["甲", "乙"], "rank": [1, 2], "closure_rate": [0.99, 0.97], "intake": [12, 9]}
    ).assign(on_time_rate=0.9, closure_rate_change=0.01, on_time_rate_change=None)
    scores = pd.DataFrame(
        {"unit_id": ["S01", "S02"], "name": ["甲", "乙"], "score": [92.0, 88.0], "rank": [1, 2]}
    ).assign(tier=[1, 2], size=[10, 12])
    square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    outlines = pd.DataFrame(
        {"level": ["street"], "unit_id": ["S01"], "name": ["甲街道"], "paths": [square]}
    ).assign(label_lon=0.5, label_lat=0.5)
    notes = _notes([(date(2026, 1, 5), date(2026, 1, 5), "改革", "", "note")])
    return {
        "intake_trend": charts.intake_trend(both, freq="week", title="受理趋势"),
        "category_bars": charts.category_bars(categories),
        "backlog_bars": charts.backlog_bars(
            pd.DataFrame({"bucket": ["le_1d", "gt_30d"], "backlog": [5, 3], "overdue": [1, 0]})
        ),
        "stacked": charts.mark_dates(
            charts.intake_by_type(both, "week", stacked=True, previous=True, moving=True), notes
        ),
        "lines": charts.intake_by_type(both, "week", stacked=False, previous=True, moving=True),
        "category_area": charts.category_area(trend, "week"),
        "rising_bars": charts.rising_bars(categories),
        "spike_chart": charts.spike_chart(
            judged, monthly.tail(2).assign(rise=[1.2, None]), "month"
        ),
        "unit_lines": charts.unit_lines(units, {"complaint": "甲"}, "week"),
        "rate_ranking": charts.rate_ranking(ranks, "name"),
        "lifecycle_funnel": charts.lifecycle_funnel(
            pd.DataFrame({"name": ["上报", "受理"], "reached": [10, 9], "dropped": [0, 1]})
        ),
        "level_shares": charts.level_shares(
            pd.DataFrame({"bucket": buckets[:2], "level": "grid", "share": 0.5, "closed": 3}),
            "month",
        ),
        "hours_boxes": charts.hours_boxes(hours, "响应时长"),
        "stage_bars": charts.stage_bars(stages),
        "sla_bars": charts.sla_bars(sla),
        "households_histogram": charts.households_histogram(
            pd.Series([300, 500]), pd.Series([400, 410])
        ),
        "backtest_scatter": charts.backtest_scatter(
            pd.DataFrame({"grid_id": ["G1"], "median_hours": [1.0]}).assign(
                predicted_median_hours=1.2
            )
        ),
        "area_map": charts.area_map(
            [square, []], [3, None], scales.for_metric("intake", [3, 5]), outlines
        ),
        "score_bars": charts.score_bars(scores),
    }


def _without_empty(value):
    """``value`` without empty objects ({} is every plotly object's default)."""
    if isinstance(value, dict):
        kept = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def test_every_chart_is_what_plotly_makes_of_it_with_validation():
    """Figures are written as dicts and not validated property by property: plotly's
    validators accept every one of them and change nothing the browser gets."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    for name, fig in _every_chart().items():
        validated = go.Figure(fig.to_dict())  # raises on a property plotly does not know
        sent, checked = (json.loads(pio.to_json(f, validate=False)) for f in (fig, validated))
        assert _without_empty(sent) == _without_empty(checked), name


def test_every_chart_is_sent_as_plotly_converts_it_and_stays_as_built():
    """``layout.AsBuilt`` makes plotly's spec (arrays as base64) in one walk of its own: for
    every chart the same JSON as plotly's ``convert_to_base64`` on a copy, and the built
    figure, which may be cached and shared, unchanged."""
    import copy
    import json

    import plotly.io as pio
    from _plotly_utils.utils import convert_to_base64

    from ui.layout import AsBuilt

    for name, fig in _every_chart().items():
        before = pio.to_json(fig, validate=False)
        plotly_way = copy.deepcopy({"data": fig._data, "layout": fig._layout})
        convert_to_base64(plotly_way)
        sent = AsBuilt(fig, height=321).to_dict()
        plotly_way["layout"]["height"] = 321
        assert pio.to_json(sent, validate=False) == pio.to_json(plotly_way, validate=False), name
        assert json.loads(pio.to_json(sent, validate=False))["layout"]["height"] == 321
        assert pio.to_json(fig, validate=False) == before, name


def test_a_chart_reaches_the_page_as_plotly_would_send_it():
    """``layout.AsBuilt`` skips plotly's deep copy; what Streamlit serialises is the same."""
    import plotly.io as pio
    from plotly.tools import return_figure_from_figure_or_data

    from ui.layout import AsBuilt

    fig = charts.category_bars(
        pd.DataFrame(
            {"category": ["噪音扰民", "占道经营"], "intake": [120, 80], "change": [0.2, None]}
        )
    )
    sent = return_figure_from_figure_or_data(AsBuilt(fig), validate_figure=True)
    assert pio.to_json(sent, validate=False) == pio.to_json(fig.to_dict(), validate=False)
    assert "噪音扰民" in sent["data"][0]["y"].tolist()
