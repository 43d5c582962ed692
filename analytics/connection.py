"""One connection factory for every reader and writer.

The store is chosen once, by ``GOV_DB``: a DuckDB file path (the default,
``data/governance.duckdb``), a Spark Connect server ``sc://HOST:PORT/DATABASE``
(:mod:`analytics.spark`) or another Ibis connection URL such as ``postgres://…``. Queries
are Ibis expressions, so the same metric code runs on whichever backend the URL names.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict, deque
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import ibis
import ibis.expr.datashape as ds
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.schema as sch
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.types as pat
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.backends import BaseBackend
from ibis.backends.duckdb import Backend as DuckDBBackend
from ibis.backends.duckdb.converter import DuckDBPandasData
from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

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

    def execute(self, expr, /, *, params=None, limit=None, **kwargs):
        """Ibis's ``execute``, the result made a frame in one step where it can (``one_step``)."""
        rel = self._to_duckdb_relation(expr, params=params, limit=limit, **kwargs)
        table, schema = rel.to_arrow_table(), expr.as_table().schema()
        df = one_step(table, schema)
        if df is None:
            return expr.__pandas_result__(ibis_frame(table, schema))
        # Ibis would convert a table's frame once more: it is already as that makes it.
        return df if isinstance(expr, ir.Table) else expr.__pandas_result__(df)

    def _to_duckdb_relation(self, expr, *, params=None, limit=None, **kwargs):
        """The query as DuckDB runs it, its SQL compiled once per shape (:func:`shaped`)."""
        plain = params or kwargs or limit not in (None, "default")  # limit=0 is a limit
        if plain or ibis.options.sql.default_limit is not None:
            return super()._to_duckdb_relation(expr, params=params, limit=limit, **kwargs)
        found = shaped(expr.as_table().op())
        if found is None:
            return super()._to_duckdb_relation(expr)
        sql, values, hooked = found
        if hooked or self._record_batch_readers_consumed:  # else Ibis's hooks find nothing
            self._run_pre_execute_hooks(expr)
        return self.con.sql(sql, params=values or None)


# -- results as pandas frames --------------------------------------------------------------
#
# Ibis makes a DuckDB result a pandas frame column by column: a Series from each Arrow column,
# a frame of them, then each column converted to its Ibis type and a second frame. That is
# 0.5–2.5 ms a query at a page's sizes (a page makes 10–20), where pyarrow makes the same frame
# in one step. ``one_step`` takes it for the kinds of column whose conversion is known to give
# the same (Ibis 12, pandas 3, pyarrow 26, as pinned; tests/analytics/test_frames.py holds
# them equal); a result with any other column is converted as Ibis does.


def _arrow_target(column: pa.ChunkedArray, dtype: dt.DataType) -> pa.DataType | None:
    """The Arrow type ``column`` is cast to so that pyarrow's frame equals Ibis's, or None
    when there is none: integers, booleans, times and dates only without nulls (Ibis makes
    a column with nulls Python objects first), times only without a zone."""
    kind, nulls = column.type, column.null_count > 0
    if dtype.is_string():
        return kind if pat.is_string(kind) else None
    if dtype.is_float64():
        return pa.float64() if pat.is_floating(kind) or pat.is_integer(kind) else None
    if nulls:
        return None
    if dtype.is_integer():
        return dtype.to_pyarrow() if pat.is_integer(kind) or pat.is_decimal(kind) else None
    if dtype.is_boolean():
        return kind if pat.is_boolean(kind) else None
    if dtype.is_timestamp() and dtype.timezone is None:
        plain = pat.is_timestamp(kind) and kind.tz is None and kind.unit == "us"
        return kind if plain else None
    if dtype.is_date():
        return pa.timestamp("s") if pat.is_date32(kind) else None
    return None


