"""Is an upload where the township is, in the coordinate system it claims?

Uploads from phones often carry GCJ-02 (Amap, Tencent) or BD-09 (Baidu) coordinates without
saying so, or have latitude and longitude swapped; either moves a patrol hundreds of metres or
thousands of kilometres. These checks refuse such files with a message that says what is likely
wrong, before anything is stored.

Undeclared GCJ-02/BD-09 is found two ways. A track that runs on the township's roads only when
read in another system is refused. A track off the roads (a forest patrol) is read against the
township's checkpoints and cameras instead: patrols pass them, a shift of 600-1,150 m moves the
track off all of them, so a track that passes none of them as declared but three or more
distinct places when read in another system is refused, and one that passes two more places
that way gets a warning in its report.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.errors import InvalidFile
from geo.ingest.chinacrs import bd09_to_wgs84, gcj02_to_wgs84
from geo.layers import TownshipLayers
from geo.projection import to_metric

FloatArray = NDArray[np.float64]
#: A track this far (median) from every road is not "on the roads"...
OFF_ROAD_M = 100.0
#: ...and one this close is.
ON_ROAD_M = 25.0
SAMPLE = 1000
MIN_FIXES = 20
#: Point layers a patrol passes by (the road-free test): within PASS_M counts as passing...
LANDMARK_LAYERS = ("checkpoints", "cameras")
PASS_M = 20.0
#: ...landmarks this close together are one place...
PLACE_M = 150.0
#: ...and passing this many places only in another system is certain, this many likely.
CERTAIN_PLACES = 3
SUSPECT_PLACES = 2
MAX_STEP_M = 300.0
MAX_VERTICES = 20_000
_ZH_NAMES = {
    "wgs84": "WGS-84",
    "cgcs2000": "CGCS2000",
    "gcj02": "GCJ-02（火星坐标）",
    "bd09": "BD-09（百度坐标）",
}


@dataclass(frozen=True)
class TownshipIndex:
    """What the checks derive from a township's layers, built once per layers object.

    ``roads`` is the union of the roads in the metric CRS (None without roads), ready for
    distances; ``landmarks`` the checkpoints and cameras in metres (n x 2); ``bbox`` the
    township's lon/lat box grown by its margin (:func:`township_bbox`). Projecting and
    unioning the roads took about a seventh of an upload's time when done per upload.
    """

    roads: shapely.Geometry | None
    landmarks: FloatArray
    bbox: tuple[float, float, float, float]


_INDEXES: dict[int, tuple[weakref.ref[TownshipLayers], TownshipIndex]] = {}
_INDEX_LOCK = threading.Lock()


def township_index(layers: TownshipLayers) -> TownshipIndex:
    """The :class:`TownshipIndex` of ``layers``, kept as long as that layers object lives.

    The API keeps one layers object per township and version
    (:class:`geo.api.dependencies.LayersCache`) and loads a new object when the layers
    change, so the index follows every change; layers objects are never changed in place.
    """
    key = id(layers)
    held = _INDEXES.get(key)
    if held is not None and held[0]() is layers:
        return held[1]
    with _INDEX_LOCK:  # one build for a burst of uploads
        held = _INDEXES.get(key)
        if held is not None and held[0]() is layers:
            return held[1]
        roads = layers.metric("roads")
        network = None
        if not roads.empty:
            network = shapely.union_all(roads.geometry.to_numpy())
            shapely.prepare(network)
            # Build GEOS's lazy distance structures here, under the lock, not in the threads
            # that share it.
            shapely.distance(shapely.points([0.0], [0.0]), network)
        index = TownshipIndex(
            roads=network, landmarks=_landmark_xy(layers), bbox=_grown_bbox(layers)
        )

        def forget(ref: weakref.ref[TownshipLayers], key: int = key) -> None:
            if _INDEXES.get(key, (None,))[0] is ref:
                del _INDEXES[key]

        _INDEXES[key] = (weakref.ref(layers, forget), index)
        return index


def township_bbox(layers: TownshipLayers) -> tuple[float, float, float, float]:
    """The township's lon/lat box grown by its ``bbox_margin_m`` (kept in its index)."""
    return township_index(layers).bbox


