"""Command line over the same functions as the dashboard.

python -m analytics demo [--events N] [--seed S] [--db PATH] [--if-missing]
python -m analytics summary [--period ytd|…] [--start D --end D] [--unit ID] [--db PATH]
python -m analytics import FILE [--preset auto|canonical|hotline|open311|wenzheng |
    --mapping MAP.yaml] [--kind events|grids|buildings|workers] [--create-units] [--dry-run]
    [--timezone ZONE] [--db PATH]
python -m analytics whatif --scope UNIT_ID (--households-per-grid N | --grids K |
    --events-ceiling E) [--least-change]
                           --out DIR [--db PATH]
python -m analytics users add LOGIN --role leader|street|community|analyst|admin [--unit ID]
    [--name 显示名] [--db PATH]
python -m analytics users list [--db PATH]
python -m analytics users remove LOGIN [--db PATH]
python -m analytics notes add YYYY-MM-DD 标题 [--detail 详情] [--unit ID] [--db PATH]
python -m analytics notes list [--db PATH]
python -m analytics notes remove YYYY-MM-DD [--title 标题] [--db PATH]
python -m analytics targets list|history [--db PATH]
python -m analytics targets set METRIC VALUE [--amber X] [--op >=|<=] [--unit ID] [--by LOGIN]
    [--db PATH]
python -m analytics targets remove METRIC [--unit ID] [--by LOGIN] [--db PATH]
python -m analytics targets import FILE [--replace] [--by LOGIN] [--db PATH]
python -m analytics targets export [FILE] [--db PATH]
python -m analytics categories --evaluate [--messages CSV] [--db PATH]
python -m analytics categories --suggest [--db PATH] [--admin-db PATH]
python -m analytics categories --accept --min-confidence X [--max-confidence Y] [--category 类别]
    [--by LOGIN] [--db PATH] [--admin-db PATH]
python -m analytics categories --reject [--min-confidence X] [--max-confidence Y] [--category 类别]
    [--by LOGIN] [--db PATH] [--admin-db PATH]
python -m analytics categories --apply [--by LOGIN] [--db PATH] [--admin-db PATH]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import date

from analytics import formats as fmt
from analytics import labels, metrics, queries
from analytics.connection import (
    DEFAULT_DB,
    PublishFailed,
    connect,
    db_url,
    duckdb_path,
    is_duckdb_file,
    is_spark,
    publish_if_spark,
    spark_layer,
    store_path,
)
from analytics.filters import PERIOD_PRESETS, Filters, preset_period


def _demo(args: argparse.Namespace) -> int:
    from analytics.demo.build import build_demo

    url = db_url(args.db)
    try:
        path = store_path(url)  # for Spark: the staging file, published below
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.if_missing and path.exists():
        print(f"已有数据库 {path},跳过生成(删除该文件或去掉 --if-missing 可重新生成)。")
        return 0
    print(f"==> 生成演示区数据:{args.events:,} 条事件,随机种子 {args.seed} → {path}")
    started = time.perf_counter()
    last = [-1]

    def progress(message: str, fraction: float) -> None:
        pct = int(fraction * 100)
        if pct // 10 != last[0] // 10 or fraction >= 1:
            print(f"    {pct:3d}% {message}", flush=True)
            last[0] = pct

    summary = build_demo(path, events=args.events, seed=args.seed, progress=progress)
    counts = ", ".join(f"{k} {v:,}" for k, v in summary.get("rows", {}).items())
    if is_spark(url):
        print(f"==> 发布到 Spark:{url}")
        try:
            publish_if_spark(url, progress)
        except PublishFailed as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"==> 完成,用时 {time.perf_counter() - started:.1f} 秒。{counts}")
    from analytics import admin_db, target_store

    admin = admin_db.admin_path(url)
    seeded = target_store.seed_demo(admin)
    if seeded:
        print(f"==> 已设演示目标值 {seeded} 项({admin});用 targets list 查看。")
    return 0


def _sync(args: argparse.Namespace) -> int:
    """Publish a DuckDB file's tables to Spark as one new version (``analytics.spark``)."""
    try:
        spark = spark_layer()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    env = db_url()
    to = args.to or (env if is_spark(env) else None)
    if not to or not is_spark(to):
        print(
            "请给出 Spark 地址,如 sc://localhost:15002/gov(或设置 GOV_DB 为该地址)。",
            file=sys.stderr,
        )
        return 2
    if args.db:
        source = duckdb_path(args.db)
    else:  # the file writers write for GOV_DB: itself, or Spark's staging file
        source = store_path(env) if is_duckdb_file(env) or is_spark(env) else DEFAULT_DB
    if not source.exists():
        print(
            f"没有 DuckDB 数据库 {source}:先导入数据或生成演示库(--db 指定文件)。", file=sys.stderr
        )
        return 2
    print(f"==> 发布 {source} → {to}")
    started = time.perf_counter()

    def progress(message: str, fraction: float) -> None:
        print(f"    {int(fraction * 100):3d}% {message}", flush=True)

    version = spark.publish(
        source, to, stage=args.stage, upload=args.upload, keep=args.keep, progress=progress
    )
    print(
        f"==> 已发布第 {version.version} 版({version.database}),用时 "
        f"{time.perf_counter() - started:.1f} 秒。看板:GOV_DB={to} bash scripts/run.sh"
    )
    return 0


