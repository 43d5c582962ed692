"""热点诉求: many people, one place, one problem, within days, found in the citizens' words.

An issue is a set of events similar in text (cosine of character-pair TF-IDF over the cleaned
text, :func:`analytics.text.index_text`: personal data never enters the index), in the same
place (one grid; events without a grid but with coordinates: within ``radius_m`` of the
issue's centre in the same community) and close in time (each within ``window_days`` of the
issue's previous event, the whole issue within ``max_span_days``), with enough events and
people, and far more common at its place and days than in the whole period (``lift``: a
category's boilerplate is everywhere). The method and the heat index: docs/hotspots.md.

The steps, each with its reason:

1. Candidate pairs: one place's events against those up to a window later, in sparse blocks,
   on the *rare* character pairs only: greetings and templates are no evidence of one
   problem, and dropping them keeps the products sparse (a year of 1M events in < 1 s).
2. Within each group of linked events, each event in time order joins the most similar open
   issue's *centroid* (all character pairs) or starts one: no chain of loosely similar
   messages glues unrelated problems together.
3. Each member is checked against the centroid of the others (the first event never met
   one); then size, people and lift filters; titles from jieba words distinctive against
   the period's texts.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends import BaseBackend
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from analytics import geo, text
from analytics.drilldown import COLUMNS, selected, shown
from analytics.filters import Filters, apply_scope, in_period
from analytics.masking import mask_frame
from analytics.queries import DataRange, data_range

WINDOW_DAYS = 7  # the most days between an issue's consecutive events
MAX_SPAN_DAYS = 30  # the most days from an issue's first event to its last
MIN_EVENTS = 5  # an issue has at least this many events …
MIN_PEOPLE = 3  # … from at least this many reporters
THRESHOLD = 0.12  # cosine similarity to the issue's centroid (tuned on the demo's planted issues)
LINK = 0.06  # pairs this similar in their rare character pairs make the candidate groups
COMMON = 500  # a character pair in more texts than this is common (not evidence of one matter)
RADIUS_M = 300.0  # events without a grid: metres from the issue's centre
RECENCY_HALF_LIFE = 7.0  # days: an issue quiet for a week weighs half as much on 近期
MIN_LIFT = 20.0  # an issue's words are this many times more common at its place and days
LIFT_SAMPLE = 2000  # texts of the period an issue's district-wide share is estimated on
KEYWORDS = 3  # words in a title
BACKGROUND_SAMPLE = 3000  # period texts segmented to judge which words are distinctive
_BLOCK_ROWS = 512  # one place's events compared at once with those up to a window later
_INDEX_CHUNK = 100_000  # texts indexed at once
_FETCH_CHUNK = 250_000  # events of the period fetched and cleaned at once (about)
_KEYS = 0x5200 * 0x5200  # character pair keys (``_bigrams``)
_FETCHED = (
    "event_id", "grid_id", "community_id", "street_id", "lon", "lat", "reported_at",
    "closed_at", "category", "reporter_phone",
)  # fmt: skip
_CODES = ("grid_id", "community_id", "street_id", "category", "place")  # few values: categorical
_ORDER = [(c, "ascending", "at_end") for c in ("place", "reported_at", "event_id")]
_QUANTITY = frozenset("一二三四五六七八九十百千几两每各这那第半整好")
_VOCABULARY = frozenset(text.VOCABULARY)


@dataclass(frozen=True, eq=False)
class HotIssues:
    """The issues of a period (``issues``: one row each, hottest first), which events make
    them (``members``: issue_id, event_id), how many of the period's events carry words at
    all, and the settings used."""

    issues: pd.DataFrame
    members: pd.DataFrame
    events_with_text: int
    events_in_period: int
    params: dict = field(default_factory=dict)


ISSUE_COLUMNS = (
    "issue_id", "title", "keywords", "grid_id", "grid_name", "community_id", "community_name",
    "street_id", "street_name", "lon", "lat", "category", "events", "people", "first_at",
    "last_at", "span_days", "open", "open_share", "previous", "growth", "new", "lift",
    "heat", "heat_raw",
)  # fmt: skip


# ---------------------------------------------------------------- fetching and cleaning


def _fetch(
    con: BaseBackend,
    f: Filters,
    *,
    grids: Sequence[str] | None = None,
    ungridded: bool = True,
    parts: int = 1,
) -> tuple[pd.DataFrame, _Sorted]:
    """:func:`_prepared` of the period's events in scope that carry a description (only
    ``grids``' and, with ``ungridded``, those without a grid, when ``grids`` is given), by
    place, then time and event id, events without a place last: the frame, and its ``han``
    in the same order. Fetched and prepared in ``parts`` runs of whole days, as Arrow (the
    reporter's name already removed by the database): a year of a city's descriptions at
    once took 3 GB, and as Python strings twice the memory and four times the time."""
    days = (f.end - f.start).days + 1
    edges = np.linspace(0, days, min(max(parts, 1), days) + 1).round().astype(int)
    found = []
    for a, b in itertools.pairwise(edges):
        start, end = f.start + timedelta(days=int(a)), f.start + timedelta(days=int(b) - 1)
        t = apply_scope(con.table("events"), f)
        t = t.filter(in_period(t, start, end), t.description.notnull())
        if grids is not None:
            inside = t.grid_id.isin(list(grids)) if grids else ibis.literal(False)
            t = t.filter(inside | t.grid_id.isnull() if ungridded else inside)
        found.append(_prepared(t.select(*_FETCHED, **_texts(t)).to_pyarrow()))
    return _frame(found)


def _frame(parts: list[pa.Table]) -> tuple[pd.DataFrame, _Sorted]:
    """The rows of ``parts`` (emptied) by place, then time and event id (no place last), as a
    frame: the units and categories categorical, texts as Arrow strings; and their ``han``,
    left where it is and taken in that order where it is used. Made a column at a time, each
    let go once taken: a year of a city's rows is half a gigabyte, a third of it ``han``."""
    got = pa.concat_tables(parts)
    parts.clear()
    order = pc.sort_indices(got, sort_keys=_ORDER)
    han = _Sorted(got.column("han").combine_chunks(), order.to_numpy())  # taken from fast
    got = got.drop_columns(["han"])
    columns = {}
    for name in got.column_names:
        column = got.column(name).combine_chunks().take(order)  # a chunked take is 3× slower
        got = got.drop_columns([name])
        if name in _CODES:
            columns[name] = column.dictionary_encode().to_pandas()
        elif pa.types.is_string(column.type):
            columns[name] = pd.Series(column, dtype=pd.ArrowDtype(column.type))
        else:
            columns[name] = column.to_numpy(zero_copy_only=False)
    return pd.DataFrame(columns), han


class _Sorted:
    """Texts in another order without a copy in it: the rows asked for are taken."""

    def __init__(self, texts: pa.Array, order: np.ndarray) -> None:
        self.texts, self.order = texts, order

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, rows: slice | np.ndarray) -> pa.Array:
        return self.texts.take(self.order[rows])


