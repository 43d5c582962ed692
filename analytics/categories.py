"""分类建议: a category suggested for events that have none, learnt from the district's own.

Exports often leave 业务类别 empty (imports store 未分类) or put 其他. A linear model trained on
the district's categorised events reads the event's text and suggests a category with its
confidence (the top probability) and a second choice. Suggestions are only suggestions: they
are kept in the admin database (``analytics.category_store``), decided by an admin, and only
accepted ones reach the events, through an import.

Features come from :func:`analytics.text.index_text` output only (personal data removed
first, so none can enter the model): jieba content words plus character pairs of the cleaned
text, each TF-IDF with sublinear term frequency, and a logistic regression (measured against
SGD and Complement NB in ``bench/categories.py``: best macro-F1 at a few seconds' training).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from analytics import text
from analytics.ingest import values

UNCATEGORISED = ("其他", values.UNCATEGORISED)  # besides NULL and blank: what an import left
MAX_TRAIN = 60_000  # training texts at most: segmentation of the sample is the slow step
MIN_EXAMPLES = 5  # a category with fewer labelled texts is neither learnt nor evaluated
FLOOR = 500  # each category's sample holds at least this many (or all it has)
SEED = 42
SUGGESTION_COLUMNS = [
    "event_id",
    "current_category",
    "suggested",
    "confidence",
    "second",
    "second_confidence",
]
CLASS_COLUMNS = ["category", "precision", "recall", "f1", "support"]


@dataclass
class Model:
    """A fitted classifier and what it was trained on; picklable (the UI may cache it)."""

    pipeline: object  # sklearn Pipeline: features → estimator
    classes: list[str]
    n_train: int
    trained_on: str  # the day of training, YYYY-MM-DD
    seconds: float

    @property
    def id(self) -> str:
        """A short name for the suggestions it made: training size and day."""
        return f"{self.n_train}条@{self.trained_on}"

    def probabilities(self, cleaned: Sequence[str]) -> np.ndarray:
        """Class probabilities (columns in ``classes`` order) of cleaned texts."""
        return self.pipeline.predict_proba(list(cleaned))


@dataclass
class Evaluation:
    """How well the model separates the categories on a held-out fifth (stratified)."""

    macro_f1: float
    accuracy: float
    per_class: pd.DataFrame  # CLASS_COLUMNS, one row per category, largest support first
    n_train: int
    n_test: int
    seconds: float  # training and prediction
    excluded: dict[str, int] = field(default_factory=dict)  # category -> texts, too few to use
    y_true: list[str] = field(default_factory=list, repr=False)
    y_pred: list[str] = field(default_factory=list, repr=False)
    test_index: list[int] = field(default_factory=list, repr=False)  # positions in the input


def estimator(kind: str = "logistic"):
    """The classifier of ``kind``: logistic (default), sgd or nb (for the benchmark)."""
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=10.0, max_iter=300)
    if kind == "sgd":
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(loss="log_loss", alpha=1e-6, max_iter=30, tol=1e-4, random_state=0)
    if kind == "nb":
        from sklearn.naive_bayes import ComplementNB

        return ComplementNB(alpha=0.3)
    raise ValueError(f"unknown estimator: {kind}")


def _pipeline(kind: str):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=text.words, sublinear_tf=True, min_df=2)),
            (
                "pairs",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(2, 2),
                    sublinear_tf=True,
                    min_df=2,
                    dtype=np.float32,
                ),
            ),
        ]
    )
    return Pipeline([("features", features), ("model", estimator(kind))])


def is_uncategorised(categories: pd.Series) -> pd.Series:
    """Which categories are missing: NULL, blank, 其他 or 未分类."""
    stripped = categories.astype(object).map(lambda c: c.strip() if isinstance(c, str) else "")
    return stripped.isin(("", *UNCATEGORISED)).astype(bool)


def missing_category(t):
    """The Ibis twin of :func:`is_uncategorised` for table ``t``: NULL, blank, 其他, 未分类."""
    category = t.category.strip()
    return category.isnull() | (category == "") | category.isin(list(UNCATEGORISED))


def _usable(cleaned: pd.Series, labels: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """Which labelled texts can be learnt from: text left after cleaning, a real category,
    one with at least ``MIN_EXAMPLES`` texts; and the categories left out for having fewer."""
    keep = text.has_text(cleaned) & ~is_uncategorised(labels)
    counts = labels[keep].value_counts()
    few = counts[counts < MIN_EXAMPLES]
    keep &= ~labels.isin(few.index)
    return keep, {str(k): int(v) for k, v in few.items()}


def _fit(cleaned: pd.Series, labels: pd.Series, kind: str) -> tuple[object, int]:
    """A pipeline fitted on the distinct (text, label) pairs; and how many there were."""
    pairs = pd.DataFrame({"text": cleaned.to_numpy(), "label": labels.to_numpy()})
    pairs = pairs.drop_duplicates(ignore_index=True)
    pipeline = _pipeline(kind)
    pipeline.fit(pairs["text"].tolist(), pairs["label"].tolist())
    return pipeline, len(pairs)


def _predict(pipeline, cleaned: pd.Series) -> np.ndarray:
    """Probabilities per text, each distinct text computed once (exports repeat texts)."""
    codes, distinct = pd.factorize(cleaned, sort=False)
    return pipeline.predict_proba(list(distinct))[codes]


def evaluate_frame(
    texts: Sequence[str | None] | pd.Series,
    labels: Sequence[str | None] | pd.Series,
    *,
    names: Sequence[str | None] = (),
    seed: int = SEED,
    test_size: float = 0.2,
    kind: str = "logistic",
    cleaned: bool = False,
) -> Evaluation:
    """Macro-F1, accuracy and per-category figures of a model trained on a stratified
    ``1 - test_size`` of labelled texts and tested on the rest (fixed ``seed``).

    ``names``: the texts' reporter names, removed with the other personal data
    (``text.index_text``) unless ``cleaned`` says the texts already went through it.
    """
    _, evaluation = fit_evaluated(
        texts, labels, names=names, seed=seed, test_size=test_size, kind=kind, cleaned=cleaned
    )
    return evaluation


def fit_evaluated(
    texts: Sequence[str | None] | pd.Series,
    labels: Sequence[str | None] | pd.Series,
    *,
    names: Sequence[str | None] = (),
    seed: int = SEED,
    test_size: float = 0.2,
    kind: str = "logistic",
    cleaned: bool = False,
    today: date | None = None,
) -> tuple[Model, Evaluation]:
    """One honest model: trained on the stratified ``1 - test_size`` of labelled texts and
    evaluated on the held-out rest, so its figures are those of the model that suggests."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
    from sklearn.model_selection import train_test_split

    started = time.perf_counter()
    labels = pd.Series(labels, dtype=object).reset_index(drop=True)
    texts = pd.Series(texts, dtype=object).reset_index(drop=True)
    clean = texts if cleaned else text.index_text(texts, names)
    keep, excluded = _usable(clean, labels)
    positions = np.flatnonzero(keep.to_numpy())
    if len(positions) == 0 or labels[keep].nunique() < 2:
        raise ValueError(
            f"至少需要两个类别、每类至少 {MIN_EXAMPLES} 条有文字的已分类事件才能训练和评估。"
        )
    y = labels.iloc[positions].astype(str).str.strip()
    train, test = train_test_split(
        positions, test_size=test_size, stratify=y.to_numpy(), random_state=seed
    )
    y_train = labels.iloc[train].astype(str).str.strip()
    y_test = labels.iloc[test].astype(str).str.strip()
    pipeline, n_train = _fit(clean.iloc[train], y_train, kind)
    fitted = time.perf_counter() - started
    proba = _predict(pipeline, clean.iloc[test])
    classes = pipeline.classes_
    y_pred = [str(c) for c in classes[proba.argmax(axis=1)]]
    y_true = y_test.tolist()
    order = y_test.value_counts().index.tolist()  # largest support first
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=order, zero_division=0
    )
    per_class = pd.DataFrame(
        {"category": order, "precision": precision, "recall": recall, "f1": f1, "support": support}
    )
    model = Model(
        pipeline=pipeline,
        classes=[str(c) for c in classes],
        n_train=n_train,
        trained_on=(today or date.today()).isoformat(),
        seconds=fitted,
    )
    evaluation = Evaluation(
        macro_f1=float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        accuracy=float(accuracy_score(y_true, y_pred)),
        per_class=per_class,
        n_train=n_train,
        n_test=len(test),
        seconds=time.perf_counter() - started,
        excluded=excluded,
        y_true=y_true,
        y_pred=y_pred,
        test_index=[int(i) for i in test],
    )
    return model, evaluation