def _unit_filters(con, unit: str | None, start: date, end: date) -> Filters:
    if not unit:
        return Filters(start, end)
    units = queries.org_units(con).set_index("unit_id")
    if unit in units.index:
        level = units.loc[unit, "level"]
        if level == "street":
            return Filters(start, end, street_id=unit)
        if level == "community":
            return Filters(start, end, community_id=unit)
        return Filters(start, end)
    grids = queries.grid_reference(con)
    if unit in set(grids["grid_id"]):
        return Filters(start, end, grid_id=unit)
    raise SystemExit(f"找不到单位或网格:{unit}")


def _summary(args: argparse.Namespace) -> int:
    con = connect(args.db, read_only=True)
    coverage = queries.data_range(con)
    if coverage is None:
        print("数据库中没有事件。", file=sys.stderr)
        return 1
    if args.start or args.end:
        try:
            start = date.fromisoformat(args.start) if args.start else coverage.first_day
            end = date.fromisoformat(args.end) if args.end else coverage.last_day
        except ValueError:
            print("日期格式应为 YYYY-MM-DD,例如 2026-01-31。", file=sys.stderr)
            return 2
        if start > end or end < coverage.first_day or start > coverage.last_day:
            print(
                "所选日期与数据范围"
                f"({fmt.period(coverage.first_day, coverage.last_day)})没有交集。",
                file=sys.stderr,
            )
            return 2
    else:
        start, end = preset_period(args.period, coverage.last_day)
    f = _unit_filters(con, args.unit, start, end)
    table = queries.kpis(con, f, coverage, keys=tuple(metrics.METRICS), compare=args.compare)
    name = labels.COMPARISON[args.compare]
    print(f"统计期 {fmt.period(start, end)},数据截至 {fmt.moment(coverage.as_of)}")
    problem = queries.comparison_problem(f, args.compare, coverage)
    if problem:
        print(f"({name}:{problem})")
    else:
        c = f.comparison(args.compare)
        print(f"{name}对比期 {fmt.period(c.start, c.end)}")
    for row in table.itertuples(index=False):
        change = fmt.change(row.metric, row.change)
        shown = f"{metrics.label(row.metric)}:{fmt.value(row.metric, row.value)}"
        print(f"  {shown}" + (f"({name} {change})" if change else ""))
    con.disconnect()
    return 0


def _guess_kind(path: str) -> str:
    """grids for GeoJSON (by extension, or a .json whose start declares features), else
    events: Open311, Socrata and JSON Lines exports are events."""
    from analytics.ingest.reading import declares_features

    lower = path.lower()
    if lower.endswith(".geojson"):
        return "grids"
    if lower.endswith(".json"):
        try:
            with open(path, "rb") as file:
                start = file.read(4096)
        except OSError:
            return "events"
        if declares_features(start):
            return "grids"
    return "events"


def _import(args: argparse.Namespace) -> int:
    from analytics.ingest.events import import_events
    from analytics.ingest.presets import PRESETS, load_mapping
    from analytics.ingest.reading import ImportFileError
    from analytics.ingest.reference import KINDS, import_reference
    from analytics.ingest.rows import ImportCheckFailed
    from analytics.store import StoreBusy

    kind = args.kind or _guess_kind(args.file)
    try:
        if kind == "events":
            mapping = load_mapping(args.mapping) if args.mapping else None
            named = PRESETS[args.preset].title if args.preset in PRESETS else "自动识别"
            print(f"==> 导入 {args.file}(格式:{'自定义映射' if mapping else named})")
            result = import_events(
                args.file,
                preset=args.preset,
                mapping=mapping,
                db=args.db,
                dry_run=args.dry_run,
                create_units=args.create_units,
                timezone=args.timezone,
            )
            if result.preset_reason:
                print(f"    {result.preset_reason}")
        else:
            print(f"==> 导入{KINDS[kind]} {args.file}")
            result = import_reference(
                args.file, kind, db=args.db, coordinates=args.coordinates, dry_run=args.dry_run
            )
    except (ImportFileError, ImportCheckFailed, StoreBusy) as exc:
        print(f"导入失败:{exc}", file=sys.stderr)
        print("数据库未做任何改动。", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "导入失败:文件太大,内存不足。请分成几个文件导入。数据库未做任何改动。", file=sys.stderr
        )
        return 2
    except Exception as exc:  # a defect of ours: one line for the user, the detail on request
        if os.environ.get("GOV_DEBUG"):
            raise
        print(
            f"导入失败:内部错误({type(exc).__name__})。数据库未做任何改动。"
            "设置环境变量 GOV_DEBUG=1 重新运行可看到详细信息,请反馈给管理员。",
            file=sys.stderr,
        )
        return 1
    from analytics import admin_db, audit

    detail = audit.import_detail(result, str(args.file), audit.file_hash(args.file), kind)
    audit.record_now(
        admin_db.admin_path(args.db),
        audit.Entry(login=_cli_login(), action="import", detail=detail),
    )
    prefix = "校验完成(未写入数据库)" if args.dry_run else "导入完成"
    print(f"==> {prefix}:{result.summary()}")
    for note in getattr(result, "notes", []):
        print(f"    说明:{note}")
    for reason, n in list(result.reasons.items())[:10]:
        print(f"    隔离 {n:,} 行:{reason}")
    if result.rows_quarantined and not args.dry_run:
        kept = getattr(result, "quarantine_new", result.rows_quarantined)
        if kept:
            print(f"    被隔离的行(含原文与原因)保存在 quarantine 表,导入编号 {result.import_id}。")
        if kept < result.rows_quarantined:
            print(
                f"    其中 {result.rows_quarantined - kept:,} 行在此前导入同一文件时已记入"
                "quarantine 表(同一行号、原文和原因),未重复记录。"
            )
    if result.publish_error:
        print(result.publish_error, file=sys.stderr)
        return 1
    return 0


