"""网格调整推演: calibration, before/after outcomes and the command line."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from analytics.__main__ import main
from analytics.planning import partition, queueing, whatif
from analytics.settings import SettingsError, load
from tests.conftest import query

STREET = "S01"


@pytest.fixture(scope="module")
def setting(demo_db):
    from analytics.connection import connect
    from analytics.queries import data_range

    con = connect(demo_db, read_only=True)
    scope = whatif.load_scope(con, STREET)
    coverage = data_range(con)
    calibration = whatif.calibration_grids(con, coverage)
    con.disconnect()
    return scope, calibration


def test_the_scope_holds_its_buildings_and_grids(setting, demo_db):
    scope, _ = setting
    expected = query(
        demo_db,
        "SELECT count(*) AS n FROM buildings b JOIN grids g USING (grid_id) WHERE g.street_id = ?",
        [STREET],
    )["n"][0]
    assert len(scope.buildings) == expected and scope.level == "street"
    assert set(scope.buildings["grid_id"]) <= set(scope.grids["grid_id"])


def test_calibration_rates_are_events_per_working_hour(setting, demo_db):
    _, calibration = setting
    assert len(calibration) > 20 and (calibration["servers"] >= 1).all()
    hours = calibration["events"] / calibration["rate"]
    assert hours.round(6).nunique() == 1  # one calendar: the last year of data
    assert hours.iloc[0] == pytest.approx(365 / 30.4375 * whatif.WORKER_HOURS_PER_MONTH)


def test_events_move_with_their_buildings_and_staffing_follows_the_plan(setting):
    scope, calibration = setting
    model, _ = queueing.calibrate(calibration)
    current = partition.current_plan(scope.buildings, scope.grids)
    before = whatif.outcome(current, scope, calibration, model)
    target = float(scope.grids["households"].median())
    plan = partition.repartition(scope.buildings, scope.grids, households_per_grid=target)
    after = whatif.outcome(
        plan, scope, calibration, model, staff_cap=20, cost_per_worker_year=100_000
    )
    total = before.grids["events_per_month"].sum()
    assert after.grids["events_per_month"].sum() == pytest.approx(total)  # nothing lost
    assert before.totals["full_time_workers"] == scope.grids["full_time_workers"].sum()
    # One worker per grid, one more for every 20 events a month beyond (the demo is small).
    expected = (after.grids["events_per_month"] / 20).apply(math.ceil).clip(lower=1)
    assert (after.grids["workers"] == expected).all()
    assert after.totals["full_time_workers"] == expected.sum() > plan.stats["n_grids"]
    assert after.grids["per_worker_month"].max() <= 20
    assert after.totals["annual_staff_cost"] == 100_000 * expected.sum()
    assert after.totals["households_cv"] < before.totals["households_cv"]
    # The model is monotone in load: the busiest grid per worker waits longest.
    busiest = after.grids["per_worker_month"].idxmax()
    assert after.grids.loc[busiest, "median_hours"] == after.grids["median_hours"].max()


def test_cli_writes_the_plan_files(demo_db, tmp_path, capsys):
    out = tmp_path / "plan"
    code = main(
        ["whatif", "--scope", STREET, "--households-per-grid", "400", "--out", str(out),
         "--db", str(demo_db)]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "专职网格员" in printed and "回测中位数误差" in printed
    assignment = pd.read_csv(out / "assignment.csv")
    assert list(assignment.columns) == ["building_id", "old_grid_id", "new_grid_id"]
    buildings = query(
        demo_db,
        "SELECT building_id FROM buildings JOIN grids USING (grid_id) WHERE street_id = ?",
        [STREET],
    )
    assert sorted(assignment["building_id"]) == sorted(buildings["building_id"])
    features = json.loads((out / "grids.geojson").read_text("utf-8"))["features"]
    assert len(features) == assignment["new_grid_id"].nunique()
    assert all(f["geometry"]["type"] == "Polygon" for f in features)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["after"]["grids"] == len(features)
    assert summary["model"]["chosen"] in queueing.KINDS
    assert "Infinity" not in (out / "summary.json").read_text("utf-8")
    assert 0 <= summary["model"][summary["model"]["chosen"]]["median_mape"] < 0.5


def test_cli_redraws_under_an_events_ceiling(demo_db, tmp_path):
    out = tmp_path / "ceiling"
    code = main(["whatif", "--scope", STREET, "--events-ceiling", "6", "--out", str(out),
                 "--db", str(demo_db)])  # fmt: skip
    assert code == 0
    after = json.loads((out / "summary.json").read_text("utf-8"))["after"]
    assert after["events_per_worker_month_max"] <= 6
    assert after["full_time_workers"] == after["grids"]  # under the ceiling: one worker each


def test_cli_rejects_a_scope_that_is_not_a_street_or_community(demo_db, tmp_path, capsys):
    code = main(["whatif", "--scope", "NOPE", "--grids", "3", "--out", str(tmp_path),
                 "--db", str(demo_db)])  # fmt: skip
    assert code == 2 and "街道或社区编码" in capsys.readouterr().err


def test_buildings_bring_their_grids_events_per_household(setting):
    scope, calibration = setting
    buildings = whatif.with_events(scope, calibration)
    mine = calibration[calibration["grid_id"].isin(scope.grids["grid_id"])]
    per_grid = buildings.groupby("grid_id")["events"].sum()
    expected = (mine.set_index("grid_id")["rate"] * whatif.WORKER_HOURS_PER_MONTH).sort_index()
    assert per_grid.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())
    # a building of a grid without calibration gets the district's events per household
    lost = scope.buildings["grid_id"] == scope.buildings["grid_id"].iloc[0]
    without = calibration[calibration["grid_id"] != scope.buildings["grid_id"].iloc[0]]
    district = without["rate"].sum() / without["households"].sum() * whatif.WORKER_HOURS_PER_MONTH
    moved = whatif.with_events(scope, without)
    assert moved.loc[lost, "events"].to_numpy() == pytest.approx(
        scope.buildings.loc[lost, "households"].to_numpy() * district
    )


def test_an_events_ceiling_sizes_grids_by_their_events(setting):
    scope, calibration = setting
    model, _ = queueing.calibrate(calibration)
    before = whatif.outcome(
        partition.current_plan(scope.buildings, scope.grids), scope, calibration, model
    )
    ceiling = float(before.grids["events_per_month"].median()) / 2  # about twice the grids
    plan = whatif.redraw(scope, calibration, events_ceiling=ceiling)
    after = whatif.outcome(plan, scope, calibration, model, staff_cap=ceiling)
    events = after.grids["events_per_month"]
    assert events.max() <= ceiling  # every grid under the ceiling: one worker each
    assert (after.grids["workers"] == 1).all()
    by_community = after.grids.groupby("community_id")["events_per_month"]
    assert (by_community.mean() <= partition.CEILING_FILL * ceiling + 1e-9).all()
    assert (by_community.std(ddof=0) / by_community.mean()).max() < 0.05  # balanced on events
    # busy grids are smaller: households per grid fall as events per household rise
    load = after.grids["events_per_month"] / after.grids["households"]
    assert np.corrcoef(load, after.grids["households"])[0, 1] < -0.5
    # least change under a ceiling that a quarter of today's grids break: only they split
    ceiling = float(before.grids["events_per_month"].quantile(0.75))
    least = whatif.redraw(scope, calibration, events_ceiling=ceiling, least_change=True)
    kept = whatif.outcome(least, scope, calibration, model, staff_cap=ceiling)
    assert kept.grids["events_per_month"].max() <= ceiling * (1 + 1e-9)
    fresh = whatif.redraw(scope, calibration, events_ceiling=ceiling)
    assert least.stats["kept_share"] > max(0.6, fresh.stats["kept_share"])
    with pytest.raises(ValueError, match="大于 0"):
        whatif.redraw(scope, calibration, events_ceiling=0)


def test_whatif_settings_are_checked(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_text("[whatif]\ncost_per_worker_year = 120000\n", "utf-8")
    assert load(f).cost_per_worker_year == 120_000 and load(f).worker_hours_per_month == 174
    f.write_text('[whatif]\nworker_hours_per_month = "many"\n', "utf-8")
    with pytest.raises(SettingsError, match="worker_hours_per_month"):
        load(f)


def test_pooled_quantiles_mix_the_grids_by_their_events():
    # One grid alone: its own median and P90 come back.
    one = whatif.pooled_quantile(pd.Series([2.0]), pd.Series([6.0]), np.array([10.0]), 0.5)
    assert one == pytest.approx(2.0, rel=1e-6)
    assert whatif.pooled_quantile(pd.Series([2.0]), pd.Series([6.0]), np.array([1.0]), 0.9) == (
        pytest.approx(6.0, rel=1e-6)
    )
    # Two equal grids of different speed: the pooled median lies between their medians.
    mixed = whatif.pooled_quantile(
        pd.Series([1.0, 4.0]), pd.Series([2.0, 8.0]), np.array([1.0, 1.0]), 0.5
    )
    assert 1.0 < mixed < 4.0 and mixed == pytest.approx(2.0, rel=1e-3)  # symmetric on a log scale
    overloaded = pd.Series([1.0, math.inf])
    assert whatif.pooled_quantile(overloaded, overloaded, np.array([1.0, 1.0]), 0.5) == math.inf
    assert whatif.finite({"a": math.inf, "b": [1.0, math.nan], "c": np.float64(2)}) == {
        "a": None, "b": [1.0, None], "c": 2.0
    }  # fmt: skip


def test_hand_edits_chain_and_report_moves_against_todays_grids(setting):
    scope, _ = setting
    grids = scope.grids.sort_values("households", ascending=False)["grid_id"].tolist()
    split = whatif.hand_edits(scope, (("split", grids[0]),))
    assert len(split.grids) == len(scope.grids) + 1
    moved_by_split = 1 - split.stats["kept_share"]
    assert 0 < moved_by_split < 1
    # a second edit works on the first's grids; moves still count against today's grids
    first_new = sorted(set(split.grids["new_grid_id"]) - set(scope.grids["grid_id"]))[0]
    chained = whatif.hand_edits(scope, (("split", grids[0]), ("split", first_new)))
    assert len(chained.grids) == len(scope.grids) + 2
    assert (chained.assignment["old_grid_id"] == scope.buildings["grid_id"].to_numpy()).all()
    assert 1 - chained.stats["kept_share"] >= moved_by_split
    assert whatif.hand_edits(scope, ()).stats["kept_share"] == 1.0
