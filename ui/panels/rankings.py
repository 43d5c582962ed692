"""赛马比拼: streets, communities, grids or full-time grid workers ranked on a weighted score,
in four tiers, with the rank change against the period the sidebar compares with (同比: the
same months a year earlier; 环比: the preceding period of equal length) and a six-month
trend. Or, where targets are set, streets, communities or grids ranked by their 综合指数
(``analytics.score``; workers have no targets, so they are always ranked on the weights)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analytics import formats as fmt
from analytics import labels, metrics, rankings, score, targets
from ui import charts, data
from ui.context import Context
from ui.panel import Download, KeyFigure, Panel, Section, Table
from ui.panels import targets as targets_panel
from ui.sidebar import scope_label

TITLE = "赛马比拼"
CHART_ENDS = 15  # with more units, the score chart draws the first and last 15
SLIDE_ROWS = 10  # the ranking's first rows on its slide; all of them on the page
COUNTS = ("受理量", "经手事件", "巡查上报")
RATES, SCORE = "rates", "score"  # what units are ranked by (the page's 排名依据)
BASES = {RATES: "三率加权", SCORE: "综合指数"}


def names(ranked: pd.DataFrame, workers: bool) -> pd.Series:
    """Units by name; workers with where they work, 张*(龙湾街道 桂花社区 第1网格), since
    grids share names across communities."""
    shown = ranked["name"].fillna(fmt.MISSING)
    if workers:
        shown = shown + "(" + worker_grids(ranked) + ")"
    return shown


def worker_grids(df: pd.DataFrame) -> pd.Series:
    """Each worker's home grid named in full (``labels.grid_title``)."""
    return pd.Series(
        [
            labels.grid_title(s, c, g)
            for s, c, g in zip(
                df["street_name"], df["community_name"], df["grid_name"], strict=True
            )
        ],
        index=df.index,
        dtype=object,
    )


def bars(ranked: pd.DataFrame, workers: bool) -> pd.DataFrame:
    """The ranked units the score chart draws (all, or the first and last ``CHART_ENDS``),
    named by :func:`names`, with ``size`` (their events)."""
    drawn = ranked.assign(
        size=ranked["events"] if workers else ranked["intake"], name=names(ranked, workers)
    )
    if len(drawn) > 2 * CHART_ENDS:
        drawn = pd.concat([drawn.head(CHART_ENDS), drawn.tail(CHART_ENDS)])
    return drawn


def weights_formula(shares: dict[str, float], part_labels: dict[str, str]) -> str:
    """响应率×10% + 解决率×45% + …: the score's formula with the weights in use."""
    return " + ".join(
        f"{part_labels[p]}×{fmt.rate(share, 0)}" for p, share in shares.items() if share
    )


def unplaced_ranking(notes: dict, unit_title: str) -> str | None:
    """The note on events with no unit at the ranked level (``Ranking.notes``)."""
    if not notes.get("unplaced"):
        return None
    return (
        f"统计期内另有 {fmt.count(notes['unplaced'])} 件事件{notes['unplaced_name']},"
        f"不属于任何{unit_title},不参与排名。"
    )


def _percent(series: pd.Series) -> pd.Series:
    return (series * 100).round(1)


def ranked_table(ranking: rankings.Ranking, unit_title: str) -> pd.DataFrame:
    """The ranked units as shown and downloaded."""
    df, workers = ranking.ranked, ranking.level == rankings.WORKERS
    table = {"名次": df["rank"], "档次": df["tier"].map(rankings.tier_name)}
    if workers:
        table |= {
            "网格员": df["name"],
            "网格员编号": df["unit_id"],
            "网格": worker_grids(df),
        }
    else:
        table[unit_title] = df["name"]
        if ranking.level == "community_id":
            table["所属街道"] = df["street_name"]
    table["得分"] = df["score"]
    if ranking.previous is not None:
        table[change_column(ranking)] = _changes(df)
    if workers:
        table |= {
            "活跃度(件/月)": df["reports_per_month"].round(1),
            "活跃度得分(%)": _percent(df["activity"]),
            "办结率(%)": _percent(df["closure_rate"]),
            "信息完整度(%)": _percent(df["completeness"]),
            "经手事件": df["events"],
            "巡查上报": df["reports"],
        }
    else:
        table |= {f"{rankings.PART_LABELS[p]}(%)": _percent(df[p]) for p in rankings.UNIT_RATES}
        table["受理量"] = df["intake"]
    table["近6月名次"] = df["trend"].map(rankings.trend_text)
    return pd.DataFrame(table)


