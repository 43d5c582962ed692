"""One what-if scenario, from what the user chose to a plan beside today's grids.

The command line (``python -m analytics whatif``) and the 网格调整推演 page run the same
steps: the scope's buildings and grids (``whatif.load_scope``), the response model calibrated
on the district (``whatif.calibrated_model``), the plan the :class:`Scenario` asks for
(:func:`draw`), today's grids as a plan (:meth:`Scenario.today`), and both judged by the model
(:func:`judge`). :func:`run` takes the steps on a connection; the page caches the scope, the
model and each plan by their inputs (``ui/data``) and hands them to :func:`judge`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
from ibis.backends import BaseBackend

from analytics.planning import partition, queueing, whatif
from analytics.queries import data_range
from analytics.settings import Settings


@dataclass(frozen=True)
class Scenario:
    """What the user chose: the unit to re-draw and at most one target (households per grid,
    number of grids, or a ceiling of events a month per worker), with or without least
    change. With no target, the hand ``edits`` (("split", grid) or ("merge", a, b)) applied
    in order to today's grids; with no edits either, today's grids."""

    unit_id: str
    households_per_grid: float | None = None
    n_grids: int | None = None
    events_ceiling: float | None = None
    least_change: bool = False
    edits: tuple[tuple[str, ...], ...] = ()

    @property
    def redraws(self) -> bool:
        """Whether a target re-draws the grids (else the hand edits apply)."""
        targets = (self.households_per_grid, self.n_grids, self.events_ceiling)
        return any(x is not None for x in targets)

    def today(self) -> Scenario:
        """The same unit as it is: the 'before' of the comparison."""
        return Scenario(self.unit_id)

    def staff_cap(self, settings: Settings) -> float:
        """Events a month per full-time worker before a new grid gets another: an events
        ceiling is also the cap, otherwise the deployment's."""
        return self.events_ceiling or settings.events_per_worker_cap


def draw(
    scope: whatif.Scope,
    scenario: Scenario,
    calibration: pd.DataFrame,
    hours_per_month: float = whatif.WORKER_HOURS_PER_MONTH,
) -> partition.Plan:
    """The scenario's plan: the scope re-drawn for its target (``whatif.redraw``), or the hand
    edits (``whatif.hand_edits``) when it has none (ValueError in Chinese for a target or an
    edit the partitioner refuses)."""
    if scenario.redraws:
        return whatif.redraw(
            scope,
            calibration,
            households_per_grid=scenario.households_per_grid,
            n_grids=scenario.n_grids,
            events_ceiling=scenario.events_ceiling,
            least_change=scenario.least_change,
            hours_per_month=hours_per_month,
        )
    return whatif.hand_edits(scope, scenario.edits)


@dataclass(frozen=True)
class Result:
    """A scenario's plan beside today's grids, both judged by the same model."""

    scenario: Scenario
    scope: whatif.Scope
    plan: partition.Plan  # the scenario's grids
    today: partition.Plan  # today's grids as a plan
    before: whatif.Outcome  # today's grids with today's staff
    after: whatif.Outcome  # the scenario's grids staffed by ``staff_cap``
    calibration: pd.DataFrame
    model: queueing.Model
    tests: dict[str, queueing.Backtest]
    staff_cap: float
    seconds: float = 0.0  # how long drawing the plan took (0 when it came from a cache)

    def summary(self) -> dict:
        """summary.json's figures (``whatif.summary``)."""
        return whatif.summary(self.plan, self.before, self.after, self.model, self.tests)


def judge(
    scenario: Scenario,
    scope: whatif.Scope,
    calibrated: tuple[pd.DataFrame, queueing.Model, dict[str, queueing.Backtest]],
    plan: partition.Plan,
    today: partition.Plan,
    settings: Settings,
    seconds: float = 0.0,
) -> Result:
    """Today's grids with today's staff and the scenario's ``plan`` staffed by
    :meth:`Scenario.staff_cap`, predicted by the model of ``calibrated`` (what
    ``whatif.calibrated_model`` returns)."""
    calibration, model, tests = calibrated
    cap = scenario.staff_cap(settings)
    common = {
        "hours_per_month": settings.worker_hours_per_month,
        "cost_per_worker_year": settings.cost_per_worker_year,
    }
    before = whatif.outcome(today, scope, calibration, model, **common)
    after = whatif.outcome(plan, scope, calibration, model, staff_cap=cap, **common)
    return Result(
        scenario, scope, plan, today, before, after, calibration, model, tests, cap, seconds
    )


def run(con: BaseBackend, scenario: Scenario, settings: Settings | None = None) -> Result:
    """The scenario on ``con`` from start to end (ValueError in Chinese for an unknown unit
    or one without buildings, a database without events, too few grids to calibrate the
    model, or a target the partitioner refuses)."""
    settings = settings or Settings()
    hours = settings.worker_hours_per_month
    scope = whatif.load_scope(con, scenario.unit_id)
    coverage = data_range(con)
    if coverage is None:
        raise ValueError("数据库中还没有事件,无法校准预测模型。")
    calibrated = whatif.calibrated_model(con, coverage, hours)
    started = time.perf_counter()
    plan = draw(scope, scenario, calibrated[0], hours)
    seconds = time.perf_counter() - started
    today = draw(scope, scenario.today(), calibrated[0], hours)
    return judge(scenario, scope, calibrated, plan, today, settings, seconds)
