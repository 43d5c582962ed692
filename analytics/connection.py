"""One connection factory for every reader and writer.

The store is chosen once, by ``GOV_DB``: a DuckDB file path (the default,
``data/governance.duckdb``), a Spark Connect server ``sc://HOST:PORT/DATABASE``
(:mod:`analytics.spark`) or another Ibis connection URL such as ``postgres://…``. Queries
are Ibis expressions, so the same metric code runs on whichever backend the URL names.
"""

from __future__ import annotations

import os
from pathlib import Path

import ibis
from ibis.backends import BaseBackend
from ibis.backends.duckdb import Backend as DuckDBBackend

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_DIR / "data" / "governance.duckdb"


def db_url(url: str | os.PathLike | None = None) -> str:
    """The store to use: the argument, else ``$GOV_DB``, else the default DuckDB file."""
    return str(url or os.environ.get("GOV_DB") or DEFAULT_DB)


def is_duckdb_file(url: str) -> bool:
    return "://" not in url or url.startswith("duckdb://")


def is_spark(url: str) -> bool:
    """A Spark Connect server (``analytics.spark``; pyspark is imported only when used)."""
    return url.startswith("sc://")


def duckdb_path(url: str) -> Path:
    return Path(url.removeprefix("duckdb://"))


CATALOG = "gov"  # the name a read-only DuckDB file is attached under
STAGING = "GOV_STAGING"  # the DuckDB file writers write when the store is Spark


def store_path(url: str) -> Path:
    """The DuckDB file that imports, demo builds and notes write for the store ``url``: the
    file itself or, for Spark, the staging file (``$GOV_STAGING``, default
    ``data/governance.duckdb``) that :func:`publish_if_spark` then publishes."""
    if is_duckdb_file(url):
        return duckdb_path(url)
    if is_spark(url):
        return Path(os.environ.get(STAGING) or DEFAULT_DB)
    raise ValueError(f"只能写入 DuckDB 文件(或经暂存库发布到 Spark),而 GOV_DB 是 {url}。")


class PublishFailed(RuntimeError):
    """The staging file was written but could not be published to Spark."""


def spark_layer():
    """``analytics.spark``, or a clear error when pyspark is not installed."""
    try:
        from analytics import spark
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "读取 Spark 需要 pyspark:请先运行 bash scripts/setup.sh --spark。"
        ) from exc
    return spark


def publish_if_spark(url: str, progress=lambda message, fraction: None) -> None:
    """After a write to ``store_path(url)``: publish it as Spark's new version when the store
    is Spark (``analytics.spark.publish``); nothing for a DuckDB file."""
    if not is_spark(url):
        return
    try:
        spark = spark_layer()
    except RuntimeError as exc:
        raise PublishFailed(f"已写入暂存库 {store_path(url)},但{exc}") from exc
    try:
        spark.publish(store_path(url), url, progress=progress)
    except Exception as exc:
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise PublishFailed(
            f"已写入暂存库 {store_path(url)},但发布到 Spark 失败:{why}。Spark 上仍是上一版数据;"
            f"排除问题后运行 `python -m analytics sync {spark.target(url).display}` 重新发布。"
        ) from exc


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(url: str | os.PathLike | None = None, *, read_only: bool = False) -> BaseBackend:
    """Open the store named by ``url`` (see :func:`db_url`) as an Ibis backend.

    A read-only DuckDB file is attached to a private in-memory instance rather than opened
    directly: DuckDB hands out one shared instance per path within a process, which after a
    writer has renamed a new file onto the path would keep serving the old file.
    """
    url = db_url(url)
    if is_duckdb_file(url):
        path = duckdb_path(url)
        if not read_only:
            return ibis.duckdb.connect(str(path))
        if not path.exists():
            raise FileNotFoundError(path)
        backend = ibis.duckdb.connect()
        backend.con.execute(f"ATTACH {_sql_string(str(path))} AS {CATALOG} (READ_ONLY)")
        backend.con.execute(f"USE {CATALOG}")
        # What Ibis sets on every connection it makes, set once for the instance: cursors
        # start from these and skip Ibis's per-connection SETs (``_FileCursor``).
        backend.con.execute("SET GLOBAL timezone = 'UTC'")
        backend.con.execute("SET GLOBAL python_enable_replacements = false")
        backend._attached = True
        backend._schemas = {}
        return backend
    if is_spark(url):
        return spark_layer().connect(url)  # pyspark is imported only here
    return ibis.connect(url)


def cursor(backend: BaseBackend) -> BaseBackend:
    """A backend safe to use from the calling thread.

    A DuckDB connection refuses concurrent use, so each thread (each Streamlit script run)
    takes its own cursor on the shared database; other engines pool connections themselves.
    """
    if backend.name == "duckdb":
        raw = backend.con.cursor()
        if not getattr(backend, "_attached", False):
            return ibis.duckdb.from_connection(raw)
        raw.execute(f"USE {CATALOG}")  # a cursor starts in the instance's own catalog
        child = _FileCursor.from_connection(raw)
        child._schemas = backend._schemas
        return child
    return backend


class _FileCursor(DuckDBBackend):
    """A cursor on a read-only DuckDB file (``connect(read_only=True)``).

    Every query looks up the schemas of the tables it reads, ~6 ms a ``DESCRIBE`` each, and
    a page makes dozens: the file cannot change under its connection (writers replace it,
    and a replaced file gets a new connection), so each schema is read once per connection
    and shared by its cursors. Ibis's settings for each new connection (UTC, no
    replacement scans) are already the instance's global settings.
    """

    _schemas: dict

    def _post_connect(self, extensions=None) -> None:
        self._record_batch_readers_consumed = {}

    def get_schema(self, table_name: str, *, catalog=None, database=None):
        key = (table_name, catalog, database)
        schema = self._schemas.get(key)
        if schema is None:
            schema = super().get_schema(table_name, catalog=catalog, database=database)
            self._schemas[key] = schema
        return schema