def slide_table(ranking: rankings.Ranking, unit_title: str) -> pd.DataFrame:
    """The ranking on its slide: place, tier, name, score, change and events."""
    df, workers = ranking.ranked, ranking.level == rankings.WORKERS
    table = {
        "名次": df["rank"].astype(str),
        "档次": df["tier"].map(rankings.tier_name),
        unit_title: names(df, workers),
        "得分": df["score"].map(lambda s: f"{s:.2f}"),
    }
    if ranking.previous is not None:
        table[change_column(ranking)] = _changes(df)
    table["经手事件" if workers else "受理量"] = (df["events"] if workers else df["intake"]).map(
        fmt.count
    )
    return pd.DataFrame(table)


def apart_table(ranking: rankings.Ranking, unit_title: str) -> pd.DataFrame:
    """The units not ranked, with why."""
    df = ranking.apart
    if ranking.level == rankings.WORKERS:
        table = {
            "网格员": df["name"],
            "网格员编号": df["unit_id"],
            "网格": worker_grids(df),
            "经手事件": df["events"],
        }
    else:
        table = {unit_title: df["name"]}
        if ranking.level == "community_id":
            table["所属街道"] = df["street_name"]
        table["受理量"] = df["intake"]
    table["原因"] = df["reason"]
    return pd.DataFrame(table)


def change_column(ranking: rankings.Ranking) -> str:
    """名次变化(同比) / 名次变化(环比): the column says what it compares with."""
    kind = labels.COMPARISON.get(ranking.compare or "")
    return f"名次变化({kind})" if kind else "名次变化"


def _changes(df: pd.DataFrame) -> list[str]:
    return [
        rankings.change_text(c, n) for c, n in zip(df["rank_change"], df["is_new"], strict=True)
    ]


def _formats(table: pd.DataFrame) -> dict[str, str]:
    """Scores with two decimals, percentages with one, counts with thousands separators."""
    formats = {}
    for column in table.columns:
        if column == "得分":
            formats[column] = "%.2f"
        elif column.endswith("(%)") or column == "活跃度(件/月)":
            formats[column] = "%.1f"
        elif column in COUNTS:
            formats[column] = "localized"
    return formats