def _texts(t: ibis.Table) -> dict[str, ibis.Value]:
    """The description without its reporter's name, and the name stripped, as
    ``text.index_text`` takes them apart."""
    return {
        "description": text.without_name(t.description, t.reporter_name),
        "name": text.stripped_name(t.reporter_name),
    }


def _count_events(con: BaseBackend, f: Filters) -> int:
    t = apply_scope(con.table("events"), f)
    return int(t.filter(in_period(t, f.start, f.end)).count().execute())


def _cleaned(con: BaseBackend, f: Filters, event_ids: pd.Series) -> dict[str, str]:
    """The indexed text (``text.index_text``: personal data removed) of each event of
    ``event_ids``, fetched again by id."""
    t = apply_scope(con.table("events"), f)
    ids = [str(e) for e in event_ids]
    got = t.filter(t.event_id.isin(ids)).select("event_id", **_texts(t)).to_pyarrow()
    clean = text.cleaned(got["description"])
    return dict(zip(got["event_id"].to_pylist(), clean.to_pylist(), strict=True))


def _prepared(got: pa.Table) -> pa.Table:
    """Rows with words once personal data is removed: ``han`` (the Chinese characters of
    the indexed text, :func:`_cleaned`: what the character pairs are taken from), ``place``
    (the key events are clustered within: ``g:<grid>``, or ``c:<community>`` for events with
    coordinates but no grid, else none), ``person`` (the phone's digits, else the name, else
    the event: to count people, never returned). The indexed text itself is not kept: half
    the frame's memory, and only the issues' titles need it (:func:`_cleaned` again)."""
    han = text.chinese(text.cleaned(got["description"]))
    keep = pc.fill_null(pc.greater_equal(pc.utf8_length(han), text.MIN_CHINESE), False)
    got, han = got.filter(keep), han.filter(keep)
    digits = pc.replace_substring_regex(got["reporter_phone"].cast(pa.string()), r"\D", "")
    digits = pc.utf8_slice_codeunits(digits, -11)  # ASCII digits: code units are characters
    phone = pc.if_else(pc.greater_equal(pc.utf8_length(digits), 5), digits, None)
    name = pc.if_else(pc.greater(pc.utf8_length(got["name"]), 0), got["name"], None)
    person = pc.coalesce(
        pc.binary_join_element_wise("p", phone, ""),
        pc.binary_join_element_wise("n", name, ""),
        pc.binary_join_element_wise("e", got["event_id"].cast(pa.string()), ""),
    )
    located = pc.and_(_known(got["lon"]), _known(got["lat"]))
    unit = pc.coalesce(got["community_id"], got["street_id"], "")
    place = pc.if_else(
        pc.is_valid(got["grid_id"]),
        pc.binary_join_element_wise("g:", got["grid_id"], ""),
        pc.if_else(located, pc.binary_join_element_wise("c:", unit, ""), None),
    )
    got = got.drop_columns(["reporter_phone", "name", "description"])
    return (
        got.append_column("han", han).append_column("person", person).append_column("place", place)
    )


