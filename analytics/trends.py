"""投诉信访趋势: intake over time, category shifts, spikes and side-by-side units.

Every figure is a count of events by ``reported_at`` (受理量, metrics.md) in some grouping;
the series come from :func:`analytics.queries.intake_trend`, so they equal the overview's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import ibis
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from analytics import metrics
from analytics.filters import Filters, apply_scope, in_period, shift_back
from analytics.queries import (
    FREQUENCIES,
    DataRange,
    EventCounts,
    count_parts,
    intake_trend,
    largest_categories,
    metric_table,
    metric_table_from,
)

MOVING_WINDOW = {"day": 7, "week": 4, "month": 3}  # buckets in a moving average
SPIKE_WINDOW = {"day": 28, "week": 8, "month": 6}  # trailing buckets a spike is judged against
SPIKE_K = 3.0  # how many robust standard deviations (1.4826 × MAD) above the median
SPIKE_MIN_EXCESS = 10  # and at least this many events above it: no spikes of 3 against 1
# And at least this much above it, relatively: a long steady series has a tiny spread, so the
# statistical test alone flags a week 1.7 % above its baseline, which no one in a meeting
# would call a surge; a fifth more is a rise worth asking about.
SPIKE_MIN_RISE = 0.20
MAD_TO_SD = 1.4826
OTHER = "其他"


def moving_average(series: pd.DataFrame, freq: str) -> pd.DataFrame:
    """``series`` (bucket, group, intake, period) with ``moving_avg``: the trailing mean of
    the last MOVING_WINDOW[freq] buckets of the same group and period (fewer at the start).
    Buckets marked ``partial`` (when the column is there) neither get an average nor count
    in one: a half week would pull the average down like a real fall."""
    df = series.sort_values(["period", "group", "bucket"]).copy()
    window = MOVING_WINDOW[freq]
    whole = ~df["partial"] if "partial" in df else pd.Series(True, index=df.index)
    groups = df["intake"].where(whole).groupby([df["period"], df["group"]], sort=False)
    rolled = groups.rolling(window, min_periods=1).mean()  # one pass, not a call per group
    df["moving_avg"] = rolled.droplevel([0, 1]).where(whole)
    return df.reset_index(drop=True)


def covered_through(coverage: DataRange) -> date:
    """The last whole day of the data: the day of ``as_of`` only when it reaches the end of
    that day (an export taken at 10:00 holds part of its day)."""
    last = coverage.last_day
    return last if coverage.as_of.time() >= time(23, 59) else last - timedelta(days=1)


def bucket_end(buckets: pd.Series | pd.DatetimeIndex, freq: str) -> pd.Series:
    """The last day of each bucket (a bucket is named by its first day)."""
    start = pd.Series(pd.to_datetime(buckets))
    if freq == "week":
        return start + pd.Timedelta(days=6)
    if freq == "month":
        return start + pd.offsets.MonthEnd(0)
    return start


def partial_buckets(
    buckets: pd.Series | pd.DatetimeIndex, freq: str, f: Filters, coverage: DataRange
) -> pd.Series:
    """Whether each bucket is partial: the selected period or the data's coverage leaves out
    some of its days (the period starts mid-week, the data ends mid-month). Such a bucket
    counts fewer days' events and would read as a fall that did not happen."""
    start = pd.Series(pd.to_datetime(buckets))
    first = pd.Timestamp(max(f.start, coverage.first_day))
    last = pd.Timestamp(min(f.end, covered_through(coverage)))
    return ((start < first) | (bucket_end(start, freq) > last)).reset_index(drop=True)


def settled_months(months: pd.Series, coverage: DataRange, settling_days: int) -> pd.Series:
    """Whether each month (its first day) ended at least ``settling_days`` before the data's
    last moment: time enough to close its events, so that a figure waiting on closure (办结率,
    积压) is not read as a collapse in the latest months."""
    ends = pd.to_datetime(pd.Series(months)) + pd.offsets.MonthBegin(1)
    settled = ends + pd.Timedelta(days=settling_days) <= pd.Timestamp(coverage.as_of)
    return settled.reset_index(drop=True)


