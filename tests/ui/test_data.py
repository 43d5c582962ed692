"""The UI's cached access to the store (``ui/data.py``)."""

from __future__ import annotations

import shutil

from ui import data


def test_a_replaced_files_connection_keeps_serving_the_queries_still_on_it(tiny_db, tmp_path):
    """Imports replace the file; a session that started on the old file must finish its
    page even after two more replacements pushed that file's connection out of the cache."""
    live = tmp_path / "gov.duckdb"
    shutil.copy(tiny_db, live)
    old = data._con(data.Source(str(live), (0, ""), data._identity(str(live))))
    for _ in range(3):  # three imports: more identities than the cache holds
        shutil.copy(tiny_db, tmp_path / "new.duckdb")
        (tmp_path / "new.duckdb").rename(live)
        data._backend(str(live), data._identity(str(live)))
    assert old.table("events").count().execute() > 0


def test_the_score_of_a_book_other_than_the_saved_one(tiny_db, tmp_path, monkeypatch):
    """The score shares the cards' counts and medians; a book with metrics the saved one
    lacks (a target saved meanwhile, or none saved) gets its own medians, the same figures
    as the score's own queries."""
    from datetime import date

    import pandas as pd

    from analytics import score
    from analytics.filters import Filters
    from analytics.targets import Book, Target

    monkeypatch.setenv("GOV_DB", str(tiny_db))
    monkeypatch.setenv("GOV_ADMIN_DB", str(tmp_path / "no-targets.admin.sqlite"))
    data.clear_caches()
    assert not data.target_book()
    src = data.source()
    f = Filters(date(2026, 1, 1), date(2026, 10, 31))
    book = Book([Target("handling_median", 24.0), Target("response_rate", 0.9)])
    con, coverage, parents = data._con(src), data.data_range(src), data.parents(src)
    period, windows = data.score_snapshot(src, f, book, (), 1.2)
    alone = score.of_period(con, f, coverage, book, parents, (), 1.2)
    assert period.parts.equals(alone.parts) and (period.met, period.total) == (alone.met, 2)
    pd.testing.assert_frame_equal(windows, score.windows(con, f, coverage, book, parents, (), 1.2))
    pd.testing.assert_frame_equal(
        data.score_trend(src, f, book, (), 1.2),
        score.trend(con, f, coverage, book, parents, (), 1.2),
    )
