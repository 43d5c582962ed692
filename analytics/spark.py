"""Spark as the store, for a city's volume: the same analytics on a Spark Connect server.

``GOV_DB=sc://HOST:PORT/DATABASE`` (``DATABASE`` defaults to ``gov``; Spark Connect's own
``;name=value`` parameters may follow it) makes every page and the CLI read Spark through
Ibis's pyspark backend. Imports, validation and quarantine stay in a DuckDB file (the staging
store); :func:`publish` copies its tables to Spark as one new version.

Spark has no transactions over Parquet tables: a table overwritten in place, two renames or
a replaced view each failed readers that were reading at that moment (measured). So every
publish writes a new database ``<DATABASE>__v<N>`` holding all tables, checks their row
counts, and only then re-points ``<DATABASE>.published``, a one-row view naming the current
version, with ``ALTER VIEW`` (atomic for readers: a reader sees the old row or the new one,
never neither). Readers pin the version they started from (:class:`PinnedBackend`), so a page
reads every table from one version. A publish that fails leaves the published version as it
was; the previous version is kept until the next publish, for readers still on it.
Convenience views ``<DATABASE>.<table>`` follow the published version for other tools
(each switched by its own ``ALTER VIEW``: consistent across tables only through the pointer).
"""

from __future__ import annotations

import fcntl
import logging
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import ibis
import ibis.expr.schema as sch
import pyarrow as pa
from ibis.backends.pyspark import Backend as SparkBackend
from ibis.backends.pyspark.datatypes import PySparkType
from ibis.backends.sql.compilers.base import STAR
from ibis.backends.sql.compilers.pyspark import PySparkCompiler

from analytics.connection import is_spark
from analytics.schema import TABLES, create_schema

LOG = logging.getLogger(__name__)
SCHEME = "sc://"
DEFAULT_DATABASE = "gov"
POINTER = "published"  # the view naming the published version
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
UPLOAD_BATCH_ROWS = 200_000  # rows per Arrow batch sent over Spark Connect
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# DuckDB column types of the canonical tables (analytics.schema) as Spark SQL types.
# TIMESTAMP is wall-clock time without a zone on both sides (Spark's TIMESTAMP_NTZ).
SPARK_TYPES = {
    "VARCHAR": "STRING",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
}


class NotPublished(LookupError):
    """The Spark database has no published version yet."""


@dataclass(frozen=True)
class Target:
    """Where a ``sc://`` URL points: the Spark Connect address and our database on it."""

    remote: str  # what SparkSession.builder.remote takes: sc://host:port[/;params]
    database: str
    host: str

    @property
    def local(self) -> bool:
        return self.host in LOCAL_HOSTS

    @property
    def display(self) -> str:
        """The address for messages users read: without Spark Connect's ``;name=value``
        parameters, which may carry a token."""
        return f"{self.remote.partition('/;')[0]}/{self.database}"


def target(url: str) -> Target:
    """``sc://HOST:PORT/DATABASE[;param=value...]`` split into Spark's part and ours."""
    if not is_spark(url):
        raise ValueError(f"不是 Spark Connect 地址(应以 sc:// 开头):{url}")
    rest = url[len(SCHEME) :]
    address, _, path = rest.partition("/")
    database, _, params = path.partition(";")
    database = (database or DEFAULT_DATABASE).lower()  # as Spark's catalog stores it
    if not _NAME.fullmatch(database):
        raise ValueError(f"Spark 数据库名只能含字母、数字和下划线:{database}")
    host = urlsplit(f"//{address}").hostname or ""
    remote = f"{SCHEME}{address}" + (f"/;{params}" if params else "")
    return Target(remote=remote, database=database, host=host)


_sessions: dict[str, object] = {}
_sessions_lock = threading.Lock()


