"""GeoJSON and OGC Moving Features JSON (MF-JSON) reader: lines and timed points as fixes."""

from __future__ import annotations

import contextlib
import json
import math
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd

from geo.errors import InvalidFile
from geo.ingest.chinacrs import SOURCE_SYSTEMS, crs_alias
from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.timestamps import parse_times

_TIME_KEYS = ("time", "timestamp", "datetime", "tracked_at", "date_time", "时间")
"""Property names holding a Point feature's time, tried in this order (any letter case)."""
_VERTEX_TIME_KEYS = ("coordtimes", "times")
"""Property names holding one time per vertex of a line (togeojson writes ``coordTimes``)."""
_ACCURACY_KEYS = ("accuracy", "accuracy_m")
_GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
_PLACE = re.compile(r"^point (\d+)$")
_CRS84 = re.compile(r"CRS:?84\s*$")
_TRAILING_CODE = re.compile(r"(\d+)\s*$")
#: Integers longer than this are read as floats (no coordinate or time needs more digits).
_MAX_INT_DIGITS = 30


@dataclass
class _Found:
    """Positions in file order with the feature each came from."""

    lons: list[float] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    alts: list[float] = field(default_factory=list)
    times: list[str | None] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    parts: list[int] = field(default_factory=list)
    feature: list[int] = field(default_factory=list)

    def add(
        self,
        pos: tuple[float, float, float],
        time: str | None,
        *,
        part: int,
        feature: int,
        accuracy: float = math.nan,
    ) -> None:
        self.lons.append(pos[0])
        self.lats.append(pos[1])
        self.alts.append(pos[2])
        self.times.append(time)
        self.accuracy.append(accuracy)
        self.parts.append(part)
        self.feature.append(feature)