def build(
    ctx: Context,
    level: str | None = None,
    weights: Mapping[str, float] | None = None,
    min_events: int | None = None,
    basis: str = RATES,
) -> Panel:
    """The ranking of ``level`` (the first the sidebar's scope offers) on ``weights`` (the
    defaults) with units of fewer than ``min_events`` events apart (the deployment's
    ``[rankings] min_events``); ``weights`` must pass ``rankings.weights_problem``. With
    ``basis`` SCORE, streets, communities or grids are ranked by their 综合指数 instead
    (:func:`score_basis` says whether it applies; where not, the weights rank them)."""
    src, f = ctx.src, ctx.filters
    levels = rankings.levels_below(f, src.scope)
    level = level or levels[0]
    workers = level == rankings.WORKERS
    weights = dict(weights or (rankings.WORKER_WEIGHTS if workers else rankings.UNIT_WEIGHTS))
    if min_events is None:
        min_events = data.settings()[0].ranking_min_events
    book = data.target_book() if basis == SCORE else targets.Book(())
    if basis == SCORE and score_basis(level, book) is None:
        return _score_panel(ctx, level, levels, book, int(min_events))
    key = tuple((part, float(w)) for part, w in weights.items())
    if workers:
        ranking = data.worker_ranking(src, f, key, int(min_events), ctx.compare)
    else:
        ranking = data.unit_ranking(src, f, level, key, int(min_events), ctx.compare)

    scope = scope_label(f, src)
    unit_title = labels.RANKING_LEVEL[level]
    name = f"赛马比拼_{unit_title}_{scope}_{f.start:%Y%m%d}-{f.end:%Y%m%d}"
    first, last = ranking.months[0], ranking.months[-1]
    months = f"{first.year}年{first.month}月至" + (
        f"{last.month}月" if first.year == last.year else f"{last.year}年{last.month}月"
    )
    apart = f"事件数少于 {fmt.count(ranking.min_events)} 件或缺少计分指标"
    own = None
    if not src.scope.whole and level == levels[0] and not workers:  # the viewer's peers
        own = rankings.standing(ranking, src.scope.unit_id, unit_title)
    parts = rankings.WORKER_PARTS if workers else rankings.UNIT_RATES
    descriptions = rankings.WORKER_DESCRIPTIONS if workers else rankings.UNIT_DESCRIPTIONS
    rules = ";".join(f"{rankings.PART_LABELS[p]}:{descriptions[p]}" for p in parts)
    sections = [
        _scores(ranking, weights, unit_title, apart, name),
        _ranked(ranking, unit_title, months, apart, own, fmt.plain(scope), name, f),
    ]
    if not ranking.apart.empty:
        sections.append(_apart(ranking, unit_title, apart, name))
    return Panel(
        TITLE, tuple(sections), f"口径:{rules}。" + ("网格员姓名已脱敏。" if workers else "")
    )


def _scores(ranking, weights, unit_title, apart, name) -> Section:
    ranked, workers = ranking.ranked, ranking.level == rankings.WORKERS
    drawn = bars(ranked, workers)
    figures = [
        KeyFigure(
            f"第{row.rank}名",
            shown,
            f"得分 {row.score:.2f} · {rankings.tier_name(row.tier)}"
            + (
                f" · 比{rankings.previous_name(ranking)} "
                f"{rankings.change_text(row.rank_change, row.is_new)}"
                if ranking.previous
                else ""
            ),
        )
        for row, shown in zip(
            ranked.head(3).itertuples(index=False), names(ranked.head(3), workers), strict=True
        )
    ]
    figures.append(KeyFigure("不参与排名", f"{len(ranking.apart)} 个", apart))
    notes = []
    if len(drawn) < len(ranked):
        notes.append(f"图中为前 {CHART_ENDS} 名和后 {CHART_ENDS} 名,完整名单见{unit_title}排名。")
    if workers:
        notes.append(
            "活跃度以参评专职网格员月均巡查上报的中位数"
            f"({fmt.number(ranking.notes.get('activity_median'))} 件/月)为满分线。"
        )
    formula = weights_formula(rankings.shares(weights), rankings.PART_LABELS)
    return Section(
        "scores",
        f"{unit_title}得分与档次",
        f"得分 = {formula}(百分制,保留两位小数);得分相同名次相同;按名次四等分为一档至四档,一档最好",
        chart=charts.score_bars(drawn, "经手事件" if workers else "受理量")
        if not ranked.empty
        else None,
        figures=tuple(figures),
        notes=tuple(notes),
        empty=f"所选范围和统计期内没有可参与排名的{unit_title}。",
        name=f"{name}_得分",
    )