def type_trend(
    con: BaseBackend, f: Filters, coverage: DataRange, freq: str, compare: str | None
) -> pd.DataFrame:
    """Intake per bucket and event type (``queries.intake_trend``) with ``partial`` (the
    comparison's buckets are on the current calendar, so they share the current period's
    partial ends) and the moving average over whole buckets."""
    series = intake_trend(con, f, coverage, "event_type", freq, compare)
    series["partial"] = partial_buckets(series["bucket"], freq, f, coverage).to_numpy()
    return moving_average(series, freq)


def complete(series: pd.DataFrame, start: date, end: date, freq: str) -> pd.DataFrame:
    """The current period's series with a 0 for every bucket and group without events."""
    buckets = pd.date_range(_bucket_start(start, freq), end, freq=_PANDAS_FREQ[freq])
    groups = series["group"].unique()
    full = pd.MultiIndex.from_product([buckets, groups], names=["bucket", "group"])
    cur = series[series["period"] == "current"].set_index(["bucket", "group"])["intake"]
    out = cur.reindex(full, fill_value=0).reset_index()
    out["period"] = "current"
    return out


_PANDAS_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}


def _bucket_start(d: date, freq: str) -> pd.Timestamp:
    t = pd.Timestamp(d)
    if freq == "week":
        return t - pd.Timedelta(days=t.weekday())
    if freq == "month":
        return t.replace(day=1)
    return t


def category_trend(
    con: BaseBackend, f: Filters, coverage: DataRange, freq: str = "month", n: int = 8
) -> pd.DataFrame:
    """Intake per bucket of the ``n`` largest categories of the period, the rest as 其他."""
    df = intake_trend(con, f, coverage, by="category", freq=freq, compare=None)
    if df.empty:
        return df
    top = df.groupby("group")["intake"].sum().sort_values(ascending=False).index[:n]
    df["group"] = df["group"].where(df["group"].isin(top), OTHER)
    df = df.groupby(["bucket", "group", "period"], as_index=False)["intake"].sum()
    df["order"] = df["group"].map({g: i for i, g in enumerate([*top, OTHER])})
    return df.sort_values(["bucket", "order"]).drop(columns="order").reset_index(drop=True)


def rising_categories(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    n: int = 10,
    compare: str = "yoy",
    min_events: int = metrics.MIN_EVENTS_TO_COMPARE,
) -> pd.DataFrame:
    """Categories whose intake rose most against the comparison period: category, intake,
    intake_prev, change (both periods ≥ ``min_events``, so 2 → 5 is not "+150%")."""
    df = metric_table(con, f, coverage, ["intake"], by=["category"], compare=compare)
    return _rising(df, n, min_events)


def category_counts(
    con: BaseBackend, f: Filters, coverage: DataRange, compare: str | None = "yoy"
) -> EventCounts:
    """Intake by category and period, one scan: what :func:`category_changes` ranks, and the
    page's intake card (``queries.kpis_from``), which is their sum."""
    return count_parts(con, f, coverage, ("intake",), ["category"], compare)


