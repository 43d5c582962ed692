"""The overview's figures in plain pandas, for the benchmark's comparison.

The events a pandas dashboard would need are loaded once into memory (only the columns the
overview uses, low-cardinality strings as categoricals); every filter change then filters
that frame with boolean masks and computes the same figures as :mod:`analytics.queries`,
from ``shared/design/metrics.md``'s definitions, with pandas/numpy only. Period arithmetic
(``Filters``, comparison periods and their ``as_of``) is plain Python and reused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from analytics.filters import Filters, period_bounds
from analytics.metrics import BACKLOG_BUCKETS, MIN_EVENTS_TO_COMPARE

TIMESTAMPS = ("reported_at", "accepted_at", "dispatched_at", "handled_at", "closed_at")
LABELS = (
    "event_type",
    "category",
    "channel",
    "board",
    "grid_id",
    "community_id",
    "street_id",
    "satisfaction",
    "resolved_level",
)
EVENT_COLUMNS = (*LABELS, *TIMESTAMPS, "deadline_at")


@dataclass(frozen=True)
class Range:
    first_day: object
    as_of: datetime

    @property
    def last_day(self):
        return self.as_of.date()


@dataclass
class Data:
    """Everything the pandas overview reads, in memory."""

    events: pd.DataFrame
    org_units: pd.DataFrame
    grids: pd.DataFrame
    imports: pd.DataFrame


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def load(path: str, batch_rows: int = 1_000_000) -> Data:
    """Read the needed columns of every event (and the small reference tables) into pandas.

    Label columns are read as DuckDB ENUMs of their distinct values, so they arrive as pandas
    categoricals (1 byte a value) without ever holding ten million Python strings; the rows
    stream in batches, each turned into a pandas chunk at once, then concatenated.
    """
    con = duckdb.connect(path, read_only=True)
    try:
        columns = []
        for name in EVENT_COLUMNS:
            if name in LABELS:
                sql = f"SELECT DISTINCT {name} FROM events WHERE {name} IS NOT NULL ORDER BY 1"
                values = ", ".join(_sql_text(v) for (v,) in con.sql(sql).fetchall())
                columns.append(f"{name}::ENUM({values}) AS {name}" if values else name)
            else:
                columns.append(name)
        reader = con.sql(f"SELECT {', '.join(columns)} FROM events").to_arrow_reader(batch_rows)
        chunks = [batch.to_pandas() for batch in reader]
        events = pd.concat(chunks, ignore_index=True)
        del chunks
        org_units = con.sql("SELECT * FROM org_units").df()
        grids = con.sql("SELECT * FROM grids").df()
        imports = con.sql("SELECT * FROM imports").df()
    finally:
        con.close()
    return Data(events, org_units, grids, imports)


# -- reference tables ---------------------------------------------------------------------------


def data_version(d: Data) -> tuple:
    return len(d.imports), str(d.imports["finished_at"].max())


def data_range(d: Data) -> Range:
    ev = d.events
    as_of = max(ev[c].max() for c in TIMESTAMPS)
    return Range(ev["reported_at"].min().date(), as_of.to_pydatetime())


def org_units(d: Data) -> pd.DataFrame:
    return d.org_units.sort_values(["level", "unit_id"]).reset_index(drop=True)


def _grids_in_scope(grids: pd.DataFrame, f: Filters | None) -> pd.DataFrame:
    if f is None:
        return grids
    if f.grid_id:
        return grids[grids["grid_id"] == f.grid_id]
    if f.community_id:
        return grids[grids["community_id"] == f.community_id]
    if f.street_id:
        return grids[grids["street_id"] == f.street_id]
    return grids


def grid_reference(d: Data, f: Filters | None = None) -> pd.DataFrame:
    names = d.org_units.set_index("unit_id")["name"]
    g = _grids_in_scope(d.grids, f).drop(columns="geometry").copy()
    g["community_name"] = g["community_id"].map(names)
    g["street_name"] = g["street_id"].map(names)
    return g.sort_values("grid_id").reset_index(drop=True)


def grid_shapes(d: Data, f: Filters | None = None) -> pd.DataFrame:
    g = _grids_in_scope(d.grids, f).sort_values("grid_id")

    def rings(text):
        if not text:
            return []
        geom = json.loads(text)
        if geom["type"] == "Polygon":
            outer = [geom["coordinates"][0]]
        else:
            outer = [poly[0] for poly in geom["coordinates"]]
        return [[[round(float(x), 5), round(float(y), 5)] for x, y, *_ in r] for r in outer]

    return pd.DataFrame({"grid_id": g["grid_id"].values, "polygons": g["geometry"].map(rings)})


def categories(d: Data) -> list[str]:
    return sorted(d.events["category"].dropna().unique().tolist())


# -- events of a filter -------------------------------------------------------------------------


@dataclass
class Period:
    name: str
    events: pd.DataFrame
    as_of: pd.Timestamp


def periods(d: Data, f: Filters, coverage: Range, compare: str | None) -> list[Period]:
    """The scoped events of the period (and of the comparison period, when comparable)."""
    ev = d.events
    mask = np.ones(len(ev), dtype=bool)
    if f.grid_id:
        mask &= (ev["grid_id"] == f.grid_id).to_numpy()
    elif f.community_id:
        mask &= (ev["community_id"] == f.community_id).to_numpy()
    elif f.street_id:
        mask &= (ev["street_id"] == f.street_id).to_numpy()
    for column, values in (
        ("event_type", f.event_types),
        ("category", f.categories),
        ("channel", f.channels),
        ("board", f.boards),
    ):
        if values:
            mask &= ev[column].isin(values).to_numpy()
    rep = ev["reported_at"]
    lo, hi = period_bounds(f.start, f.end)
    current = mask & ((rep >= lo) & (rep < hi)).to_numpy()
    out = [Period("current", ev[current], pd.Timestamp(coverage.as_of))]
    if compare is not None and f.comparison(compare).start >= coverage.first_day:
        c = f.comparison(compare)
        lo, hi = period_bounds(c.start, c.end)
        previous = mask & ((rep >= lo) & (rep < hi)).to_numpy() & ~current
        if compare == "yoy":
            as_of = pd.Timestamp(coverage.as_of) - pd.DateOffset(years=1)
        else:
            as_of = pd.Timestamp(coverage.as_of) - pd.Timedelta(days=f.days)
        out.append(Period("previous", ev[previous], as_of))
    return out


def _flags(e: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per event, the yes/no facts every count-based metric is made of (NaT compares False)."""
    closed = (e["closed_at"] <= as_of).to_numpy()
    deadline = e["deadline_at"]
    eligible = deadline.notna().to_numpy() & ((deadline <= as_of).to_numpy() | closed)
    known = e["closed_at"].isna().to_numpy() | closed
    rated = e["satisfaction"].notna().to_numpy() & known
    open_ = (e["reported_at"] <= as_of).to_numpy() & ~closed
    return pd.DataFrame(
        {
            "closed": closed,
            "eligible": eligible,
            "on_time": eligible & closed & (e["closed_at"] <= deadline).to_numpy(),
            "rated": rated,
            "satisfied": rated & e["satisfaction"].isin(["satisfied", "basic"]).to_numpy(),
            "grid_level": closed & (e["resolved_level"] == "grid").to_numpy(),
            "open": open_,
            "overdue": open_ & (deadline < as_of).to_numpy(),
        },
        index=e.index,
    )