def _grown_bbox(layers: TownshipLayers) -> tuple[float, float, float, float]:
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
) -> list[dict[str, str]]:
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

    Returns
    -------
    list of dict
        Warnings for the upload's report (``code``, ``zh``, ``en``): the track passes the
        township's checkpoints and cameras more often when read in another system, but not so
        clearly that it is refused.

    Raises
    ------
    InvalidFile
        All fixes at 0,0; latitude and longitude swapped; nowhere near the township; or a
        track that fits the township only after converting from another system (undeclared
        GCJ-02 or BD-09, or WGS-84 declared as GCJ-02): on the roads only then, or, off the
        roads, passing checkpoints and cameras only then.
    """
    n = len(lon)
    if n == 0:
        return []
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
    if inside.sum() < MIN_FIXES:
        return []
    pick = np.flatnonzero(inside)
    pick = pick[np.linspace(0, len(pick) - 1, min(SAMPLE, len(pick))).astype(int)]
    alternatives = _alternatives(source_crs, raw_lon[pick], raw_lat[pick])
    if not alternatives:
        return []
    crs = info.metric_crs
    network = township_index(layers).roads
    if network is not None:
        declared = _median_road_distance(lon[pick], lat[pick], network, crs)
        if declared <= OFF_ROAD_M:
            return []
        for name, (alon, alat) in alternatives.items():
            other = _median_road_distance(alon, alat, network, crs)
            if other < ON_ROAD_M and other * 4 < declared:
                raise InvalidFile(
                    f"the coordinates look like {name.upper()}, not {source_crs.upper()} as "
                    f"declared: read as {source_crs}, the track runs a median {declared:,.0f} m "
                    f"from the township's roads; read as {name}, {other:,.0f} m. Upload it again "
                    f"with crs={name}",
                    source=source,
                )
    return _landmark_check(
        raw_lon, raw_lat, lon, lat, source_crs=source_crs, layers=layers, source=source
    )


def _alternatives(
    source_crs: str, raw_lon: FloatArray, raw_lat: FloatArray
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """The track read in each system it could really be in, other than the declared one."""
    if source_crs in ("wgs84", "cgcs2000"):
        return {"gcj02": gcj02_to_wgs84(raw_lon, raw_lat), "bd09": bd09_to_wgs84(raw_lon, raw_lat)}
    if source_crs == "gcj02":
        return {"wgs84": (raw_lon, raw_lat)}
    if source_crs == "bd09":
        return {"wgs84": (raw_lon, raw_lat), "gcj02": gcj02_to_wgs84(raw_lon, raw_lat)}
    return {}


def _landmark_xy(layers: TownshipLayers) -> FloatArray:
    """The township's checkpoints and cameras in metres (an n x 2 array)."""
    frames = [layers.metric(name) for name in LANDMARK_LAYERS]
    points = np.concatenate([f.geometry.to_numpy() for f in frames if not f.empty] or [[]])
    if not len(points):
        return np.empty((0, 2))
    return np.asarray(shapely.get_coordinates(shapely.centroid(points)), dtype=np.float64)


