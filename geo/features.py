"""Layers as RFC 7946 GeoJSON features: stable ids, bbox and time filters, pages.

One implementation used by the REST layer endpoints (``/api/v1/layers``) and by the OGC API –
Features routes (``/ogc``). Layers are held in WGS-84 lon/lat (EPSG:4326), which is also
GeoJSON's and OGC's CRS84 axis order, so features are written without reprojection.

Feature ids are the layer's code (``code``; ``flight_id`` for drone flights). A checkpoint
without a code gets ``cp-`` and a hash of its name and position, which stays the same across
reloads while the checkpoint does not move or change its name. Gaps are ``<week>-<rank>``
(area and road gaps share a week's ranks, so an id names one gap of either collection).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pygeofilter.backends.geopandas.evaluate import to_filter
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo.coverage.result import GapKind, WeekCoverage
from geo.errors import InvalidQuery
from geo.feature_query import FeatureQuery
from geo.layers import WGS84
from geo.weeks import IsoWeek

LayerName = Literal["villages", "roads", "cameras", "checkpoints", "drone_flights"]
#: The layers served as features (the township outline and patrol tracks are not).
LAYER_NAMES: Final[tuple[LayerName, ...]] = (
    "villages",
    "roads",
    "cameras",
    "checkpoints",
    "drone_flights",
)
#: The attribute that identifies a feature of each layer.
ID_COLUMN: Final[dict[str, str]] = {
    "villages": "code",
    "roads": "code",
    "cameras": "code",
    "checkpoints": "code",
    "drone_flights": "flight_id",
    "area_gaps": "id",
    "road_gaps": "id",
}
#: The gap collections, one geometry type each: area gaps are polygons, road gaps lines.
GAP_COLLECTIONS: Final[dict[str, GapKind]] = {"area_gaps": "area", "road_gaps": "road"}
#: Layers with a time: drone flights (start to end) and gaps (their ISO week).
TEMPORAL_LAYERS: Final[tuple[str, ...]] = ("drone_flights", *GAP_COLLECTIONS)
MAX_LIMIT: Final[int] = 1000
DEFAULT_LIMIT: Final[int] = 100

Bbox = tuple[float, float, float, float]


@dataclass(frozen=True)
class TimeInterval:
    """A closed time interval; ``None`` on a side means open (``..``). An instant has
    ``start == end``."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class FeaturePage:
    """One page of a filtered layer."""

    features: list[dict[str, Any]]
    number_matched: int
    offset: int
    limit: int

    @property
    def number_returned(self) -> int:
        return len(self.features)

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last page."""
        following = self.offset + self.limit
        return following if following < self.number_matched else None

    @property
    def prev_offset(self) -> int | None:
        """Offset of the previous page, or None on the first page."""
        return max(self.offset - self.limit, 0) if self.offset > 0 else None


def parse_bbox(text: str) -> Bbox:
    """Read ``minx,miny,maxx,maxy`` in WGS-84 degrees (a 6-number 3-D box drops its heights).

    Raises
    ------
    InvalidQuery
        Naming what is wrong: not numbers, wrong count, out of range, min above max.

    Examples
    --------
    >>> parse_bbox("109.8,28.05,110.0,28.25")
    (109.8, 28.05, 110.0, 28.25)
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidQuery(
            f"bbox {text!r} is not a list of numbers; write minx,miny,maxx,maxy in degrees, "
            "e.g. 109.8,28.05,110.0,28.25"
        ) from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise InvalidQuery(f"bbox {text!r} needs 4 numbers (minx,miny,maxx,maxy), got {len(parts)}")
    minx, miny, maxx, maxy = numbers
    if not all(math.isfinite(v) for v in numbers):
        raise InvalidQuery(f"bbox {text!r} holds a value that is not finite")
    if not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        raise InvalidQuery(
            f"bbox {text!r} is outside longitude −180…180 / latitude −90…90 "
            "(the order is lon,lat: minx,miny,maxx,maxy)"
        )
    if minx > maxx or miny > maxy:
        raise InvalidQuery(f"bbox {text!r} has a minimum above its maximum")
    return minx, miny, maxx, maxy


