"""Vector tiles on OGC's WebMercatorQuad grid: the tile matrix set, tile bounds, what each tile
collection holds and how much of it one tile carries.

WebMercatorQuad (OGC 17-083r4, annex D) is the grid of web maps (XYZ): EPSG:3857, 256-pixel
tiles, zoom ``z`` has 2^z × 2^z tiles, row 0 at the top. The arithmetic is a few lines of
spherical mercator, done here rather than with morecantile: one grid is served, and its
definition (the JSON of :func:`tile_matrix_set`) is written out in full either way.

The stores draw the tiles (:meth:`geo.store.base.Store.vector_tile`): PostGIS with
``ST_AsMVT``, the GeoPackage with :mod:`geo.outputs.mvt`; both bound the work one tile costs
the same way (:data:`MAX_TILE_FEATURES`, :func:`simplify_tolerance`, :data:`FULL_DETAIL_ZOOM`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from geo.errors import NotFound

TMS_ID: Final = "WebMercatorQuad"
TMS_URI: Final = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857: Final = "http://www.opengis.net/def/crs/EPSG/0/3857"
MVT: Final = "application/vnd.mapbox-vector-tile"
#: Half the width of the EPSG:3857 world (metres).
HALF_WORLD: Final = 20037508.3427892
#: The grid's tile matrices: zoom 0 to 24, as OGC defines WebMercatorQuad.
TMS_MAX_ZOOM: Final = 24
#: The deepest zoom tiles are served at (a tile about 135 m wide here); clients overzoom.
MAX_ZOOM: Final = 18
#: From this zoom on every fix is drawn; below it one fix per squad per pixel of the tile.
FULL_DETAIL_ZOOM: Final = 17
#: The MVT grid of one tile (ST_AsMVT's default), and the clip margin around it.
EXTENT: Final = 4096
BUFFER: Final = 64
#: The most features one tile carries (the newest first when there are more).
MAX_TILE_FEATURES: Final = 20_000
#: Screen pixels per tile side, for thinning fixes and simplifying lines.
TILE_PIXELS: Final = 256


@dataclass(frozen=True)
class TileCollection:
    """What a tile collection draws: ``layer`` is the MVT layer name, ``geometry`` its one
    geometry type, ``personal`` whether it tells where squads were (fixes, tracks: for the
    roles that read tracks, a patrol key its own squad only)."""

    id: str
    title: str
    description: str
    geometry: str
    personal: bool
    properties: dict[str, str]


#: The properties of a gap tile (area and road gaps alike).
GAP_PROPERTIES: Final[dict[str, str]] = {
    "week": "string",
    "rank": "integer",
    "village_code": "string",
    "area_m2": "number",
    "length_m": "number",
}
#: Collection id → what its tiles hold. The property types are JSON Schema's.
TILE_COLLECTIONS: Final[dict[str, TileCollection]] = {
    c.id: c
    for c in (
        TileCollection(
            "fixes",
            "巡查定位点 Patrol fixes",
            "Every kept GPS fix of the patrols' uploads (cleaning's drops left out); "
            "vector tiles only, filter by datetime and squad",
            "Point",
            True,
            {"squad": "string", "device": "string", "upload_id": "integer", "time": "string"},
        ),
        TileCollection(
            "tracks",
            "巡查轨迹 Patrol tracks",
            "The cleaned track segments of the patrols' uploads; vector tiles only, "
            "filter by datetime and squad",
            "LineString",
            True,
            {
                "squad": "string",
                "device": "string",
                "upload_id": "integer",
                "segment": "integer",
                "started_at": "string",
                "ended_at": "string",
                "fixes": "integer",
            },
        ),
        TileCollection(
            "area_gaps",
            "未覆盖区域 Area gaps",
            "Uncovered areas of every stored week",
            "Polygon",
            False,
            GAP_PROPERTIES,
        ),
        TileCollection(
            "road_gaps",
            "未覆盖道路 Road gaps",
            "Uncovered road stretches of every stored week",
            "LineString",
            False,
            GAP_PROPERTIES,
        ),
    )
}
#: Collections that have tiles and no ``items`` (so they stay out of ``/ogc/collections``,
#: which QGIS and GDAL read as feature collections to page through).
TILE_ONLY: Final = frozenset(c.id for c in TILE_COLLECTIONS.values() if c.personal)


@dataclass(frozen=True)
class Tile:
    """One tile of WebMercatorQuad: zoom ``z``, column ``x``, row ``y`` (row 0 at the top)."""

    z: int
    x: int
    y: int

    @classmethod
    def checked(cls, z: int, y: int, x: int) -> Tile:
        """The tile, or :class:`NotFound` when the grid has no such tile or it is deeper
        than the tiles served (:data:`MAX_ZOOM`).

        Examples
        --------
        >>> Tile.checked(12, 1713, 3298)
        Tile(z=12, x=3298, y=1713)
        """
        if not 0 <= z <= MAX_ZOOM:
            deeper = " (clients overzoom the deepest tiles)" if z <= TMS_MAX_ZOOM else ""
            raise NotFound(
                f"tile matrix {z} is not served; tiles are served at 0 to {MAX_ZOOM}" + deeper
            )
        size = 1 << z
        if not (0 <= x < size and 0 <= y < size):
            raise NotFound(
                f"tile {z}/{y}/{x} is outside tile matrix {z}: rows and columns 0 to {size - 1}"
            )
        return cls(z, x, y)

    @property
    def span(self) -> float:
        """The tile's width and height in EPSG:3857 metres."""
        return 2 * HALF_WORLD / (1 << self.z)

    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` in EPSG:3857 metres."""
        minx = -HALF_WORLD + self.x * self.span
        maxy = HALF_WORLD - self.y * self.span
        return minx, maxy - self.span, minx + self.span, maxy

    def lonlat_bounds(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in degrees, grown by ``margin`` of the tile's width
        on each side (the clip buffer), for the stores' bounding-box reads.

        Examples
        --------
        >>> [round(v, 4) for v in Tile(1, 1, 0).lonlat_bounds()]
        [0.0, 0.0, 180.0, 85.0511]
        """
        minx, miny, maxx, maxy = self.bounds()
        grow = self.span * margin
        west, south = to_lonlat(minx - grow, miny - grow)
        east, north = to_lonlat(maxx + grow, maxy + grow)
        return west, south, east, north


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres → longitude, latitude (degrees, clamped to the grid)."""
    x = max(-HALF_WORLD, min(HALF_WORLD, x))
    y = max(-HALF_WORLD, min(HALF_WORLD, y))
    lon = x / HALF_WORLD * 180.0
    lat = math.degrees(2 * math.atan(math.exp(y / HALF_WORLD * math.pi)) - math.pi / 2)
    return lon, lat


def to_mercator(lon: float, lat: float) -> tuple[float, float]:
    """Longitude, latitude (degrees) → EPSG:3857 metres (latitude clamped to ±85.0511°)."""
    lat = max(-85.0511287798, min(85.0511287798, lat))
    x = lon / 180.0 * HALF_WORLD
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi * HALF_WORLD
    return x, y


def tile_of(lon: float, lat: float, z: int) -> Tile:
    """The tile of zoom ``z`` holding a point.

    Examples
    --------
    >>> tile_of(109.9, 28.15, 12)
    Tile(z=12, x=3298, y=1713)
    """
    x, y = to_mercator(lon, lat)
    size = 1 << z
    span = 2 * HALF_WORLD / size
    col = min(size - 1, max(0, int((x + HALF_WORLD) // span)))
    row = min(size - 1, max(0, int((HALF_WORLD - y) // span)))
    return Tile(z, col, row)


def simplify_tolerance(z: int) -> float:
    """Half a screen pixel of zoom ``z`` in EPSG:3857 metres: lines and polygons are simplified
    by this much, which no one sees at that zoom."""
    return 2 * HALF_WORLD / (1 << z) / TILE_PIXELS / 2


def thinning_cell(z: int) -> int | None:
    """The size, in MVT grid units, of the cell fixes are thinned to at zoom ``z`` (one fix per
    squad and cell: a screen pixel), or None from :data:`FULL_DETAIL_ZOOM` on (every fix)."""
    return None if z >= FULL_DETAIL_ZOOM else EXTENT // TILE_PIXELS


@dataclass(frozen=True)
class TileRequest:
    """What one tile is asked for: the collection, the tile, the closed time window ``start``
    to ``end`` (fixes by their time, tracks overlapping it; None on a side: open), a squad
    (fixes and tracks) and the weeks (gaps)."""

    township: str
    collection: str
    tile: Tile
    start: datetime | None = None
    end: datetime | None = None
    squad: str | None = None
    weeks: tuple[str, ...] | None = None
    """Area and road gaps: only these ISO weeks (None: every stored week)."""


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad definition in the JSON encoding of OGC 17-083r4 (TMS 2.0)."""
    matrices = []
    for z in range(TMS_MAX_ZOOM + 1):
        cell = 2 * HALF_WORLD / 256 / (1 << z)
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": cell / 0.28e-3,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF_WORLD, HALF_WORLD],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 1 << z,
                "matrixHeight": 1 << z,
            }
        )
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": CRS_3857,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


def matrix_limits(
    bbox: tuple[float, float, float, float] | None, max_zoom: int = MAX_ZOOM
) -> list[dict[str, Any]]:
    """``tileMatrixSetLimits`` for a CRS84 box: the rows and columns holding it at zoom 0 to
    ``max_zoom``; the whole matrix when there is no box."""
    limits = []
    for z in range(max_zoom + 1):
        if bbox is None:
            lo_col = lo_row = 0
            hi_col = hi_row = (1 << z) - 1
        else:
            top_left = tile_of(bbox[0], bbox[3], z)
            bottom_right = tile_of(bbox[2], bbox[1], z)
            lo_col, lo_row = top_left.x, top_left.y
            hi_col, hi_row = bottom_right.x, bottom_right.y
        limits.append(
            {
                "tileMatrix": str(z),
                "minTileRow": lo_row,
                "maxTileRow": hi_row,
                "minTileCol": lo_col,
                "maxTileCol": hi_col,
            }
        )
    return limits


__all__ = [
    "CRS_3857",
    "EXTENT",
    "MAX_TILE_FEATURES",
    "MAX_ZOOM",
    "MVT",
    "TILE_COLLECTIONS",
    "TILE_ONLY",
    "TMS_ID",
    "TMS_URI",
    "Tile",
    "TileCollection",
    "TileRequest",
    "matrix_limits",
    "simplify_tolerance",
    "thinning_cell",
    "tile_matrix_set",
    "tile_of",
    "to_lonlat",
    "to_mercator",
]