# pyspark retries an unreachable server for at least ten minutes; a page would hang that long
# on every run before saying so. A few quick retries ride out a blip.
RETRIES = {"max_retries": 3, "initial_backoff": 200, "max_backoff": 2000}
# What the server says of a session it no longer knows (it was restarted): start a new one.
STALE = ("NO_ACTIVE_SESSION", "INVALID_HANDLE", "SESSION_NOT_FOUND", "SESSION_CLOSED")


def session(remote: str):
    """One Spark Connect session per server address, shared by every thread of the process
    (the Connect client runs concurrent queries over one session)."""
    from pyspark.sql import SparkSession
    from pyspark.sql.connect.client.retries import DefaultPolicy

    with _sessions_lock:
        spark = _sessions.get(remote)
        if spark is None or spark.is_stopped:
            spark = SparkSession.builder.remote(remote).create()
            spark.client.set_retry_policies([DefaultPolicy(**RETRIES)])
            _sessions[remote] = spark
        return spark


def renewing(remote: str, work: Callable):
    """``work(session)``, once more on a new session if the server no longer knows the old
    one (restarted since): every backend of ``remote`` then uses the new one."""
    try:
        return work(session(remote))
    except Exception as exc:
        if not any(code in str(exc) for code in STALE):
            raise
        with _sessions_lock:
            _sessions.pop(remote, None)
        return work(session(remote))


@dataclass(frozen=True)
class Published:
    """The version of the tables readers are sent to."""

    version: int
    database: str
    published_at: datetime


def published(spark, database: str) -> Published | None:
    """The published version of ``database``; None before the first publish."""
    if not spark.catalog.tableExists(f"{database}.{POINTER}"):
        return None
    row = spark.sql(f"SELECT version, database, published_at FROM {database}.{POINTER}").first()
    return Published(int(row["version"]), row["database"], row["published_at"])


POINTER_MAX_AGE = 5.0  # seconds a read of the published version is reused
_current: dict[str, tuple[float, Published | None]] = {}
_current_lock = threading.Lock()


def current(url: str) -> Published | None:
    """The published version of ``url``'s database, read from the server at most every
    ``POINTER_MAX_AGE`` seconds (a round trip costs ~0.3 s; every rerun of every session
    asks): a new version reaches the dashboard within that time."""
    now = time.monotonic()
    with _current_lock:
        seen = _current.get(url)
    if seen is not None and now - seen[0] < POINTER_MAX_AGE:
        return seen[1]
    where = target(url)
    version = renewing(where.remote, lambda spark: published(spark, where.database))
    with _current_lock:
        _current[url] = (now, version)
    return version


class _Compiler(PySparkCompiler):
    def visit_CountStar(self, op, *, arg, where):
        """``COUNT_IF`` for a filtered count: Ibis writes ``SUM(CAST(cond AS BIGINT))``, NULL
        instead of 0 over no rows (an empty selection's cards)."""
        if where is not None:
            return self.f.count_if(where)
        return self.f.count(STAR)


class PinnedBackend(SparkBackend):
    """Ibis on one published version: ``table(name)`` reads ``<version database>.<name>``.

    A version never changes once published, so each table's schema is read once per backend
    (a round trip to the server each) and shared by every thread; and no query changes the
    session's current database, which every thread of the process shares.
    """

    pinned: Published
    remote: str
    compiler = _Compiler()

    @property
    def _session(self):
        """The process's session for the server (renewed after a restart), not the one the
        backend was made with."""
        return session(self.remote)

    @_session.setter
    def _session(self, value) -> None:
        pass  # Ibis's do_connect sets it; see the getter

    def disconnect(self) -> None:
        """Nothing: the session is the process's, shared by every backend (Ibis would stop
        it)."""

    def table(self, name: str, /, *, database=None):
        return super().table(name, database=database or self.pinned.database)

    def get_schema(self, table_name: str, *, catalog=None, database=None):
        key = (table_name, catalog, database)
        with self._schemas_lock:
            schema = self._schemas.get(key)
        if schema is None:
            qualified = ".".join(p for p in (catalog, database, table_name) if p)
            schema = sch.Schema(PySparkType.to_ibis(self._session.table(qualified).schema))
            with self._schemas_lock:
                self._schemas[key] = schema
        return schema