def _known(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Not null and not NaN (pandas' ``notna`` of a float column)."""
    return pc.fill_null(pc.invert(pc.is_nan(values)), False)


class _Index:
    """TF-IDF of character pairs (sublinear counts, smoothed IDF, unit rows, as scikit-learn's
    ``TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)``), computed on
    code points with numpy: scikit-learn's Python tokenising took 6 s for a year of a city.

    Only the vocabulary and the IDF are kept, counted :data:`_INDEX_CHUNK` texts at a time;
    rows are made by :meth:`transform` where they are needed. Every pair occurrence of a
    year of a city at once (some 200 million) took 4.6 GB, and the matrix of all its texts
    1.2 GB more."""

    def __init__(self, texts: Sequence[str] | pa.Array) -> None:
        texts = _arrow(texts)  # an Arrow array as it is: no copy
        keys, held = [np.empty(0, np.int32)], [np.empty(0, np.int64)]
        for start in range(0, len(texts), _INDEX_CHUNK):
            chunk = texts[start : start + _INDEX_CHUNK]
            counts = self._counts(*_bigrams(chunk), len(chunk), _KEYS)
            k, c = np.unique(counts.indices, return_counts=True)  # the texts holding each
            keys.append(k)
            held.append(c)
        self.vocab, where = np.unique(np.concatenate(keys), return_inverse=True)
        df = np.bincount(where, weights=np.concatenate(held), minlength=len(self.vocab))
        self.df = df.astype(np.int64)
        self.idf = (np.log((1.0 + len(texts)) / (1.0 + self.df)) + 1.0).astype(np.float32)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The rows of ``texts``, made :data:`_INDEX_CHUNK` at a time (each row is its own)."""
        texts = _arrow(texts)
        if len(texts) > _INDEX_CHUNK:
            return sparse.vstack(
                [
                    self.transform(texts[a : a + _INDEX_CHUNK])
                    for a in range(0, len(texts), _INDEX_CHUNK)
                ],
                format="csr",
            )
        doc, key = _bigrams(texts)
        col = np.searchsorted(self.vocab, key).clip(max=max(len(self.vocab) - 1, 0))
        known = self.vocab[col] == key if len(self.vocab) else np.zeros(len(key), bool)
        return self._weighted(self._counts(doc[known], col[known], len(texts), len(self.vocab)))

    @staticmethod
    def _counts(doc: np.ndarray, col: np.ndarray, n: int, columns: int) -> sparse.csr_matrix:
        ones = np.ones(len(doc), np.float32)
        m = sparse.csr_matrix((ones, (doc, col)), shape=(n, columns))
        m.sum_duplicates()
        return m

    def _weighted(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        m = counts.copy()
        m.data = (1.0 + np.log(m.data)) * self.idf[m.indices]
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        norms = np.sqrt(
            np.bincount(rows, weights=m.data.astype(np.float64) ** 2, minlength=m.shape[0])
        )
        m.data /= np.where(norms > 0, norms, 1.0)[rows].astype(np.float32)
        return m


def _rare(x: sparse.csr_matrix, df: np.ndarray) -> sparse.csr_matrix:
    """``x`` without the character pairs in more than COMMON texts, the norms kept: what
    templates, greetings and the slots every message fills share is no evidence of one
    problem, and it made the pair products dense. A fixed count, not a share: a share grew
    with a city's size and let road names link a big grid's everyday messages."""
    out = x.copy()
    out.data[df[out.indices] > COMMON] = 0.0
    out.eliminate_zeros()
    return out


def _arrow(texts: Sequence[str]) -> pa.Array:
    """``texts`` as one Arrow string array."""
    arr = pa.array(texts, type=pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _bigrams(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(document, pair key) of every pair of adjacent characters within a text. The texts
    hold only CJK characters of U+4E00-U+9FFF (``text.chinese``), three UTF-8 bytes each, so the
    code points are read straight from Arrow's buffer."""
    arr = _arrow(texts)
    offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 3)
    codes = (
        (data[:, 0].astype(np.int32) & 0x0F) << 12
        | (data[:, 1].astype(np.int32) & 0x3F) << 6
        | (data[:, 2].astype(np.int32) & 0x3F)
    ) - 0x4E00
    lengths = np.diff(offsets) // 3
    doc = np.repeat(np.arange(len(arr), dtype=np.int32), lengths)
    if len(codes) < 2:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    same = doc[:-1] == doc[1:]
    return doc[:-1][same], (codes[:-1] * 0x5200 + codes[1:])[same]  # < _KEYS < 2³¹


# ---------------------------------------------------------------- clustering


def _days(ts: pd.Series) -> np.ndarray:
    return ts.to_numpy(dtype="datetime64[s]").astype(np.int64) / 86_400.0


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Distance on a local flat projection: exact enough within a community."""
    dx = (np.asarray(lon1) - lon2) * geo.KM_PER_DEG_LON_AT_EQUATOR * np.cos(np.radians(lat2))
    dy = (np.asarray(lat1) - lat2) * geo.KM_PER_DEG_LAT
    return np.hypot(dx, dy) * 1000


def _chunks(place: np.ndarray, size: int):
    """(start, end) of runs of about ``size`` rows that end where a place does (rows sorted by
    place); a bigger place is a run of its own."""
    starts = np.flatnonzero(np.r_[True, place[1:] != place[:-1]]) if len(place) else []
    a = 0
    for s in [*starts[1:], len(place)]:
        if s - a >= size:
            yield a, int(s)
            a = int(s)
    if a < len(place):
        yield a, len(place)


def _pairs(
    x: sparse.csr_matrix,
    df: np.ndarray,
    place: np.ndarray,
    t: np.ndarray,
    threshold: float,
    window: float,
):
    """Index pairs (i < j) of one place within ``window`` days whose similarity in their
    rare character pairs (:func:`_rare`; ``df``: the texts holding each) reaches
    ``threshold``; rows must be sorted by place, then time. One place's rows are made rare
    at a time: all of a year of a city's at once took 1.6 GB."""
    rows, cols = [], []
    starts = np.flatnonzero(np.r_[True, place[1:] != place[:-1]])
    ends = np.r_[starts[1:], len(place)]
    for a, b in zip(starts, ends, strict=True):
        if b - a < 2:
            continue
        tt = t[a:b]
        xp = _rare(x[a:b], df)
        lo = a
        while lo < b:
            block_end = min(lo + _BLOCK_ROWS, b)
            hi = a + int(np.searchsorted(tt, t[block_end - 1] + window, side="right"))
            s = (xp[lo - a : block_end - a] @ xp[lo - a : hi - a].T).tocoo()
            i, j = s.row + lo, s.col + lo
            ok = (j > i) & (s.data >= threshold) & (t[j] - t[i] <= window)
            rows.append(i[ok])
            cols.append(j[ok])
            lo = block_end
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(rows), np.concatenate(cols)


def _cluster(
    x: np.ndarray,
    t: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    threshold: float,
    window: float,
    max_span: float,
    radius: float | None,
) -> list[np.ndarray]:
    """Events (rows in time order, dense vectors) grouped by linking each to the most
    similar open issue's centroid (last event within ``window``, first within ``max_span``,
    mean position within ``radius`` metres when given); an event near none starts an issue."""
    n = len(t)
    sums = np.zeros_like(x)
    sq = np.zeros(n)  # squared norms of the sums, kept as events join
    first, last = np.zeros(n), np.zeros(n)
    lon_sum, lat_sum, count = np.zeros(n), np.zeros(n), np.zeros(n)
    label = np.empty(n, int)
    k = 0
    for e in range(n):
        active = np.flatnonzero((t[e] - last[:k] <= window) & (t[e] - first[:k] <= max_span))
        if radius is not None and active.size:
            c = count[active]
            far = _metres(lon[e], lat[e], lon_sum[active] / c, lat_sum[active] / c) > radius
            active = active[~far]
        best, dot = -1, 0.0
        if active.size:
            dots = sums[active] @ x[e]
            sims = dots / np.sqrt(sq[active])
            top = int(np.argmax(sims))
            if sims[top] >= threshold:
                best, dot = int(active[top]), float(dots[top])
        if best < 0:
            best, k = k, k + 1
            first[best] = t[e]
        sums[best] += x[e]
        sq[best] += 2.0 * dot + float(x[e] @ x[e])
        count[best] += 1
        last[best] = t[e]
        if radius is not None:
            lon_sum[best] += lon[e]
            lat_sum[best] += lat[e]
        label[e] = best
    order = np.argsort(label, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(label[order])) + 1)


