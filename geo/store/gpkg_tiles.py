"""Vector tiles in the GeoPackage store: an indexed box read, then the tile encoded in Python
with ``mapbox-vector-tile`` (the encoder of Mapbox's Python tooling).

It draws the same tile as PostGIS's ``ST_AsMVT`` (:mod:`geo.store.pg_tiles`): the rows of
:func:`geo.store.tile_sql.tile_rows`; lines and polygons through the file's R-tree
(:func:`geo.store.tile_sql.rtree_condition`), projected to EPSG:3857, simplified by half a
screen pixel, moved to the tile's 4096 grid and clipped to the tile and its margin; fixes by
their longitude and latitude (the time index narrows them when a window is asked), thinned
below :data:`geo.tiles.FULL_DETAIL_ZOOM` to the newest fix per squad and screen pixel. At most
:data:`geo.tiles.MAX_TILE_FEATURES` features, the newest.
"""

from __future__ import annotations

from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import Connection, Integer, LargeBinary, String, cast, func, select, type_coerce

from geo.store import gpkg_geometry
from geo.store.tile_sql import (
    FIXES,
    PROPERTY_COLUMNS,
    fix_box,
    rtree_condition,
    shape_columns,
    tile_rows,
)
from geo.tiles import (
    BUFFER,
    EXTENT,
    HALF_WORLD,
    MAX_TILE_FEATURES,
    Tile,
    TileRequest,
    simplify_tolerance,
    thinning_cell,
)

_OPTIONS = {"extents": EXTENT, "y_coord_down": True}


def _iso_text(column: Any) -> Any:
    """A stored time (``2026-11-18T01:02:03.000Z``) as ``2026-11-18T01:02:03Z``."""
    return func.substr(type_coerce(column, String), 1, 19).op("||")("Z")