def parse_datetime(text: str, tz: ZoneInfo) -> TimeInterval:
    """Read an OGC ``datetime``: an instant, ``start/end``, or an open ``../end``, ``start/..``.

    RFC 3339 times carry their offset; a time without one, or a bare date, is read in the
    township's time zone ``tz`` (a date stands for its whole local day).

    Raises
    ------
    InvalidQuery
        When a side is not a time or the interval ends before it starts.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> iv = parse_datetime("2026-11-04T00:00:00Z/..", ZoneInfo("Asia/Shanghai"))
    >>> iv.start.isoformat(), iv.end
    ('2026-11-04T00:00:00+00:00', None)
    """
    text = text.strip()
    if "/" in text:
        left, _, right = text.partition("/")
        start = _time_bound(left, tz, side="start")
        end = _time_bound(right, tz, side="end")
        if start is None and end is None:
            raise InvalidQuery("datetime '../..' is open on both sides; give at least one time")
    else:
        if text in ("", ".."):
            raise InvalidQuery("datetime is empty; give a time, e.g. 2026-11-04T09:30:00+08:00")
        start = _time_bound(text, tz, side="start")
        end = _time_bound(text, tz, side="end")
    if start is not None and end is not None and end < start:
        raise InvalidQuery(f"datetime {text!r} ends before it starts")
    return TimeInterval(start, end)


def _time_bound(text: str, tz: ZoneInfo, *, side: Literal["start", "end"]) -> datetime | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            # A date is its whole local day (its last microsecond: no day after 9999-12-31).
            return datetime.combine(day, time.max if side == "end" else time(0), tzinfo=tz)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise InvalidQuery(
            f"datetime {text!r} is not an RFC 3339 time; write e.g. 2026-11-04T09:30:00+08:00, "
            "an interval start/end, or an open interval ../end or start/.."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def checkpoint_fallback_id(name: str, point: Any) -> str:
    """The id of a checkpoint without a code: ``cp-`` and a hash of its name and position."""
    x, y = (shapely.get_x(point), shapely.get_y(point)) if point is not None else (0.0, 0.0)
    digest = hashlib.sha1(f"{name}|{x:.7f}|{y:.7f}".encode(), usedforsecurity=False)
    return f"cp-{digest.hexdigest()[:10]}"


def feature_ids(layer: str, frame: pd.DataFrame) -> list[str]:
    """The id of each feature of a layer, in the frame's order (see the module docstring)."""
    ids = [str(v) for v in frame[ID_COLUMN[layer]]]
    if layer == "checkpoints":
        geoms = frame.geometry.to_numpy()
        names = frame["name"].tolist()
        seen: dict[str, int] = {}
        for i, value in enumerate(ids):
            if value:
                continue
            base = checkpoint_fallback_id(str(names[i]), geoms[i])
            seen[base] = seen.get(base, 0) + 1
            ids[i] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return ids


def feature_times(layer: str, frame: pd.DataFrame, tz: ZoneInfo) -> tuple[pd.Series, pd.Series]:
    """Start and end (UTC) of each feature of a temporal layer; NaT where unknown.

    Drone flights run from ``started_at`` to ``ended_at`` (or an instant at ``started_at``);
    a gap lasts its ISO week in the township's time zone.
    """
    if layer == "drone_flights":
        start = pd.to_datetime(frame["started_at"], utc=True, errors="coerce", format="ISO8601")
        end = pd.to_datetime(frame["ended_at"], utc=True, errors="coerce", format="ISO8601")
        return start, end.fillna(start)
    if layer in GAP_COLLECTIONS:
        bounds = {w: IsoWeek.parse(w).bounds(tz) for w in set(frame["week"])}
        # A week is [Monday 00:00, next Monday 00:00): its last instant is just before the end.
        last = pd.Timedelta(microseconds=1)
        # to_datetime keeps the UTC dtype when there is no gap (an empty list of objects not).
        starts = pd.to_datetime([bounds[w][0] for w in frame["week"]], utc=True)
        ends = pd.to_datetime([bounds[w][1] for w in frame["week"]], utc=True) - last
        return pd.Series(starts, index=frame.index), pd.Series(ends, index=frame.index)
    check_temporal(layer)
    raise AssertionError(layer)  # check_temporal refused it


def check_temporal(layer: str) -> None:
    """Refuse (400) a time filter on a layer without time."""
    if layer not in TEMPORAL_LAYERS:
        raise InvalidQuery(
            f"{layer} has no time, so datetime does not apply; it applies to "
            f"{' and '.join(TEMPORAL_LAYERS)}"
        )


def temporal_extent(layer: str, frame: pd.DataFrame, tz: ZoneInfo) -> TimeInterval | None:
    """The first start and last end of a temporal layer (None for layers without time)."""
    if layer not in TEMPORAL_LAYERS or frame.empty:
        return None
    start, end = feature_times(layer, frame, tz)
    if start.isna().all():
        return None
    return TimeInterval(start.min().to_pydatetime(), end.max().to_pydatetime())


def spatial_extent(frame: gpd.GeoDataFrame) -> Bbox | None:
    """The layer's bounding box in WGS-84, or None when it has no geometry."""
    geoms = frame.geometry.to_numpy()
    geoms = geoms[~shapely.is_missing(geoms)]
    if len(geoms) == 0:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return float(minx), float(miny), float(maxx), float(maxy)


def filter_mask(
    layer: str,
    frame: gpd.GeoDataFrame,
    *,
    bbox: Bbox | None = None,
    interval: TimeInterval | None = None,
    tz: ZoneInfo,
) -> NDArray[np.bool_]:
    """Which features intersect ``bbox`` (WGS-84) and whose time intersects ``interval``."""
    mask = np.ones(len(frame), dtype=bool)
    if bbox is not None:
        geoms = frame.geometry.to_numpy()
        mask &= shapely.intersects(geoms, shapely.box(*bbox)) & ~shapely.is_missing(geoms)
    if interval is not None:
        start, end = feature_times(layer, frame, tz)
        inside = start.notna().to_numpy().copy()
        if interval.start is not None:
            inside = inside & (end >= pd.Timestamp(interval.start)).to_numpy()
        if interval.end is not None:
            inside = inside & (start <= pd.Timestamp(interval.end)).to_numpy()
        mask &= inside
    return mask


def to_features(layer: str, frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """RFC 7946 features with the layer's id, its attributes as properties and the geometry.

    Properties are JSON-ready: NaN becomes null, numpy types plain Python, and a drone
    flight's ``times_s`` (stored as JSON text) a list of seconds.
    """
    ids = feature_ids(layer, frame)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    records = frame[columns].to_dict("records")
    geoms = frame.geometry.to_numpy()
    out = []
    for fid, record, geom in zip(ids, records, geoms, strict=True):
        props = {k: _json_value(v) for k, v in record.items()}
        if layer == "drone_flights":
            props["times_s"] = _times_list(props.get("times_s"))
        out.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": _geojson_geometry(geom),
                "properties": props,
            }
        )
    return out