def _confirmed(x: np.ndarray, members: np.ndarray, threshold: float) -> np.ndarray:
    """The members as similar to the centroid of the *others* as ``threshold``: an issue's
    first event had no centroid to meet, and an event that joined on a road name and the
    courtesies every message shares is dropped."""
    total = x[members].sum(axis=0)
    rest = total[None, :] - x[members]
    norms = np.linalg.norm(rest, axis=1)
    sims = np.einsum("ij,ij->i", x[members], rest) / np.where(norms > 0, norms, 1.0)
    return members[sims >= threshold]


def _issue_id(place: str, first_event: str) -> str:
    return "H" + hashlib.sha1(f"{place}|{first_event}".encode()).hexdigest()[:10]


# ---------------------------------------------------------------- titles


def _keywords(issue_texts: list[str], background: Counter, n_background: int) -> list[str]:
    """The words most distinctive of an issue against the period's texts; a word must be in
    at least 30 % of its events (and two), so nothing one person wrote (a name) is shown.
    Counted quantities (一块块, 几栋, 三个) say nothing of the matter and are left out; the
    governance vocabulary (夜间施工, 电梯停运) weighs half as much again."""
    df = Counter()
    for t in issue_texts:
        df.update(w for w in set(text.words(t)) if w[0] not in _QUANTITY)
    need = max(2, math.ceil(0.3 * len(issue_texts)))
    scored = [
        (
            share
            / len(issue_texts)
            * math.log((1 + n_background) / (1 + background[w]))
            * (1.5 if w in _VOCABULARY else 1.0),
            w,
        )
        for w, share in df.items()
        if share >= need
    ]
    scored.sort(key=lambda p: (-p[0], p[1]))
    return [w for _, w in scored[:KEYWORDS]]


