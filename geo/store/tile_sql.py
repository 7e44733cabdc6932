"""Which rows one vector tile draws, written once for both stores (:mod:`geo.tiles`).

:func:`tile_rows` gives the table a tile collection reads and the conditions every store applies
(township, time window, squad, weeks, kept fixes); the bounding box is each backend's own,
since it is where the indexes differ: PostGIS's GiST index (``geom && envelope``) and the
GeoPackage's R-tree tables (:func:`rtree_condition`). Fixes have no geometry column (PostGIS
shows them through a view, the GeoPackage not at all): they are chosen by longitude and latitude,
the tile's own half-open box, so a fix on a tile edge is in exactly one tile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, select, text

from geo.store.tables import CoverageGap, Fix, PatrolTrack
from geo.store.tables import table_of as _table
from geo.tiles import TILE_COLLECTIONS, TileRequest

FIXES = _table(Fix)
TRACKS = _table(PatrolTrack)
GAPS = _table(CoverageGap)
#: The MVT property columns of each collection, in order: the properties
#: :data:`geo.tiles.TILE_COLLECTIONS` declares (their names in the tile).
PROPERTY_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(held.properties) for name, held in TILE_COLLECTIONS.items()
}
#: The property columns written as ISO-8601 text (each store has its own function for it).
TIME_COLUMNS = frozenset({"started_at", "ended_at"})
#: Gap collection → the ``coverage_gaps.kind`` it holds.
GAP_KINDS = {"area_gaps": "area", "road_gaps": "road"}


@dataclass(frozen=True)
class TileRows:
    """The table a tile reads, the conditions on it, and the column that orders it newest
    first (a tile keeps the newest features when it holds too many)."""

    table: Table
    conditions: list[ColumnElement[bool]]
    newest_first: list[ColumnElement[object]]


def tile_rows(request: TileRequest) -> TileRows:
    """The rows of ``request``'s collection before the bounding box."""
    name = request.collection
    if name == "fixes":
        f = FIXES.c
        where: list[ColumnElement[bool]] = [f.township == request.township, f.segment >= 0]
        if request.start is not None:
            where.append(f.t >= request.start)
        if request.end is not None:
            where.append(f.t <= request.end)
        if request.squad is not None:
            where.append(f.squad == request.squad)
        return TileRows(FIXES, where, [f.t.desc(), f.upload_id.desc(), f.seq.desc()])
    if name == "tracks":
        t = TRACKS.c
        where = [t.township == request.township]
        if request.start is not None:
            where.append(t.ended_at >= request.start)
        if request.end is not None:
            where.append(t.started_at <= request.end)
        if request.squad is not None:
            where.append(t.squad == request.squad)
        return TileRows(TRACKS, where, [t.ended_at.desc(), t.id.desc()])
    g = GAPS.c
    where = [g.township == request.township, g.kind == GAP_KINDS[name]]
    if request.weeks is not None:
        where.append(g.week.in_(request.weeks))
    return TileRows(GAPS, where, [g.week.desc(), g.rank.asc()])


def shape_columns(rows: TileRows, collection: str, iso: Callable[[Any], Any]) -> list[Any]:
    """The property columns of a tracks or gaps tile, in :data:`PROPERTY_COLUMNS` order, the
    times (:data:`TIME_COLUMNS`) written by the store's ``iso`` and labelled with their names.
    """
    c = rows.table.c
    return [
        iso(c[name]).label(name) if name in TIME_COLUMNS else c[name]
        for name in PROPERTY_COLUMNS[collection]
    ]


def fix_box(request: TileRequest) -> ColumnElement[bool]:
    """The tile's own box over the fixes' longitude and latitude, half-open (west and north
    edges in, east and south edges out), so every fix is in one tile of a zoom."""
    west, south, east, north = request.tile.lonlat_bounds()
    f = FIXES.c
    return and_(f.lon >= west, f.lon < east, f.lat > south, f.lat <= north)


def rtree_condition(table: Table, box: tuple[float, float, float, float]) -> ColumnElement[bool]:
    """``id IN`` the GeoPackage R-tree's entries overlapping ``box`` (west, south, east, north);
    the table name is one of the store's own, never the request's."""
    rtree = f"rtree_{table.name}_geom"
    west, south, east, north = box
    ids = (
        select(text("id"))
        .select_from(text(rtree))
        .where(
            text(
                "minx <= :east AND maxx >= :west AND miny <= :north AND maxy >= :south"
            ).bindparams(east=east, west=west, north=north, south=south)
        )
    )
    return table.c.id.in_(ids)


__all__ = ["GAP_KINDS", "PROPERTY_COLUMNS", "TileRows", "fix_box", "rtree_condition", "tile_rows"]
