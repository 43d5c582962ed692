"""The overview's figures recomputed in plain DuckDB SQL, straight from ``metrics.md``.

An independent check of the analytics layer: every expected figure below comes from SQL written
from ``shared/design/metrics.md`` (not translated from the Ibis code), run through the ``duckdb``
module on a read-only connection, with every user value bound as a ``$name`` parameter. The SQL
texts are assembled once from constant fragments; no value is ever formatted into them.

Semantics (design decisions, see ``metrics.md`` and ``analytics/queries.py``):

* the period is on ``reported_at``: inclusive dates, i.e. [start 00:00, end + 1 day 00:00);
* ``as_of`` is the latest of all event timestamps; the comparison period (同比: same dates one
  year earlier; 环比: the preceding span of equal length) is measured as of ``as_of`` moved by
  the same offset, so there "closed", "accepted", "rated", "open" and "overdue" are judged at
  that earlier instant;
* a comparison is shown only when the comparison period starts on or after the first data day;
* rates are fractions; the change of a rate is a difference in points, any other change is
  relative, (current − previous) / previous, null when previous is 0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics import queries
from analytics.connection import connect
from analytics.filters import Filters
from analytics.schema import create_schema

REL_TOL = 1e-9
ABS_TOL = 1e-12

KPI_NAMES = (
    "intake",
    "closure_rate",
    "on_time_rate",
    "response_median",
    "satisfaction_rate",
    "grid_level_rate",
    "backlog",
)
RATES = {"closure_rate", "on_time_rate", "satisfaction_rate", "grid_level_rate"}
COUNTS = {"intake", "backlog", "overdue"}
AGE_BUCKETS = ("le_1d", "1_3d", "3_7d", "7_30d", "gt_30d")
DAYS_PER_MONTH = 365.25 / 12  # 30.4375: the months of a period, for 人均月事件数

# --------------------------------------------------------------------------------------------
# SQL, written from metrics.md. Parameters: $lo/$hi period bounds, $as_of the instant the
# figures are measured at, and the scope: $street $community $grid (NULL = any) and the lists
# $event_types $categories $channels $boards (empty = any).
# --------------------------------------------------------------------------------------------

DATA_RANGE_SQL = """
SELECT min(reported_at)::DATE AS first_day,
       greatest(max(reported_at), max(accepted_at), max(dispatched_at),
                max(handled_at), max(closed_at)) AS as_of