def labelled_sample(con, cap: int | None, seed: int) -> pd.DataFrame:
    """A stratified sample (≤ ``cap``, each category at least ``FLOOR`` or all it has) of
    the categorised events with a description: category, description, reporter_name."""
    t = con.table("events")
    labelled = t.filter(~missing_category(t), t.description.notnull()).mutate(
        label=t.category.strip()
    )
    columns = ["label", "description", "reporter_name"]
    if cap is None:
        return labelled.select(*columns).execute()
    total = int(labelled.count().execute())
    if total <= cap:
        return labelled.select(*columns).execute()
    share = cap / total
    labelled = labelled.mutate(order=(labelled.event_id + ibis.literal(f"#{int(seed)}")).hash())
    keys = labelled.select("event_id", "label", "order")  # ranked without the texts: GBs
    ranked = keys.mutate(
        pick=ibis.row_number().over(group_by=keys.label, order_by=keys.order),
        stratum=keys.event_id.count().over(group_by=keys.label),
    )
    quota = ibis.greatest((ranked["stratum"] * share).ceil(), ibis.least(ranked["stratum"], FLOOR))
    picked = ranked.filter(ranked["pick"] < quota).select("event_id")
    sample = labelled.semi_join(picked, "event_id")  # a repeated id is not multiplied
    return sample.order_by(["label", "order", "event_id"]).select(*columns).execute()


