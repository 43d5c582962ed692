"""Streets, communities and grids named by an import: normalised, resolved, created.

:class:`Directory`, built from the database's units and grids (:func:`reference`), is the
one resolver of the places events, grids, buildings and workers name, by code or by name
(compared folded). :func:`resolve_units` places each event row; :func:`add_units` creates
the streets, communities and grids a file names that the database does not have yet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.ingest.presets import fold
from analytics.ingest.rows import Rows
from analytics.ingest.values import example_values


def reference(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The org units and grids already in the database."""
    units = con.execute("SELECT unit_id, parent_id, level, name FROM org_units").df()
    grids = con.execute(
        "SELECT grid_id, community_id, street_id, name, centroid_lon, centroid_lat FROM grids"
    ).df()
    return units, grids


PLACEHOLDERS = frozenset(fold(s) for s in (
    "unspecified", "n/a", "na", "#n/a", "none", "null", "nan", "unknown", "(blank)", "blank",
    "0", "-", "—", "/", "\\", "?", "未知", "无", "空", "不详", "其他", "未指定", "暂无",
))  # fmt: skip


def unit_name(value: str | None) -> str | None:
    """A unit name as stored and compared: NFKC (full-width forms), whitespace collapsed and
    dropped next to Chinese characters; None for empty and placeholder values (NYC's
    'Unspecified', '0 Unspecified', 'Unspecified BROOKLYN', 未知 …)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()
    text = re.sub(r"(?<=[\u3000-\u9fff]) | (?=[\u3000-\u9fff])", "", text)
    key = fold(text)
    if not key or key in PLACEHOLDERS or key.startswith("unspecified") or key == "0unspecified":
        return None
    return text


def place_names(raw: pd.DataFrame) -> pd.DataFrame:
    """The street, community and grid names of each row, normalised (None when not named)."""
    out = {}
    for column in ("street", "community", "grid"):
        positions, spellings = pd.factorize(raw[column].astype(object))
        names = np.array([unit_name(s) for s in spellings] + [None], dtype=object)
        out[column] = pd.Series(names[positions], index=raw.index, dtype=object)
    return pd.DataFrame(out)


@dataclass
class Directory:
    """Look-ups from a unit's name or code (compared folded) to its id, built from the
    database: the one resolver of events, grids, buildings and workers."""

    streets: dict[str, str]  # folded name or id -> street id
    communities: dict[tuple[str, str], str]  # (street id, folded name or id) -> community id
    community_anywhere: dict[str, list[str]]  # folded name or id -> community ids
    grids: dict[tuple[str, str], str]  # (community id, folded name or id) -> grid id
    grid_anywhere: dict[str, list[str]]  # folded name or id -> grid ids
    community_of: dict[str, str]  # grid id -> community id
    street_of: dict[str, str]  # community id -> street id

    @classmethod
    def of(cls, units: pd.DataFrame, grids: pd.DataFrame) -> Directory:
        streets = units[units.level == "street"]
        comm = units[units.level == "community"]
        street_by = {fold(n): u for u, n in zip(streets.unit_id, streets.name, strict=True)}
        street_by |= {fold(u): u for u in streets.unit_id}
        community_by: dict[tuple[str, str], str] = {}
        community_anywhere: dict[str, list[str]] = {}
        for u, p, n in zip(comm.unit_id, comm.parent_id, comm.name, strict=True):
            for key in {fold(n), fold(u)}:
                community_by[(p, key)] = u
                community_anywhere.setdefault(key, []).append(u)
        grid_by: dict[tuple[str, str], str] = {}
        grid_anywhere: dict[str, list[str]] = {}
        for g, c, n in zip(grids.grid_id, grids.community_id, grids.name, strict=True):
            for key in {fold(n), fold(g)}:
                grid_by[(c, key)] = g
                grid_anywhere.setdefault(key, []).append(g)
        return cls(
            street_by,
            community_by,
            community_anywhere,
            grid_by,
            grid_anywhere,
            dict(zip(grids.grid_id, grids.community_id, strict=True)),
            dict(zip(comm.unit_id, comm.parent_id, strict=True)),
        )

    def street(self, name: str | None) -> str | None:
        return self.streets.get(fold(name)) if name else None

    def community(self, name: str | None, street_id: str | None) -> str | None:
        """Within the street when one is known, else a code or a name unique in the district."""
        return _within(self.communities, self.community_anywhere, street_id, name)

    def grid(self, name: str | None, community_id: str | None) -> str | None:
        """Within the community when one is known, else a code or a name unique in the
        district."""
        return _within(self.grids, self.grid_anywhere, community_id, name)


def _within(by_parent: dict, anywhere: dict, parent_id: str | None, name: str | None) -> str | None:
    """The unit called ``name`` under ``parent_id`` when that is known, else the one unit of
    that code or name in the whole district (None when there are several or none)."""
    if not name:
        return None
    if parent_id:
        return by_parent.get((parent_id, fold(name)))
    matches = anywhere.get(fold(name), [])
    return matches[0] if len(matches) == 1 else None


def next_id(prefix: str, taken: set[str]) -> str:
    """The first of prefix01, prefix02, … not in ``taken`` (which then holds it)."""
    n = 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    taken.add(f"{prefix}{n:02d}")
    return f"{prefix}{n:02d}"


def add_units(con, names: pd.DataFrame, units: pd.DataFrame, grids: pd.DataFrame) -> int:
    """Streets, communities and grids of ``names`` (normalised street, community, grid) that
    the database does not have yet, with ids that follow the existing ones; the district
    itself when missing. Returns how many were created."""
    created = 0
    taken = set(units.unit_id) | set(grids.grid_id)
    district = units.loc[units.level == "district", "unit_id"]
    if district.empty:
        con.execute("INSERT INTO org_units VALUES ('D', NULL, 'district', '本区')")
        district_id, created = "D", 1
        taken.add("D")
    else:
        district_id = district.iloc[0]
    known = Directory.of(units, grids)
    combos = names.drop_duplicates()
    street_ids = dict(known.streets)
    for street in sorted(combos["street"].dropna().unique()):
        if fold(street) not in street_ids:
            sid = next_id("S", taken)
            con.execute(
                "INSERT INTO org_units VALUES (?, ?, 'street', ?)", [sid, district_id, street]
            )
            street_ids[fold(street)] = sid
            created += 1
    community_ids = dict(known.communities)
    pairs = combos[["street", "community"]].dropna().drop_duplicates()
    for street, community in sorted(pairs.itertuples(index=False)):
        sid = street_ids[fold(street)]
        if (sid, fold(community)) not in community_ids:
            cid = next_id(f"{sid}C", taken)
            con.execute(
                "INSERT INTO org_units VALUES (?, ?, 'community', ?)", [cid, sid, community]
            )
            community_ids[(sid, fold(community))] = cid
            created += 1
    grid_ids = dict(known.grids)
    for street, community, grid in sorted(combos.dropna().itertuples(index=False)):
        sid = street_ids[fold(street)]
        cid = community_ids[(sid, fold(community))]
        if (cid, fold(grid)) not in grid_ids:
            gid = next_id(f"{cid}G", taken)
            con.execute(
                "INSERT INTO grids (grid_id, community_id, street_id, name) VALUES (?, ?, ?, ?)",
                [gid, cid, sid, grid],
            )
            grid_ids[(cid, fold(grid))] = gid
            created += 1
    return created


def unknown_streets(names: pd.DataFrame, directory: Directory) -> list[str]:
    """Street names (or codes) of the file that the database's hierarchy does not know."""
    return sorted(s for s in names["street"].dropna().unique() if directory.street(s) is None)