@dataclass
class _Reader:
    source: str
    degrees: bool
    """False when the file declares a CRS other than WGS-84: no degree range check then."""
    lines: _Found = field(default_factory=_Found)
    points: _Found = field(default_factory=_Found)
    part: int = -1
    polygons: int = 0
    null_geometries: int = 0
    untimed_vertices: int = 0
    moving: int = 0
    epoch_times: int = 0
    notes: list[str] = field(default_factory=list)
    limits: ReadLimits = DEFAULT_LIMITS
    positions: int = 0
    """Positions read so far (counted against ``limits.max_fixes``)."""

    def fail(self, detail: str, feature: int) -> InvalidFile:
        return InvalidFile(detail, source=self.source, place=f"feature {feature}")

    def position(self, value: object, feature: int) -> tuple[float, float, float]:
        """``[x, y(, z)]`` as numbers; in WGS-84 also checked to be a place on Earth."""
        self.positions += 1
        self.limits.check_fixes(self.positions, source=self.source)
        if not isinstance(value, list) or len(value) < 2:
            raise self.fail(f"position {_short(value)} is not [lon, lat]", feature)
        nums = value[:3]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums):
            raise self.fail(f"position {_short(value)} is not numbers", feature)
        x, y = float(nums[0]), float(nums[1])
        alt = float(nums[2]) if len(nums) == 3 else math.nan
        if not (math.isfinite(x) and math.isfinite(y)) or math.isinf(alt):
            raise self.fail(f"position {_short(value)} is not finite numbers", feature)
        if self.degrees and not (-90 <= y <= 90 and -180 <= x <= 180):
            raise self.fail(f"lon={x} lat={y} is not a position on Earth", feature)
        return x, y, alt

    def time_text(self, value: object, feature: int) -> str | None:
        """A time value as ISO text: strings as written, numbers as Unix seconds or ms."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            # Unix time: milliseconds from JavaScript, seconds otherwise.
            unit = "ms" if abs(value) >= 1e11 else "s"
            try:
                stamp = pd.Timestamp(value, unit=unit, tz="UTC")
            except (ValueError, OverflowError):
                raise self.fail(f"time {value!r} is not a timestamp", feature) from None
            if pd.isna(stamp):
                raise self.fail(f"time {value!r} is not a timestamp", feature)
            self.epoch_times += 1
            return stamp.isoformat()
        raise self.fail(f"time {_short(value)} is not a timestamp", feature)

    def line(self, coords: object, times: object, feature: int) -> None:
        """One LineString (or MovingPoint) as its own part, with per-vertex times if they fit."""
        if not isinstance(coords, list):
            raise self.fail("LineString coordinates are not a list of positions", feature)
        if not coords:
            return
        self.part += 1
        fits = isinstance(times, list) and len(times) == len(coords)
        if times is not None and not fits:
            self.notes.append(
                f"feature {feature}: {_count(times)} per-vertex times for {len(coords)} "
                "positions; its positions are kept without times"
            )
        if not fits:
            self.untimed_vertices += len(coords)
        for k, value in enumerate(coords):
            t = self.time_text(times[k], feature) if isinstance(times, list) and fits else None
            self.lines.add(self.position(value, feature), t, part=self.part, feature=feature)

    def geometry(self, geom: object, props: dict[str, object], feature: int, top: bool) -> None:
        """Collect one geometry; ``top`` is False inside a GeometryCollection."""
        if not isinstance(geom, dict):
            raise self.fail("geometry is not a GeoJSON object", feature)
        kind = geom.get("type")
        coords = geom.get("coordinates")
        vertex_times = _vertex_times(props) if top else None
        if kind == "LineString":
            self.line(coords, vertex_times, feature)
        elif kind == "MultiLineString":
            self.multi_line(coords, vertex_times, feature)
        elif kind == "Point":
            time = self.time_text(_point_time(props), feature)
            acc = self.accuracy(props, feature)
            pos = self.position(coords, feature)
            self.points.add(pos, time, part=0, feature=feature, accuracy=acc)
        elif kind == "MultiPoint":
            self.multi_point(coords, vertex_times, feature)
        elif kind in ("Polygon", "MultiPolygon"):
            self.polygons += 1
        elif kind == "GeometryCollection":
            members = geom.get("geometries")
            if not isinstance(members, list):
                raise self.fail("GeometryCollection has no 'geometries' list", feature)
            for member in members:
                self.geometry(member, props, feature, top=False)
        else:
            raise self.fail(f"geometry type {_short(kind)} is not a GeoJSON geometry", feature)

    def multi_line(self, coords: object, vertex_times: object, feature: int) -> None:
        """Each line its own part, with its list of the per-vertex times when they match."""
        if not isinstance(coords, list):
            raise self.fail("MultiLineString coordinates are not a list of lines", feature)
        per_line = (
            vertex_times
            if isinstance(vertex_times, list) and len(vertex_times) == len(coords)
            else None
        )
        if vertex_times is not None and per_line is None:
            self.notes.append(
                f"feature {feature}: per-vertex times do not match its {len(coords)} lines; "
                "its positions are kept without times"
            )
        for j, one in enumerate(coords):
            self.line(one, None if per_line is None else per_line[j], feature)

    def multi_point(self, coords: object, vertex_times: object, feature: int) -> None:
        """Points of the point track, with the per-vertex times when they match."""
        if not isinstance(coords, list):
            raise self.fail("MultiPoint coordinates are not a list of positions", feature)
        per_point = (
            vertex_times
            if isinstance(vertex_times, list) and len(vertex_times) == len(coords)
            else None
        )
        for k, value in enumerate(coords):
            t = self.time_text(None if per_point is None else per_point[k], feature)
            self.points.add(self.position(value, feature), t, part=0, feature=feature)

    def accuracy(self, props: dict[str, object], feature: int) -> float:
        value = _lookup(props, _ACCURACY_KEYS)
        if value is None or (isinstance(value, str) and not value.strip()):
            return math.nan
        acc = math.nan
        if isinstance(value, int | float) and not isinstance(value, bool):
            acc = float(value)
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                acc = float(value)
        if not math.isfinite(acc):
            raise self.fail(f"accuracy {_short(value)} is not a number", feature)
        return acc

    def feature(self, feature: object, i: int) -> dict[str, object]:
        """Collect feature number ``i``; returns its properties (none for a feature without
        geometry)."""
        if not isinstance(feature, dict):
            raise self.fail("is not a GeoJSON Feature object", i)
        raw_props = feature.get("properties")
        props: dict[str, object] = raw_props if isinstance(raw_props, dict) else {}
        if feature.get("temporalGeometry") is not None:
            self.temporal(feature["temporalGeometry"], i)
        elif feature.get("geometry") is None:
            self.null_geometries += 1
            return {}  # skipped: its name does not name the track
        else:
            self.geometry(feature["geometry"], props, i, top=True)
        return props

    def chosen(self) -> _Found:
        """The track: the lines, else the points; what was left out is noted."""
        notes = self.notes
        if self.lines.lons:
            found = self.lines
            if self.points.lons:
                notes.append(
                    f"{len(self.points.lons)} point(s) beside the line track (labels such as a "
                    "start or end point) were not mixed into it"
                )
            if self.untimed_vertices:
                notes.append(f"{self.untimed_vertices} line position(s) carry no times")
        else:
            found = self.points
        if not found.lons:
            if self.polygons:
                raise InvalidFile(
                    f"contains polygons, not a track: {self.polygons} polygon feature(s) make "
                    "this a boundary file; boundaries belong in the township's layers folder",
                    source=self.source,
                )
            raise InvalidFile("the GeoJSON file has no track points", source=self.source)
        if self.polygons:
            notes.append(f"{self.polygons} polygon feature(s) ignored (areas, not tracks)")
        if self.null_geometries:
            notes.append(f"{self.null_geometries} feature(s) without geometry skipped")
        if self.epoch_times:
            notes.append(f"{self.epoch_times} numeric time(s) read as Unix time (UTC)")
        return found

    def temporal(self, tg: object, feature: int) -> None:
        """An MF-JSON ``temporalGeometry``: a MovingPoint, or a collection of them."""
        if not isinstance(tg, dict):
            raise self.fail("temporalGeometry is not an object", feature)
        kind = tg.get("type")
        if kind == "MovingGeometryCollection":
            prisms = tg.get("prisms")
            if not isinstance(prisms, list):
                raise self.fail("MovingGeometryCollection has no 'prisms' list", feature)
            for prism in prisms:
                self.temporal(prism, feature)
            return
        if kind != "MovingPoint":
            raise self.fail(
                f"temporalGeometry type {_short(kind)} is not read; only MovingPoint is a track",
                feature,
            )
        coords = tg.get("coordinates")
        datetimes = tg.get("datetimes")
        if not isinstance(coords, list) or not isinstance(datetimes, list):
            raise self.fail("MovingPoint needs 'coordinates' and 'datetimes' lists", feature)
        if len(coords) != len(datetimes):
            raise self.fail(
                f"MovingPoint has {len(coords)} coordinates but {len(datetimes)} datetimes",
                feature,
            )
        self.moving += 1
        self.line(coords, datetimes, feature)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _count(value: object) -> int:
    return len(value) if isinstance(value, list) else 0


def _lookup(props: dict[str, object], keys: tuple[str, ...]) -> object:
    """The first of ``keys`` present in ``props``, ignoring letter case."""
    lowered: dict[str, object] = {}
    for k, v in props.items():
        lowered.setdefault(str(k).lower(), v)
    for key in keys:
        if key in lowered:
            return lowered[key]
    return None


def _point_time(props: dict[str, object]) -> object:
    return _lookup(props, _TIME_KEYS)


def _vertex_times(props: dict[str, object]) -> object:
    found = _lookup(props, _VERTEX_TIME_KEYS)
    if found is None:
        nested = _lookup(props, ("coordinateproperties",))
        if isinstance(nested, dict):
            found = _lookup(nested, _VERTEX_TIME_KEYS)
    return found


def _declared_crs(crs: object, source: str) -> str | None:
    """The EPSG code a legacy ``crs`` member names; None for WGS-84 (CRS84, EPSG:4326)."""
    if crs is None:
        return None
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str):
        raise InvalidFile(
            "the legacy 'crs' member does not name a coordinate system (only named CRSs "
            "such as urn:ogc:def:crs:EPSG::4326 are understood)",
            source=source,
        )
    upper = name.strip().upper()
    if _CRS84.search(upper):
        return None
    code = _TRAILING_CODE.search(upper)
    named = crs_alias(f"EPSG:{code.group(1)}" if "EPSG" in upper and code else name)
    if named is not None and (named in SOURCE_SYSTEMS or named.startswith("EPSG:")):
        return None if named == "wgs84" else named  # EPSG:4490 is "cgcs2000", in degrees
    raise InvalidFile(
        f"the file declares coordinate system {_short(name)}, which is neither WGS-84 "
        "nor an EPSG code",
        source=source,
    )


def _features(doc: dict[str, object], source: str) -> list[object]:
    """The features of a FeatureCollection, a Feature, or a bare (temporal) geometry."""
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise InvalidFile("the FeatureCollection has no 'features' list", source=source)
        return features
    if kind == "Feature" or "temporalGeometry" in doc:
        return [doc]
    if kind in _GEOMETRY_TYPES:
        return [{"type": "Feature", "geometry": doc, "properties": {}}]
    if kind in ("MovingPoint", "MovingGeometryCollection"):
        return [{"type": "Feature", "temporalGeometry": doc}]
    raise InvalidFile(
        f"JSON whose 'type' is {_short(kind)}: this is not GeoJSON or MF-JSON", source=source
    )


def _integer(text: str) -> int | float:
    """A JSON integer; one too long for ``int`` (Python refuses over 4,300 digits) becomes a
    float (``inf`` past 1e308), which the position and time checks refuse as not finite."""
    return int(text) if len(text) <= _MAX_INT_DIGITS else float(text)


class _NotJson(ValueError):
    """A constant Python's parser takes but JSON does not have."""