def connect(url: str, version: Published | None = None) -> PinnedBackend:
    """An Ibis backend on the published version of ``url``'s database (or on ``version``)."""
    where = target(url)
    version = version or renewing(where.remote, lambda spark: published(spark, where.database))
    if version is None:
        raise NotPublished(
            f"Spark 上的数据库 {where.database} 还没有发布的数据。请先运行 "
            f"`python -m analytics sync {where.display} --db <DuckDB 文件>` 把数据发布到 Spark。"
        )
    ibis.pyspark  # noqa: B018  (loading the backend registers its options, which compiling reads)
    backend = PinnedBackend()
    backend.remote = where.remote
    backend.do_connect(session(where.remote))
    backend.pinned = version
    backend._schemas = {}
    backend._schemas_lock = threading.Lock()
    return backend


# --------------------------------------------------------------------------------------------
# Publishing: DuckDB file -> a new version on Spark
# --------------------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Source:
    """The DuckDB file to publish, read only, with the canonical tables beside it: a table an
    older file lacks is published empty, and every table with the canonical columns, in order
    and with the canonical types."""

    def __init__(self, path: str | Path) -> None:
        self.con = duckdb.connect()
        create_schema(self.con)  # empty canonical tables in the in-memory database
        self.con.execute(f"ATTACH {_quoted(str(path))} AS src (READ_ONLY)")
        self.present = {
            row[0]
            for row in self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src'"
            ).fetchall()
        }

    def columns(self, table: str) -> list[tuple[str, str]]:
        return self.con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = $table AND database_name = 'memory' ORDER BY column_index",
            {"table": table},
        ).fetchall()

    def ddl(self, table: str) -> str:
        """The table's columns as a Spark DDL list."""
        return ", ".join(f"`{name}` {SPARK_TYPES[kind]}" for name, kind in self.columns(table))

    def query(self, table: str) -> str:
        names = ", ".join(f'"{name}"' for name, _ in self.columns(table))
        return f"SELECT {names} FROM {'src.' if table in self.present else ''}{table}"

    def count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM ({self.query(table)})").fetchone()[0]

    def parquet(self, table: str, folder: Path) -> Path:
        path = folder / f"{table}.parquet"
        self.con.execute(f"COPY ({self.query(table)}) TO {_quoted(str(path))} (FORMAT parquet)")
        return path

    def batches(self, table: str):
        return self.con.sql(self.query(table)).to_arrow_reader(UPLOAD_BATCH_ROWS)


def _next_version(spark, database: str, current: Published | None) -> int:
    """One more than every version that exists, published or left by a failed publish."""
    prefix = f"{database}__v"
    seen = [current.version] if current else [0]
    for row in spark.sql(f"SHOW DATABASES LIKE '{prefix}*'").collect():
        suffix = row[0][len(prefix) :]
        if suffix.isdigit():
            seen.append(int(suffix))
    return max(seen) + 1


def _copy(spark, source: _Source, table: str, name: str, folder: Path | None) -> None:
    """``table`` into the new Spark table ``name``: read from Parquet files in ``folder`` (a
    path the cluster reads), or sent over Spark Connect in Arrow batches (``folder`` None)."""
    ddl = source.ddl(table)
    spark.sql(f"CREATE TABLE {name} ({ddl}) USING parquet")
    if folder is not None:
        spark.read.parquet(str(source.parquet(table, folder))).write.insertInto(name)
        return
    for batch in source.batches(table):
        # a pandas frame of one batch: pyspark 4.0's Connect client rejects chunked arrays
        rows = pa.Table.from_batches([batch]).to_pandas()
        spark.createDataFrame(rows, schema=ddl).write.insertInto(name)


