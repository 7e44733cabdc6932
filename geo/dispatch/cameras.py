"""Where the next cameras go: K sites along roads that add the most uncovered area.

Candidate sites stand every ``spacing_m`` metres along the roads; at each, a camera of the
given range and field of view is tried at ``bearings`` evenly spaced bearings (the sector model
of :func:`geo.coverage.surveillance.camera_sectors`). Sites are chosen greedily: each adds the
most of the area still uncovered, which then counts as covered (the classic greedy for maximal
coverage, within ``1 - 1/e`` of the best K; evaluated lazily, since a site's gain can only
shrink as others are chosen). One camera per site.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry

from geo.coverage.result import Geometry, Metres, WeekCoverage, rounded, with_example
from geo.coverage.surveillance import camera_sectors
from geo.coverage.terrain import Dem, viewsheds
from geo.layers import TownshipLayers
from geo.projection import from_metric


class CameraSettings(BaseModel):
    """The cameras to place and how candidates are made.

    Examples
    --------
    >>> CameraSettings(count=2).bearing_list()
    [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(3, ge=1, le=100, description="Sites to suggest (K).")
    spacing_m: float = Field(50.0, gt=0, description="Candidate sites every N metres of road.")
    range_m: float = Field(80.0, gt=0, description="Camera range (m).")
    fov_deg: float = Field(90.0, gt=0, le=360, description="Field of view (degrees).")
    ptz: bool = Field(False, description="Pan-tilt-zoom cameras see a full disc.")
    height_m: float = Field(
        6.0, gt=0, description="Mounting height above ground (m), for line of sight over a DEM."
    )
    bearings: int = Field(8, ge=1, le=72, description="Bearings tried per site.")
    village: str | None = Field(None, description="Only this village's area and roads.")
    min_gain_m2: float = Field(1.0, ge=0, description="A site must add at least this area.")

    def bearing_list(self) -> list[float]:
        if self.ptz or self.fov_deg >= 360:
            return [0.0]
        return [float(b) for b in np.arange(self.bearings) * 360.0 / self.bearings]


class CameraSite(BaseModel):
    """A suggested camera: where, facing where, and the uncovered area it adds (m²);
    ``point`` and ``sector`` in WGS-84, ``*_m`` in the township's metric CRS (in memory only:
    not dumped, empty when read back from a dump)."""

    model_config = ConfigDict(frozen=True)

    rank: int = Field(ge=1)
    village_code: str = Field(examples=["433122207201"])
    road_code: str
    bearing_deg: Annotated[float, rounded(1)]
    fov_deg: float
    range_m: float
    ptz: bool
    added_m2: Metres
    point: Geometry
    sector: Geometry
    point_m: Geometry = Field(default_factory=shapely.Point, exclude=True)
    sector_m: Geometry = Field(default_factory=shapely.Polygon, exclude=True)


#: Two sites in the demo township's 瓦槽村 (the OpenAPI example of suggestions).
_SUGGESTIONS_EXAMPLE: dict[str, Any] = {
    "township_code": "433122207",
    "settings": CameraSettings(count=1, village="433122207206").model_dump(mode="json"),
    "uncovered_m2": 9435810.0,
    "uncovered_after_m2": 9430789.8,
    "sites": [
        {
            "rank": 1,
            "village_code": "433122207206",
            "road_code": "R024",
            "bearing_deg": 270.0,
            "fov_deg": 90.0,
            "range_m": 80.0,
            "ptz": False,
            "added_m2": 5020.2,
            "point": {"type": "Point", "coordinates": [109.89836, 28.13074]},
            "sector": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [109.89836, 28.13074],
                        [109.89777, 28.13125],
                        [109.89777, 28.13023],
                        [109.89836, 28.13074],
                    ]
                ],
            },
        }
    ],
}


class CameraSuggestions(BaseModel):
    """The suggested sites, best first, and the uncovered area before and after them (m²)."""

    model_config = with_example(_SUGGESTIONS_EXAMPLE)

    township_code: str = Field(examples=["433122207"])
    settings: CameraSettings
    uncovered_m2: Metres
    uncovered_after_m2: Metres = Field(
        description="The area still uncovered once every suggested camera stands (m²)"
    )
    sites: list[CameraSite]


