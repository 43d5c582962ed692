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
