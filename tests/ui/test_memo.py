"""``ui/memo.py``: the process-wide cache behind ``ui.data``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pandas as pd
import pytest

from ui import memo


@dataclass
class Plan:  # a mutable result, as the what-if plan is
    frame: pd.DataFrame
    notes: list


def test_a_hit_returns_the_same_figures_without_computing_again():
    calls = []

    @memo.cached(max_entries=4)
    def figures(scope: str, compare: str | None = "yoy") -> pd.DataFrame:
        calls.append((scope, compare))
        return pd.DataFrame({"scope": [scope], "value": [1.5]})

    first = figures("S01")
    again = figures("S01", "yoy")
    by_name = figures(scope="S01", compare="yoy")
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, by_name)
    assert calls == [("S01", "yoy")]
    figures("S01", None)
    assert calls == [("S01", "yoy"), ("S01", None)]


def test_a_caller_changing_its_copy_does_not_change_the_cached_result():
    @memo.cached(max_entries=4)
    def table() -> tuple[pd.DataFrame, dict, Plan]:
        frame = pd.DataFrame({"a": [1, 2, 3]})
        return frame, {"names": ["x"]}, Plan(frame.copy(), ["n"])

    frame, names, plan = table()
    frame.loc[0, "a"] = 99
    frame["b"] = 0
    frame.iloc[1:, 0] = 0
    names["names"].append("y")
    plan.frame.loc[1, "a"] = -1
    plan.notes.append("m")
    frame2, names2, plan2 = table()
    assert frame2["a"].tolist() == [1, 2, 3] and list(frame2.columns) == ["a"]
    assert names2 == {"names": ["x"]}
    assert plan2.frame["a"].tolist() == [1, 2, 3] and plan2.notes == ["n"]
    plan2.frame = None  # a field replaced in the copy, not in the cache
    assert table()[2].frame is not None


def test_immutable_results_are_handed_out_as_they_are():
    @dataclass(frozen=True)
    class Range:
        first: str
        last: str

    @memo.cached(max_entries=2)
    def span() -> Range:
        return Range("2026-01-01", "2026-10-31")

    assert span() is span()


def test_the_least_recently_used_result_goes_first():
    calls = []

    @memo.cached(max_entries=2)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    square(1), square(2), square(1), square(3)  # 2 is now the least recently used
    square(1)
    assert calls == [1, 2, 3]
    square(2)
    assert calls == [1, 2, 3, 2]
    square.clear()
    square(1)
    assert calls == [1, 2, 3, 2, 1]


def test_concurrent_callers_compute_a_missing_result_once():
    calls = []

    @memo.cached(max_entries=2)
    def slow(x: int) -> int:
        calls.append(x)
        time.sleep(0.2)
        return x

    threads = [threading.Thread(target=slow, args=(7,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [7]


def test_a_result_is_never_missing_between_computed_and_stored():
    """A caller arriving as the first one finishes finds the result or waits for it: never
    neither, which would make it compute the result again."""

    @memo.cached(max_entries=2)
    def square(x: int) -> int:
        return x * x

    cache = memo._CACHES[-1]
    seen = []

    class Watched:  # the cache's lock, noting at each release where the call stands
        def __init__(self) -> None:
            self.lock = threading.Lock()

        def __enter__(self):
            return self.lock.__enter__()

        def __exit__(self, *exc):
            key = (3,)
            seen.append((key in cache.computing, key in cache.values))
            return self.lock.__exit__(*exc)

    cache.lock = Watched()
    assert square(3) == 9
    started = seen.index((True, False))  # the first call began computing
    assert (False, False) not in seen[started:], seen
    assert seen[-1] == (False, True)


def test_a_failure_is_not_cached():
    calls = []

    @memo.cached(max_entries=2)
    def flaky(x: int) -> int:
        calls.append(x)
        if len(calls) == 1:
            raise RuntimeError("store busy")
        return x

    with pytest.raises(RuntimeError):
        flaky(1)
    assert flaky(1) == 1
    assert calls == [1, 1]


def test_clear_all_empties_every_cache():
    calls = []

    @memo.cached(max_entries=2)
    def one() -> int:
        calls.append(1)
        return 1

    one()
    memo.clear_all()
    one()
    assert calls == [1, 1]


def test_has_tells_whether_a_call_is_cached_without_making_it():
    calls = []

    @memo.cached(max_entries=2)
    def figures(scope: str, compare: str = "yoy") -> int:
        calls.append(scope)
        return 1

    assert not figures.has("S01")
    figures("S01", compare="yoy")
    assert figures.has("S01") and figures.has(scope="S01", compare="yoy")
    assert not figures.has("S01", "mom")
    assert calls == ["S01"]