def resolve_units(
    rows: Rows, names: pd.DataFrame, directory: Directory, notes: list[str]
) -> pd.DataFrame:
    """street_id, community_id, grid_id for each row, by code or by name, as deep as the row
    names a place; a row naming none counts at district level (all three null).

    A community or grid that does not belong to the row's street or community is an error
    (quarantined). A community or grid named without its street that cannot be placed
    (unknown, or a name several units share) leaves the event at district level, said in
    ``notes``: the event is still an event.
    """
    # Names repeat across a million rows but form a few hundred combinations: resolve those.
    combos = names.drop_duplicates().reset_index(drop=True)
    resolved, problems, unplaced = [], [], []
    for street, community, grid in combos.itertuples(index=False):
        sid = directory.street(street)
        cid = directory.community(community, sid)
        gid = directory.grid(grid, cid)
        problem, lost = None, None
        if street and sid is None:
            problem = f"街道「{street}」在区划中不存在"
        elif community and cid is None:
            if sid:
                problem = f"社区「{community}」不在所属街道之下"
            else:
                lost = community
        if problem is None and grid:
            home = directory.street_of.get(directory.community_of.get(gid, ""))
            if gid is None and cid:
                problem = f"网格「{grid}」不在所属社区之下"
            elif sid and not cid and home != sid:
                problem = f"网格「{grid}」不在街道「{street}」之下"
            elif gid is None:
                lost = lost or grid
        if gid and not cid:
            cid = directory.community_of.get(gid)
        if cid and not sid:
            sid = directory.street_of.get(cid)
        resolved.append((sid, cid, gid) if problem is None else (None, None, None))
        problems.append(problem)
        unplaced.append(lost if problem is None and lost and not sid else None)
    combos[["street_id", "community_id", "grid_id"]] = pd.DataFrame(resolved, dtype=object)
    combos["problem"] = problems
    combos["unplaced"] = unplaced
    ids = names.astype(object).merge(combos, on=["street", "community", "grid"], how="left")
    ids.index = names.index
    rows.reject(ids["problem"].notna(), "{}", ids["problem"])
    lost = ids["unplaced"].notna() & rows.reason.isna()
    if lost.any():
        notes.append(
            f"{int(lost.sum()):,} 行只写了社区或网格(如{example_values(ids['unplaced'], lost)}),"
            "没有街道且无法唯一确定位置,记在全区;可在映射的 defaults 中指定所属街道"
        )
    return ids[["street_id", "community_id", "grid_id"]]


def extent(grids: pd.DataFrame) -> tuple[float, float, float, float]:
    """The district's extent with a margin (any valid coordinate when grids have no shape)."""
    lon, lat = grids["centroid_lon"].dropna(), grids["centroid_lat"].dropna()
    if lon.empty:  # no grid geometry yet (units created from a file): only the globe's bounds
        return -180.0, 180.0, -90.0, 90.0
    margin = 0.1
    return lon.min() - margin, lon.max() + margin, lat.min() - margin, lat.max() + margin
