"""The what-if page's response model: Erlang C, calibration and the back-test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.planning import queueing


def test_erlang_c_textbook_values():
    assert queueing.erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = utilisation
    assert queueing.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert queueing.erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert queueing.erlang_c(1, 1.2) == 1.0  # overloaded: every arrival waits
    assert list(queueing.erlang_c(np.array([1, 2]), np.array([0.5, 1.0]))) == pytest.approx(
        [0.5, 1 / 3]
    )


def test_mean_wait_of_an_mm1_queue():
    # λ = 0.5 per hour, one hour each: ρ = 0.5, Wq = ρ·s / (1 − ρ) = 1 hour.
    assert queueing.mean_wait(np.array([0.5]), np.array([1]), 1.0)[0] == pytest.approx(1.0)
    assert np.isinf(queueing.mean_wait(np.array([1.5]), np.array([1]), 1.0)[0])


def synthetic(kind: str, n: int = 60) -> pd.DataFrame:
    """Grids whose figures follow the model exactly."""
    rate = np.linspace(0.1, 2.2, n)
    servers = np.where(np.arange(n) % 4 == 0, 2, 1)
    if kind == "mmc":
        wq = queueing.mean_wait(rate, servers, 0.3)
        median, p90, logit = 0.2 + 0.8 * wq, 1.5 + 4.0 * wq, 3.0 - 2.0 * wq
    else:
        x = np.log(rate / servers)
        median, p90, logit = np.exp(-1.2 + 0.5 * x), np.exp(0.9 + 0.4 * x), 3.0 - 0.8 * x
    return pd.DataFrame(
        {
            "grid_id": [f"G{i:03d}" for i in range(n)],
            "rate": rate,
            "servers": servers,
            "events": np.full(n, 1000),
            "median_hours": median,
            "p90_hours": p90,
            "on_time_rate": 1 / (1 + np.exp(-logit)),
        }
    )


def test_fit_recovers_the_queue_that_made_the_data():
    model = queueing.fit(synthetic("mmc"), "mmc")
    assert model.service_hours == pytest.approx(0.3)
    assert model.median == pytest.approx((0.2, 0.8), abs=1e-6)
    assert model.p90 == pytest.approx((1.5, 4.0), abs=1e-6)
    assert model.on_time == pytest.approx((3.0, -2.0), abs=1e-6)
    predicted = model.predict([0.5, 5.0], [1, 1])
    assert predicted["utilisation"].tolist() == pytest.approx([0.15, 1.5])
    assert np.isinf(predicted["median_hours"][1]) and predicted["on_time_rate"][1] == 0


def test_the_back_test_is_exact_on_exact_data_and_picks_the_right_model():
    for kind in queueing.KINDS:
        data = synthetic(kind)
        test = queueing.backtest(data, kind)
        assert test.median_mape < 1e-6 and test.median_r > 0.999999, kind
        assert test.on_time_mae < 1e-3  # rates are clipped to 0.5–99.5 % before the logit
        assert len(test.predictions) == len(data)
        model, tests = queueing.calibrate(data)
        assert model.kind == kind and set(tests) == set(queueing.KINDS)
        assert (
            tests[kind].median_mape
            < tests[next(k for k in queueing.KINDS if k != kind)].median_mape
        )


def test_the_back_test_predicts_each_grid_without_it():
    data = synthetic("load")
    data.loc[7, "median_hours"] *= 3  # one odd grid: its own fit cannot absorb it
    test = queueing.backtest(data, "load")
    errors = test.predictions["predicted_median_hours"] / test.predictions["median_hours"] - 1
    assert errors.abs().idxmax() == 7 and errors.abs()[7] > 0.5