def _background(sample: pd.Series) -> tuple[Counter, int]:
    """Document frequency of words over an even sample of the period's texts (every
    ``len // BACKGROUND_SAMPLE``-th)."""
    df = Counter()
    for t in sample:
        df.update(set(text.words(t)))
    return df, len(sample)


def _places(con: BaseBackend) -> tuple[dict, dict]:
    grids = con.table("grids").select("grid_id", "name").execute()
    units = con.table("org_units").select("unit_id", "name").execute()
    return (
        dict(zip(grids["grid_id"], grids["name"], strict=True)),
        dict(zip(units["unit_id"], units["name"], strict=True)),
    )


# ---------------------------------------------------------------- the heat index


def heat_raw(
    events: np.ndarray,
    people: np.ndarray,
    span_days: np.ndarray,
    days_since_last: np.ndarray,
    open_share: np.ndarray,
) -> np.ndarray:
    """热度 before scaling (docs/hotspots.md): ln(1+events) + ln(1+people) + 1/(1+span_days)
    + 0.5^(days since the last event / 7) + open_share."""
    return (
        np.log1p(np.asarray(events, float))
        + np.log1p(np.asarray(people, float))
        + 1.0 / (1.0 + np.asarray(span_days, float))
        + np.power(0.5, np.asarray(days_since_last, float) / RECENCY_HALF_LIFE)
        + np.asarray(open_share, float)
    )


def scaled(raw: np.ndarray) -> np.ndarray:
    """0-100 within the result: the hottest issue is 100."""
    raw = np.asarray(raw, float)
    if raw.size == 0 or raw.max() <= 0:
        return raw
    return np.round(100.0 * raw / raw.max(), 1)


# ---------------------------------------------------------------- the entry point


