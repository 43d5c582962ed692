"""分级授权: every query sees only the rows of the user's scope, whatever the filters say.

The scope is enforced at the one door every query goes through: ``con.table(name)``. A
:class:`ScopedBackend` wraps a connection and returns each table already restricted to the
scope (events, grids, buildings, workers, org_units), so no filter value, URL parameter or
forgotten ``apply_scope`` can reach another unit's rows. :func:`clamp` additionally brings a
selection back inside the scope and says what it dropped, for the audit log.

Rankings compare peers (:func:`peers`): a street's secretary sees every street's score, rank
and trend in the street ranking, because the ranking is the point of 赛马比拼, but only
aggregate figures; communities, grids, workers and events of other streets stay invisible.
A community's secretary likewise sees the other communities of their street.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import ibis
import pandas as pd
from ibis.expr.types import Table

from analytics.accounts import User
from analytics.filters import Filters


@dataclass(frozen=True)
class Scope:
    """The organisation unit a user may see: the district (both None), a street, or a
    community (with its street). Frozen and hashable: part of every cache key."""

    street_id: str | None = None
    community_id: str | None = None

    @property
    def whole(self) -> bool:
        return self.street_id is None and self.community_id is None

    @property
    def unit_id(self) -> str | None:
        return self.community_id or self.street_id


DISTRICT = Scope()


class ScopeError(LookupError):
    """The user's unit is not in the data (renamed or removed since the account was made)."""


def scope_of(user: User, units: pd.DataFrame) -> Scope:
    """The scope of ``user``'s account; ``units`` is org_units (unit_id, parent_id, level)."""
    if not user.unit_id:
        return DISTRICT
    row = units.loc[units["unit_id"] == user.unit_id]
    if row.empty:
        raise ScopeError(user.unit_id)
    level, parent = row["level"].iloc[0], row["parent_id"].iloc[0]
    if level == "street":
        return Scope(street_id=user.unit_id)
    if level == "community":
        return Scope(street_id=parent, community_id=user.unit_id)
    return DISTRICT


def restrict(t: Table, name: str, scope: Scope, tables: Any) -> Table:
    """Table ``name`` with only the rows of ``scope``; ``tables`` opens other tables (for
    the semi-joins of buildings and workers). An unknown table shows nothing."""
    if scope.whole:
        return t
    if name in ("events", "grids"):
        if scope.community_id:
            return t.filter(t.community_id == scope.community_id)
        return t.filter(t.street_id == scope.street_id)
    if name == "buildings":
        return t.filter(t.community_id.isin(_communities(tables, scope)))
    if name == "workers":
        grids = restrict(tables("grids"), "grids", scope, tables)
        return t.filter(t.grid_id.isin(grids.grid_id))
    if name == "org_units":
        keep = (t.level == "district") | (t.unit_id == scope.street_id)
        if scope.community_id:
            keep |= t.unit_id == scope.community_id
        else:
            keep |= t.parent_id == scope.street_id
        return t.filter(keep)
    if name == "imports":  # when data changed, for cache keys: no unit's rows
        return t
    return t.filter(ibis.literal(False))  # quarantine and anything added later: admins only


def _communities(tables: Any, scope: Scope):
    if scope.community_id:
        return [scope.community_id]
    units = tables("org_units")
    return units.filter(units.parent_id == scope.street_id).unit_id


class ScopedBackend:
    """An Ibis backend whose tables hold only ``scope``'s rows; everything else is the
    wrapped backend's."""

    def __init__(self, backend: Any, scope: Scope) -> None:
        self._backend = backend
        self.scope = scope

    def table(self, name: str, *args, **kwargs) -> Table:
        t = self._backend.table(name, *args, **kwargs)
        return restrict(t, name, self.scope, self._backend.table)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def scoped(backend: Any, scope: Scope) -> Any:
    """``backend`` restricted to ``scope`` (itself for the whole district)."""
    if isinstance(backend, ScopedBackend):
        backend = backend._backend
    return backend if scope.whole else ScopedBackend(backend, scope)