def _no_constant(text: str) -> float:
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259); Python's parser would take them."""
    raise _NotJson(f"{text} is not a JSON number")


def looks_like_json(head: Head) -> bool:
    """Text that starts a JSON object or array.

    Examples
    --------
    >>> looks_like_json(Head.of(b' {"type": "FeatureCollection"}'))
    True
    """
    return head.text.startswith(("{", "["))


def _load(text: str, source: str) -> dict[str, object]:
    """The JSON document, which must be an object."""
    try:
        doc = json.loads(text, parse_int=_integer, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidFile(
            f"not valid JSON ({exc.msg})",
            source=source,
            place=f"line {exc.lineno}, column {exc.colno}",
        ) from None
    except _NotJson as exc:
        raise InvalidFile(f"not valid JSON ({exc})", source=source) from None
    except RecursionError:
        raise InvalidFile("the JSON is nested too deeply to be GeoJSON", source=source) from None
    if not isinstance(doc, dict):
        raise InvalidFile(
            f"the top level is a JSON {type(doc).__name__}, not a GeoJSON object", source=source
        )
    return doc


def read_geojson(
    text: str, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read the track in a GeoJSON or MF-JSON file.

    Each ``LineString``, each line of a ``MultiLineString`` and each MF-JSON ``MovingPoint``
    becomes its own ``part``. Line vertices take times from a per-vertex array in the
    properties (``coordTimes`` or ``times``, as togeojson writes them), else ``NaT``.
    ``Point`` features form one track in file order, with the time of the first property
    named ``time``, ``timestamp``, ``datetime``, ``tracked_at``, ``date_time`` or ``时间``
    (any case) and ``accuracy`` as ``accuracy_m``; beside lines they are labels and are left
    out with a note. Numeric times are read as Unix seconds (or milliseconds when 1e11 or more).

    Parameters
    ----------
    text
        The file's text (decoded by :func:`geo.tracks.decode.decode_text`).
    source
        The file name, used in error messages.
    tz
        Township time zone: times without an offset are read in it.
    limits
        Reading stops at ``limits.max_fixes`` (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        Fixes in file order, ``format`` ``"geojson"`` or ``"mf-json"``. A legacy ``crs``
        member naming an EPSG code other than 4326 sets ``declared_crs``; the coordinates are
        then returned as written (x in ``lon``, y in ``lat``).

    Raises
    ------
    InvalidFile
        For JSON that does not parse (with line and column), JSON that is not GeoJSON, a
        position or time that cannot be read (with its feature number), an unknown ``crs``, a
        file of polygons (a boundary, not a track), or a file without track points.
    """
    doc = _load(text, source)
    declared = _declared_crs(doc.get("crs"), source)
    projected = declared is not None and (declared.startswith("EPSG:") or declared == "bd09mc")
    reader = _Reader(source=source, degrees=not projected, limits=limits)
    top_name = doc.get("name")
    name = top_name if isinstance(top_name, str) else ""
    for i, feature in enumerate(_features(doc, source), start=1):
        props = reader.feature(feature, i)
        if not name and isinstance(props.get("name"), str) and reader.lines.lons:
            name = str(props["name"])
    found = reader.chosen()
    notes = reader.notes
    if declared:
        notes.append(
            f"coordinates are in {declared} as the file's 'crs' member declares"
            + (", not in degrees" if projected else "")
        )
    try:
        parsed_times, naive = parse_times(found.times, tz=tz, source=source)
    except InvalidFile as exc:
        m = _PLACE.match(exc.place or "")
        place = f"feature {found.feature[int(m.group(1)) - 1]}" if m else exc.place
        raise InvalidFile(exc.detail, source=source, place=place) from None
    dense: dict[int, int] = {}
    parts = [dense.setdefault(p, len(dense)) for p in found.parts]
    fixes = make_fixes(
        found.lons,
        found.lats,
        parsed_times,
        accuracy_m=found.accuracy,
        part=parts,
        alt_m=found.alts,
    )
    return ParsedTrack(
        format="mf-json" if reader.moving else "geojson",
        fixes=fixes,
        naive_times=naive,
        name=name,
        notes=tuple(notes),
        declared_crs=declared,
    )