def uncovered_area(
    layers: TownshipLayers,
    week: WeekCoverage | None = None,
    *,
    village: str | None = None,
    dem: Dem | None = None,
) -> BaseGeometry:
    """The area still uncovered, in the metric CRS: the week's area gaps (what no patrol,
    online camera or drone reached; gaps below ``rules.min_gap_area_m2`` are not kept by the
    weekly result), or, without a week, the villages minus the sectors of online cameras.

    Parameters
    ----------
    village
        Only this village (its code).
    dem
        Terrain: without a week, the cameras see their viewsheds, not their whole sectors.
    """
    crs = layers.info.metric_crs
    if week is not None:
        geoms = [
            g.geometry
            for g in week.gaps
            if g.kind == "area" and (village is None or g.village_code == village)
        ]
        if not geoms:
            return shapely.Polygon()
        return shapely.union_all(gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs).to_numpy())
    villages = layers.metric("villages")
    if village is not None:
        villages = villages[villages["code"] == village]
    area = shapely.union_all(villages.geometry.to_numpy())
    cameras = layers.metric("cameras")
    cameras = cameras[cameras["status"].fillna("online").isin(["online", ""])]
    if len(cameras):
        area = shapely.difference(area, shapely.union_all(viewsheds(cameras, dem)))
    return area


def suggest_cameras(
    layers: TownshipLayers,
    uncovered: BaseGeometry,
    settings: CameraSettings | None = None,
    *,
    dem: Dem | None = None,
) -> CameraSuggestions:
    """Choose up to ``settings.count`` camera sites along the roads that add the most of the
    ``uncovered`` area (metric CRS; see :func:`uncovered_area`).

    With a ``dem`` (in the metric CRS), a camera adds only what it can see over the terrain
    (:func:`geo.coverage.terrain.viewsheds`); each sector's area is an upper bound of its
    viewshed's, so viewsheds are computed only for the candidates the lazy greedy reaches.

    Returns
    -------
    CameraSuggestions
        Sites best first, each with the area it adds beyond the sites before it; fewer than K
        when no candidate adds ``min_gain_m2``.
    """
    settings = settings or CameraSettings()
    crs = layers.info.metric_crs
    roads = layers.metric("roads")
    villages = layers.metric("villages")
    if settings.village is not None:
        villages = villages[villages["code"] == settings.village]
        if villages.empty:
            raise ValueError(f"no village {settings.village!r} in the township")
        uncovered = shapely.intersection(uncovered, shapely.union_all(villages.geometry))
    total = float(uncovered.area)
    points, road_of = _candidates(roads.geometry.to_numpy(), settings.spacing_m)
    keep = shapely.dwithin(points, uncovered, settings.range_m)
    if settings.village is not None:
        keep &= shapely.intersects(points, shapely.union_all(villages.geometry))
    points, road_of = points[keep], road_of[keep]
    bearings = settings.bearing_list()
    site = np.repeat(np.arange(len(points)), len(bearings))
    bearing = np.tile(np.asarray(bearings), len(points))
    candidates = gpd.GeoDataFrame(
        {
            "bearing_deg": bearing,
            "fov_deg": settings.fov_deg,
            "range_m": settings.range_m,
            "ptz": settings.ptz,
            "height_m": settings.height_m,
        },
        geometry=points[site] if len(site) else gpd.GeoSeries([], crs=crs),
        crs=crs,
    )
    sectors = camera_sectors(candidates)
    seen: Callable[[int], BaseGeometry] | None = None
    if dem is not None:
        cache: dict[int, BaseGeometry] = {}

        def seen(k: int) -> BaseGeometry:
            if k not in cache:
                cache[k] = viewsheds(candidates.iloc[[k]], dem)[0]
            return cache[k]

    chosen = _greedy(sectors, site, uncovered, settings, seen)
    village_geoms = layers.metric("villages")
    sites = []
    for rank, (k, gain) in enumerate(chosen, start=1):
        point = points[site[k]]
        inside = village_geoms[village_geoms.contains(point)]
        sites.append(
            CameraSite(
                rank=rank,
                village_code=str(inside["code"].iloc[0]) if len(inside) else "",
                road_code=str(roads["code"].iloc[road_of[site[k]]]),
                bearing_deg=float(bearing[k]),
                fov_deg=settings.fov_deg,
                range_m=settings.range_m,
                ptz=settings.ptz,
                added_m2=gain,
                point=_to_wgs84(point, crs),
                sector=_to_wgs84(sectors[k] if seen is None else seen(k), crs),
                point_m=point,
                sector_m=sectors[k] if seen is None else seen(k),
            )
        )
    return CameraSuggestions(
        township_code=layers.info.code,
        settings=settings,
        uncovered_m2=total,
        uncovered_after_m2=max(total - sum(s.added_m2 for s in sites), 0.0),
        sites=sites,
    )


