"""The process-wide cache of ``ui.data``: what ``st.cache_data`` gives, without its costs.

``st.cache_data`` hashes every argument with its own hasher and pickles each result, so that
every hit unpickles a private copy: about 1.5–2.5 ms a hit, and a page makes 20–30 hits on
every rerun, a widget change that needs no new data included (``bench/ratios.py``). The
arguments here are frozen dataclasses, tuples and strings, hashable as they are, so a hit
is a dictionary lookup; a result is handed out as a private copy made the cheap way:

- a pandas DataFrame or Series as a shallow copy: with pandas' copy-on-write (always on from
  pandas 3) a change to the copy, in place or not, copies what it changes and never reaches
  the cached frame;
- tuples, lists, dicts and dataclasses rebuilt around private copies of their items;
- immutable values (numbers, strings, dates, frozen dataclasses of those) as they are;
- anything else deep-copied, as the pickled copy was.

A call is keyed by its arguments bound to the function's parameters, defaults filled in.
Like ``st.cache_data`` it keeps at most ``max_entries`` results per function (the least
recently used goes first), computes a missing result once when several sessions ask for it
at the same time, and caches nothing when the function raises.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pandas as pd

_CACHES: list[_Cache] = []
_IMMUTABLE = (str, bytes, int, float, bool, complex, type(None), dt.date, dt.time, dt.timedelta)


def private(value):
    """A copy of ``value`` that the caller may change without touching the cached one."""
    if isinstance(value, _IMMUTABLE) or isinstance(value, np.generic):
        return value
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(private(v) for v in value)
    if isinstance(value, list):
        return [private(v) for v in value]
    if type(value) is dict:
        return {k: private(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        copies = {name: private(v) for name, v in fields.items()}
        frozen = type(value).__dataclass_params__.frozen
        if frozen and all(copies[name] is v for name, v in fields.items()):
            return value  # immutable all through
        clone = copy.copy(value)
        for name, v in copies.items():
            object.__setattr__(clone, name, v)
        return clone
    return copy.deepcopy(value)


class _Cache:
    def __init__(self, fn: Callable, max_entries: int) -> None:
        self.fn = fn
        self.signature = inspect.signature(fn)
        self.max_entries = max_entries
        self.values: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.computing: dict = {}  # key -> the lock its first caller holds while computing

    def get(self, key):
        with self.lock:
            if key in self.values:
                self.values.move_to_end(key)
                return True, self.values[key]
            return False, self.computing.setdefault(key, threading.Lock())

    def key(self, args: tuple, kwargs: dict) -> tuple:
        bound = self.signature.bind(*args, **kwargs)  # f(a, 1) and f(a, b=1) are one call
        bound.apply_defaults()
        return tuple(bound.arguments.values())

    def has(self, args: tuple, kwargs: dict) -> bool:
        key = self.key(args, kwargs)
        with self.lock:
            return key in self.values

    def call(self, args: tuple, kwargs: dict):
        key = self.key(args, kwargs)
        found, value = self.get(key)
        if found:
            return value
        with value:  # one caller computes; the others wait for it, then read its result
            found, result = self.get(key)
            if found:
                return result
            try:
                result = self.fn(*args, **kwargs)
            except BaseException:
                with self.lock:
                    self.computing.pop(key, None)
                raise
            with self.lock:  # stored in the step that ends its computing: always in one of them
                self.values[key] = result
                self.computing.pop(key, None)
                while len(self.values) > self.max_entries:
                    self.values.popitem(last=False)
            return result

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


def cached(max_entries: int, shared: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: the function's results cached per argument values (which must be
    hashable) for every session of the process; ``fn.clear()`` empties its cache and
    ``fn.has(*args)`` tells whether a call's result is there. ``shared=True`` hands out the
    cached value itself, no copy: for results every caller only reads (built sections with
    their figures, which no page or slide changes once built)."""

    def decorate(fn: Callable) -> Callable:
        cache = _Cache(fn, max_entries)
        _CACHES.append(cache)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            value = cache.call(args, kwargs)
            return value if shared else private(value)

        wrapper.clear = cache.clear
        wrapper.has = lambda *args, **kwargs: cache.has(args, kwargs)
        return wrapper

    return decorate


def clear_all() -> None:
    """Empty every cache made by :func:`cached`."""
    for cache in _CACHES:
        cache.clear()