def evaluate(
    con, *, seed: int = SEED, test_size: float = 0.2, cap: int = MAX_TRAIN, kind: str = "logistic"
) -> Evaluation:
    """:func:`evaluate_frame` on the store's categorised events with text (a stratified
    sample of at most ``cap / (1 - test_size)`` of them, so training stays ≤ ``cap``)."""
    frame = labelled_sample(con, math.ceil(cap / (1 - test_size)), seed)
    return evaluate_frame(
        frame["description"],
        frame["label"],
        names=frame["reporter_name"].tolist(),
        seed=seed,
        test_size=test_size,
        kind=kind,
    )


def train_evaluated(
    con,
    *,
    seed: int = SEED,
    test_size: float = 0.2,
    cap: int = MAX_TRAIN,
    kind: str = "logistic",
    today: date | None = None,
) -> tuple[Model, Evaluation]:
    """:func:`fit_evaluated` on the store's categorised events with text (the sample
    :func:`evaluate` takes): the model the page and ``categories --suggest`` suggest with."""
    frame = labelled_sample(con, math.ceil(cap / (1 - test_size)), seed)
    return fit_evaluated(
        frame["description"],
        frame["label"],
        names=frame["reporter_name"].tolist(),
        seed=seed,
        test_size=test_size,
        kind=kind,
        today=today,
    )


@dataclass(frozen=True)
class Readiness:
    """What the store holds for 分类建议: events lacking a category (with text among them),
    categorised events with text, and how many of each category."""

    events: int
    uncategorised: int
    uncategorised_with_text: int
    labelled_with_text: int
    per_category: dict[str, int]  # categorised events with text, by category

    @property
    def learnable(self) -> dict[str, int]:
        """The categories with at least ``MIN_EXAMPLES`` texts: what a model can learn."""
        return {c: n for c, n in self.per_category.items() if n >= MIN_EXAMPLES}

    @property
    def enough(self) -> bool:
        """Whether a model can be trained: two categories with ``MIN_EXAMPLES`` texts each."""
        return len(self.learnable) >= 2


def readiness(con) -> Readiness:
    """:class:`Readiness` of the store, in two small aggregate queries (no text is read)."""
    t = con.table("events")
    category = t.category.strip()
    missing = missing_category(t)
    has_text = t.description.notnull() & (t.description.strip() != "")
    totals = t.aggregate(
        events=t.count(),
        uncategorised=missing.sum(),
        with_text=(missing & has_text).sum(),
    ).execute()
    labelled = (
        t.filter(~missing, has_text)
        .mutate(label=category)
        .group_by("label")
        .aggregate(n=lambda s: s.count())
        .execute()
    )
    per_category = {
        str(c): int(n)
        for c, n in sorted(zip(labelled["label"], labelled["n"], strict=True), key=lambda x: -x[1])
    }

    def whole(x) -> int:
        return 0 if x is None or pd.isna(x) else int(x)

    row = totals.iloc[0]
    return Readiness(
        events=whole(row["events"]),
        uncategorised=whole(row["uncategorised"]),
        uncategorised_with_text=whole(row["with_text"]),
        labelled_with_text=sum(per_category.values()),
        per_category=per_category,
    )