def _ranked(ranking, unit_title, months, apart, own, place, name, f) -> Section:
    ranked = ranking.ranked
    before = rankings.previous_name(ranking)
    if ranking.previous:
        compared = f"名次变化对比{before}:{fmt.period(*ranking.previous)}"
    else:
        compared = f"名次变化:{ranking.previous_problem}"
    notes = [own] if own else []
    if not ranked.empty and ranking.apart.empty:
        notes.append(f"{apart}的{unit_title}单列,不参与排名;所选范围内的{unit_title}均参与排名。")
    unplaced = unplaced_ranking(ranking.notes, unit_title)
    if unplaced:
        notes.append(f"{unplaced}它们计入{place}的合计。")
    if ranked.empty and ranking.apart.empty:
        empty = f"所选范围内没有{unit_title}。"
    else:
        empty = f"所选范围和统计期内没有可参与排名的{unit_title},原因见不参与排名名单。"
    table = ranked_table(ranking, unit_title)
    shown = Table(
        table,
        height=min(560, 35 * len(table) + 38),
        slide_rows=SLIDE_ROWS,
        slide=slide_table(ranking, unit_title),
        formats=_formats(table),
        help={
            "得分": "百分制,越高越好",
            change_column(ranking): f"与{before}"
            + (f"({fmt.period(*ranking.previous)})" if ranking.previous else "")
            + f"相比:↑ 上升、↓ 下降、— 名次不变、新进 = {before}未参与排名",
            "近6月名次": f"{months}各月名次,从左到右;1 为第一名,— 为该月未参与排名",
        },
    )
    return Section(
        "ranked",
        f"{unit_title}排名(参与排名 {len(ranked)} 个,不参与 {len(ranking.apart)} 个)",
        f"统计期:{fmt.period(f.start, f.end)} · {compared} · 名次走势:{months}",
        tables=(shown,) if not ranked.empty else (),
        notes=tuple(notes),
        empty=empty,
        hint=""
        if ranking.level == rankings.WORKERS
        else "如需只按 12345 热线考核,可在左侧「更多筛选 · 来源渠道」中选择。",
        name=name,
        download=Download(table, name, key="rk_dl_ranked") if not ranked.empty else None,
    )


def _apart(ranking, unit_title, apart, name) -> Section:
    table = apart_table(ranking, unit_title)
    return Section(
        "apart",
        f"不参与排名({len(table)} 个)",
        f"{apart}的{unit_title}单列,不参与排名",
        tables=(Table(table, formats=_formats(table)),),
        name=f"{name}_不参与排名",
        download=Download(table, f"{name}_不参与排名", key="rk_dl_apart"),
    )


# ---------------------------------------------------------------- by 综合指数


def score_basis(level: str, book: targets.Book) -> str | None:
    """Why ``level`` cannot be ranked by 综合指数 (None when it can): no target is set, or
    the level is the workers, who have no targets."""
    if not book:
        return "尚未设定目标值,不能按综合指数排名(管理员在「目标管理」页设定目标后可用)。"
    if level == rankings.WORKERS:
        return "专职网格员没有目标值,不能按综合指数排名,已按三率加权排名。"
    return None


def score_weights_text(weights, book: targets.Book) -> str:
    """The 综合指数's weights as users read them: 办结率 2 · 满意率 1, or 各项权重相同."""
    used = [(m, score.weight_of(m, weights)) for m in book.metrics]
    if len({w for _, w in used}) <= 1:
        return "各项指标权重相同"
    return "权重:" + " · ".join(f"{metrics.label(m)} {w:g}" for m, w in used)