def track_features(upload_id: int, segments: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """An upload's cleaned segments as RFC 7946 features (WGS-84 lines), one per segment.

    Parameters
    ----------
    upload_id
        The upload the segments belong to (a property of each feature).
    segments
        The segments as :meth:`geo.store.base.Store.upload_segments` returns them (``squad``,
        ``device``, ``segment``, ``started_at``, ``ended_at``, ``fixes``, geometry).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> t = pd.Timestamp("2026-11-18T01:00:00Z")
    >>> frame = gpd.GeoDataFrame({"squad": ["squad-01"], "device": ["phone-01"], "segment": [0],
    ...     "started_at": [t], "ended_at": [t + pd.Timedelta(minutes=5)], "fixes": [21]},
    ...     geometry=[shapely.LineString([(109.90, 28.15), (109.91, 28.15)])], crs="EPSG:4326")
    >>> feature = track_features(12, frame)[0]
    >>> feature["geometry"]["type"], feature["properties"]["ended_at"]
    ('LineString', '2026-11-18T01:05:00+00:00')
    """
    return [
        {
            "type": "Feature",
            "geometry": _geojson_geometry(row.geometry),
            "properties": {
                "upload_id": upload_id,
                "squad": row.squad,
                "device": row.device,
                "segment": int(row.segment),
                "started_at": row.started_at.isoformat(),
                "ended_at": row.ended_at.isoformat(),
                "fixes": int(row.fixes),
            },
        }
        for row in segments.itertuples()
    ]


def _geojson_geometry(geom: Any) -> dict[str, Any] | None:
    """GeoJSON of a geometry; heights are dropped when some are unknown (NaN), since JSON
    has no NaN and a position's numbers must all be given."""
    if geom is None or geom.is_empty:
        return None
    if geom.has_z and not np.isfinite(shapely.get_coordinates(geom, include_z=True)[:, 2]).all():
        geom = shapely.force_2d(geom)
    result: dict[str, Any] = mapping(geom)
    return result


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    return value


def _times_list(value: Any) -> list[float] | None:
    if not value:
        return None
    if isinstance(value, list):
        return [float(v) for v in value]
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError:
        return None
    return [float(v) for v in parsed] if isinstance(parsed, list) else None


def select_features(
    layer: str,
    frame: gpd.GeoDataFrame,
    *,
    tz: ZoneInfo,
    bbox: Bbox | None = None,
    interval: TimeInterval | None = None,
    query: FeatureQuery | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> FeaturePage:
    """Filter a layer by ``bbox``, ``interval`` and the ``query``'s CQL2 filter
    (pygeofilter's GeoPandas evaluator; geometries in CRS84), sort it by the query's
    ``sortby`` and return one page of features.

    Parameters
    ----------
    layer
        The layer's name (``cameras``, ..., ``area_gaps`` or ``road_gaps``); decides ids
        and times.
    frame
        The layer in WGS-84, in its stored order (pages are stable in that order).
    tz
        The township's time zone, for weeks.
    bbox, interval
        Filters; None means no filter.
    query
        A filter and sort keys (:class:`geo.feature_query.FeatureQuery`), properties
        checked by the caller.
    limit, offset
        The page: at most ``limit`` features from position ``offset`` of the matches.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from zoneinfo import ZoneInfo
    >>> cams = gpd.GeoDataFrame({"code": ["A", "B", "C"]}, geometry=[shapely.Point(1, 1),
    ...     shapely.Point(2, 2), shapely.Point(5, 5)], crs="EPSG:4326")
    >>> page = select_features("cameras", cams, tz=ZoneInfo("UTC"), bbox=(0, 0, 3, 3), limit=1)
    >>> page.number_matched, [f["id"] for f in page.features], page.next_offset
    (2, ['A'], 1)
    """
    mask = filter_mask(layer, frame, bbox=bbox, interval=interval, tz=tz)
    if query is not None and query.filter is not None and len(frame):
        try:
            chosen = to_filter(frame, query.filter, function_map={"bbox": shapely.box})
        except (TypeError, ValueError) as exc:  # a property compared with another type
            raise InvalidQuery(f"filter cannot be applied to {layer}: {exc}") from None
        mask &= np.asarray(chosen, dtype=bool)
    matched = frame[mask]
    if query is not None and query.sortby:
        matched = matched.sort_values(
            [k.name for k in query.sortby],
            ascending=[not k.descending for k in query.sortby],
            kind="stable",
        )
    window = matched.iloc[offset : offset + limit]
    return FeaturePage(
        features=to_features(layer, window),
        number_matched=len(matched),
        offset=offset,
        limit=limit,
    )


def gaps_frame(results: list[WeekCoverage], kind: GapKind | None = None) -> gpd.GeoDataFrame:
    """The gaps of several weeks as one layer: id ``<week>-<rank>``, ``week`` and the gap's
    properties, ordered by week then rank; only gaps of ``kind`` when it is given (so that a
    layer holds one geometry type: polygons for areas, lines for roads)."""
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for result in sorted(results, key=lambda r: r.week):
        for gap in sorted(result.gaps, key=lambda g: g.rank):
            if kind is not None and gap.kind != kind:
                continue
            records.append(
                {"id": f"{result.week}-{gap.rank}", "week": result.week, **gap.properties()}
            )
            geoms.append(gap.geometry)
    columns = ["id", "week", "kind", "rank", "village_code", "area_m2", "length_m"]
    columns += ["road_length_m", "checkpoints", "distance_to_road_m", "last_covered"]
    frame = pd.DataFrame(records, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=WGS84), crs=WGS84)


def shape_features(
    features: list[dict[str, Any]],
    properties: list[str] | None,
    to_crs: Callable[[BaseGeometry], BaseGeometry] | None,
) -> list[dict[str, Any]]:
    """Features with only the ``properties`` asked for (all when None) and their geometry
    through ``to_crs`` (unchanged when None).

    Examples
    --------
    >>> f = {"type": "Feature", "id": "A", "geometry": {"type": "Point", "coordinates": [1, 2]},
    ...      "properties": {"code": "A", "status": "online"}}
    >>> shape_features([f], ["status"], None)[0]["properties"]
    {'status': 'online'}
    """
    out = []
    for feature in features:
        props = feature["properties"]
        if properties is not None:
            props = {k: v for k, v in props.items() if k in properties}
        geometry = feature["geometry"]
        if to_crs is not None and geometry is not None:
            geometry = mapping(to_crs(shapely.geometry.shape(geometry)))
        out.append({**feature, "properties": props, "geometry": geometry})
    return out