def scope_of_backend(backend: Any) -> Scope:
    return backend.scope if isinstance(backend, ScopedBackend) else DISTRICT


def unscoped(backend: Any) -> Any:
    """The wrapped backend, for the district's data span only (``queries.data_range``): the
    as-of moment must be the same for every viewer so that a unit's figures do not depend on
    who looks at them. Never for rows."""
    return backend._backend if isinstance(backend, ScopedBackend) else backend


def peers(backend: Any, f: Filters, level: str) -> tuple[Any, Filters]:
    """The connection and filters a ranking at ``level`` (street, community, grid; with or
    without ``_id``) uses: for a user scoped to a street
    (a community), the street (community) ranking is widened to the unit's peers, those of
    the same parent; any other level stays inside the scope."""
    scope = scope_of_backend(backend)
    level = level.removesuffix("_id")
    if scope.whole:
        return backend, f
    if level == "street" and scope.community_id is None:
        return unscoped(backend), replace(f, street_id=None, community_id=None, grid_id=None)
    if level == "community" and scope.community_id:
        wider = Scope(street_id=scope.street_id)
        return scoped(backend, wider), replace(
            f, street_id=scope.street_id, community_id=None, grid_id=None
        )
    return backend, f


def clamp(f: Filters, scope: Scope, parent: Mapping[str, str | None]) -> tuple[Filters, list]:
    """``f`` brought inside ``scope``, and the unit ids it asked for outside it.

    ``parent`` maps each unit and grid id to its parent (grid → community → street). A
    selection inside the scope is kept; anything else (another street, an unknown id, or the
    whole district for a scoped user) becomes the scope's own unit.
    """
    if scope.whole:
        return f, []
    asked = f.grid_id or f.community_id or f.street_id

    def inside(unit: str | None) -> bool:
        seen = 0
        while unit is not None and seen < 4:
            if unit == scope.unit_id:
                return True
            unit, seen = parent.get(unit), seen + 1
        return False

    if inside(asked) and _consistent(f, parent):
        return f, []
    dropped = [u for u in (f.street_id, f.community_id, f.grid_id) if u and not inside(u)]
    allowed = {scope.street_id, None}  # the scope's own street is not an attempt
    dropped = [u for u in dropped if u not in allowed]
    return replace(
        f, street_id=scope.street_id, community_id=scope.community_id, grid_id=None
    ), dropped


def _consistent(f: Filters, parent: Mapping[str, str | None]) -> bool:
    """The street, community and grid of ``f`` lie within one another."""
    if f.grid_id and f.community_id and parent.get(f.grid_id) != f.community_id:
        return False
    return not (f.community_id and f.street_id and parent.get(f.community_id) != f.street_id)


def within(units: pd.DataFrame, scope: Scope) -> list[str]:
    """The district, street and community ids of ``units`` (org_units) that lie inside
    ``scope``, widest first: what a viewer may choose as a whole (the what-if area)."""
    order = {"district": 0, "street": 1, "community": 2}
    rows = units[units["level"].isin(order)].copy()
    if not scope.whole:
        keep = rows["unit_id"] == scope.unit_id
        if scope.community_id is None:
            keep |= (rows["level"] == "community") & (rows["parent_id"] == scope.street_id)
        rows = rows[keep]
    rows["order"] = rows["level"].map(order)
    return rows.sort_values(["order", "unit_id"])["unit_id"].tolist()


def parents(units: pd.DataFrame, grids: pd.DataFrame) -> dict[str, str | None]:
    """grid → community, community → street, street → None: the map :func:`clamp` walks."""
    out: dict[str, str | None] = {}
    rows = zip(units["unit_id"], units["parent_id"], units["level"], strict=True)
    for unit, parent, level in rows:
        out[unit] = None if level in ("street", "district") or pd.isna(parent) else parent
    for grid, community in zip(grids["grid_id"], grids["community_id"], strict=True):
        out[grid] = community
    return out