def _candidates(
    lines: NDArray[np.object_], spacing: float
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Points every ``spacing`` metres along each line (its start included), and the line of
    each."""
    if len(lines) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    lengths = shapely.length(lines)
    counts = np.floor(lengths / spacing).astype(np.int64) + 1
    road_of = np.repeat(np.arange(len(lines)), counts)
    along = np.concatenate([np.arange(n, dtype=np.float64) * spacing for n in counts])
    points = shapely.line_interpolate_point(lines[road_of], along)
    return np.asarray(points, dtype=object), road_of.astype(np.int64)


class _Remaining:
    """The area still uncovered, cut into tiles of ``tile_m`` in a spatial index, so that a
    sector meets only a few small polygons near it (an area gap can have thousands of
    vertices)."""

    def __init__(self, area: BaseGeometry, tile_m: float) -> None:
        parts = shapely.get_parts(area)
        xmin, ymin, xmax, ymax = area.bounds
        xs = np.arange(xmin, xmax, tile_m)
        ys = np.arange(ymin, ymax, tile_m)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        boxes = shapely.box(gx, gy, gx + tile_m, gy + tile_m)
        box, part = shapely.STRtree(parts).query(boxes)  # by bounding box: clipping is cheap
        tiles = [
            shapely.clip_by_rect(parts[p], gx[b], gy[b], gx[b] + tile_m, gy[b] + tile_m)
            for b, p in zip(box, part, strict=True)
        ]
        self._set(shapely.get_parts(np.asarray(tiles, dtype=object)))

    def _set(self, parts: NDArray[np.object_]) -> None:
        self.parts = parts[shapely.area(parts) > 0] if len(parts) else parts
        self.tree = shapely.STRtree(self.parts)

    def gains(self, sectors: NDArray[np.object_]) -> NDArray[np.float64]:
        """The uncovered area inside each sector."""
        hit, part = self.tree.query(sectors, predicate="intersects")
        pieces = shapely.area(shapely.intersection(sectors[hit], self.parts[part]))
        return np.bincount(hit, weights=pieces, minlength=len(sectors)).astype(np.float64)

    def remove(self, sector: BaseGeometry) -> None:
        hit = self.tree.query(sector, predicate="intersects")
        rest = shapely.get_parts(shapely.difference(self.parts[hit], sector))
        self._set(np.concatenate([np.delete(self.parts, hit), rest]))


def _greedy(
    sectors: NDArray[np.object_],
    site: NDArray[np.int64],
    uncovered: BaseGeometry,
    settings: CameraSettings,
    seen: Callable[[int], BaseGeometry] | None = None,
) -> list[tuple[int, float]]:
    """Lazy greedy maximal coverage: (sector index, area added) in the order chosen. ``seen``
    gives what a candidate really covers, within its sector (whose gain is then only an upper
    bound, checked when the candidate comes up)."""
    if len(sectors) == 0 or uncovered.is_empty:
        return []
    remaining = _Remaining(uncovered, settings.range_m)
    gains = remaining.gains(sectors)
    heap = [(-float(g), int(k)) for k, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    used: set[int] = set()
    out: list[tuple[int, float]] = []
    # Candidates whose gain is computed against the remaining area with what they cover.
    fresh: set[int] = set(range(len(sectors))) if seen is None else set()

    def cover(k: int) -> BaseGeometry:
        geom: BaseGeometry = sectors[k] if seen is None else seen(k)
        return geom

    while heap and len(out) < settings.count:
        neg, k = heapq.heappop(heap)
        if int(site[k]) in used:
            continue
        if k not in fresh:
            gain = float(remaining.gains(np.asarray([cover(k)], dtype=object))[0])
            fresh.add(k)
            heapq.heappush(heap, (-gain, k))
            continue
        if -neg < settings.min_gain_m2:
            break
        out.append((k, -neg))
        used.add(int(site[k]))
        remaining.remove(cover(k))
        fresh = set()
    return out


def _to_wgs84(geom: BaseGeometry, crs: str) -> BaseGeometry:
    out: BaseGeometry = shapely.transform(
        geom, lambda xy: np.column_stack(from_metric(xy[:, 0], xy[:, 1], crs))
    )
    return out