def category_changes(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    compare: str = "yoy",
    top: int = 8,
    rising: int = 10,
    counts: EventCounts | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``queries.top_categories`` (the ``top`` largest) and :func:`rising_categories` (the
    ``rising`` fastest rising) of one query: both are intake by category against the same
    comparison period. ``counts``: :func:`category_counts` when the caller holds them."""
    counts = category_counts(con, f, coverage, compare) if counts is None else counts
    df = metric_table_from(counts, ["intake"], ["category"])
    return largest_categories(df, top), _rising(df, rising)


def _rising(
    df: pd.DataFrame, n: int, min_events: int = metrics.MIN_EVENTS_TO_COMPARE
) -> pd.DataFrame:
    """The ``n`` categories of ``df`` (intake by category, with intake_prev) rising most."""
    if "intake_prev" not in df or df.empty:
        return pd.DataFrame(columns=["category", "intake", "intake_prev", "change"])
    df = df[(df["intake"] >= min_events) & (df["intake_prev"] >= min_events)].copy()
    df["change"] = metrics.relative_change(df["intake"], df["intake_prev"]).values
    df = df[df["change"] > 0]
    return (
        df.sort_values(["change", "category"], ascending=[False, True])
        .head(n)
        .reset_index(drop=True)
    )


def detect_spikes(
    counts: pd.Series,
    window: int,
    k: float = SPIKE_K,
    min_excess: float = SPIKE_MIN_EXCESS,
    min_rise: float = SPIKE_MIN_RISE,
) -> pd.DataFrame:
    """Buckets far above their trailing baseline, by a robust rule.

    ``counts`` is indexed by bucket in order, with no gaps (0 for quiet buckets). For each
    bucket with ``window`` earlier buckets: baseline = their median, spread = 1.4826 × their
    median absolute deviation; a spike is a count above baseline + k × spread, at least
    ``min_excess`` events and ``min_rise`` (relatively) above the baseline. Returns every
    judged bucket: bucket, intake, baseline, threshold, rise (intake / baseline − 1, NaN on a
    baseline of 0), spike.
    """
    values = counts.to_numpy(dtype=float)
    baselines, thresholds = [], []
    for i in range(window, len(values)):
        past = values[i - window : i]
        median = float(np.median(past))
        spread = MAD_TO_SD * float(np.median(np.abs(past - median)))
        baselines.append(median)
        thresholds.append(max(median + k * spread, median + min_excess, median * (1 + min_rise)))
    intake = values[window:]  # empty when there are no more buckets than the window
    baseline = np.array(baselines, dtype=float)
    threshold = np.array(thresholds, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(baseline > 0, intake / baseline - 1, np.nan)
    return pd.DataFrame(
        {
            "bucket": counts.index[window:],
            "intake": intake,
            "baseline": baseline,
            "threshold": threshold,
            "rise": rise,
            "spike": intake > threshold,
        }
    )


def spikes(
    con: BaseBackend, f: Filters, coverage: DataRange, freq: str = "week", k: float = SPIKE_K
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The period's whole buckets judged against their trailing baseline, and the spikes with
    what drove them: bucket, intake, baseline, excess, rise, categories, grids (the three
    largest rises of each against their own trailing median; events without a grid are no
    grid's). Partial buckets (``partial_buckets``) are neither judged nor part of a baseline.
    Both are empty when the data has no bucket with ``SPIKE_WINDOW[freq]`` before it."""
    window = SPIKE_WINDOW[freq]
    start = _bucket_start(f.start, freq).date()
    lead = window + 1  # one more: the data's first bucket is often partial, so left out
    lead = {"day": ("days", lead), "week": ("days", 7 * lead), "month": ("months", lead)}
    wide = f.with_period(max(shift_back(start, *lead[freq]), coverage.first_day), f.end)
    by_category, by_grid = _counts(con, wide, freq, ("category", "grid_id"))
    # Whole buckets only. The span starts on a bucket's first day (its first bucket, the one
    # holding the period's start, counts whole weeks), so the data's coverage and the
    # period's end are what can cut a bucket short.
    whole = ~partial_buckets(by_category.index, freq, wide, coverage).to_numpy()
    by_category, by_grid = by_category[whole], by_grid[whole]
    totals = by_category.sum(axis=1)
    judged = detect_spikes(totals, window, k)
    judged = judged[judged["bucket"] >= pd.Timestamp(start)].reset_index(drop=True)
    found = judged[judged["spike"]].copy()
    found["excess"] = found["intake"] - found["baseline"]
    found["categories"] = [_drivers(by_category, b, window) for b in found["bucket"]]
    found["grids"] = [_drivers(by_grid, b, window) for b in found["bucket"]]
    return judged, found.drop(columns=["spike", "threshold"]).reset_index(drop=True)


def _counts(
    con: BaseBackend, f: Filters, freq: str, columns: tuple[str, ...]
) -> tuple[pd.DataFrame, ...]:
    """For each of ``columns``: intake per bucket (rows, complete) and value of the column
    (columns). One query: the counts by each column, stacked."""
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end))
    bucket = t.reported_at.date().truncate(FREQUENCIES[freq]).cast("timestamp").name("bucket")
    parts = [
        t.group_by([bucket, t[column].cast("string").name("key")])  # nullable: unions match
        .aggregate(intake=t.count())
        .mutate(column=ibis.literal(column))
        for column in columns
    ]
    stacked = ibis.union(*parts).execute()
    stacked["bucket"] = pd.to_datetime(stacked["bucket"])
    buckets = pd.date_range(_bucket_start(f.start, freq), f.end, freq=_PANDAS_FREQ[freq])
    tables = []
    for column in columns:
        df = stacked[stacked["column"] == column].drop(columns="column")
        df = df[df["key"].notna()]  # 未落格 events are in the totals (by category), in no grid
        # One count per bucket and key: a reshape, without pivot_table's grouping; in floats
        # as pivot_table gave them.
        table = df.set_index(["bucket", "key"])["intake"].unstack("key", fill_value=0)
        table = table.astype("float64")
        tables.append(table.reindex(buckets, fill_value=0).rename_axis("bucket"))
    return tuple(tables)