FROM events
"""

SELECTED_EVENTS = """
selected AS (
    SELECT *,
           closed_at IS NOT NULL AND closed_at <= $as_of     AS is_closed,
           accepted_at IS NOT NULL AND accepted_at <= $as_of AS is_accepted,
           closed_at IS NULL OR closed_at <= $as_of          AS feedback_known
    FROM events
    WHERE reported_at >= $lo AND reported_at < $hi
      AND ($street::VARCHAR IS NULL OR street_id = $street::VARCHAR)
      AND ($community::VARCHAR IS NULL OR community_id = $community::VARCHAR)
      AND ($grid::VARCHAR IS NULL OR grid_id = $grid::VARCHAR)
      AND (len($event_types::VARCHAR[]) = 0 OR list_contains($event_types::VARCHAR[], event_type))
      AND (len($categories::VARCHAR[]) = 0 OR list_contains($categories::VARCHAR[], category))
      AND (len($channels::VARCHAR[]) = 0 OR list_contains($channels::VARCHAR[], channel))
      AND (len($boards::VARCHAR[]) = 0 OR list_contains($boards::VARCHAR[], board))
)"""

# One row of the seven overview figures (and overdue) over the selected events.
FIGURES = """
    count(*) AS intake,
    -- 办结率: closed by as_of / intake
    count(*) FILTER (WHERE is_closed)::DOUBLE / nullif(count(*), 0) AS closure_rate,
    -- 按时办结率: closed by the deadline / (deadline passed or closed), deadline known
    count(*) FILTER (WHERE deadline_at IS NOT NULL AND is_closed AND closed_at <= deadline_at)
        ::DOUBLE
        / nullif(count(*) FILTER (
            WHERE deadline_at IS NOT NULL AND (deadline_at <= $as_of OR is_closed)), 0)
        AS on_time_rate,
    -- 响应时长 median, exact (hours, from microseconds)
    quantile_cont((epoch_us(accepted_at) - epoch_us(reported_at)) / 3600e6, 0.5)
        FILTER (WHERE is_accepted) AS response_median,
    -- 满意率: (satisfied + basic) / rated (a rating is known once closed, or if never closed)
    count(*) FILTER (WHERE feedback_known AND satisfaction IN ('satisfied', 'basic'))::DOUBLE
        / nullif(count(*) FILTER (WHERE feedback_known AND satisfaction IS NOT NULL), 0)
        AS satisfaction_rate,
    -- 网格内解决率: closed with resolved_level = grid / closed with a recorded level
    count(*) FILTER (WHERE is_closed AND resolved_level = 'grid')::DOUBLE
        / nullif(count(*) FILTER (WHERE is_closed AND resolved_level IS NOT NULL), 0)
        AS grid_level_rate,
    -- 积压: open at as_of (already reported, not closed by then)
    count(*) FILTER (WHERE reported_at <= $as_of AND NOT is_closed) AS backlog,
    -- 超期: backlog past its deadline
    count(*) FILTER (WHERE reported_at <= $as_of AND NOT is_closed AND deadline_at < $as_of)
        AS overdue"""

KPI_SQL = f"WITH {SELECTED_EVENTS} SELECT {FIGURES} FROM selected"

GRID_SQL = f"""
WITH {SELECTED_EVENTS},
per_grid AS (SELECT grid_id, {FIGURES} FROM selected WHERE grid_id IS NOT NULL GROUP BY grid_id)
SELECT g.grid_id, g.households, g.full_time_workers,
       coalesce(p.intake, 0) AS intake, p.closure_rate, p.on_time_rate, p.satisfaction_rate,
       coalesce(p.backlog, 0) AS backlog, coalesce(p.overdue, 0) AS overdue
FROM grids AS g LEFT JOIN per_grid AS p USING (grid_id)
WHERE ($street::VARCHAR IS NULL OR g.street_id = $street::VARCHAR)
  AND ($community::VARCHAR IS NULL OR g.community_id = $community::VARCHAR)
  AND ($grid::VARCHAR IS NULL OR g.grid_id = $grid::VARCHAR)
ORDER BY g.grid_id
"""

# Intake per calendar month of reported_at and event type; the comparison series is moved onto
# the current calendar by the comparison offset ($shift_years years + $shift_months months +
# $shift_days days).
TREND_SQL = f"""
WITH {SELECTED_EVENTS}
SELECT date_trunc('month', CAST(reported_at AS DATE) + to_years($shift_years)
                           + to_months($shift_months) + to_days($shift_days)) AS bucket,
       event_type AS "group", count(*) AS intake
FROM selected GROUP BY ALL
"""

CATEGORY_SQL = (
    f"WITH {SELECTED_EVENTS} SELECT category, count(*) AS intake FROM selected GROUP BY ALL"
)

# Backlog by age = as_of − reported_at: ≤1 d, (1, 3] d, (3, 7] d, (7, 30] d, > 30 d.
AGEING_SQL = f"""
WITH {SELECTED_EVENTS},
open_events AS (
    SELECT (epoch_us($as_of::TIMESTAMP) - epoch_us(reported_at)) AS age_us, deadline_at
    FROM selected WHERE reported_at <= $as_of AND NOT is_closed
)
SELECT CASE WHEN age_us <= 1 * 86400e6 THEN 'le_1d'
            WHEN age_us <= 3 * 86400e6 THEN '1_3d'
            WHEN age_us <= 7 * 86400e6 THEN '3_7d'
            WHEN age_us <= 30 * 86400e6 THEN '7_30d'
            ELSE 'gt_30d' END AS bucket,
       count(*) AS backlog,
       count(*) FILTER (WHERE deadline_at < $as_of) AS overdue