def find_issues(
    con: BaseBackend,
    filters: Filters,
    *,
    coverage: DataRange | None = None,
    window_days: int = WINDOW_DAYS,
    max_span_days: int = MAX_SPAN_DAYS,
    min_events: int = MIN_EVENTS,
    min_people: int = MIN_PEOPLE,
    threshold: float = THRESHOLD,
    radius_m: float = RADIUS_M,
    min_lift: float = MIN_LIFT,
    link: float = LINK,
) -> HotIssues:
    """The hot issues of ``filters``' scope and period (``filters.start``..``end``), hottest
    first (see the module and docs/hotspots.md). ``coverage`` (``queries.data_range``) gives
    the data's last moment for 未办结 and 近期; the keywords are the settings (module
    constants by default); ``params`` of the result holds them, ``lift_needed`` and the
    seconds each step took."""
    params = {
        "window_days": window_days, "max_span_days": max_span_days, "min_events": min_events,
        "min_people": min_people, "threshold": threshold, "radius_m": radius_m,
        "min_lift": min_lift, "link": link,
    }  # fmt: skip
    seconds: dict[str, float] = {}
    params["seconds"] = seconds
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        seconds[stage] = round(now - clock[0], 3)
        clock[0] = now

    coverage = coverage or data_range(con)
    in_period_count = _count_events(con, filters)
    df, han = _fetch(con, filters, parts=-(-in_period_count // _FETCH_CHUNK))
    with_text = len(df)
    lap("fetch")
    members = pd.DataFrame(
        {"issue_id": pd.Series(dtype=object), "event_id": pd.Series(dtype=object)}
    )
    empty = HotIssues(_empty_issues(), members, with_text, in_period_count, params)
    n = int(df["place"].notna().sum())  # placed rows come first; the rest only in the index
    if n < min_events or coverage is None:
        return empty
    vec = _Index(han.texts)
    t = _days(df["reported_at"])
    place = df["place"].to_numpy(dtype=object)
    person = pd.factorize(df["person"])[0]  # one number a person
    lon, lat = df["lon"].to_numpy(float), df["lat"].to_numpy(float)
    lap("index")
    found: list[np.ndarray] = []
    centroids: list[np.ndarray] = []
    params["clustered_rows"] = 0
    seconds["pairs"] = seconds["cluster"] = 0.0
    for a, b in _chunks(place[:n], _INDEX_CHUNK):  # whole places: pairs never cross them
        x = vec.transform(han[a:b])
        i, j = _pairs(x, vec.df, place[a:b], t[a:b], link, float(window_days))
        seconds["pairs"] += time.perf_counter() - clock[0]
        clock[0] = time.perf_counter()
        graph = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(b - a, b - a))
        _, label = connected_components(graph, directed=False)
        big = np.flatnonzero(np.bincount(label) >= min_events)
        params["clustered_rows"] += int(np.bincount(label)[big].sum())
        by_component = np.argsort(label, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(label))]
        for comp in big:
            rows = np.sort(by_component[bounds[comp] : bounds[comp + 1]])  # one place, in time
            sub = x[rows]
            cols = np.unique(sub.indices)
            dense = sub[:, cols].toarray()
            rows = rows + a
            radius = radius_m if str(place[rows[0]]).startswith("c:") else None
            for m in _cluster(
                dense, t[rows], lon[rows], lat[rows], threshold=threshold,
                window=float(window_days), max_span=float(max_span_days), radius=radius,
            ):  # fmt: skip
                m = _confirmed(dense, m, threshold) if len(m) >= min_events else m
                if len(m) < min_events or len(np.unique(person[rows[m]])) < min_people:
                    continue
                found.append(rows[m])
                centre = dense[m].sum(axis=0)
                centroids.append((cols, centre / (np.linalg.norm(centre) or 1.0)))
        seconds["cluster"] += time.perf_counter() - clock[0]
        clock[0] = time.perf_counter()
    seconds["pairs"] = round(seconds["pairs"], 3)
    seconds["cluster"] = round(seconds["cluster"], 3)
    params["candidates"] = len(found)
    if not found:
        return empty
    centre = sparse.csr_matrix(
        (
            np.concatenate([c for _, c in centroids]),
            np.concatenate([k for k, _ in centroids]),
            np.r_[0, np.cumsum([len(k) for k, _ in centroids])],
        ),
        shape=(len(centroids), len(vec.vocab)),
    )
    step = max(1, len(han) // LIFT_SAMPLE)
    lift = _lift(vec.transform(han[::step]), t[::step], t, centre, found, threshold)
    # A few texts (one grid, one month) cannot show a lift of 30 however alone an issue is:
    # at most a quarter of the most a sample of that size can show is asked then.
    sampled = len(range(0, len(han), step))
    params["lift_needed"] = min(min_lift, (sampled + 1) / 4)
    keep = np.flatnonzero(lift >= params["lift_needed"])
    lap("lift")
    if not keep.size:
        return empty
    found = [found[k] for k in keep]
    centre = centre[keep]
    issues, members = _describe(con, df, found, coverage, filters)
    issues["lift"] = np.round(lift[keep], 1)
    lap("describe")
    del df, han, place, person, t, lon, lat  # the period's rows: with the window before's too,
    # they were the peak of a city's year (2 GB)
    issues["previous"] = _previous(con, filters, vec, issues, centre, threshold, radius_m)
    lap("previous")
    prev = issues["previous"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        issues["growth"] = np.where(prev > 0, issues["events"] / prev - 1, np.nan)
    issues["new"] = prev == 0
    issues = issues.sort_values(["heat", "events", "issue_id"], ascending=[False, False, True])
    return HotIssues(
        issues.reset_index(drop=True)[list(ISSUE_COLUMNS)],
        members,
        with_text,
        in_period_count,
        params,
    )


def _lift(
    sample: sparse.csr_matrix,
    when: np.ndarray,
    t: np.ndarray,
    centre: sparse.csr_matrix,
    found,
    threshold: float,
) -> np.ndarray:
    """How much more common each issue's words are at its place and days than elsewhere and
    at other times: (its events / the place's events from its first to its last) ÷ (the share
    of an even sample of the period's texts *outside the issue's days* as similar to its
    centroid, plus one). Boilerplate that a category writes everywhere scores about 1, and a
    flow that fills the whole period has no other days and scores 0; a hot issue scores in
    the tens to thousands. ``sample``: the rows of every ``len // LIFT_SAMPLE``-th text,
    ``when`` their days; ``t``: every row's days."""
    similar = (sample @ centre.T).toarray() >= threshold  # sample × issues
    lift = np.zeros(len(found))
    for k, m in enumerate(found):
        first, last = t[m].min(), t[m].max()
        other = (when < first) | (when > last)
        if not other.any():
            continue
        district = (similar[other, k].sum() + 1.0) / (other.sum() + 1.0)
        lift[k] = len(m) / (m.max() - m.min() + 1) / district
    return lift


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame(columns=list(ISSUE_COLUMNS))


def _mode(values) -> str | None:
    counts = Counter(v for v in values if isinstance(v, str))
    if not counts:
        return None
    top = max(counts.values())
    return min(v for v, c in counts.items() if c == top)


def _at_rows(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """``column`` as an object array as long as the frame, filled at ``rows`` only."""
    out = np.full(len(column), None, dtype=object)
    out[rows] = column.iloc[rows].to_numpy(dtype=object)
    return out


def _describe(con, df, found, coverage: DataRange, f: Filters):
    """One row per issue (every column but lift, previous and growth) and the member list."""
    grid_name, unit_name = _places(con)
    sample = np.arange(0, len(df), max(1, len(df) // BACKGROUND_SAMPLE))
    rows_in = np.unique(np.concatenate(found))  # only the issues' rows, as Python objects
    clean = _cleaned(con, f, df["event_id"].iloc[np.union1d(rows_in, sample)])
    background, n_background = _background(df["event_id"].iloc[sample].map(clean))
    as_of = pd.Timestamp(coverage.as_of)
    until = min(pd.Timestamp(f.end) + pd.Timedelta(days=1), as_of)
    cols = {c: _at_rows(df[c], rows_in) for c in ("event_id", "place", "grid_id",
            "community_id", "street_id", "category", "person")}  # fmt: skip
    cols["clean"] = np.array([clean.get(e) for e in cols["event_id"]], dtype=object)
    lon, lat = df["lon"].to_numpy(float), df["lat"].to_numpy(float)
    reported = df["reported_at"].to_numpy()
    closed = df["closed_at"].to_numpy()
    rows, member_rows = [], []
    for m in found:
        ids = cols["event_id"][m]
        issue_id = _issue_id(cols["place"][m[0]], ids[0])
        grid = cols["grid_id"][m[0]] if isinstance(cols["grid_id"][m[0]], str) else None
        community, street = _mode(cols["community_id"][m]), _mode(cols["street_id"][m])
        keywords = _keywords(list(cols["clean"][m]), background, n_background)
        where = " ".join(
            p for p in (unit_name.get(community), grid_name.get(grid) if grid else "未落格") if p
        )
        shut = closed[m]
        open_ = int((pd.isna(shut) | (shut > as_of.to_datetime64())).sum())
        first_at, last_at = pd.Timestamp(reported[m].min()), pd.Timestamp(reported[m].max())
        located = ~np.isnan(lon[m])
        rows.append(
            {
                "issue_id": issue_id,
                "title": " · ".join(p for p in (where, " ".join(keywords)) if p),
                "keywords": keywords,
                "grid_id": grid,
                "grid_name": grid_name.get(grid) if grid else None,
                "community_id": community,
                "community_name": unit_name.get(community),
                "street_id": street,
                "street_name": unit_name.get(street),
                "lon": float(np.median(lon[m][located])) if located.any() else None,
                "lat": float(np.median(lat[m][located])) if located.any() else None,
                "category": _mode(cols["category"][m]),
                "events": len(m),
                "people": len(set(cols["person"][m])),
                "first_at": first_at,
                "last_at": last_at,
                "span_days": (last_at - first_at) / pd.Timedelta(days=1),
                "open": open_,
                "open_share": open_ / len(m),
                "since_last": max((until - last_at) / pd.Timedelta(days=1), 0.0),
            }
        )
        member_rows += [(issue_id, e) for e in sorted(ids)]
    issues = pd.DataFrame(rows)
    issues["heat_raw"] = heat_raw(
        issues["events"], issues["people"], issues["span_days"], issues["since_last"],
        issues["open_share"],
    )  # fmt: skip
    issues["heat"] = scaled(issues["heat_raw"].to_numpy())
    members = pd.DataFrame(member_rows, columns=["issue_id", "event_id"])
    return issues, members


def _previous(con, f: Filters, vec, issues, centroids, threshold: float, radius_m: float):
    """Events of each issue in the window of equal length just before the period: same
    place, similar to the issue's centroid (not linked in time: the window is the place)."""
    before = f.with_period(f.start - timedelta(days=f.days), f.start - timedelta(days=1))
    grids = sorted({g for g in issues["grid_id"] if isinstance(g, str)})
    ungridded = bool(issues["grid_id"].isna().any())
    df, han = _fetch(con, before, grids=grids, ungridded=ungridded)
    counts = np.zeros(len(issues), int)
    if df.empty:
        return counts
    near = []
    for grid, community, lon, lat in zip(
        issues["grid_id"], issues["community_id"], issues["lon"], issues["lat"], strict=True
    ):
        if isinstance(grid, str):
            here = (df["grid_id"] == grid).to_numpy()
        else:
            same = df["grid_id"].isna() & (df["community_id"] == community) & df["lon"].notna()
            here = same.to_numpy() & (
                _metres(df["lon"].to_numpy(float), df["lat"].to_numpy(float), lon, lat) <= radius_m
            )
        near.append(np.flatnonzero(here))
    rows = np.unique(np.concatenate(near))  # only these are indexed: a city's are gigabytes
    if not rows.size:
        return counts
    x = vec.transform(han[rows])
    for k, here in enumerate(near):
        if here.size:
            similar = (x[np.searchsorted(rows, here)] @ centroids[k].T).toarray().ravel()
            counts[k] = int((similar >= threshold).sum())
    return counts


# ---------------------------------------------------------------- an issue's events


def issue_events(
    con: BaseBackend,
    filters: Filters,
    event_ids: Sequence[str],
    *,
    coverage: DataRange | None = None,
) -> pd.DataFrame:
    """The events of an issue (its ``members``' event ids) as drill-down lists them: reported_at,
    status, category, place and the reporter's name, phone, address and description masked
    (``analytics.drilldown``); oldest first. Never render the description as Markdown."""
    coverage = coverage or data_range(con)
    ids = sorted({str(e) for e in event_ids})
    if coverage is None or not ids:
        return pd.DataFrame(
            columns=["event_id", "reported_at", "category", "status", "description"]
        )
    t = selected(con, filters, coverage)
    t = t.filter(t.event_id.isin(ids)).select(*COLUMNS).order_by(["reported_at", "event_id"])
    df = mask_frame(t.execute())
    df.attrs["total"] = len(df)
    return shown(con, df)


def members_of(result: HotIssues, issue_id: str) -> list[str]:
    """The event ids of one issue of ``result``."""
    m = result.members
    return list(m.loc[m["issue_id"] == issue_id, "event_id"])
