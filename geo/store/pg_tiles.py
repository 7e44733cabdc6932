"""Vector tiles in PostGIS: one ``ST_AsMVT`` query per tile (:mod:`geo.tiles`).

The rows come from :func:`geo.store.tile_sql.tile_rows`; lines and polygons are found through
the GiST index (``geom && envelope``), simplified by half a screen pixel (``ST_Simplify``;
``ST_SimplifyPreserveTopology`` for polygons) and clipped to the tile and its margin by
``ST_AsMVTGeom``.
Lines and polygons are cut to the tile's box before they are projected. Fixes are placed on
the tile's grid by arithmetic on their longitude and latitude (:func:`_fix_rows`); below
:data:`geo.tiles.FULL_DETAIL_ZOOM` one fix per squad and screen pixel is kept (the newest,
``DISTINCT ON``). At most :data:`geo.tiles.MAX_TILE_FEATURES` features, the newest.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, String, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import distinct_on

from geo.store.tile_sql import FIXES, PROPERTY_COLUMNS, fix_box, shape_columns, tile_rows
from geo.tiles import (
    BUFFER,
    EXTENT,
    HALF_WORLD,
    MAX_TILE_FEATURES,
    TileRequest,
    simplify_tolerance,
    thinning_cell,
)

#: A time as ``2026-11-18T01:02:03Z`` (UTC, whole seconds), as the GeoPackage tiles write it.
_ISO = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'


def _iso(column: Any) -> Any:
    return func.to_char(func.timezone("UTC", column), _ISO)


def _fix_rows(request: TileRequest) -> Any:
    """The tile's fixes, newest first, as properties and a point on the tile's grid.

    The grid position is spherical mercator arithmetic on the longitude and latitude (the same
    as ``ST_Transform`` to EPSG:3857 and ``ST_AsMVTGeom``'s rounding, without a geometry per
    row); the time is formatted and the point made only for the fixes the tile keeps."""
    tile = request.tile
    rows = tile_rows(request)
    f = FIXES.c
    minx, _, _, maxy = tile.bounds()
    scale = EXTENT / tile.span
    x = f.lon * (HALF_WORLD / 180.0)
    y = func.ln(func.tan(math.pi / 4 + func.radians(f.lat) / 2)) * (HALF_WORLD / math.pi)
    gx = func.round((x - minx) * scale).label("gx")
    gy = func.round((maxy - y) * scale).label("gy")
    placed = select(f.squad, f.device, f.upload_id, f.t, f.seq, gx, gy).where(
        *rows.conditions, fix_box(request)
    )
    cell = thinning_cell(tile.z)
    if cell is not None:
        # the newest fix of each squad and screen pixel
        col, row = func.floor(gx / cell), func.floor(gy / cell)
        placed = placed.ext(distinct_on(f.squad, col, row)).order_by(
            f.squad, col, row, f.t.desc().nulls_last(), f.upload_id.desc(), f.seq.desc()
        )
    kept = placed.subquery("placed")
    k = kept.c
    return select(
        k.squad,
        k.device,
        k.upload_id,
        _iso(k.t).label("time"),
        func.ST_MakePoint(k.gx, k.gy).label("geom"),
    ).order_by(k.t.desc().nulls_last(), k.upload_id.desc(), k.seq.desc())


def vector_tile(conn: Connection, request: TileRequest) -> bytes:
    """The tile as MVT bytes (empty when no feature falls in it)."""
    tile = request.tile
    rows = tile_rows(request)
    table = rows.table
    envelope = func.ST_TileEnvelope(tile.z, tile.x, tile.y)
    if request.collection == "fixes":
        query = _fix_rows(request)
    else:
        c = table.c
        west, south, east, north = tile.lonlat_bounds(BUFFER / EXTENT)
        box = func.ST_MakeEnvelope(west, south, east, north, 4326)
        # cut to the tile and its margin first: a long track is projected and simplified only
        # where the tile shows it
        # polygons keep their rings valid; lines (tracks that run back and forth over a road
        # keep many vertices to stay "simple") take plain Douglas-Peucker
        simplify = (
            func.ST_SimplifyPreserveTopology
            if request.collection == "area_gaps"
            else func.ST_Simplify
        )
        shape = simplify(
            func.ST_Transform(func.ST_ClipByBox2D(c.geom, box), 3857),
            simplify_tolerance(tile.z),
        )
        columns = shape_columns(rows, request.collection, _iso)
        if request.collection == "tracks":
            order = [c.ended_at.label("first"), c.id.label("then")]
        else:
            order = [c.week.label("first"), c.rank.label("then")]
        candidates = (
            select(
                *columns,
                func.ST_AsMVTGeom(shape, envelope, EXTENT, BUFFER, True).label("geom"),
                *order,
            )
            .where(*rows.conditions, c.geom.op("&&")(box))
            .subquery("candidates")
        )
        k = candidates.c
        then = k.then.desc() if request.collection == "tracks" else k.then.asc()
        query = (
            select(*[k[name] for name in PROPERTY_COLUMNS[request.collection]], k.geom)
            # a line in the margin's box may still miss the clipped tile
            .where(k.geom.is_not(None))
            .order_by(k.first.desc(), then)
        )
    features = query.limit(MAX_TILE_FEATURES).subquery("features")
    tile_query = select(
        func.ST_AsMVT(
            literal_column("features"), cast(literal(request.collection), String), EXTENT, "geom"
        )
    ).select_from(features)
    data = conn.execute(tile_query).scalar()
    return bytes(data) if data else b""


__all__ = ["vector_tile"]