def _to_grid(
    tile: Tile, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitude, latitude → the tile's grid (0 to 4096, y down), unrounded."""
    minx, _, _, maxy = tile.bounds()
    x = lon / 180.0 * HALF_WORLD
    phi = np.radians(np.clip(lat, -85.0511287798, 85.0511287798))
    y = np.log(np.tan(np.pi / 4 + phi / 2)) / np.pi * HALF_WORLD
    scale = EXTENT / tile.span
    return (x - minx) * scale, (maxy - y) * scale


def vector_tile(conn: Connection, request: TileRequest) -> bytes:
    """The tile as MVT bytes (empty when no feature falls in it)."""
    if request.collection == "fixes":
        features = _fix_features(conn, request)
    else:
        features = _shape_features(conn, request)
    if not features:
        return b""
    layer = {"name": request.collection, "features": features}
    return bytes(mapbox_vector_tile.encode(layer, default_options=_OPTIONS))


def _fix_features(conn: Connection, request: TileRequest) -> list[dict[str, Any]]:
    tile = request.tile
    rows = tile_rows(request)
    f = FIXES.c
    text_t = type_coerce(f.t, String)
    # whole seconds since 1970 (SQLite's strftime, in C) to order by: sorting integers beats
    # sorting a hundred thousand time texts
    seconds = func.coalesce(cast(func.strftime("%s", text_t), Integer), -1)
    query = select(f.lon, f.lat, f.squad, f.device, f.upload_id, text_t, f.seq, seconds).where(
        *rows.conditions, fix_box(request)
    )
    # the driver's rows, one column at a time (a tile may read a hundred thousand fixes)
    records = conn.execute(query).cursor.fetchall()
    if not records:
        return []
    columns = list(zip(*records, strict=True))
    lon, lat = np.asarray(columns[0], dtype=float), np.asarray(columns[1], dtype=float)
    squad, device, stamps = columns[2], columns[3], columns[5]
    upload, seq, second = (np.asarray(columns[i], dtype=np.int64) for i in (4, 6, 7))
    # newest first: by time, then upload and position in it
    order = np.lexsort((seq, upload, second))[::-1]
    # the place on the tile's grid, rounded as PostGIS's ST_AsMVTGeom rounds it
    gx, gy = (np.rint(v[order]) for v in _to_grid(tile, lon, lat))
    cell = thinning_cell(tile.z)
    if cell is not None:
        # the newest fix of each squad and screen pixel: np.unique gives each key's first row
        # (squads numbered in order of appearance; a pixel's column and row are below 1024)
        numbers: dict[str, int] = {}
        codes = np.fromiter(
            (numbers.setdefault(v, len(numbers)) for v in squad), dtype=np.int64, count=len(squad)
        )[order]
        cols, rows_ = (np.clip(v // cell, 0, 1023).astype(np.int64) for v in (gx, gy))
        first = np.sort(np.unique((codes << 20) | (cols << 10) | rows_, return_index=True)[1])
        order, gx, gy = order[first], gx[first], gy[first]
    order, gx, gy = order[:MAX_TILE_FEATURES], gx[:MAX_TILE_FEATURES], gy[:MAX_TILE_FEATURES]
    points = np.asarray(shapely.points(gx, gy), dtype=object)
    return [
        {
            "geometry": point,
            "properties": {
                "squad": str(squad[i]),
                "device": str(device[i]),
                "upload_id": int(upload[i]),
                **({"time": f"{stamps[i][:19]}Z"} if stamps[i] is not None else {}),
            },
        }
        for point, i in zip(points, order, strict=True)
    ]


def _shape_features(conn: Connection, request: TileRequest) -> list[dict[str, Any]]:
    tile = request.tile
    rows = tile_rows(request)
    table = rows.table
    c = table.c
    columns = shape_columns(rows, request.collection, _iso_text)
    box = tile.lonlat_bounds(BUFFER / EXTENT)
    query = (
        select(*columns, type_coerce(c.geom, LargeBinary).label("geom"))
        .where(*rows.conditions, rtree_condition(table, box))
        .order_by(*rows.newest_first)
    )
    found = conn.execute(query).all()
    if not found:
        return []
    shapes = gpkg_geometry.decode([r[-1] for r in found])
    # cut to the tile and its margin first: a long track is projected and simplified only
    # where the tile shows it
    shapes = shapely.clip_by_rect(shapes, *box)
    shapes = shapely.transform(shapes, lambda xy: np.column_stack(_mercator(xy)))
    # polygons keep their rings valid; lines take the plain (faster) Douglas-Peucker
    polygons = request.collection == "area_gaps"
    shapes = shapely.simplify(shapes, simplify_tolerance(tile.z), preserve_topology=polygons)
    minx, _, _, maxy = tile.bounds()
    scale = EXTENT / tile.span
    shapes = shapely.transform(
        shapes, lambda xy: np.column_stack([(xy[:, 0] - minx) * scale, (maxy - xy[:, 1]) * scale])
    )
    shapes = shapely.clip_by_rect(shapes, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    # on the tile's whole-unit grid, repeated vertices dropped (as ST_AsMVTGeom does)
    shapes = shapely.set_precision(shapes, 1.0)
    names = PROPERTY_COLUMNS[request.collection]
    out: list[dict[str, Any]] = []
    for shape, row in zip(shapes, found, strict=True):
        if shape is None or shape.is_empty:
            continue
        out.append({"geometry": shape, "properties": _present(names, row[:-1])})
        if len(out) == MAX_TILE_FEATURES:
            break
    return out


def _present(names: tuple[str, ...], values: Any) -> dict[str, Any]:
    """The properties that have a value (ST_AsMVT leaves NULLs out too)."""
    return {n: v for n, v in zip(names, values, strict=True) if v is not None}


def _mercator(xy: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    phi = np.radians(np.clip(xy[:, 1], -85.0511287798, 85.0511287798))
    return xy[:, 0] / 180.0 * HALF_WORLD, np.log(np.tan(np.pi / 4 + phi / 2)) / np.pi * HALF_WORLD


__all__ = ["vector_tile"]