def _whatif(args: argparse.Namespace) -> int:
    from pathlib import Path

    from analytics.planning import queueing, scenario, whatif
    from analytics.settings import load as load_settings

    settings = load_settings()
    choice = scenario.Scenario(
        args.scope,
        households_per_grid=args.households_per_grid,
        n_grids=args.grids,
        events_ceiling=args.events_ceiling,
        least_change=args.least_change,
    )
    con = connect(args.db, read_only=True)
    try:
        result = scenario.run(con, choice, settings)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        con.disconnect()
    scope, plan, model, tests = result.scope, result.plan, result.model, result.tests
    before, after = result.before, result.after
    out = Path(args.out)
    whatif.write_plan(plan, result.summary(), out)
    b, a = before.totals, after.totals
    print(f"==> {scope.name}:{len(scope.buildings):,} 栋楼,重新划分用时 {result.seconds:.1f} 秒")
    print(f"    网格 {b['grids']} → {a['grids']},专职网格员 {b['full_time_workers']} → "
          f"{a['full_time_workers']},户数变异系数 {a['households_cv']:.1%},"
          f"保持原网格的楼栋 {plan.stats['kept_share']:.1%}")  # fmt: skip
    hours = fmt.predicted_hours
    print(f"    预计响应时长中位数 {hours(b['median_hours'])} → {hours(a['median_hours'])},"
          f"P90 {hours(b['p90_hours'])} → {hours(a['p90_hours'])},"
          f"按时办结率 {fmt.rate(b['on_time_rate'])} → {fmt.rate(a['on_time_rate'])}")  # fmt: skip
    chosen = tests[model.kind]
    print(f"    模型:{queueing.KINDS[model.kind]},回测中位数误差 {chosen.median_mape:.1%},"
          f"相关系数 {chosen.median_r:.2f}")  # fmt: skip
    print(f"    已写入 {out / 'grids.geojson'}、{out / 'assignment.csv'}、{out / 'summary.json'}")
    return 0


def _cli_login() -> str:
    """Who acted, in the audit log, for a change made from the command line."""
    import getpass

    try:
        return f"命令行:{getpass.getuser()}"
    except (KeyError, OSError):
        return "命令行"


def _zone() -> str:
    """The district's time zone for the admin database's times (defaults if unreadable)."""
    from analytics.settings import SettingsError, load

    try:
        return load().timezone
    except SettingsError:
        return "Asia/Shanghai"


def _users(args: argparse.Namespace) -> int:
    from analytics import accounts, admin_db, audit

    path = admin_db.admin_path(args.db)
    if args.action == "list":
        users = accounts.listing(path)
        if users.empty:
            print(f"还没有账号({path})。用 users add 开通。")
            return 0
        for row in users.itertuples():
            unit = row.unit_id if isinstance(row.unit_id, str) else "全区"
            print(f"{row.login}\t{accounts.ROLES.get(row.role, row.role)}\t{unit}\t{row.name}")
        return 0
    if not args.login:
        print("请给出账号。", file=sys.stderr)
        return 2
    by = _cli_login()
    if args.action == "remove":
        if not accounts.remove(path, args.login):
            print(f"没有账号 {args.login}。", file=sys.stderr)
            return 1
        entry = audit.Entry(login=by, action="user_remove", detail={"account": args.login})
        audit.record_now(path, entry, _zone())
        print(f"已删除账号 {args.login}。")
        return 0
    if not args.role:
        print("开通账号须给出 --role。", file=sys.stderr)
        return 2
    url = db_url(args.db)
    if is_duckdb_file(url) and not duckdb_path(url).exists():
        print(f"找不到数据库 {duckdb_path(url)}:账号的单位须在数据库的区划中。", file=sys.stderr)
        return 2
    units = queries.org_units(connect(url, read_only=True))
    try:
        user = accounts.add(
            path,
            accounts.User(login=args.login, role=args.role, unit_id=args.unit, name=args.name),
            units,
            by=by,
            zone=_zone(),
        )
    except accounts.AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    detail = {"account": user.login, "role": user.role, "unit": user.unit_id or "全区"}
    audit.record_now(path, audit.Entry(login=by, action="user_add", detail=detail), _zone())
    print(f"已开通账号 {user.login}:{user.label},范围 {user.unit_id or '全区'}。")
    return 0


