"""Is an upload where the township is, in the coordinate system it claims?

Uploads from phones often carry GCJ-02 (Amap, Tencent) or BD-09 (Baidu) coordinates without
saying so, or have latitude and longitude swapped; either moves a patrol hundreds of metres or
thousands of kilometres. These checks refuse such files with a message that says what is likely
wrong, before anything is stored.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.chinacrs import bd09_to_wgs84, gcj02_to_wgs84
from geo.crs import to_metric
from geo.errors import InvalidFile
from geo.layers import TownshipLayers

FloatArray = NDArray[np.float64]
#: A track this far (median) from every road is not "on the roads"...
OFF_ROAD_M = 100.0
#: ...and one this close is.
ON_ROAD_M = 25.0
SAMPLE = 1000


def township_bbox(layers: TownshipLayers) -> tuple[float, float, float, float]:
    """The township's lon/lat box grown by its ``bbox_margin_m``."""
    minx, miny, maxx, maxy = layers.outline.total_bounds
    margin = layers.info.bbox_margin_m
    dlat = margin / 111_320.0
    dlon = margin / (111_320.0 * np.cos(np.radians((miny + maxy) / 2)))
    return float(minx - dlon), float(miny - dlat), float(maxx + dlon), float(maxy + dlat)


def _inside(
    lon: FloatArray, lat: FloatArray, bbox: tuple[float, float, float, float]
) -> NDArray[np.bool_]:
    return (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])


def _median_road_distance(
    lon: FloatArray, lat: FloatArray, roads: shapely.Geometry, crs: str
) -> float:
    x, y = to_metric(lon, lat, crs)
    points = shapely.points(x, y)
    return float(np.median(shapely.distance(points, roads)))


def check_plausible(
    raw_lon: FloatArray,
    raw_lat: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
    *,
    source_crs: str,
    layers: TownshipLayers,
    source: str,
) -> None:
    """Refuse an upload whose positions cannot belong to the township as declared.

    Parameters
    ----------
    raw_lon, raw_lat
        Positions as written in the file (in ``source_crs``).
    lon, lat
        The same converted to WGS-84.
    source_crs
        What the upload declared: ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` or ``EPSG:n``.
    layers
        The township (outline, margin, roads, metric CRS).
    source
        The file name for messages.

    Raises
    ------
    InvalidFile
        All fixes at 0,0; latitude and longitude swapped; nowhere near the township; or a
        track that lies on the township's roads only after converting from another system
        (undeclared GCJ-02 or BD-09, or WGS-84 declared as GCJ-02).
    """
    n = len(lon)
    if n == 0:
        return
    if np.all((np.abs(raw_lon) < 1e-6) & (np.abs(raw_lat) < 1e-6)):
        raise InvalidFile(
            f"all {n} points are at 0,0: the device had no GPS fix when it recorded them",
            source=source,
        )
    bbox = township_bbox(layers)
    inside = _inside(lon, lat, bbox)
    info = layers.info
    if not inside.any():
        if _inside(lat, lon, bbox).mean() > 0.5:
            raise InvalidFile(
                f"latitude and longitude look swapped: read the other way round, the {n} points "
                f"lie in township {info.name} ({info.code}); fix the column order or the app "
                "that wrote the file",
                source=source,
            )
        cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
        km = float(
            np.min(np.hypot((lon - cx) * 111.32 * np.cos(np.radians(cy)), (lat - cy) * 111.32))
        )
        raise InvalidFile(
            f"none of the {n} points lies within {info.bbox_margin_m / 1000:g} km of township "
            f"{info.name} ({info.code}); the nearest is about {km:,.0f} km from its centre. "
            "Is this the right township, and are the coordinates WGS-84, GCJ-02 or BD-09 "
            "as declared?",
            source=source,
        )
    roads = layers.metric("roads")
    if roads.empty or inside.sum() < 20:
        return
    network = shapely.union_all(roads.geometry.to_numpy())
    shapely.prepare(network)
    pick = np.flatnonzero(inside)
    pick = pick[np.linspace(0, len(pick) - 1, min(SAMPLE, len(pick))).astype(int)]
    crs = info.metric_crs
    declared = _median_road_distance(lon[pick], lat[pick], network, crs)
    if declared <= OFF_ROAD_M:
        return
    alternatives: dict[str, tuple[FloatArray, FloatArray]] = {}
    rl, rb = raw_lon[pick], raw_lat[pick]
    if source_crs in ("wgs84", "cgcs2000"):
        alternatives["gcj02"] = gcj02_to_wgs84(rl, rb)
        alternatives["bd09"] = bd09_to_wgs84(rl, rb)
    elif source_crs == "gcj02":
        alternatives["wgs84"] = (rl, rb)
    elif source_crs == "bd09":
        alternatives["wgs84"] = (rl, rb)
        alternatives["gcj02"] = gcj02_to_wgs84(rl, rb)
    for name, (alon, alat) in alternatives.items():
        other = _median_road_distance(alon, alat, network, crs)
        if other < ON_ROAD_M and other * 4 < declared:
            raise InvalidFile(
                f"the coordinates look like {name.upper()}, not {source_crs.upper()} as declared: "
                f"read as {source_crs}, the track runs a median {declared:,.0f} m from the "
                f"township's roads; read as {name}, {other:,.0f} m. Upload it again with "
                f"crs={name}",
                source=source,
            )