def one_step(table: pa.Table, schema: sch.Schema) -> pd.DataFrame | None:
    """DuckDB's ``table`` as the pandas frame Ibis makes of it for ``schema`` (its
    ``execute``), made by pyarrow in one step; None when a column is not of the kinds that
    can be (convert those as Ibis does: ``ibis_frame``)."""
    if tuple(table.column_names) != schema.names:
        return None
    columns = []
    for column, dtype in zip(table.columns, schema.types, strict=True):
        target = _arrow_target(column, dtype)
        if target is None:
            return None
        try:  # a safe cast: one that would overflow or round raises
            columns.append(column if column.type == target else column.cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    return pa.Table.from_arrays(columns, names=table.column_names).to_pandas()


def ibis_frame(table: pa.Table, schema: sch.Schema) -> pd.DataFrame:
    """``table`` converted as Ibis's DuckDB backend converts it before the expression's own
    conversion (``Backend.execute``)."""
    df = pd.DataFrame(
        {
            name: (
                col.to_pylist()
                if pat.is_nested(col.type) or pat.is_dictionary(col.type) or col.null_count
                else col.to_pandas()
            )
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )
    return DuckDBPandasData.convert_table(df, schema)


# -- SQL compiled once per shape ----------------------------------------------------------
#
# Compiling an Ibis expression to SQL is a quarter of a query's Python at 1M events, and every
# new period (or import, which moves 数据截至) made the same queries anew with other dates.
# So the dates and times in a query are lifted out as parameters: what is left, the query's
# shape, is compiled once and reused for every period, with the dates bound by DuckDB
# (``$p0`` …). Only dates and times: text (scope ids, categories, regular expressions) stays
# in the SQL, as DuckDB plans a regular expression best when it is a constant. The shape is
# equal for equal queries whatever their dates, so the cache holds one SQL per query of a
# page, comparison and selection level. Other engines compile as Ibis does.


class BoundValue(ops.Value):
    """A date or time of a query, bound at execution as ``$p<index>``."""

    index: int
    dtype: dt.DataType
    shape = ds.scalar


class _ShapeCompiler(DuckDBCompiler):
    def visit_BoundValue(self, op, *, index, dtype):
        return self.cast(sge.Parameter(this=sge.Var(this=f"p{index}")), dtype)

    def visit_CountStar(self, op, *, arg, where):
        """``COUNT(*) FILTER (WHERE p)`` as ``CAST(COALESCE(COUNT_IF(p), 0) AS BIGINT)``: the
        rows where ``p`` is true (not false, not null), 0 where there are none. DuckDB's hash
        aggregate takes each filtered aggregate as a pass of its own over the rows, where
        ``COUNT_IF`` is a plain sum: a third less time for a page's counts (a metric is two or
        three of them). ``COUNT_IF`` alone is not the same: it is a HUGEINT, and NULL where
        ``p`` is never true or false."""
        if where is None:
            return super().visit_CountStar(op, arg=arg, where=where)
        return self.cast(self.f.coalesce(sge.CountIf(this=where), 0), dt.int64)

    def visit_WindowFunction(self, op, *, func, **kwargs):
        """A filtered count over a window as Ibis writes it: ``OVER`` follows an aggregate,
        not the cast around ``COUNT_IF``."""
        if type(op.func) is ops.CountStar and op.func.where is not None:
            where = func.find(sge.CountIf).this  # the condition COUNT_IF was given
            func = super().visit_CountStar(op.func, arg=None, where=where)
        return super().visit_WindowFunction(op, func=func, **kwargs)


_COMPILER = _ShapeCompiler()
_SHAPES: OrderedDict = OrderedDict()  # shape → SQL and hooked, least recently used first
# What Ibis's DuckDB backend (12.0) prepares before it runs a query that holds one: an
# in-memory table or a Python UDF to register, the spatial extension to load. Queries without
# any skip those hooks, and their two walks of the query's graph.
_HOOKED = (ops.InMemoryTable, ops.ScalarUDF, ops.GeoSpatialUnOp, ops.GeoSpatialBinOp)
_SHAPES_LOCK = threading.Lock()
MAX_SHAPES = 1024  # a page makes 10–20 queries; a few hundred shapes cover every page's views


def _value(v):
    """A literal's value as DuckDB binds it."""
    return v.to_pydatetime() if hasattr(v, "to_pydatetime") else v


def _is_bound(node) -> bool:
    """A date, or a time of day and date as the data hold them (no time zone, the default
    precision): bound as it is. A literal of another precision or zone stays in the SQL,
    where Ibis writes it exactly (a bound value would be rounded or moved to UTC)."""
    if type(node) is not ops.Literal or node.value is None:
        return False
    dtype = node.dtype
    if dtype.is_date():
        return True
    return (
        dtype.is_timestamp()
        and dtype.scale is None
        and dtype.timezone is None
        and getattr(node.value, "tzinfo", None) is None
    )


class _Unkeyable(Exception):
    """An argument the key cannot hold faithfully: the query is compiled as Ibis does."""


def _shape(node: ops.Relation) -> tuple[tuple, dict]:
    """The query's shape as a key, without rebuilding it: every node in breadth-first order,
    its arguments with each node as its place in that order and each date or time as its
    parameter's number; and those dates and times, numbered in the same order. Two queries
    have one key exactly when they differ in nothing but their dates and times."""
    places = {node: 0}
    bound: dict = {}
    queue = deque([node])
    parts = []

    def arg(a):
        if isinstance(a, ops.Node):
            if _is_bound(a):
                return ("$", bound.setdefault(a, len(bound)), a.dtype)
            place = places.get(a)
            if place is None:
                place = places[a] = len(places)
                queue.append(a)
            return ("#", place)
        if isinstance(a, tuple):
            return (tuple, *map(arg, a))
        if isinstance(a, Mapping):
            return (dict, *((arg(k), arg(v)) for k, v in a.items()))
        if isinstance(a, BaseBackend):  # a table's source: not its SQL, and not to be kept
            return (BaseBackend,)
        if isinstance(a, set | frozenset):  # unordered: no place in a walk for nodes in it
            raise _Unkeyable
        if isinstance(a, float | Decimal):  # -0.0 == 0.0 and 1.0 == 1.00, not in SQL
            return (type(a), repr(a))
        return (type(a), a)  # the type too: True == 1 == 1.0, yet they are not one SQL

    while queue:
        n = queue.popleft()
        parts.append((type(n), *map(arg, n.__args__)))
    return tuple(parts), bound


def _compiled(node: ops.Relation, bound: dict) -> str:
    """The SQL of ``node`` with each date or time of ``bound`` as its parameter."""

    def lift(n, kwargs):
        if n in bound:
            return BoundValue(bound[n], n.dtype)
        return n.__recreate__(kwargs) if kwargs else n

    query = _COMPILER.to_sqlglot(node.replace(lift).to_expr())
    return query.sql(dialect="duckdb", copy=False, unsupported_level=sg.ErrorLevel.RAISE)


def shaped(node: ops.Relation) -> tuple[str, dict, bool] | None:
    """The SQL of the query ``node`` with its dates and times as parameters, their values, and
    whether it holds a node Ibis prepares for before running it (``_HOOKED``): compiled on
    the first query of its shape, then taken from the cache. None for a query that cannot be
    keyed (an argument that is not hashable): compile it as Ibis does."""
    try:
        key, bound = _shape(node)
        hash(key)
    except (_Unkeyable, TypeError):
        return None
    with _SHAPES_LOCK:
        found = _SHAPES.get(key)
        if found is not None:
            _SHAPES.move_to_end(key)
    if found is None:
        hooked = any(issubclass(part[0], _HOOKED) for part in key)
        found = _compiled(node, bound), hooked
        with _SHAPES_LOCK:
            _SHAPES[key] = found
            while len(_SHAPES) > MAX_SHAPES:
                _SHAPES.popitem(last=False)
    sql, hooked = found
    return sql, {f"p{i}": _value(lit.value) for lit, i in bound.items()}, hooked


def clear_shapes() -> None:
    """Forget every compiled shape (benchmarks: a process that has compiled nothing yet)."""
    with _SHAPES_LOCK:
        _SHAPES.clear()
