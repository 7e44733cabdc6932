"""Vector tiles in PostGIS: one ``ST_AsMVT`` query per tile (:mod:`geo.tiles`).

The rows come from :func:`geo.store.tile_sql.tile_rows`; lines and polygons are found through
the GiST index (``geom && envelope``), simplified by half a screen pixel
(``ST_SimplifyPreserveTopology``) and clipped to the tile and its margin by ``ST_AsMVTGeom``.
Lines and polygons are cut to the tile's box before they are projected. Fixes are points
made from their longitude and latitude; below
:data:`geo.tiles.FULL_DETAIL_ZOOM` one fix per squad and screen pixel is kept (the newest,
``DISTINCT ON``). At most :data:`geo.tiles.MAX_TILE_FEATURES` features, the newest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import distinct_on

from geo.store.tile_sql import FIXES, PROPERTY_COLUMNS, fix_box, tile_rows
from geo.tiles import (
    BUFFER,
    EXTENT,
    MAX_TILE_FEATURES,
    TileRequest,
    simplify_tolerance,
    thinning_cell,
)

#: A time as ``2026-11-18T01:02:03Z`` (UTC, whole seconds), as the GeoPackage tiles write it.
_ISO = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'


def _iso(column: Any) -> Any:
    return func.to_char(func.timezone("UTC", column), _ISO)


def vector_tile(conn: Connection, request: TileRequest) -> bytes:
    """The tile as MVT bytes (empty when no feature falls in it)."""
    tile = request.tile
    rows = tile_rows(request)
    table = rows.table
    envelope = func.ST_TileEnvelope(tile.z, tile.x, tile.y)
    if request.collection == "fixes":
        f = FIXES.c
        point = func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(f.lon, f.lat), 4326), 3857)
        columns = [f.squad, f.device, f.upload_id, _iso(f.t).label("time")]
        geom = func.ST_AsMVTGeom(point, envelope, EXTENT, 0, True).label("geom")
        query = select(*columns, geom).where(*rows.conditions, fix_box(request))
        cell = thinning_cell(tile.z)
        if cell is not None:
            # the cell of the point's place on the tile's grid, rounded as ST_AsMVTGeom does
            minx, _, _, maxy = tile.bounds()
            scale = EXTENT / tile.span
            col = func.floor(func.round((func.ST_X(point) - minx) * scale) / cell)
            row = func.floor(func.round((maxy - func.ST_Y(point)) * scale) / cell)
            thinned = (
                query.add_columns(f.t.label("t_order"))
                .ext(distinct_on(f.squad, col, row))
                .order_by(f.squad, col, row, f.t.desc())
                .subquery("thinned")
            )
            query = select(
                *[thinned.c[c] for c in PROPERTY_COLUMNS["fixes"]], thinned.c.geom
            ).order_by(thinned.c.t_order.desc())
        else:
            query = query.order_by(*rows.newest_first)
    else:
        c = table.c
        west, south, east, north = tile.lonlat_bounds(BUFFER / EXTENT)
        box = func.ST_MakeEnvelope(west, south, east, north, 4326)
        # cut to the tile and its margin first: a long track is projected and simplified only
        # where the tile shows it
        shape = func.ST_SimplifyPreserveTopology(
            func.ST_Transform(func.ST_ClipByBox2D(c.geom, box), 3857),
            simplify_tolerance(tile.z),
        )
        if request.collection == "tracks":
            columns = [
                c.squad,
                c.device,
                c.upload_id,
                c.segment,
                _iso(c.started_at).label("started_at"),
                _iso(c.ended_at).label("ended_at"),
                c.fixes,
            ]
            order = [c.ended_at.label("first"), c.id.label("then")]
        else:
            columns = [c.week, c.rank, c.village_code, c.area_m2, c.length_m]
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
