"""Which column of an export is which: presets, header matching and automatic recognition.

A preset names, for each column of ``events`` (plus ``street``/``community``/``grid`` names
and the helper columns ``status`` and ``updated_at``), the headers that exports write for
it. Headers match after :func:`fold`: case, spaces, underscores, hyphens and
dots, full-width forms, a BOM and required-field asterisks do not matter, so the NYC portal's
``Created Date``, its API's ``created_date`` and LA's ``CreatedDate`` are one header.

``preset="auto"`` (the default on the CLI and the page) tries every preset on the first
rows and takes the one that recognises the most columns, with its reason in Chinese; a
tie between presets asks the user to choose.

The reference tables' files (grids' GeoJSON properties, buildings, workers) have their
presets here too, :data:`REFERENCE_PRESETS`. A preset and its title live here only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from analytics.ingest.reading import ImportFileError
from analytics.schema import TABLES
from analytics.settings import zone_problem

EVENT_COLUMNS = tuple(
    line.split()[0]
    for line in TABLES["events"].split("(", 1)[1].rsplit(")", 1)[0].strip().splitlines()
)
PLACE_IDS = {"street_id": "street", "community_id": "community", "grid_id": "grid"}
HELPER_COLUMNS = ("status", "updated_at")  # read to complete other columns, not stored
HEADER_SCAN_ROWS = 15  # the header is looked for in these first rows
AUTO = "auto"


@dataclass(frozen=True)
class Preset:
    """How one kind of export maps onto ``events``."""

    name: str
    title: str
    columns: dict[str, tuple[str, ...]]  # canonical column -> accepted headers, first wins
    defaults: dict[str, str] = field(default_factory=dict)
    coordinates: str = "wgs84"  # wgs84 | gcj02 | bd09
    timezone: str | None = None  # the zone of zone-less times; None: the district's


def fold(text: str) -> str:
    """A header or unit name as compared: NFKC (full-width → half-width), no BOM, lower case, and
    no spaces, underscores, hyphens, dots or asterisks."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return re.sub(r"[\s_\-.*]+", "", text.lower())


def _canonical_columns() -> dict[str, tuple[str, ...]]:
    columns = {c: (c,) for c in EVENT_COLUMNS if c not in PLACE_IDS}
    columns |= {name: (column, name) for column, name in PLACE_IDS.items()}
    return columns | {c: (c,) for c in HELPER_COLUMNS}