def _notes(args: argparse.Namespace) -> int:
    """The district's calendar notes, marked on the time charts (``analytics.annotations``):
    added to the admin database (the event store is not rewritten); listed from both places;
    removed from the admin database, and from the store for the notes it holds."""
    from analytics import admin_db, annotations
    from analytics.store import StoreBusy, writing

    url = db_url(args.db)
    try:
        path = store_path(url)  # for Spark: the staging file, published after a change
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not path.exists():
        print(f"没有数据库 {path}:先导入数据或生成演示库。", file=sys.stderr)
        return 2
    admin = admin_db.admin_path(url)
    if args.action == "list":
        con = connect(str(path), read_only=True)
        try:
            notes = annotations.listing(con, admin)
        finally:
            con.disconnect()
        if notes.empty:
            print("还没有备注。用 python -m analytics notes add 日期 标题 添加。")
            return 0
        for row in notes.itertuples(index=False):
            unit = f" [{row.unit_id}]" if isinstance(row.unit_id, str) else ""
            detail = f":{row.detail}" if row.detail else ""
            where = annotations.SOURCES[row.source]
            who = f" {row.created_by}" if row.created_by else ""
            print(f"{row.day:%Y-%m-%d}{unit} {row.title}{detail}\t({where}{who})")
        return 0
    try:
        day = date.fromisoformat(args.day or "")
    except ValueError:
        print("请给出日期,格式 YYYY-MM-DD(如 2025-01-01)。", file=sys.stderr)
        return 2
    by = _cli_login()
    if args.action == "add":
        units = None
        if args.unit:
            con = connect(str(path), read_only=True)
            try:
                units = _note_units(con)
            finally:
                con.disconnect()
        try:
            note_id = annotations.put(
                admin, day, args.title or "", args.detail, args.unit,
                by=by, units=units, zone=_zone(),
            )  # fmt: skip
        except ValueError as exc:
            print(f"未能保存:{exc}", file=sys.stderr)
            return 2
        detail = {"id": note_id, "day": day.isoformat(), "title": args.title.strip(),
                  "unit": args.unit or "全区"}  # fmt: skip
        _audit(admin, by, "note_add", detail)
        print(f"已添加备注 {day:%Y-%m-%d} {args.title.strip()}。")
        return 0
    title = args.title_option or args.title
    title = title.strip() if title else None
    removed = 0
    for row in annotations.load(admin, day, day).itertuples(index=False):
        if title is None or row.title == title:
            gone = annotations.delete(admin, row.id, by=by, zone=_zone())
            if gone is not None:
                removed += 1
                detail = {"id": row.id, "day": day.isoformat(), "title": row.title,
                          "unit": row.unit_id or "全区"}  # fmt: skip
                _audit(admin, by, "note_remove", detail)
    con = connect(str(path), read_only=True)
    try:
        in_store = annotations.listing(con)
    finally:
        con.disconnect()
    in_store = in_store[in_store["day"] == day]
    if title is not None:
        in_store = in_store[in_store["title"] == title]
    if not in_store.empty:  # an older note of the store itself: rewritten as before
        try:
            with writing(path) as con:
                removed += annotations.remove(con, day, title)
        except StoreBusy as exc:
            print(f"未能删除数据库中的备注:{exc}", file=sys.stderr)
            return 2
        try:
            publish_if_spark(url)
        except PublishFailed as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"已删除 {removed} 条备注。" if removed else "没有符合的备注,未做改动。")
    return 0


def _note_units(con) -> list[str]:
    """The ids a note may be given: every street, community and grid of the store."""
    units = queries.org_units(con)
    grids = queries.grid_reference(con)
    return [*units["unit_id"].astype(str), *grids["grid_id"].astype(str)]


def _store_units(url: str) -> tuple[list[str] | None, dict[str, str]]:
    """The street and community ids of the store's district (None without a store, so that
    units go unchecked) and every unit's name, for targets set from the command line."""
    if is_duckdb_file(url) and not duckdb_path(url).exists():
        return None, {}
    con = connect(url, read_only=True)
    try:
        units = queries.org_units(con)
    finally:
        con.disconnect()
    ids = units.loc[units["level"].isin(["street", "community"]), "unit_id"].astype(str).tolist()
    names = dict(zip(units["unit_id"].astype(str), units["name"].astype(str), strict=True))
    return ids, names


def _audit(path, by: str, action: str, detail: dict) -> None:
    """A target change from the command line in the audit log, as the admin page logs its own."""
    from analytics import audit

    audit.record_now(path, audit.Entry(login=by, action=action, detail=detail), _zone())