def train_frame(
    texts: Sequence[str | None] | pd.Series,
    labels: Sequence[str | None] | pd.Series,
    *,
    names: Sequence[str | None] = (),
    kind: str = "logistic",
    today: date | None = None,
) -> Model:
    """A model trained on labelled texts (cleaned here: personal data never reaches it)."""
    started = time.perf_counter()
    labels = pd.Series(labels, dtype=object).reset_index(drop=True)
    clean = text.index_text(texts, names)
    keep, _ = _usable(clean, labels)
    if labels[keep].nunique() < 2:
        raise ValueError("至少需要两个类别、每类至少 5 条有文字的已分类事件才能训练。")
    pipeline, n_train = _fit(clean[keep], labels[keep].astype(str).str.strip(), kind)
    return Model(
        pipeline=pipeline,
        classes=[str(c) for c in pipeline.classes_],
        n_train=n_train,
        trained_on=(today or date.today()).isoformat(),
        seconds=time.perf_counter() - started,
    )


def train(
    con, *, seed: int = SEED, cap: int = MAX_TRAIN, kind: str = "logistic", today=None
) -> Model:
    """A model trained on a stratified sample (≤ ``cap``) of the store's categorised events."""
    frame = labelled_sample(con, cap, seed)
    return train_frame(
        frame["description"],
        frame["label"],
        names=frame["reporter_name"].tolist(),
        kind=kind,
        today=today,
    )


def suggest_frame(
    model: Model,
    event_ids: Sequence[str],
    categories: Sequence[str | None],
    texts: Sequence[str | None],
    names: Sequence[str | None] = (),
) -> pd.DataFrame:
    """``SUGGESTION_COLUMNS`` for the given events that lack a category and have text."""
    frame = pd.DataFrame(
        {
            "event_id": pd.Series(event_ids, dtype=object),
            "current_category": pd.Series(categories, dtype=object),
        }
    )
    clean = text.index_text(texts, names)
    keep = (is_uncategorised(frame["current_category"]) & text.has_text(clean)).to_numpy()
    frame, clean = frame[keep].reset_index(drop=True), clean[keep].reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame(columns=SUGGESTION_COLUMNS)
    proba = _predict(model.pipeline, clean)
    classes = np.asarray(model.classes, dtype=object)
    top2 = np.argsort(-proba, axis=1, kind="stable")[:, :2]
    rows = np.arange(len(proba))
    frame["suggested"] = classes[top2[:, 0]]
    frame["confidence"] = proba[rows, top2[:, 0]]
    if proba.shape[1] > 1:
        frame["second"] = classes[top2[:, 1]]
        frame["second_confidence"] = proba[rows, top2[:, 1]]
    else:
        frame["second"], frame["second_confidence"] = None, np.nan
    current = [c if isinstance(c, str) else None for c in frame["current_category"]]
    frame["current_category"] = pd.Series(current, index=frame.index, dtype=object)
    return frame[SUGGESTION_COLUMNS].sort_values("event_id", ignore_index=True)


def suggest(con, model: Model) -> pd.DataFrame:
    """For each event of the store whose category is NULL, blank, 其他 or 未分类 and which
    has text: ``SUGGESTION_COLUMNS`` (no personal data: the text stays here)."""
    t = con.table("events")
    frame = (
        t.filter(missing_category(t), t.description.notnull())
        .select("event_id", "category", "description", "reporter_name")
        .execute()
    )
    return suggest_frame(
        model,
        frame["event_id"].tolist(),
        frame["category"].tolist(),
        frame["description"].tolist(),
        frame["reporter_name"].tolist(),
    )


def load_messages(path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """Labelled messages shaped like 泰迪杯 智慧政务 附件2 (留言主题, 留言详情, 一级标签;
    UTF-8 with or without BOM, or GB18030): the texts (theme and detail) and their labels."""
    raw = Path(path).read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("gb18030")
    import io

    frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("留言主题", "留言详情", "一级标签") if c not in frame.columns]
    if missing:
        raise ValueError(f"{Path(path).name} 缺少列:{'、'.join(missing)}")
    texts = (frame["留言主题"].str.strip() + "。" + frame["留言详情"].str.strip()).tolist()
    return texts, frame["一级标签"].str.strip().tolist()