PRESETS: dict[str, Preset] = {
    "canonical": Preset(name="canonical", title="标准列名(数据模型)", columns=_canonical_columns()),
    "hotline": Preset(
        name="hotline",
        title="12345热线/网格平台工单导出",
        columns={
            "event_id": ("工单编号", "工单号", "事件编号", "受理编号", "工单流水号"),
            "channel": ("来源渠道", "来源", "渠道", "来电渠道", "诉求渠道"),
            "event_type": ("诉求类型", "事件类型", "工单类型"),
            "category": ("问题分类", "业务类别", "事项分类", "诉求分类"),
            "board": ("四板块", "所属板块"),
            "street": ("所属街道", "街道", "街镇", "所属街镇"),
            "community": ("所属社区", "社区", "村社区", "所属村社区"),
            "grid": ("所属网格", "网格"),
            "lon": ("经度",),
            "lat": ("纬度",),
            "reported_at": ("来电时间", "上报时间", "登记时间", "受理登记时间"),
            "accepted_at": ("受理时间",),
            "dispatched_at": ("派单时间", "转办时间"),
            "handled_at": ("处置时间", "处理完成时间"),
            "closed_at": ("办结时间", "反馈时间", "结案时间"),
            "deadline_at": ("办结时限", "承诺时限", "要求办结时间"),
            "handling_type": ("办理类型", "件类型"),
            "resolved_level": ("解决层级", "办结层级"),
            "handler_unit": ("承办单位", "处置单位", "责任单位"),
            "worker_id": ("网格员编号",),
            "satisfaction": ("满意度", "满意度评价"),
            "resolved": ("是否解决", "解决情况"),
            "repeat_of": ("重复工单", "原工单编号"),
            "reporter_name": ("来电人", "反映人", "姓名", "诉求人", "联系人", "来电人姓名"),
            "reporter_phone": (
                "联系电话",
                "来电号码",
                "电话",
                "手机号码",
                "手机号",
                "手机",
                "联系方式",
                "联系人电话",
            ),
            "address": ("地址", "事发地址", "事发地点"),
            "description": ("诉求内容", "问题描述", "工单内容"),
            "status": ("办理状态", "工单状态", "状态"),
            "updated_at": ("更新时间", "最后更新时间"),
        },
        defaults={"channel": "hotline", "event_type": "request"},
    ),
    # 311 service requests: NYC (portal Title Case and API snake_case), Open311 GeoReport v2,
    # San Francisco, Los Angeles (MyLA311) and Boston. A 311 request is a hotline demand
    # (诉求); the political district (borough, supervisor or council district) becomes the
    # street and the neighbourhood (community board, neighbourhood, NC) the community.
    "open311": Preset(
        name="open311",
        title="Open311 / 美国 311 服务请求",
        columns={
            "event_id": (
                "Unique Key",
                "service_request_id",
                "SRNumber",
                "case_enquiry_id",
                "case_id",
                "request_id",
                "ticket_id",
            ),
            "reported_at": (
                "Created Date",
                "requested_datetime",
                "open_dt",
                "opened",
                "created_at",
                "date_created",
            ),
            "closed_at": ("Closed Date", "closed_dt", "closed", "closed_at", "date_closed"),
            "updated_at": (
                "updated_datetime",
                "Updated Date",
                "Resolution Action Updated Date",
                "last_updated",
                "updated_at",
            ),
            "deadline_at": ("Due Date", "expected_datetime", "target_dt"),
            "status": ("Status", "case_status"),
            "category": (
                "Complaint Type",
                "service_name",
                "Request Type",
                "type",
                "reason",
                "category",
            ),
            "channel": ("Open Data Channel Type", "source", "Request Source", "channel"),
            "handler_unit": ("Agency", "agency_responsible", "agency_name", "Owner", "department"),
            "street": (
                "Borough",
                "supervisor_district",
                "CD",
                "city_council_district",
                "council_district",
            ),
            "community": ("Community Board", "NCName", "neighborhood", "analysis_neighborhood"),
            "lat": ("Latitude", "lat"),
            "lon": ("Longitude", "long", "lng", "lon"),
            "address": ("Incident Address", "address", "location"),
            "description": ("Descriptor", "description", "case_title", "status_notes"),
        },
        defaults={"channel": "hotline", "event_type": "request"},
    ),
    # Messages of a 问政 platform (留言板, e.g. the 2020 泰迪杯 智慧政务 data): no place
    # column; an answered message is a closed one.
    "wenzheng": Preset(
        name="wenzheng",
        title="网络问政留言导出",
        columns={
            "event_id": ("留言编号", "编号", "留言ID"),
            "reported_at": ("留言时间", "发布时间", "提交时间"),
            "category": ("一级分类", "一级标签", "留言分类", "留言标签", "分类", "标签"),
            "description": ("留言详情", "留言内容", "留言主题"),
            "reporter_name": ("留言用户", "用户"),
            "closed_at": ("答复时间", "回复时间"),
            "street": ("所属街道", "街道"),
            "community": ("所属社区", "社区"),
            "status": ("办理状态", "状态"),
        },
        defaults={"channel": "online", "event_type": "request"},
    ),
}
REQUIRED = ("event_id", "reported_at", "category")
HEADER_NAME = {  # Chinese names of canonical columns, for messages
    "event_id": "事件编号",
    "channel": "来源渠道",
    "event_type": "事件类型",
    "category": "业务类别",
    "board": "四板块",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "lon": "经度",
    "lat": "纬度",
    "reported_at": "上报时间",
    "accepted_at": "受理时间",
    "dispatched_at": "转办时间",
    "handled_at": "处置时间",
    "closed_at": "办结时间",
    "deadline_at": "办结时限",
    "handling_type": "办理类型",
    "resolved_level": "解决层级",
    "satisfaction": "满意度",
    "resolved": "是否解决",
    "status": "办理状态",
    "updated_at": "状态更新时间",
}
FIELD_NAMES = HEADER_NAME | {  # every column a mapping may fill, in the order a form shows them
    "handler_unit": "承办单位",
    "worker_id": "网格员编号",
    "repeat_of": "重复工单的原编号",
    "reporter_name": "来电人姓名",
    "reporter_phone": "联系电话",
    "address": "地址",
    "description": "诉求内容",
}
MAPPING_HINT = "请检查是否选对了预设(--preset),或用 --mapping 指定列名对应关系。"