def _targets(args: argparse.Namespace) -> int:
    """The district's targets (``analytics.target_store``): list, set, remove, import,
    export and their history; values in display units (95 for 95%)."""
    from analytics import admin_db, target_store, targets

    url = db_url(args.db)
    path = admin_db.admin_path(url)
    if args.action in ("list", "export"):
        frame = target_store.load(path)
        if args.action == "export":
            content = target_store.to_csv(frame, _store_units(url)[1])
            if args.file:
                with open(args.file, "wb") as out:
                    out.write(content)
                print(f"已导出 {len(frame)} 项目标到 {args.file}。")
            else:
                sys.stdout.write(content.decode("utf-8-sig"))
            return 0
        if frame.empty:
            print(f"还没有设目标({path})。用 targets set 或 targets import 设置。")
            return 0
        names = _store_units(url)[1]
        for row in frame.itertuples(index=False):
            t = targets.Target(
                metric=row.metric,
                target=row.target,
                op=row.op,
                amber=None if math.isnan(row.amber) else row.amber,
                unit_id=row.unit_id,
            )
            unit = "全区" if t.unit_id is None else f"{names.get(t.unit_id, '')}({t.unit_id})"
            print(
                f"{metrics.label(t.metric)}\t{unit}\t{targets.describe(t)}"
                f"\t{row.updated_at} {row.updated_by}"
            )
        return 0
    if args.action == "history":
        changes = target_store.history(path, limit=args.limit)
        if changes.empty:
            print("还没有目标值的改动记录。")
            return 0
        for row in changes.itertuples(index=False):
            unit = row.unit_id or "全区"
            what = f"{row.before or '未设目标'} → {row.after or '未设目标'}"
            action = target_store.ACTIONS.get(row.action, row.action)
            print(f"{row.at}\t{row.login}\t{action}\t{metrics.label(row.metric)}\t{unit}\t{what}")
        return 0
    by = args.by or _cli_login()
    units, names = _store_units(url)
    try:
        if args.action == "import":
            with open(args.file, "rb") as file:
                parsed = target_store.parse_csv(file.read(), units or [], names)
            if not parsed.rejected.empty:
                print(f"有 {len(parsed.rejected)} 行不能导入,未做任何改动:", file=sys.stderr)
                for row in parsed.rejected.itertuples(index=False):
                    print(f"  第 {row[0]} 行:{row[2]}({row[1]})", file=sys.stderr)
                return 1
            n = target_store.import_targets(path, parsed.targets, by, args.replace, _zone())
            detail = {
                "file": str(args.file),
                "rows": len(parsed.targets),
                "changed": n,
                "replace": args.replace,
            }
            _audit(path, by, "target_import", detail)
            print(f"已导入 {len(parsed.targets)} 项目标,改动 {n} 项。")
            return 0
        metric = target_store.metric_named(args.metric)
        unit = None if args.unit in (None, "", "全区") else args.unit
        before = target_store.book(path).own(metric, unit)
        if args.action == "remove":
            if not target_store.remove(path, metric, unit, by, _zone()):
                print(
                    f"{metrics.label(metric)}在 {unit or '全区'} 没有单独设目标。", file=sys.stderr
                )
                return 1
            detail = {"metric": metric, "unit": unit or "全区", "before": targets.describe(before)}
            _audit(path, by, "target_remove", detail)
            print(f"已删除{metrics.label(metric)}({unit or '全区'})的目标。")
            return 0
        amber = None
        if args.amber is not None:
            amber = target_store.value_from_text(metric, args.amber, "预警线")
        t = targets.Target(
            metric=metric,
            target=target_store.value_from_text(metric, args.value),
            op=target_store.direction(args.op or "", metric),
            amber=amber,
            unit_id=unit,
        )
        t = target_store.put(path, t, by, units, _zone())
        detail = {
            "metric": t.metric,
            "unit": t.unit_id or "全区",
            "before": targets.describe(before) if before else "",
            "after": targets.describe(t),
        }
        _audit(path, by, "target_set", detail)
    except OSError as exc:
        print(f"无法读取文件:{exc}", file=sys.stderr)
        return 2
    except targets.TargetError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"已设{metrics.label(t.metric)}({t.unit_id or '全区'})的目标:{targets.describe(t)}。")
    return 0


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns aligned for a terminal (a Chinese character takes two places); the first
    column left-aligned, the others right-aligned."""
    widths = [max(_display_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _display_width(str(cell)))
            cells.append(f"{cell}{pad}" if i == 0 else f"{pad}{cell}")
        print("  ".join(cells).rstrip())


CONFIDENCE_BANDS = ((0.9, "≥90%"), (0.8, "80–90%"), (0.6, "60–80%"), (0.0, "<60%"))


def _band(confidence: float) -> str:
    return next(label for low, label in CONFIDENCE_BANDS if confidence >= low)


def _categories(args: argparse.Namespace) -> int:
    """分类建议 (``analytics.categories``, ``analytics.category_store``): evaluate the
    classifier, write suggestions to the admin database, decide them in bulk, apply the
    accepted ones to the events through an import."""
    from analytics import admin_db, categories, category_store

    url = db_url(args.db)
    admin = args.admin_db or admin_db.admin_path(url)
    by = args.by or _cli_login()
    if args.evaluate:
        if args.messages:
            try:
                texts, labels = categories.load_messages(args.messages)
            except (OSError, ValueError) as exc:
                print(exc, file=sys.stderr)
                return 2
            where = args.messages
            run = lambda: categories.evaluate_frame(texts, labels)  # noqa: E731
        else:
            con = _open_store(url)
            if con is None:
                return 2
            where = url
            run = lambda: categories.evaluate(con)  # noqa: E731
        try:
            result = run()
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        finally:
            if not args.messages:
                con.disconnect()
        print(f"==> 分类评估({where}):分层抽样 80/20,随机种子 {categories.SEED}")
        print(
            f"    训练 {result.n_train:,} 条(去重后),测试 {result.n_test:,} 条,"
            f"用时 {result.seconds:.1f} 秒"
        )
        print(f"    宏平均 F1 {result.macro_f1:.3f},准确率 {result.accuracy:.1%}")
        if result.excluded:
            few = "、".join(f"{k}({v} 条)" for k, v in result.excluded.items())
            print(f"    样本过少未参与:{few}")
        rows = [
            [r.category, f"{r.precision:.3f}", f"{r.recall:.3f}", f"{r.f1:.3f}", f"{r.support:,}"]
            for r in result.per_class.itertuples(index=False)
        ]
        _print_table(["类别", "精确率", "召回率", "F1", "测试条数"], rows)
        return 0
    if args.suggest:
        con = _open_store(url)
        if con is None:
            return 2
        try:  # the page's run: trained on 80 %, evaluated on the other 20 %, recorded
            run = category_store.generate(con, admin, by, zone=_zone())
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        finally:
            con.disconnect()
        frame, written = category_store.load(admin, "pending"), run.written
        frame = frame[frame["model"] == run.model]
        print(
            f"==> 模型 {run.model}:留出 20% 评估宏平均 F1 {run.macro_f1:.3f},准确率 "
            f"{run.accuracy:.1%}(训练 {run.n_train:,} 条,测试 {run.n_test:,} 条);"
            f"{run.suggestions:,} 条未分类事件有建议,写入待定 {written:,} 条({admin});"
            f"用时 {run.seconds:.1f} 秒"
        )
        if written < run.suggestions:
            print(
                f"    另 {run.suggestions - written:,} 条此前已处理(采纳、驳回或已写入),保留原结论"
            )
        if not frame.empty:
            bands = frame.assign(band=frame["confidence"].map(_band))
            table = bands.pivot_table(
                index="suggested", columns="band", values="event_id", aggfunc="count", fill_value=0
            )
            order = [label for _, label in CONFIDENCE_BANDS]
            table = table.reindex(columns=order, fill_value=0)
            table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
            rows = [
                [name, *(f"{int(v):,}" for v in r), f"{int(sum(r)):,}"]
                for name, r in zip(table.index, table.to_numpy(), strict=True)
            ]
            _print_table(["建议类别", *(f"置信度{b}" for b in order), "合计"], rows)
        print("    用 categories --accept --min-confidence 0.8 采纳,--apply 写入事件。")
        return 0
    if args.accept or args.reject:
        if args.accept and args.min_confidence is None:
            print("采纳须给出 --min-confidence(如 0.8),避免误采纳低置信度的建议。", file=sys.stderr)
            return 2
        low = args.min_confidence or 0.0
        ids = category_store.select(
            admin, min_confidence=low, max_confidence=args.max_confidence, category=args.category
        )
        detail = {"min_confidence": low, "max_confidence": args.max_confidence}
        if args.category:
            detail["category"] = args.category
        n = category_store.decide(admin, ids, args.accept, by, zone=_zone(), detail=detail)
        left = len(category_store.load(admin, "pending"))
        verb = "采纳" if args.accept else "驳回"
        print(f"已{verb} {n:,} 条建议;待定还有 {left:,} 条。")
        if args.accept and n:
            print("    用 categories --apply 把采纳的类别写入事件。")
        return 0
    from analytics.ingest.reading import ImportFileError
    from analytics.store import StoreBusy

    try:
        result = category_store.apply_accepted(url, admin, by, zone=_zone())
    except (StoreBusy, ImportFileError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if result is None:
        print("没有可写入的采纳建议(先用 --accept 采纳;已失效的见 category_suggestions)。")
        return 0
    print(
        f"==> 已写入 {result.rows_updated:,} 条事件的类别(导入 {result.import_id}):"
        + result.summary()
    )
    if result.publish_error:
        print(result.publish_error, file=sys.stderr)
        return 1
    return 0


def _open_store(url: str):
    """A read-only connection on the store, or None (with the reason printed)."""
    try:
        return connect(url, read_only=True)
    except FileNotFoundError:
        print(f"没有数据库 {url}:先导入数据或生成演示库。", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="网格治理数据工具")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="生成演示区数据库")
    demo.add_argument("--events", type=int, default=1_000_000, help="事件条数(默认 100 万)")
    demo.add_argument("--seed", type=int, default=20260101, help="随机种子(相同种子结果相同)")
    demo.add_argument("--db", help="数据库文件(默认 $GOV_DB 或 data/governance.duckdb)")
    demo.add_argument("--if-missing", action="store_true", help="数据库已存在时不重新生成")
    demo.set_defaults(func=_demo)

    summary = sub.add_parser("summary", help="打印核心指标")
    summary.add_argument(
        "--period", choices=[p for p in PERIOD_PRESETS if p != "custom"], default="ytd"
    )
    summary.add_argument("--start", help="起始日期 YYYY-MM-DD")
    summary.add_argument("--end", help="结束日期 YYYY-MM-DD")
    summary.add_argument("--unit", help="街道/社区编码或网格编码(默认全区)")
    summary.add_argument("--compare", choices=["yoy", "mom"], default="yoy")
    summary.add_argument("--db", help="数据库(默认 $GOV_DB 或 data/governance.duckdb)")
    summary.set_defaults(func=_summary)

    imp = sub.add_parser("import", help="导入事件、网格边界、楼栋或网格员数据")
    imp.add_argument(
        "file", help="CSV(UTF-8 或 GBK/GB18030)、Excel .xlsx、JSON/JSON Lines,或网格边界 GeoJSON"
    )
    imp.add_argument(
        "--kind",
        choices=("events", "grids", "buildings", "workers"),
        help="数据类型(默认:GeoJSON 为 grids,其余为 events)",
    )
    imp.add_argument(
        "--preset",
        default="auto",
        help="事件的列名预设:auto(默认,按表头自动识别)、canonical(标准列名)、"
        "hotline(12345/网格平台工单)、open311(Open311 / 美国 311)、wenzheng(网络问政留言)",
    )
    imp.add_argument("--mapping", help="事件列对应关系的 YAML 文件(代替预设)")
    imp.add_argument(
        "--coordinates",
        default="wgs84",
        choices=("wgs84", "gcj02", "bd09"),
        help="网格边界和楼栋坐标的坐标系(导入时转换为 WGS-84)",
    )
    imp.add_argument(
        "--create-units",
        action="store_true",
        help="文件中有数据库区划里没有的街道、社区或网格时建立它们(默认:遇到未知街道即停止)",
    )
    imp.add_argument("--dry-run", action="store_true", help="只校验并报告各项行数,不写入数据库")
    imp.add_argument(
        "--timezone",
        help="本区时区(默认取 settings.toml 的 [district] timezone,即 Asia/Shanghai);"
        "带时区的时间换算到本区时间,如导入纽约 311 数据用 America/New_York",
    )
    imp.add_argument("--db", help="数据库(默认 $GOV_DB 或 data/governance.duckdb)")
    imp.set_defaults(func=_import)

    whatif = sub.add_parser("whatif", help="网格调整推演:重新划分网格并预测人员与响应时效")
    whatif.add_argument("--scope", required=True, help="街道或社区编码(区编码为全区)")
    target = whatif.add_mutually_exclusive_group(required=True)
    target.add_argument("--households-per-grid", type=float, help="每个网格的目标户数")
    target.add_argument("--grids", type=int, help="网格总数")
    target.add_argument(
        "--events-ceiling", type=float, help="每格(每名专职网格员)每月事件数上限,按事件量均衡划分"
    )
    whatif.add_argument(
        "--least-change", action="store_true", help="尽量少改动:只拆分或合并超标网格"
    )
    whatif.add_argument("--out", required=True, help="输出目录")
    whatif.add_argument("--db", help="数据库(默认 $GOV_DB 或 data/governance.duckdb)")
    whatif.set_defaults(func=_whatif)

    sync = sub.add_parser("sync", help="把 DuckDB 数据库发布到 Spark(全部表作为一个新版本整体切换)")
    sync.add_argument("to", nargs="?", help="Spark 地址 sc://主机:端口/数据库(默认 $GOV_DB)")
    sync.add_argument("--db", help="源 DuckDB 文件(默认 $GOV_DB 所指文件或 data/governance.duckdb)")
    sync.add_argument(
        "--stage",
        help="Spark 集群能以同一路径读取的中转目录(默认:本机 Spark 用临时目录,"
        "远程 Spark 经连接分批上传)",
    )
    sync.add_argument(
        "--upload", action="store_true", help="经 Spark Connect 分批上传(集群读不到本机目录时)"
    )
    sync.add_argument(
        "--keep",
        type=int,
        choices=range(1, 100),
        metavar="N",
        default=2,
        help="保留的版本数,至少 1(默认 2:当前版和上一版)",
    )
    sync.set_defaults(func=_sync)

    from analytics.accounts import ROLES

    users = sub.add_parser("users", help="账号管理:开通、查看、删除登录账号")
    users.add_argument("action", choices=("add", "list", "remove"))
    users.add_argument(
        "login", nargs="?", help="账号(统一身份认证的邮箱、用户名或请求头中的用户名)"
    )
    users.add_argument(
        "--role",
        choices=tuple(ROLES),
        help="角色:" + "、".join(f"{code} {label}" for code, label in ROLES.items()),
    )
    users.add_argument("--unit", help="所属单位编码:街道账号为街道,社区账号为社区;分析员可选")
    users.add_argument("--name", default="", help="显示名")
    users.add_argument("--db", help="数据库(默认 $GOV_DB 或 data/governance.duckdb)")
    users.set_defaults(func=_users)

    notes = sub.add_parser("notes", help="趋势图上的日期备注:添加、查看、删除(如改革、汛期)")
    notes.add_argument("action", choices=("add", "list", "remove"))
    notes.add_argument("day", nargs="?", help="日期 YYYY-MM-DD")
    notes.add_argument("title", nargs="?", help="标题(图上的短标签,add 时必填)")
    notes.add_argument("--title", dest="title_option", help="remove 时只删除此标题的备注")
    notes.add_argument("--detail", default="", help="详情(悬停时显示)")
    notes.add_argument("--unit", help="只在此街道、社区或网格的图上显示(默认全区)")
    notes.add_argument("--db", help="数据库(默认 $GOV_DB 或 data/governance.duckdb)")
    notes.set_defaults(func=_notes)

    goals = sub.add_parser("targets", help="目标值:查看、设置、删除、导入、导出及改动记录")
    goal_actions = goals.add_subparsers(dest="action", required=True)
    db_help = "数据库(默认 $GOV_DB 或 data/governance.duckdb;目标存于其旁的管理库)"
    by_help = "记录为谁所改(默认 命令行:系统用户名)"
    for name, text in (("list", "列出全部目标"), ("history", "目标的改动记录(新的在前)")):
        action = goal_actions.add_parser(name, help=text)
        if name == "history":
            action.add_argument("--limit", type=int, default=500, help="最多显示的条数")
        action.add_argument("--db", help=db_help)
    goal_set = goal_actions.add_parser("set", help="设置一项目标(同一指标和单位的目标被替换)")
    goal_set.add_argument("metric", help="指标代码或名称,如 on_time_rate 或 按时办结率")
    goal_set.add_argument("value", help="目标值:比率写百分数(95 即 95%%),时长写小时,数量写件数")
    goal_set.add_argument("--amber", help="预警线,单位同目标值(如 90)")
    goal_set.add_argument(
        "--op", choices=(">=", "<="), help="方向(默认按指标:比率等越高越好为 >=,时长等为 <=)"
    )
    goal_set.add_argument("--unit", help="街道或社区编码(默认全区)")
    goal_set.add_argument("--by", help=by_help)
    goal_set.add_argument("--db", help=db_help)
    goal_remove = goal_actions.add_parser("remove", help="删除一项目标(该单位改用上级的目标)")
    goal_remove.add_argument("metric", help="指标代码或名称")
    goal_remove.add_argument("--unit", help="街道或社区编码(默认全区)")
    goal_remove.add_argument("--by", help=by_help)
    goal_remove.add_argument("--db", help=db_help)
    goal_import = goal_actions.add_parser(
        "import", help="从 CSV 导入目标(有任何一行不合格则全部不导入,并列出原因)"
    )
    goal_import.add_argument("file", help="CSV 文件(UTF-8 或 GBK),列同 targets export")
    goal_import.add_argument("--replace", action="store_true", help="同时删除文件中没有的目标")
    goal_import.add_argument("--by", help=by_help)
    goal_import.add_argument("--db", help=db_help)
    goal_export = goal_actions.add_parser("export", help="导出目标为 CSV(可用 Excel 编辑后导入)")
    goal_export.add_argument("file", nargs="?", help="输出文件(默认打印到屏幕)")
    goal_export.add_argument("--db", help=db_help)
    goals.set_defaults(func=_targets)

    cats = sub.add_parser(
        "categories", help="分类建议:评估分类模型,为缺类别的事件生成建议,批量采纳、驳回并写入"
    )
    what = cats.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--evaluate",
        action="store_true",
        help="按 80/20 分层抽样评估,打印宏平均 F1、准确率和各类别指标",
    )
    what.add_argument(
        "--suggest",
        action="store_true",
        help="训练模型,为类别为空、空白、其他或未分类的事件生成建议",
    )
    what.add_argument(
        "--accept", action="store_true", help="批量采纳待定建议(须给 --min-confidence)"
    )
    what.add_argument("--reject", action="store_true", help="批量驳回待定建议")
    what.add_argument("--apply", action="store_true", help="把已采纳的类别经一次导入写入事件")
    cats.add_argument(
        "--messages", help="评估用的留言 CSV(泰迪杯附件2格式:留言主题、留言详情、一级标签)"
    )
    cats.add_argument("--min-confidence", type=float, help="只处理置信度不低于此值的建议(0–1)")
    cats.add_argument(
        "--max-confidence", type=float, default=1.0, help="只处理置信度不高于此值的建议(默认 1)"
    )
    cats.add_argument("--category", help="只处理建议为此类别的")
    cats.add_argument("--by", help="记录为谁所做(默认 命令行:系统用户名)")
    cats.add_argument("--db", help="数据库(默认 $GOV_DB 或 data/governance.duckdb)")
    cats.add_argument("--admin-db", help="管理库(默认 $GOV_ADMIN_DB 或数据库旁的 .admin.sqlite)")
    cats.set_defaults(func=_categories)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
