"""How a grid's workload turns into waiting, calibrated on the current grids.

Each grid is a queue whose servers are its full-time grid workers. Events that need the
worker arrive at ``rate`` per working hour; each takes ``service_hours`` of a worker's time
(not recorded anywhere, so it is fitted). Erlang C gives the mean queueing delay ``Wq``.
The observed response times also hold delay that no queue explains (night hours, a call
taken the next morning), so each figure is fitted as ``base + slope · Wq``:
the median and P90 response time, and 按时办结率 on the logit scale.

The single unknown ``service_hours`` is chosen on a grid of values to minimise the error of
the median's fit; everything else is a least-squares line. A power law in the load per
worker is the alternative (``kind="load"``). A five-fold cross-validation over the current
grids says how far to trust each: every grid is predicted by a model fitted without it; the
better model is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

SERVICE_HOURS_GRID = np.round(np.arange(0.01, 3.0, 0.01), 3)  # candidate hours per event
MAX_UTILISATION = 0.999  # a queue at or above 1 never empties: its wait is unbounded
FOLDS = 5
MIN_GRIDS = 10  # fewer grids cannot say how delay grows with load
MIN_HOURS = 1 / 60  # a median of zero (all accepted at once) counts as a minute on a log scale


def erlang_c(servers, load) -> np.ndarray:
    """Probability that an arrival waits in an M/M/c queue with ``servers`` servers and
    offered ``load`` = arrival rate × service time (erlangs); 1 where load ≥ servers."""
    servers, load = np.broadcast_arrays(
        np.asarray(servers, dtype="int64"), np.asarray(load, dtype="float64")
    )
    out = np.ones(load.shape)
    for idx, c in np.ndenumerate(servers):
        a = float(load[idx])
        if c < 1 or a >= c:
            continue
        b = 1.0  # Erlang B by its stable recursion, then C from B
        for k in range(1, int(c) + 1):
            b = a * b / (k + a * b)
        rho = a / c
        out[idx] = b / (1 - rho + rho * b)
    return out


def mean_wait(rate: np.ndarray, servers: np.ndarray, service_hours: float) -> np.ndarray:
    """Mean queueing delay Wq (hours) of M/M/c; inf where the queue is overloaded."""
    rate = np.asarray(rate, dtype="float64")
    servers = np.asarray(servers, dtype="float64")
    load = rate * service_hours
    capacity = servers / service_hours
    with np.errstate(divide="ignore", invalid="ignore"):
        wq = erlang_c(servers, load) / (capacity - rate)
    return np.where((servers >= 1) & (load / np.maximum(servers, 1) < MAX_UTILISATION), wq, np.inf)


KINDS = {"mmc": "排队模型(M/M/c,Erlang C)", "load": "负荷曲线(人均负荷的幂函数)"}


@dataclass(frozen=True)
class Model:
    """``kind`` "mmc": figures are lines in the queue's mean wait Wq (service_hours fitted).
    ``kind`` "load": log figures are lines in log(events per worker-hour), a power law that
    fits when delay grows more gently with load than a queue would predict."""

    kind: str
    service_hours: float  # mmc only (nan for the load curve)
    median: tuple[float, float]  # base, slope of the median response (hours; load: log hours)
    p90: tuple[float, float]
    on_time: tuple[float, float]  # logit(按时办结率) = base + slope · feature

    def feature(self, rate, servers) -> np.ndarray:
        rate = np.asarray(rate, dtype="float64")
        servers = np.asarray(servers, dtype="float64")
        if self.kind == "mmc":
            return mean_wait(rate, servers, self.service_hours)
        return _log_load(rate, servers)

    def predict(self, rate, servers) -> pd.DataFrame:
        """Per grid: utilisation (mmc) or load, and the predicted median and P90 response
        (hours) and 按时办结率. An overloaded queue predicts inf hours and 0 % on time."""
        rate = np.asarray(rate, dtype="float64")
        servers = np.asarray(servers, dtype="float64")
        x = self.feature(rate, servers)
        finite = np.isfinite(x)
        xf = np.where(finite, x, 0.0)
        med = self.median[0] + self.median[1] * xf
        p90 = self.p90[0] + self.p90[1] * xf
        if self.kind == "load":
            med, p90 = np.exp(med), np.exp(p90)
        logit = self.on_time[0] + self.on_time[1] * xf
        per_worker = rate / np.maximum(servers, 1)
        return pd.DataFrame(
            {
                "utilisation": per_worker * self.service_hours
                if self.kind == "mmc"
                else np.full(len(rate), np.nan),
                "median_hours": np.where(finite, med, np.inf),
                "p90_hours": np.where(finite, p90, np.inf),
                "on_time_rate": np.where(finite, 1 / (1 + np.exp(-logit)), 0.0),
            }
        )


def _log_load(rate: np.ndarray, servers: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(rate / np.maximum(servers, 1), 1e-6))


def _line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted least-squares line y ≈ a + b·x: (a, b, weighted squared error)."""
    sw = w.sum()
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    vx = (w * (x - mx) ** 2).sum()
    b = (w * (x - mx) * (y - my)).sum() / vx if vx > 1e-12 * max(sw, 1.0) else 0.0
    a = my - b * mx
    return a, b, float((w * (y - a - b * x) ** 2).sum())


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.005, 0.995)
    return np.log(p / (1 - p))