# The reference tables (analytics.ingest.reference): canonical column -> accepted headers.
_GRID = ("grid_id", "grid", "所属网格", "网格", "网格编码", "网格编号", "网格名称")
_COMMUNITY = ("community_id", "community", "所属社区", "社区", "社区名称", "社区编码")
_STREET = ("street_id", "street", "所属街道", "街道", "街镇", "街道名称")
REFERENCE_PRESETS: dict[str, Preset] = {
    "grids": Preset(
        "grids",
        "网格边界",
        {
            "grid_id": ("grid_id", "网格编码", "网格编号", "网格代码"),
            "name": ("name", "网格名称", "网格名", "名称"),
            "community": _COMMUNITY,
            "street": _STREET,
            "households": ("households", "户数", "总户数"),
            "population": ("population", "人口", "常住人口", "人口数"),
            "full_time_workers": ("full_time_workers", "专职网格员", "专职网格员数"),
            "part_time_workers": ("part_time_workers", "兼职网格员", "兼职网格员数"),
        },
    ),
    "buildings": Preset(
        "buildings",
        "楼栋清单",
        {
            "building_id": ("building_id", "楼栋编号", "楼栋编码", "建筑编号"),
            "grid": _GRID,
            "community": _COMMUNITY,
            "lon": ("lon", "经度"),
            "lat": ("lat", "纬度"),
            "households": ("households", "户数"),
        },
    ),
    "workers": Preset(
        "workers",
        "网格员名册",
        {
            "worker_id": ("worker_id", "网格员编号", "人员编号", "工号"),
            "name": ("name", "姓名"),
            "role": ("role", "岗位", "人员类型", "类别"),
            "grid": _GRID,
            "community": _COMMUNITY,
        },
    ),
}
REFERENCE_REQUIRED = {
    "grids": ("name", "community"),
    "buildings": ("building_id", "lon", "lat"),
    "workers": ("worker_id", "role"),
}


def match_headers(row: list[str], preset: Preset) -> dict[str, int]:
    """Canonical column → position of its header in ``row``; each header serves one column
    (the first column, in the preset's order, that names it)."""
    positions: dict[str, int] = {}
    for j, name in enumerate(column_names(row)):  # as the preview names them
        positions.setdefault(fold(name), j)
    found, taken = {}, set()
    for column, aliases in preset.columns.items():
        for alias in aliases:
            j = positions.get(fold(alias))
            if j is not None and j not in taken:
                found[column] = j
                taken.add(j)
                break
    return found


def column_names(cells: list[str]) -> list[str]:
    """A header's columns as shown and mapped by name: a blank one is 第N列, a repeated one
    gets (2), (3) …, so that every column can be chosen."""
    names, seen = [], set()
    for j, cell in enumerate(cells):
        name = str(cell).strip().lstrip("\ufeff") or f"第{j + 1}列"
        base, n = name, 1
        while fold(name) in seen:
            n += 1
            name = f"{base}({n})"
        seen.add(fold(name))
        names.append(name)
    return names


def _header_rows(rows: list[list[str]]) -> list[list[str]]:
    """Each row with its blank cells filled from the row above (merged two-row headers)."""
    out = []
    for i, row in enumerate(rows):
        above = rows[i - 1] if i else []
        out.append([c or (above[j] if j < len(above) else "") for j, c in enumerate(row)])
    return out


def _best_row(rows: list[list[str]], preset: Preset) -> tuple[int, dict[str, int]]:
    best: tuple[int, dict[str, int]] = (-1, {})
    for i, row in enumerate(_header_rows(rows[:HEADER_SCAN_ROWS])):
        found = match_headers(row, preset)
        if len(found) > len(best[1]):
            best = (i, found)
    return best


def _missing(found: dict[str, int], preset: Preset, required: tuple[str, ...]) -> list[str]:
    return [c for c in required if c not in found and c not in preset.defaults]


def find_header(
    rows: list[list[str]],
    preset: Preset,
    name: str,
    required: tuple[str, ...] = REQUIRED,
    hint: str = MAPPING_HINT,
) -> tuple[int, dict[str, int]]:
    """Index of the header row (title rows above it are skipped) and column positions."""
    index, found = _best_row(rows, preset)
    missing = _missing(found, preset, required)
    if index < 0 or len(found) < 2 or missing:
        wanted = missing or list(required)
        names = "、".join(
            f"{HEADER_NAME.get(c, c)}({'/'.join(preset.columns.get(c, (c,)))})" for c in wanted
        )
        raise ImportFileError(f"{name} 中找不到{preset.title}的表头,缺少必需列:{names}。{hint}")
    return index, found


@dataclass(frozen=True)
class Recognised:
    """The preset ``auto`` chose for a file, where its header is, and why."""

    preset: Preset
    header_index: int
    found: dict[str, int]
    reason: str