def score_table(
    scored: pd.DataFrame,
    book: targets.Book,
    parents: Mapping[str, str | None],
    unit_title: str,
    names: Mapping[str, str],
    streets: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Ranked units (``score.unit_scores`` rows with a rank) as shown and downloaded: 名次,
    the unit, its 综合指数 and status, 达标项数 (met/total), 未达标项 with their gaps, 受理量
    and each targeted metric's value."""
    table = {"名次": scored["rank"].astype("int64"), unit_title: _named(scored, names)}
    if streets is not None:
        table["所属街道"] = [streets.get(u) for u in scored["unit_id"]]
    table |= {
        "综合指数": scored["score"].map(score.score_text),
        "状态": [targets.STATUS_LABELS.get(score.status(x), fmt.MISSING) for x in scored["score"]],
        "达标项数": [f"{m}/{t}" for m, t in zip(scored["met"], scored["total"], strict=True)],
        "未达标项": [_misses(row, book, parents) for _, row in scored.iterrows()],
        "受理量": scored["intake"],
    }
    for metric in book.metrics:
        table[metrics.label(metric)] = [fmt.value(metric, v) for v in scored[metric]]
    return pd.DataFrame(table)


def _named(df: pd.DataFrame, names: Mapping[str, str]) -> list[str]:
    return [names.get(u) or u for u in df["unit_id"]]


def _misses(row: pd.Series, book: targets.Book, parents: Mapping[str, str | None]) -> str:
    """The unit's metrics short of their targets: 办结率 差 15.0 个百分点(预警);— when none."""
    out = []
    for metric in book.metrics:
        t = book.for_unit(metric, row["unit_id"], parents)
        judged = targets.status(row[metric], t)
        if judged in ("amber", "red"):
            gap = targets.gap_text(metric, targets.gap(row[metric], t))
            out.append(f"{metrics.label(metric)} {gap}({targets.STATUS_LABELS[judged]})")
    return ";".join(out) or fmt.MISSING


def score_apart_table(
    scored: pd.DataFrame,
    unit_title: str,
    names: Mapping[str, str],
    min_events: int,
    streets: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The units not ranked by 综合指数, with why: too few events, or no figure to compare
    with a target."""
    table = {unit_title: _named(scored, names)}
    if streets is not None:
        table["所属街道"] = [streets.get(u) for u in scored["unit_id"]]
    table["受理量"] = scored["intake"]
    table["综合指数"] = scored["score"].map(score.score_text)
    table["原因"] = [
        f"事件数不足:{n} 件,少于 {min_events} 件" if n < min_events else "没有可与目标比较的指标"
        for n in scored["intake"]
    ]
    return pd.DataFrame(table)


def _target_help(metric: str, book: targets.Book, units, parents) -> str:
    """A metric column's help: the one target all shown units have, or that they differ."""
    found = {book.for_unit(metric, u, parents) for u in units}
    label = metrics.label(metric)
    if len(found) == 1:
        return f"{label}(统计期);目标 {targets.describe(found.pop())}"
    return f"{label}(统计期);各单位目标不同:单位自设的目标优先于上级的"


def _tone(x: float) -> str:
    """A key figure's note in green for a score on target, red below it (as the overview)."""
    return {"green": "good", "amber": "bad", "red": "bad"}.get(score.status(x) or "", "")


def _score_figures(ranked: pd.DataFrame, names, unit_title: str, apart: int, why: str):
    figures = []
    if not ranked.empty:
        for label, row in (("综合指数最高", ranked.iloc[0]), ("综合指数最低", ranked.iloc[-1])):
            figures.append(
                KeyFigure(
                    label,
                    names.get(row["unit_id"]) or row["unit_id"],
                    f"{score.score_text(row['score'])} · {row['met']}/{row['total']} 项达标",
                    _tone(row["score"]),
                )
            )
        met = int((ranked["score"].round(score.SCORE_DIGITS) >= 1).sum())
        figures.append(
            KeyFigure("综合指数 ≥ 1.00", f"{met} 个", f"参与排名的 {len(ranked)} 个{unit_title}中")
        )
    figures.append(KeyFigure("不参与排名", f"{apart} 个", why))
    return tuple(figures)


def _score_panel(ctx, level, levels, book, min_events) -> Panel:
    src, f = ctx.src, ctx.filters
    settings = data.settings()[0]
    cap, score_weights = settings.score_cap, settings.score_weights
    scored = data.unit_scores(src, f, level, book, score_weights, cap, min_events)
    parents = data.parents(src)
    names = dict(zip(scored["unit_id"], scored["name"], strict=True))
    streets = (
        dict(zip(scored["unit_id"], scored["street_name"], strict=True))
        if level == "community_id"
        else None
    )
    ranked = scored[scored["rank"].notna()].reset_index(drop=True)
    apart = scored[scored["rank"].isna()].reset_index(drop=True)

    scope = scope_label(f, src)
    unit_title = labels.RANKING_LEVEL[level]
    name = f"赛马比拼_综合指数_{unit_title}_{scope}_{f.start:%Y%m%d}-{f.end:%Y%m%d}"
    why = f"事件数少于 {fmt.count(min_events)} 件或没有可与目标比较的指标"
    about = targets_panel.SCORE_ABOUT.format(cap=cap)
    weighed = score_weights_text(score_weights, book)
    notes = []
    if not src.scope.whole and level == levels[0]:  # the viewer's place among its peers
        own = scored[scored["unit_id"] == src.scope.unit_id]
        if not own.empty:
            r = own.iloc[0]
            named = names.get(r["unit_id"]) or r["unit_id"]
            if pd.isna(r["rank"]):
                notes.append(f"{named}本期不参与排名:{why}。")
            else:
                notes.append(
                    f"{named}在 {len(ranked)} 个{unit_title}中排第 {int(r['rank'])} 名"
                    f"(综合指数 {score.score_text(r['score'])})。"
                )
    if not ranked.empty and apart.empty:
        notes.append(f"{why}的{unit_title}单列,不参与排名;所选范围内的{unit_title}均参与排名。")
    table = score_table(ranked, book, parents, unit_title, names, streets)
    units = list(scored["unit_id"])
    shown = Table(
        table,
        height=min(560, 35 * len(table) + 38),
        slide_rows=SLIDE_ROWS,
        formats=_formats(table),
        status="状态",
        help={
            "综合指数": f"{about};两位小数相同的名次相同",
            "状态": f"综合指数 ≥ 1.00 达标,{score.AMBER_FROM:.2f}–1.00 预警,"
            f"低于 {score.AMBER_FROM:.2f} 未达标",
            "达标项数": "达到目标的指标数 / 有目标且有数据的指标数",
            "未达标项": "未达到目标的指标与目标的差距(预警:在预警线以内)",
        }
        | {metrics.label(m): _target_help(m, book, units, parents) for m in book.metrics},
    )
    if ranked.empty and apart.empty:
        empty = f"所选范围内没有{unit_title}。"
    else:
        empty = f"所选范围和统计期内没有可参与排名的{unit_title},原因见不参与排名名单。"
    sections = [
        Section(
            "ranked",
            f"{unit_title}综合指数排名(参与排名 {len(ranked)} 个,不参与 {len(apart)} 个)",
            f"统计期:{fmt.period(f.start, f.end)} · {about} · {weighed}",
            tables=(shown,) if not ranked.empty else (),
            figures=_score_figures(ranked, names, unit_title, len(apart), why),
            notes=tuple(notes),
            empty=empty,
            name=name,
            download=Download(table, name, key="rk_dl_ranked") if not ranked.empty else None,
        )
    ]
    if not apart.empty:
        gone = score_apart_table(apart, unit_title, names, min_events, streets)
        sections.append(
            Section(
                "apart",
                f"不参与排名({len(gone)} 个)",
                f"{why}的{unit_title}单列,不参与排名",
                tables=(Table(gone, formats=_formats(gone)),),
                name=f"{name}_不参与排名",
                download=Download(gone, f"{name}_不参与排名", key="rk_dl_apart"),
            )
        )
    return Panel(
        TITLE,
        tuple(sections),
        "口径:综合指数按各单位自己的目标计算(单位自设的目标优先于上级的;积压、超期等件数目标"
        "只对设定它的单位有效);受理量不设目标,只作参考。",
    )