def publish(
    source: str | Path,
    url: str,
    *,
    stage: str | Path | None = None,
    upload: bool = False,
    keep: int = 2,
    progress: Callable[[str, float], None] = lambda message, fraction: None,
) -> Published:
    """Copy every canonical table of the DuckDB file ``source`` to Spark as a new version and
    publish it (see the module's docstring for the guarantee).

    The data travel as Parquet files in ``stage``, a folder the Spark cluster reads at the
    same path (for a server on this machine, a temporary folder by default), or over the
    Connect protocol in Arrow batches (``upload``, or a remote server and no ``stage``).
    ``keep`` versions stay: the published one and the one before, for readers still on it."""
    if keep < 1:
        raise ValueError("至少保留 1 个版本(默认 2:当前版和上一版)。")
    where = target(url)
    with open(f"{source}.publish.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one publish of a staging file after another
        renewing(where.remote, lambda spark: spark.sql("SELECT 1").collect())
        version = _publish(source, where, stage, upload, keep, progress)
    with _current_lock:  # this process's pages see it at once, not after POINTER_MAX_AGE
        _current[url] = (time.monotonic(), version)
    return version


def _publish(source, where: Target, stage, upload: bool, keep: int, progress) -> Published:
    spark = session(where.remote)
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {where.database}")
    current = published(spark, where.database)
    version = _next_version(spark, where.database, current)
    name = f"{where.database}__v{version}"
    files = _Source(source)
    own_stage = stage is None and where.local and not upload
    if own_stage:
        folder = Path(tempfile.mkdtemp(prefix="gov-publish-"))
    else:
        folder = None if upload or stage is None else Path(stage)
    created = False
    try:
        spark.sql(f"CREATE DATABASE {name}")  # fails if another publish took the number
        created = True
        for i, table in enumerate(TABLES):
            progress(f"发布 {table}", i / (len(TABLES) + 1))
            _copy(spark, files, table, f"{name}.{table}", folder)
            expected = files.count(table)
            copied = spark.sql(f"SELECT count(*) FROM {name}.{table}").first()[0]
            if copied != expected:
                raise RuntimeError(f"{table}: Spark 上 {copied} 行,源文件 {expected} 行")
    except BaseException:
        if created:
            try:
                spark.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")
            except Exception:  # the server gone too: the first error is the one to report
                LOG.warning("未能删除发布失败留下的 %s", name, exc_info=True)
        raise
    finally:
        files.con.close()
        if own_stage:
            shutil.rmtree(folder, ignore_errors=True)
    progress("切换到新版本", len(TABLES) / (len(TABLES) + 1))
    now = datetime.now().replace(microsecond=0)
    pointer = (
        f"SELECT CAST({version} AS BIGINT) AS version, '{name}' AS database, "
        f"TIMESTAMP_NTZ '{now.isoformat(sep=' ')}' AS published_at"
    )
    _point(spark, f"{where.database}.{POINTER}", pointer, exists=current is not None)
    for table in TABLES:
        _point(
            spark,
            f"{where.database}.{table}",
            f"SELECT * FROM {name}.{table}",
            exists=spark.catalog.tableExists(f"{where.database}.{table}"),
        )
    _drop_old(spark, where.database, version, keep)
    progress("完成", 1.0)
    return Published(version, name, now)


def _point(spark, view: str, query: str, exists: bool) -> None:
    """Create ``view`` or re-point it: ``ALTER VIEW`` is atomic for readers, a replaced view
    is not (a reader can find it missing)."""
    spark.sql(f"ALTER VIEW {view} AS {query}" if exists else f"CREATE VIEW {view} AS {query}")


def _drop_old(spark, database: str, version: int, keep: int) -> None:
    prefix = f"{database}__v"
    for row in spark.sql(f"SHOW DATABASES LIKE '{prefix}*'").collect():
        suffix = row[0][len(prefix) :]
        if suffix.isdigit() and int(suffix) <= version - keep:
            spark.sql(f"DROP DATABASE IF EXISTS {row[0]} CASCADE")
