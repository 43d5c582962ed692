"""热点诉求 (issue #21): how long mining a period takes, and whether it finds the planted issues.

    .venv/bin/python -m bench.hotspots --db /tmp/h3/demo_1000000.duckdb [--runs 1]
    .venv/bin/python -m bench.hotspots --build 1000000 --out /tmp/h3   # builds the demo first

For the database (default: ``bench/out/events_1000000.duckdb``; its texts are the old
templates unless rebuilt) it prints, for the last 12 months and the last 90 days: the time of
``hotspots.find_issues`` in a fresh connection (the first run of the process is cold: jieba's
dictionary is loaded then; later runs are the best of ``--runs``),
the events with words, the issues found, and, when the demo's ground truth is there
(``demo_hot_issues``): recall (a planted issue is found when one found issue holds ≥ 50 % of
its events), purity (found issues mixing two planted issues, or two grids) and how many found
issues hold no planted event (background that looks like an issue).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from analytics import hotspots, queries
from analytics.connection import connect
from analytics.filters import Filters, preset_period

DEFAULT_DB = Path(__file__).resolve().parent / "out" / "events_1000000.duckdb"


def planted(con) -> pd.DataFrame | None:
    """The demo's planted issues' events (issue_id, event_id), or None without ground truth."""
    try:
        return con.table("demo_hot_issue_events").execute()
    except Exception:  # no such table: not a demo of the new generator
        return None


def score(result: hotspots.HotIssues, truth: pd.DataFrame, f: Filters, con) -> dict:
    """Recall of the planted issues reported in the period, purity and background issues."""
    events = con.table("events").select("event_id", "reported_at", "grid_id").execute()
    truth = truth.merge(events, on="event_id")
    lo, hi = pd.Timestamp(f.start), pd.Timestamp(f.end) + pd.Timedelta(days=1)
    first = truth.groupby("issue_id")["reported_at"].min()
    inside = first[(first >= lo) & (first < hi)].index
    truth = truth[truth["issue_id"].isin(inside)]
    found = result.members.rename(columns={"issue_id": "found"})
    both = truth.merge(found, on="event_id")
    sizes = truth.groupby("issue_id").size()
    best = both.groupby(["issue_id", "found"]).size().groupby("issue_id").max()
    recalled = (best.reindex(sizes.index, fill_value=0) >= 0.5 * sizes).sum()
    mixed = both.groupby("found")["issue_id"].nunique()
    grids = found.merge(events, on="event_id").groupby("found")["grid_id"].nunique(dropna=False)
    return {
        "planted": len(sizes),
        "recalled": int(recalled),
        "recall": recalled / len(sizes) if len(sizes) else float("nan"),
        "mixing_planted": int((mixed > 1).sum()),
        "mixing_grids": int((grids > 1).sum()),
        "background": int(
            len(result.issues) - found[found["event_id"].isin(truth["event_id"])]["found"].nunique()
        ),
        "member_share": len(both) / len(truth) if len(truth) else float("nan"),
    }


def measure(db: Path, runs: int) -> None:
    con = connect(db, read_only=True)
    coverage = queries.data_range(con)
    truth = planted(con)
    n = con.table("events").count().execute()
    print(f"\n{db} · {n:,} events · data to {coverage.last_day}")
    print("\n| period | s, 1st run (cold) | s, best | events | with words | issues | planted | "
          "recall | mixing planted / grids | background issues |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    con.disconnect()
    for preset in ("last_12m", "last_90d"):
        f = Filters(*preset_period(preset, coverage.last_day))
        times = []
        for _ in range(runs):
            con = connect(db, read_only=True)
            started = time.perf_counter()
            result = hotspots.find_issues(con, f, coverage=coverage)
            times.append(time.perf_counter() - started)
            if _ < runs - 1:
                con.disconnect()
        cells = ["", "", "", "", ""]
        if truth is not None:
            s = score(result, truth, f, con)
            cells = [
                str(s["planted"]),
                f"{s['recall']:.0%} ({s['recalled']})",
                f"{s['mixing_planted']} / {s['mixing_grids']}",
                str(s["background"]),
            ]
        else:
            cells = ["–", "–", "–", "–"]
        print(
            f"| {preset} {f.start}–{f.end} | {times[0]:.2f} | {min(times):.2f} | "
            f"{result.events_in_period:,} | "
            f"{result.events_with_text:,} | {len(result.issues)} | " + " | ".join(cells) + " |"
        )
        stages = ", ".join(f"{k} {v:.2f}" for k, v in result.params["seconds"].items())
        print(f"|  | stages (s): {stages} |")
        con.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--build", type=int, help="build a demo of this many events first")
    parser.add_argument("--out", type=Path, default=Path("/tmp/h3"))
    args = parser.parse_args()
    db = args.db
    if args.build:
        from analytics.demo.build import build_demo

        args.out.mkdir(parents=True, exist_ok=True)
        db = args.out / f"demo_{args.build}.duckdb"
        started = time.perf_counter()
        build_demo(db, events=args.build, seed=7)
        print(f"built {db} in {time.perf_counter() - started:.1f} s")
    measure(db, args.runs)


if __name__ == "__main__":
    main()