def fit(grids: pd.DataFrame, kind: str = "mmc") -> Model:
    """Calibrate on current grids: columns rate (events needing the worker per working hour),
    servers (full-time workers), median_hours, p90_hours, on_time_rate, events (weights)."""
    rate = grids["rate"].to_numpy(dtype="float64")
    servers = grids["servers"].to_numpy(dtype="float64")
    weight = np.sqrt(grids["events"].to_numpy(dtype="float64"))  # bigger grids: firmer figures
    median = grids["median_hours"].to_numpy(dtype="float64")
    p90 = grids["p90_hours"].to_numpy(dtype="float64")
    on_time = _logit(grids["on_time_rate"].to_numpy(dtype="float64"))
    if len(grids) < MIN_GRIDS:
        raise ValueError(f"校准预测模型至少需要 {MIN_GRIDS} 个有专职网格员和事件的网格。")
    if kind == "load":
        x = _log_load(rate, servers)
        return Model(
            "load",
            math.nan,
            _line(x, np.log(np.maximum(median, MIN_HOURS)), weight)[:2],
            _line(x, np.log(np.maximum(p90, MIN_HOURS)), weight)[:2],
            _line(x, on_time, weight)[:2],
        )
    best = None
    for s in SERVICE_HOURS_GRID:
        wq = mean_wait(rate, servers, float(s))
        if not np.isfinite(wq).all():
            break  # longer services would overload a grid that is not overloaded today
        a, b, err = _line(wq, median, weight)
        if b >= 0 and (best is None or err < best[0]):
            best = (err, float(s), (a, b))
    if best is None:
        raise ValueError("无法校准排队模型:网格数据不足或已超负荷。")
    _, s, med = best
    wq = mean_wait(rate, servers, s)
    return Model("mmc", s, med, _line(wq, p90, weight)[:2], _line(wq, on_time, weight)[:2])


@dataclass(frozen=True)
class Backtest:
    """Cross-validated accuracy on the current grids (each predicted without itself)."""

    median_mape: float  # mean absolute percentage error of the median response
    median_r: float  # Pearson correlation, predicted vs actual median response
    p90_mape: float
    p90_r: float
    on_time_mae: float  # mean absolute error of 按时办结率, in rate units (0.01 = 1 point)
    on_time_r: float
    predictions: pd.DataFrame  # grid_id, actual and predicted figures


def backtest(grids: pd.DataFrame, kind: str = "mmc", folds: int = FOLDS) -> Backtest:
    """``folds``-fold cross-validation over the grids in a fixed order (by grid_id)."""
    grids = grids.sort_values("grid_id", ignore_index=True)
    fold = np.arange(len(grids)) % folds
    parts = []
    for k in range(folds):
        test = grids[fold == k]
        if test.empty:
            continue
        model = fit(grids[fold != k], kind)
        predicted = model.predict(test["rate"], test["servers"])
        predicted.index = test.index
        parts.append(predicted)
    pred = pd.concat(parts).sort_index()
    out = grids[["grid_id", "median_hours", "p90_hours", "on_time_rate"]].join(
        pred.add_prefix("predicted_")
    )

    def mape(actual: str, predicted: str) -> float:
        """A grid the model cannot predict (overloaded, undefined) counts as a 100 % miss."""
        a, p = out[actual].to_numpy(), out[predicted].to_numpy()
        ok = a > 0
        err = np.where(np.isfinite(p[ok]), np.abs(p[ok] - a[ok]) / a[ok], 1.0)
        return float(np.mean(err))

    def corr(actual: str, predicted: str) -> float:
        a, p = out[actual].to_numpy(), out[predicted].to_numpy()
        ok = np.isfinite(p)
        if ok.sum() <= 2:
            return math.nan
        with np.errstate(invalid="ignore", divide="ignore"):  # a constant side: no correlation
            return float(np.corrcoef(a[ok], p[ok])[0, 1])

    return Backtest(
        median_mape=mape("median_hours", "predicted_median_hours"),
        median_r=corr("median_hours", "predicted_median_hours"),
        p90_mape=mape("p90_hours", "predicted_p90_hours"),
        p90_r=corr("p90_hours", "predicted_p90_hours"),
        on_time_mae=float(np.mean(np.abs(out["predicted_on_time_rate"] - out["on_time_rate"]))),
        on_time_r=corr("on_time_rate", "predicted_on_time_rate"),
        predictions=out,
    )


def grids_to_calibrate(folds: int = FOLDS) -> int:
    """The fewest grids :func:`calibrate` works with: each back-test fold must still fit on
    ``MIN_GRIDS`` grids once its own share is held out."""
    n = MIN_GRIDS
    while n - math.ceil(n / folds) < MIN_GRIDS:
        n += 1
    return n


def calibrate(grids: pd.DataFrame) -> tuple[Model, dict[str, Backtest]]:
    """Both models' cross-validated back-tests, and the better one (lower median error)
    fitted on every grid (ValueError in Chinese with too few grids)."""
    need = grids_to_calibrate()
    if len(grids) < need:
        raise ValueError(
            f"校准预测模型至少需要 {need} 个近一年有专职网格员、有事件、有响应时长和按时办结率"
            f"(需有办结时限)的网格,现有 {len(grids)} 个。"
        )
    tests = {kind: backtest(grids, kind) for kind in KINDS}
    best = min(tests, key=lambda k: (tests[k].median_mape, k))
    return fit(grids, best), tests