def places_passed(
    lon: FloatArray,
    lat: FloatArray,
    landmarks: FloatArray,
    crs: str,
    *,
    max_step_m: float = MAX_STEP_M,
) -> int:
    """How many distinct places among ``landmarks`` (metres) a track passes within ``PASS_M``.

    The track is its consecutive fixes joined (steps over ``max_step_m`` are gaps or
    spikes, not movement); landmarks within ``PLACE_M`` of one already counted are the same
    place (a village hall with three cameras is one place).
    """
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if len(lon) < 2 or not len(landmarks):
        return 0
    x, y = to_metric(lon, lat, crs)
    xy = np.column_stack([x, y])
    start, end = xy[:-1], xy[1:]
    keep = np.hypot(*(end - start).T) <= max_step_m
    if not keep.any():
        return 0
    a, b = start[keep], end[keep]
    x0, x1 = np.minimum(a[:, 0], b[:, 0]) - PASS_M, np.maximum(a[:, 0], b[:, 0]) + PASS_M
    y0, y1 = np.minimum(a[:, 1], b[:, 1]) - PASS_M, np.maximum(a[:, 1], b[:, 1]) + PASS_M
    # One landmark at a time (a few dozen): the segments whose box it is in, then the exact
    # point-to-segment distance to those.
    passed = np.zeros(len(landmarks), dtype=bool)
    for i, p in enumerate(landmarks):
        near = np.flatnonzero((x0 <= p[0]) & (p[0] <= x1) & (y0 <= p[1]) & (p[1] <= y1))
        if not len(near):
            continue
        an, ab = a[near], b[near] - a[near]
        t = np.einsum("ij,ij->i", p - an, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
        closest = an + np.clip(t, 0.0, 1.0)[:, None] * ab
        passed[i] = bool(np.min(np.hypot(*(closest - p).T)) <= PASS_M)
    counted: list[FloatArray] = []
    for p in landmarks[passed]:
        if all(np.hypot(*(p - q)) > PLACE_M for q in counted):
            counted.append(p)
    return len(counted)


def _landmark_check(
    raw_lon: FloatArray,
    raw_lat: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
    *,
    source_crs: str,
    layers: TownshipLayers,
    source: str,
) -> list[dict[str, str]]:
    """Undeclared GCJ-02/BD-09 without roads: a patrol passes checkpoints and cameras, so a
    track that passes none of them as declared but several when read in another system is in
    that system. Refused when certain (``CERTAIN_PLACES``), a warning when it is likely."""
    landmarks = township_index(layers).landmarks
    if len(landmarks) < CERTAIN_PLACES:
        return []
    crs = layers.info.metric_crs
    # Every k-th fix in file order (a long track is thinned to MAX_VERTICES fixes).
    k = max(1, -(-len(lon) // MAX_VERTICES))
    step = MAX_STEP_M * k
    declared = places_passed(lon[::k], lat[::k], landmarks, crs, max_step_m=step)
    warnings: list[dict[str, str]] = []
    for name, (alon, alat) in _alternatives(source_crs, raw_lon[::k], raw_lat[::k]).items():
        other = places_passed(alon, alat, landmarks, crs, max_step_m=step)
        if declared == 0 and other >= CERTAIN_PLACES:
            raise InvalidFile(
                f"the coordinates look like {name.upper()}, not {source_crs.upper()} as declared: "
                f"read as {source_crs}, the track passes none of the township's checkpoints and "
                f"cameras; read as {name}, it passes {other} of them within {PASS_M:g} m. Upload "
                f"it again with crs={name}",
                source=source,
            )
        if other >= SUSPECT_PLACES and other >= declared + SUSPECT_PLACES:
            warnings.append(
                {
                    "code": "crs_suspect",
                    "zh": (
                        f"坐标可能是{_ZH_NAMES[name]}，而不是声明的{_ZH_NAMES[source_crs]}：按"
                        f"{source_crs}读，轨迹经过{declared}处检查点或监控点；按{name}读，经过"
                        f"{other}处（{PASS_M:g}米内）。如确是{_ZH_NAMES[name]}，请以 crs={name} "
                        "重新上传。"
                    ),
                    "en": (
                        f"The coordinates may be {name.upper()}, not {source_crs.upper()} as "
                        f"declared: read as {source_crs}, the track passes {declared} of the "
                        f"township's checkpoints and cameras; read as {name}, {other} (within "
                        f"{PASS_M:g} m). If so, upload it again with crs={name}."
                    ),
                }
            )
    return warnings