FROM open_events GROUP BY ALL
"""


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    """Execute constant ``sql`` binding exactly the ``$names`` it uses."""
    used = set(re.findall(r"\$(\w+)", sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).df()


# --------------------------------------------------------------------------------------------
# Periods, comparison periods and the filter combinations
# --------------------------------------------------------------------------------------------


def year_earlier(d: date) -> date:
    """The same calendar day a year earlier (29 Feb → 28 Feb)."""
    return (
        d.replace(year=d.year - 1, day=28)
        if (d.month, d.day) == (2, 29)
        else d.replace(year=d.year - 1)
    )


@dataclass(frozen=True)
class Case:
    id: str
    period: str | tuple[date, date]  # "ytd", "last_12m" or inclusive (start, end)
    compare: str | None
    scope: dict = field(default_factory=dict)

    def filters(self, as_of: datetime) -> Filters:
        last = as_of.date()
        if self.period == "ytd":
            start, end = date(last.year, 1, 1), last
        elif self.period == "last_12m":
            start, end = year_earlier(last) + timedelta(days=1), last
        else:
            start, end = self.period
        return Filters(start, end, **self.scope)


CASES = [
    Case("ytd-yoy", "ytd", "yoy"),
    Case("street", "ytd", "yoy", {"street_id": "S02"}),
    Case("community", "ytd", "yoy", {"street_id": "S02", "community_id": "S02C02"}),
    Case(
        "grid",
        "ytd",
        "yoy",
        {"street_id": "S01", "community_id": "S01C06", "grid_id": "S01C06G06"},
    ),
    Case("petition", "ytd", "yoy", {"event_types": ("petition",)}),
    Case("category", "ytd", "yoy", {"categories": ("噪音扰民",)}),
    Case("channels", "ytd", "yoy", {"channels": ("hotline", "app")}),
    Case("board", "ytd", "yoy", {"boards": ("safety",)}),
    Case("last12m-mom", "last_12m", "mom"),
    Case("custom-short-yoy", (date(2026, 2, 10), date(2026, 2, 23)), "yoy"),
    Case(
        "custom-short-mom-combo",
        (date(2026, 5, 1), date(2026, 5, 20)),
        "mom",
        {"street_id": "S01", "channels": ("patrol", "hotline"), "boards": ("safety", "economy")},
    ),
    Case("custom-no-comparison", (date(2023, 11, 1), date(2023, 12, 15)), "yoy"),
    Case("compare-off", (date(2026, 8, 1), date(2026, 10, 31)), None, {"street_id": "S04"}),
    Case(
        "sparse-mom",
        (date(2026, 5, 1), date(2026, 5, 20)),
        "mom",
        {"street_id": "S05", "event_types": ("petition",)},
    ),
    Case("empty-selection", "ytd", "yoy", {"categories": ("不存在的类别",)}),
]
EMPTY_CASES = {"empty-selection"}
NO_COMPARISON_CASES = ("custom-no-comparison", "compare-off")


@dataclass(frozen=True)
class Setup:
    """One case, resolved against the data: filters, period bounds and as_of instants."""

    f: Filters
    compare: str | None
    comparable: bool
    as_of: datetime
    prev_as_of: datetime | None
    prev_start: date | None
    prev_end: date | None
    shift_years: int
    shift_months: int
    shift_days: int

    def params(self, previous: bool = False) -> dict:
        start, end = (self.prev_start, self.prev_end) if previous else (self.f.start, self.f.end)
        return {
            "lo": datetime.combine(start, datetime.min.time()),
            "hi": datetime.combine(end + timedelta(days=1), datetime.min.time()),
            "as_of": self.prev_as_of if previous else self.as_of,
            "street": self.f.street_id,
            "community": self.f.community_id,
            "grid": self.f.grid_id,
            "event_types": list(self.f.event_types),
            "categories": list(self.f.categories),
            "channels": list(self.f.channels),
            "boards": list(self.f.boards),
            "shift_years": self.shift_years if previous else 0,
            "shift_months": self.shift_months if previous else 0,
            "shift_days": self.shift_days if previous else 0,
        }


def resolve(case: Case, first_day: date, as_of: datetime) -> Setup:
    return resolve_filters(case.filters(as_of), case.compare, first_day, as_of)


def months_earlier(d: date, n: int) -> date:
    """The same day ``n`` months earlier, clamped to the end of a shorter month."""
    return (pd.Timestamp(d) - pd.DateOffset(months=n)).date()


def month_end(d: date) -> date:
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()


def resolve_filters(f: Filters, compare: str | None, first_day: date, as_of: datetime) -> Setup:
    """The comparison period, restated independently of ``analytics.filters``: 同比 one year
    back; 环比 of a period starting on a month's 1st the same days in the preceding whole
    months, otherwise the preceding span of equal length; a month end stays a month end."""
    days = (f.end - f.start).days + 1
    months = (f.end.year - f.start.year) * 12 + f.end.month - f.start.month + 1
    is_month_end = f.end == month_end(f.end)
    if compare == "yoy":
        prev_start, prev_end = year_earlier(f.start), year_earlier(f.end)
        if is_month_end:
            prev_end = month_end(prev_end)
        prev_as_of = datetime.combine(year_earlier(as_of.date()), as_of.time())
        shift = (1, 0, 0)
    elif compare == "mom" and f.start.day == 1:
        prev_start, prev_end = months_earlier(f.start, months), months_earlier(f.end, months)
        if is_month_end:
            prev_end = month_end(prev_end)
        prev_as_of = datetime.combine(months_earlier(as_of.date(), months), as_of.time())
        shift = (0, months, 0)
    elif compare == "mom":
        prev_start, prev_end = f.start - timedelta(days=days), f.start - timedelta(days=1)
        prev_as_of = as_of - timedelta(days=days)
        shift = (0, 0, days)
    else:
        prev_start = prev_end = prev_as_of = None
        shift = (0, 0, 0)
    comparable = prev_start is not None and prev_start >= first_day and prev_end < f.start
    return Setup(f, compare, comparable, as_of, prev_as_of, prev_start, prev_end, *shift)


# --------------------------------------------------------------------------------------------
# Fixtures: one raw DuckDB connection for the SQL, one analytics (Ibis) connection
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sql(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def ibis_con(demo_db, engine_connect):
    con = engine_connect(demo_db)
    yield con
    con.disconnect()


@pytest.fixture(scope="module")
def data_bounds(sql):
    row = run_sql(sql, DATA_RANGE_SQL, {}).iloc[0]
    return pd.Timestamp(row["first_day"]).date(), pd.Timestamp(row["as_of"]).to_pydatetime()


@pytest.fixture(scope="module")
def coverage(ibis_con):
    return queries.data_range(ibis_con)


@pytest.fixture(params=CASES, ids=[c.id for c in CASES])
def setup(request, data_bounds) -> Setup:
    return resolve(request.param, *data_bounds)


# --------------------------------------------------------------------------------------------
# Comparison with a readable diff
# --------------------------------------------------------------------------------------------


def _num(x) -> float:
    if x is None or x is pd.NA or x is pd.NaT:
        return math.nan
    return float(x)


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def assert_same(
    what: str,
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    keys: list[str],
    exact: set[str] = frozenset(),
    ordered: bool = False,
) -> None:
    """Fail with a table of every differing cell (and missing/extra rows) when any differs.

    Columns in ``exact`` must be equal; the others equal within REL_TOL. NaN equals NaN only.
    """
    problems: list[str] = []
    missing_cols = [c for c in expected.columns if c not in keys and c not in actual.columns]
    if missing_cols:
        problems.append(f"columns missing from the analytics result: {missing_cols}")
    a, e = actual.set_index(keys), expected.set_index(keys)
    for name, df in (("analytics", a), ("sql", e)):
        if not df.index.is_unique:
            problems.append(f"duplicate rows in {name}: {list(df.index[df.index.duplicated()])}")
    if ordered and list(a.index) != list(e.index):
        problems.append(
            f"row order differs:\n  analytics: {list(a.index)}\n  sql:       {list(e.index)}"
        )
    if len(extra := a.index.difference(e.index)):
        problems.append(f"rows only in analytics: {list(extra)}")
    if len(missing := e.index.difference(a.index)):
        problems.append(f"rows only in SQL: {list(missing)}")
    common = e.index.intersection(a.index)
    rows = []
    if a.index.is_unique and e.index.is_unique:
        for col in (c for c in e.columns if c not in missing_cols):
            av, ev = _floats(a.loc[common, col]), _floats(e.loc[common, col])
            nan_a, nan_e = np.isnan(av), np.isnan(ev)
            if col in exact:
                ok = (nan_a & nan_e) | (av == ev)
            else:
                close = np.isclose(av, ev, rtol=REL_TOL, atol=ABS_TOL)
                ok = (nan_a & nan_e) | (~nan_a & ~nan_e & close)
            for i in np.flatnonzero(~ok):
                key = common[i]
                rows.append(
                    f"  {key!s:<36} {col:<22} {av[i]:>20.12g} {ev[i]:>20.12g} {av[i] - ev[i]:+.3g}"
                )
    if rows:
        header = f"  {'row':<36} {'column':<22} {'analytics':>20} {'sql (metrics.md)':>20} diff"
        problems.append(f"{len(rows)} cell(s) differ:\n{header}\n" + "\n".join(rows))
    if problems:
        message = f"{what}: analytics differs from the metrics.md SQL\n" + "\n".join(problems)
        pytest.fail(message, pytrace=False)


def relative_change(cur: float, prev: float) -> float:
    cur, prev = _num(cur), _num(prev)
    return math.nan if math.isnan(prev) or prev == 0 else (cur - prev) / prev


@pytest.fixture(scope="module")
def figures_cache() -> dict:
    return {}


def sql_figures(con, s: Setup, cache: dict) -> tuple[pd.Series, pd.Series | None]:
    """The KPI figures of the period and (when comparable) of the comparison period."""
    if s not in cache:
        cur = run_sql(con, KPI_SQL, s.params()).iloc[0]
        prev = run_sql(con, KPI_SQL, s.params(previous=True)).iloc[0] if s.comparable else None
        cache[s] = cur, prev
    return cache[s]


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_data_range_and_comparison_period(coverage, data_bounds, setup):
    first_day, as_of = data_bounds
    assert (coverage.first_day, coverage.as_of) == (first_day, as_of)
    assert queries.comparable(setup.f, setup.compare, coverage) == setup.comparable
    if setup.compare is not None:
        c = setup.f.comparison(setup.compare)
        assert (c.start, c.end) == (setup.prev_start, setup.prev_end)
        assert queries.comparison_as_of(coverage.as_of, setup.f, setup.compare) == setup.prev_as_of


def test_kpis(sql, ibis_con, coverage, setup, figures_cache, request):
    actual = queries.kpis(ibis_con, setup.f, coverage, compare=setup.compare)
    assert tuple(actual["metric"]) == KPI_NAMES
    cur, prev = sql_figures(sql, setup, figures_cache)
    if request.node.callspec.id not in EMPTY_CASES:
        assert cur["intake"] > 0, "the case selects no events, so it would check nothing"
    records = []
    for name in KPI_NAMES:
        value = _num(cur[name])
        previous = _num(prev[name]) if prev is not None else math.nan
        change = value - previous if name in RATES else relative_change(value, previous)
        records.append({"metric": name, "value": value, "previous": previous, "change": change})
    expected = pd.DataFrame.from_records(records)
    counts = expected["metric"].isin(COUNTS)
    assert_same("kpis", actual[~counts], expected[~counts], ["metric"])
    assert_same(
        "kpis (counts)", actual[counts], expected[counts], ["metric"], exact={"value", "previous"}
    )


def test_intake_trend(sql, ibis_con, coverage, data_bounds, setup, figures_cache):
    """Monthly intake by event type, against the case's comparison and against last year.

    The overview always overlays the same months a year earlier; the comparison series sits on
    the current calendar: its days are moved forward by the comparison offset (one year, or
    the span's length in days for 环比) and then bucketed into the current period's months.
    """
    for compare in dict.fromkeys([setup.compare, "yoy"]):
        s = resolve_filters(setup.f, compare, *data_bounds)
        actual = queries.intake_trend(
            ibis_con, s.f, coverage, by="event_type", freq="month", compare=compare
        )
        assert set(actual.columns) == {"bucket", "group", "intake", "period"}
        parts = [run_sql(sql, TREND_SQL, s.params()).assign(period="current")]
        if s.comparable:
            previous = run_sql(sql, TREND_SQL, s.params(previous=True))
            parts.append(previous.assign(period="previous"))
        expected = pd.concat(parts, ignore_index=True)
        expected["bucket"] = pd.to_datetime(expected["bucket"])
        actual = actual.assign(bucket=pd.to_datetime(actual["bucket"]))
        keys = ["period", "group", "bucket"]
        assert_same(f"intake_trend ({compare})", actual, expected, keys, exact={"intake"})
        cur, prev = sql_figures(sql, s, figures_cache)
        assert actual.loc[actual.period == "current", "intake"].sum() == cur["intake"]
        if prev is not None:
            assert actual.loc[actual.period == "previous", "intake"].sum() == prev["intake"]


def sql_top_categories(sql, setup: Setup, n: int) -> pd.DataFrame:
    """The ``n`` categories with most intake in the period (ties by name), with change."""
    df = run_sql(sql, CATEGORY_SQL, setup.params())
    if setup.comparable:
        prev = run_sql(sql, CATEGORY_SQL, setup.params(previous=True))
        df = df.merge(prev.rename(columns={"intake": "intake_prev"}), on="category", how="left")
        df["intake_prev"] = df["intake_prev"].fillna(0)
    else:
        df["intake_prev"] = math.nan
    df = df.sort_values(["intake", "category"], ascending=[False, True]).head(n)
    df["change"] = [relative_change(c, p) for c, p in zip(df.intake, df.intake_prev, strict=True)]
    return df.reset_index(drop=True)


def test_top_categories(sql, ibis_con, coverage, setup):
    """Every category the analytics layer ranks with intake > 0, in order, with its change.

    Rows with zero intake in the period are checked separately (see the test below).
    """
    actual = queries.top_categories(ibis_con, setup.f, coverage, n=8, compare=setup.compare)
    actual = actual[actual["intake"] > 0]
    expected = sql_top_categories(sql, setup, 8)
    exact = {"intake", "intake_prev"}
    assert_same("top_categories", actual, expected, ["category"], exact=exact, ordered=True)


def test_top_categories_are_categories_with_intake(sql, ibis_con, coverage, data_bounds):
    setup = resolve(next(c for c in CASES if c.id == "sparse-mom"), *data_bounds)
    expected = sql_top_categories(sql, setup, 8)
    assert len(expected) < 8, "the case must have fewer than 8 categories to show the problem"
    actual = queries.top_categories(ibis_con, setup.f, coverage, n=8, compare=setup.compare)
    assert_same(
        "top_categories (sparse)",
        actual,
        expected,
        ["category"],
        exact={"intake", "intake_prev"},
        ordered=True,
    )


GRID_COUNTS = {"intake", "backlog", "overdue", "intake_prev", "backlog_prev", "overdue_prev"}
GRID_FIGURES = ["intake", "closure_rate", "on_time_rate", "satisfaction_rate", "backlog", "overdue"]


def test_grid_metrics(sql, ibis_con, coverage, setup):
    actual = queries.grid_metrics(ibis_con, setup.f, coverage, compare=setup.compare)
    expected = run_sql(sql, GRID_SQL, setup.params())
    assert len(expected) > 0
    households = expected["households"].where(expected["households"] > 0)
    workers = expected["full_time_workers"].where(expected["full_time_workers"] > 0)
    expected["density"] = expected["intake"] / households * 1000
    expected["workload"] = expected["intake"] / workers / (setup.f.days / DAYS_PER_MONTH)
    if setup.comparable:
        prev = run_sql(sql, GRID_SQL, setup.params(previous=True))
        prev = prev.set_index("grid_id")[GRID_FIGURES].add_suffix("_prev")
        expected = expected.join(prev, on="grid_id")
        expected["density_prev"] = expected["intake_prev"] / households * 1000
    expected = expected.drop(columns=["households", "full_time_workers"])
    assert_same("grid_metrics", actual, expected, ["grid_id"], exact=GRID_COUNTS, ordered=True)


@pytest.mark.parametrize("case_id", NO_COMPARISON_CASES)
def test_grid_metrics_without_comparison_has_no_previous_values(
    ibis_con, coverage, data_bounds, case_id
):
    setup = resolve(next(c for c in CASES if c.id == case_id), *data_bounds)
    assert not setup.comparable
    actual = queries.grid_metrics(ibis_con, setup.f, coverage, compare=setup.compare)
    prev_cols = [c for c in actual.columns if c.endswith("_prev")]
    filled = actual[prev_cols].notna().any()
    assert not filled.any(), f"previous values without a comparison: {list(filled[filled].index)}"


def test_backlog_ageing(sql, ibis_con, coverage, setup, figures_cache):
    actual = queries.backlog_ageing(ibis_con, setup.f, coverage)
    got = run_sql(sql, AGEING_SQL, setup.params()).set_index("bucket")
    expected = pd.DataFrame({"bucket": AGE_BUCKETS})
    expected["backlog"] = [int(got["backlog"].get(b, 0)) for b in AGE_BUCKETS]
    expected["overdue"] = [int(got["overdue"].get(b, 0)) for b in AGE_BUCKETS]
    exact = {"backlog", "overdue"}
    assert_same("backlog_ageing", actual, expected, ["bucket"], exact=exact, ordered=True)
    cur, _ = sql_figures(sql, setup, figures_cache)
    assert (expected["backlog"].sum(), expected["overdue"].sum()) == (
        cur["backlog"],
        cur["overdue"],
    )


def test_backlog_age_bucket_boundaries(tmp_path: Path):
    """An age of exactly 1, 3, 7 or 30 days falls in the lower bucket: ≤1 d, (1, 3] d, … > 30 d.

    metrics.md names the buckets "≤1 d, 1–3 d, 3–7 d, 7–30 d, > 30 d"; its two closed ends (≤1 d
    and > 30 d) fix the reading that every bucket includes its upper bound.
    """
    as_of = datetime(2026, 10, 31, 12, 0, 0)
    day, second = timedelta(days=1), timedelta(seconds=1)
    ages = {
        "A0": (timedelta(0), "le_1d"),
        "A1": (day, "le_1d"),
        "A1+": (day + second, "1_3d"),
        "A3": (3 * day, "1_3d"),
        "A3+": (3 * day + second, "3_7d"),
        "A7": (7 * day, "3_7d"),
        "A7+": (7 * day + second, "7_30d"),
        "A30": (30 * day, "7_30d"),
        "A30+": (30 * day + second, "gt_30d"),
    }
    path = tmp_path / "ages.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    con.executemany(
        "INSERT INTO events (event_id, channel, event_type, category, board, community_id, "
        "street_id, reported_at) VALUES (?, 'hotline', 'request', '物业管理', 'livelihood', "
        "'S01C01', 'S01', ?)",
        [(eid, as_of - age) for eid, (age, _) in ages.items()],
    )
    con.close()
    expected = pd.DataFrame({"bucket": AGE_BUCKETS})
    expected["backlog"] = [sum(b == key for _, b in ages.values()) for key in AGE_BUCKETS]

    ibis_con = connect(path, read_only=True)
    try:
        coverage = queries.data_range(ibis_con)
        assert coverage.as_of == as_of
        f = Filters(coverage.first_day, coverage.last_day)
        actual = queries.backlog_ageing(ibis_con, f, coverage)
    finally:
        ibis_con.disconnect()
    assert_same(
        "backlog_ageing (boundaries)",
        actual[["bucket", "backlog"]],
        expected,
        ["bucket"],
        exact={"backlog"},
        ordered=True,
    )

    raw = duckdb.connect(str(path), read_only=True)
    try:
        setup = resolve(Case("ages", (f.start, f.end), None), coverage.first_day, as_of)
        got = run_sql(raw, AGEING_SQL, setup.params()).set_index("bucket")["backlog"]
    finally:
        raw.close()
    assert [int(got.get(b, 0)) for b in AGE_BUCKETS] == expected["backlog"].tolist()