def _ratio(num, den):
    """num / den, NaN where den is 0 (scalars or aligned Series)."""
    if np.isscalar(den):
        return num / den if den else math.nan
    return num / den.where(den != 0)


def _hours(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 3600.0


# -- the figures --------------------------------------------------------------------------------

KPI_NAMES = (
    "intake",
    "closure_rate",
    "on_time_rate",
    "response_median",
    "satisfaction_rate",
    "grid_level_rate",
    "backlog",
)


def kpis(parts: list[Period]) -> pd.DataFrame:
    """metric, value, previous (NaN without a comparison)."""
    values = {}
    for p in parts:
        e, fl = p.events, _flags(p.events, p.as_of)
        accepted = (e["accepted_at"] <= p.as_of).to_numpy()
        hours = _hours(e["reported_at"][accepted], e["accepted_at"][accepted])
        n = len(e)
        values[p.name] = {
            "intake": n,
            "closure_rate": _ratio(int(fl["closed"].sum()), n),
            "on_time_rate": _ratio(int(fl["on_time"].sum()), int(fl["eligible"].sum())),
            "response_median": float(hours.median()) if len(hours) else math.nan,
            "satisfaction_rate": _ratio(int(fl["satisfied"].sum()), int(fl["rated"].sum())),
            "grid_level_rate": _ratio(int(fl["grid_level"].sum()), int(fl["closed"].sum())),
            "backlog": int(fl["open"].sum()),
        }
    previous = values.get("previous", dict.fromkeys(KPI_NAMES, math.nan))
    return pd.DataFrame(
        {
            "metric": KPI_NAMES,
            "value": [values["current"][k] for k in KPI_NAMES],
            "previous": [previous[k] for k in KPI_NAMES],
        }
    )


def intake_trend(parts: list[Period], f: Filters, compare: str | None) -> pd.DataFrame:
    """Monthly intake per event type: bucket, group, period, intake (previous shifted)."""
    frames = []
    for p in parts:
        month = p.events["reported_at"].to_numpy().astype("datetime64[M]").astype("datetime64[us]")
        counts = (
            pd.DataFrame({"bucket": month, "group": p.events["event_type"].array})
            .groupby(["bucket", "group"], observed=True)
            .size()
            .rename("intake")
            .reset_index()
        )
        counts["group"] = counts["group"].astype(str)
        if p.name == "previous":
            if compare == "yoy":
                counts["bucket"] = counts["bucket"] + pd.DateOffset(years=1)
            else:
                counts["bucket"] = counts["bucket"] + pd.Timedelta(days=f.days)
        counts["period"] = p.name
        frames.append(counts)
    df = pd.concat(frames, ignore_index=True)
    df = df.groupby(["bucket", "group", "period"], as_index=False)["intake"].sum()
    return df.sort_values(["period", "group", "bucket"]).reset_index(drop=True)


def top_categories(parts: list[Period], n: int = 8) -> pd.DataFrame:
    """category, intake, intake_prev of the n categories with most intake."""
    counts = {}
    for p in parts:
        c = p.events["category"].value_counts(sort=False)
        counts[p.name] = c[c > 0].rename(index=str).rename("intake")
    df = counts["current"].to_frame()
    prev = counts.get("previous", pd.Series(dtype="int64"))
    df["intake_prev"] = prev.reindex(df.index).fillna(0).astype("int64")
    df = df.rename_axis("category").reset_index()
    df = df.sort_values(["intake", "category"], ascending=[False, True]).head(n)
    return df.reset_index(drop=True)


GRID_COUNTS = ("closed", "eligible", "on_time", "rated", "satisfied", "open", "overdue")


def grid_metrics(d: Data, parts: list[Period], f: Filters) -> pd.DataFrame:
    """Per grid in scope: intake, closure/on-time/satisfaction rates, backlog, overdue (+prev)."""
    df = grid_reference(d, f)
    for p in parts:
        fl = _flags(p.events, p.as_of)[list(GRID_COUNTS)]
        fl["intake"] = 1
        sums = fl.groupby(p.events["grid_id"], observed=True).sum().rename(index=str)
        out = pd.DataFrame(
            {
                "intake": sums["intake"],
                "closure_rate": _ratio(sums["closed"], sums["intake"]),
                "on_time_rate": _ratio(sums["on_time"], sums["eligible"]),
                "satisfaction_rate": _ratio(sums["satisfied"], sums["rated"]),
                "backlog": sums["open"],
                "overdue": sums["overdue"],
            }
        )
        if p.name == "previous":
            out = out.add_suffix("_prev")
        df = df.merge(out, left_on="grid_id", right_index=True, how="left")
    for col in ("intake", "backlog", "overdue", "intake_prev", "backlog_prev", "overdue_prev"):
        if col in df:
            df[col] = df[col].fillna(0).astype("int64")
    if "intake_prev" not in df:
        for col in ("intake", "closure_rate", "on_time_rate", "satisfaction_rate"):
            df[f"{col}_prev"] = math.nan
    households = df["households"].where(df["households"] > 0)
    df["density"] = df["intake"] * 1000.0 / households
    df["density_prev"] = df["intake_prev"] * 1000.0 / households
    workers = df["full_time_workers"].where(df["full_time_workers"] > 0)
    df["workload"] = df["intake"] / (workers * f.months)
    return df


def worsening_grids(grids: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    g = grids[
        (grids["intake_prev"] >= MIN_EVENTS_TO_COMPARE) & (grids["intake"] >= MIN_EVENTS_TO_COMPARE)
    ].copy()
    g["intake_change"] = (g["intake"] - g["intake_prev"]) / g["intake_prev"]
    g = g[g["intake_change"] > 0]
    return (
        g.sort_values(["intake_change", "grid_id"], ascending=[False, True])
        .head(n)
        .reset_index(drop=True)
    )


def overdue_grids(grids: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    g = grids[grids["overdue"] > 0]
    return (
        g.sort_values(["overdue", "backlog", "grid_id"], ascending=[False, False, True])
        .head(n)
        .reset_index(drop=True)
    )


def backlog_ageing(parts: list[Period]) -> pd.DataFrame:
    """Open events of the period by age: bucket, backlog, overdue (every bucket present)."""
    p = parts[0]
    fl = _flags(p.events, p.as_of)
    open_ = fl["open"].to_numpy()
    age_days = _hours(p.events["reported_at"][open_], p.as_of) / 24.0
    keys = [key for key, _, _ in BACKLOG_BUCKETS]
    bounds = [hi for _, _, hi in BACKLOG_BUCKETS if hi is not None]
    choice = np.select([age_days.to_numpy() <= hi for hi in bounds], keys[:-1], keys[-1])
    out = pd.DataFrame({"bucket": choice, "overdue": fl["overdue"].to_numpy()[open_]})
    counts = out.groupby("bucket").agg(backlog=("bucket", "size"), overdue=("overdue", "sum"))
    counts = counts.reindex(keys, fill_value=0).astype("int64")
    return counts.rename_axis("bucket").reset_index()