def recognise(rows: list[list[str]], name: str) -> Recognised:
    """The preset whose headers the file's first rows match best (required columns found).

    Two presets recognising as many columns is ambiguous: the user is asked to choose.
    """
    scored = []
    for preset in PRESETS.values():
        index, found = _best_row(rows, preset)
        if index >= 0 and len(found) >= 2 and not _missing(found, preset, REQUIRED):
            scored.append((len(found), preset, index, found))
    titles = "、".join(f"{p.title}(--preset {p.name})" for p in PRESETS.values())
    if not scored:
        raise ImportFileError(
            f"{name} 的表头不像已知的任何一种导出格式:没有找到事件编号、上报时间和业务类别这几列。"
            f"可选格式:{titles};也可以用 --mapping 指定列名对应关系(页面上选“手动对应列”)。"
        )
    scored.sort(key=lambda s: -s[0])
    count, preset, index, found = scored[0]
    if len(scored) > 1 and scored[1][0] == count:
        tied = "、".join(f"{s[1].title}(--preset {s[1].name})" for s in scored if s[0] == count)
        raise ImportFileError(f"{name} 的表头同样符合几种格式:{tied}。请指定其中一种(--preset)。")
    header = _header_rows(rows[: index + 1])[index]
    shown = "、".join(header[j].strip() for j in sorted(found.values())[:6])
    more = f" 等 {count} 列" if count > 6 else f",共 {count} 列"
    runner = f";其他格式最多认出 {scored[1][0]} 列" if len(scored) > 1 else ""
    reason = f"自动识别为「{preset.title}」:第 {index + 1} 行表头认出 {shown}{more}{runner}。"
    return Recognised(preset, index, found, reason)


def header_cells(rows: list[list[str]], index: int) -> list[str]:
    """The header row's names as the importer matches them (merged cells filled in)."""
    return [c.strip().lstrip("\ufeff") for c in _header_rows(rows[: index + 1])[index]]


def resolve(preset: str, mapping: dict | None) -> Preset | None:
    """The named preset, the user's mapping as a preset, or None for ``auto``."""
    if mapping is None:
        if preset == AUTO:
            return None
        if preset not in PRESETS:
            names = "、".join([AUTO, *PRESETS])
            raise ImportFileError(f"没有名为 {preset} 的预设。可用预设:{names}。")
        return PRESETS[preset]
    canonical = _canonical_columns()
    columns = {}
    for column, header in _section(mapping, "columns").items():
        key = PLACE_IDS.get(column, column)
        if key not in canonical:
            raise ImportFileError(f"映射中的列 {column} 不是事件表的列。")
        headers = [header] if isinstance(header, str) else header
        if (
            not isinstance(headers, list)
            or not headers
            or not all(isinstance(h, str) and h.strip() for h in headers)
        ):
            raise ImportFileError(f"映射中 {column} 的表头应为列名文字(或列名的列表)。")
        columns[key] = tuple(headers)
    defaults = {}
    for column, value in _section(mapping, "defaults").items():
        key = PLACE_IDS.get(column, column)
        if key not in canonical:
            raise ImportFileError(f"映射的默认值中的列 {column} 不是事件表的列。")
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value == "":
            raise ImportFileError(f"映射的默认值中 {column} 应为一个值(文字或数字)。")
        defaults[key] = str(value)
    coordinates = str(mapping.get("coordinates") or "wgs84")
    if coordinates not in COORDINATE_SYSTEMS:
        raise ImportFileError(
            f"映射中的 coordinates「{coordinates}」应为 {'、'.join(COORDINATE_SYSTEMS)} 之一。"
        )
    zone = mapping.get("timezone")
    problem = zone_problem(str(zone), "映射中的 timezone") if zone is not None else None
    if problem:
        raise ImportFileError(problem)
    return Preset(
        name="mapping",
        title="自定义映射",
        columns=columns,
        defaults=defaults,
        coordinates=coordinates,
        timezone=str(zone) if zone is not None else None,
    )


COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")


def _section(mapping: dict, name: str) -> dict:
    value = mapping.get(name) or {}
    if not isinstance(value, dict):
        raise ImportFileError(f"映射中的 {name} 应为“列名: 值”的对应表。")
    return value


def as_mapping(preset: str) -> dict:
    """A preset as a mapping (``columns``, ``defaults``, ``coordinates``) a form can edit."""
    spec = resolve(preset, None) or PRESETS["canonical"]
    return {
        "columns": {c: list(h) for c, h in spec.columns.items()},
        "defaults": dict(spec.defaults),
        "coordinates": spec.coordinates,
    }


def load_mapping(path: str | Path) -> dict:
    """A column mapping file: YAML (or JSON) with ``columns``, ``defaults``, ``coordinates``
    and optionally ``timezone`` (the zone of times written without one)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"映射文件 {Path(path).name} 无法读取:{exc}") from exc
    try:
        import yaml

        mapping = yaml.safe_load(text)
    except Exception as exc:  # a YAML error names line and column
        raise ImportFileError(f"映射文件 {Path(path).name} 无法解析:{exc}") from exc
    if not isinstance(mapping, dict) or not isinstance(mapping.get("columns"), dict):
        raise ImportFileError(f"映射文件 {Path(path).name} 需要一个 columns: 列名对应表。")
    return mapping