def _drivers(table: pd.DataFrame, bucket: pd.Timestamp, window: int, n: int = 3) -> list:
    """The ``n`` columns that rose most in ``bucket`` over their trailing median: (key, rise)."""
    i = table.index.get_loc(bucket)
    past = table.iloc[max(i - window, 0) : i]
    rise = table.iloc[i] - past.median()
    rise = rise[rise > 0].sort_values(ascending=False).head(n)
    return [(key, float(value)) for key, value in rise.items()]


def unit_comparison(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    unit_ids: tuple[str, ...],
    freq: str = "month",
    units: pd.DataFrame | None = None,
    grids: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Intake per 1,000 households (每千户事件数) per bucket for up to four units side by
    side: bucket, unit_id, intake, households, density. The sidebar's organisation scope is
    replaced by each unit; its period and dimension filters apply. ``units`` (unit_id,
    level: ``queries.org_units``) and ``grids`` (grid_id, community_id, street_id,
    households: ``queries.grid_reference``) when the caller holds them (else queried).

    One query counts every unit's events per bucket, each unit's in a column of its own."""
    if grids is None:
        grids = con.table("grids").select("grid_id", "community_id", "street_id", "households")
        grids = grids.to_pandas()
    if units is None:
        units = con.table("org_units").select("unit_id", "level").to_pandas()
    levels = dict(zip(units["unit_id"], units["level"] + "_id", strict=True))
    levels |= dict.fromkeys(grids["grid_id"], "grid_id")
    buckets = pd.date_range(_bucket_start(f.start, freq), f.end, freq=_PANDAS_FREQ[freq])
    chosen = {f"unit_{i}": (unit, levels[unit]) for i, unit in enumerate(unit_ids[:4])}
    if not chosen:
        return pd.DataFrame(columns=["bucket", "unit_id", "intake", "households", "density"])
    anywhere = replace(f, street_id=None, community_id=None, grid_id=None)  # dimensions only
    t = apply_scope(con.table("events"), anywhere)
    t = t.filter(in_period(t, f.start, f.end))
    t = t.filter(ibis.or_(*(t[level] == unit for unit, level in chosen.values())))
    hits = {key: t[level] == unit for key, (unit, level) in chosen.items()}
    bucket = t.reported_at.date().truncate(FREQUENCIES[freq]).cast("timestamp").name("bucket")
    counts = t.group_by(bucket).aggregate(**{k: t.count(where=hit) for k, hit in hits.items()})
    counts = counts.execute()
    counts["bucket"] = pd.to_datetime(counts["bucket"])
    counts = counts.set_index("bucket")
    rows = [
        pd.DataFrame(
            {
                "bucket": buckets,
                "unit_id": unit,
                "intake": counts[key].reindex(buckets, fill_value=0).to_numpy(),
                "households": grids.loc[grids[level] == unit, "households"].sum(),
            }
        )
        for key, (unit, level) in chosen.items()
    ]
    df = pd.concat(rows, ignore_index=True)
    df["density"] = metrics.density(df["intake"], df["households"])
    return df
