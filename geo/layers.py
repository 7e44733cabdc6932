"""A township's layers: reading a layers folder, validating it, and the typed container.

A layers folder holds ``township.toml`` (settings and rules) and one file per layer
(``villages.geojson``, ``cameras.gpkg``, ...). Everything is held in WGS-84 (EPSG:4326);
metric checks run in the township's metric CRS.
"""

from __future__ import annotations

import io
import json
import os
import re
import tomllib
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidInput, LayerProblems
from geo.paths import confined_file
from geo.rules import Rules
from geo.text import text_problem

WGS84 = "EPSG:4326"
#: The GDAL driver each layer file is read with, by suffix; no other driver ever opens a file
#: of a layers folder (no VRT, CSV, remote or archive reader: docs/layers.md).
LAYER_DRIVERS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
}
LAYER_FILE_SUFFIXES = tuple(LAYER_DRIVERS)
#: The files of a shapefile read with its ``.shp`` (when present).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Largest layer file read (a township's layers are a few MB).
MAX_LAYER_FILE_BYTES = 256 * 2**20
#: A township code: the national administrative division code (区划代码), digits only, e.g.
#: 433122207 for a township; it names stored rows and output files.
TOWNSHIP_CODE = re.compile(r"^[0-9]{1,12}$")
CAMERA_STATUSES = ("online", "offline", "maintenance")
ROAD_CLASSES = ("road", "track", "path")

#: Columns of each layer with their kinds; the store keeps exactly these.
LAYER_COLUMNS: dict[str, dict[str, str]] = {
    "villages": {"code": "str", "name": "str", "name_en": "str", "squad": "str"},
    "roads": {"code": "str", "class": "str", "name": "str"},
    "cameras": {
        "code": "str",
        "name": "str",
        "village": "str",
        "bearing_deg": "float",
        "fov_deg": "float",
        "range_m": "float",
        "ptz": "bool",
        "height_m": "float",
        "status": "str",
        "installed_on": "str",
    },
    "checkpoints": {
        "code": "str",
        "name": "str",
        "kind": "str",
        "village": "str",
        "mandatory": "bool",
    },
    "drone_flights": {
        "flight_id": "str",
        "started_at": "str",
        "ended_at": "str",
        "altitude_source": "str",
        "hfov_deg": "float",
        "drone": "str",
        "times_s": "str",
        "source": "str",
    },
}
GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "villages": ("Polygon", "MultiPolygon"),
    "roads": ("LineString", "MultiLineString"),
    "cameras": ("Point",),
    "checkpoints": ("Point",),
    "drone_flights": ("LineString",),
}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "villages": ("code", "name"),
    "roads": (),
    "cameras": ("code",),
    "checkpoints": ("name",),
    "drone_flights": ("flight_id",),
}
OPTIONAL_LAYERS = ("roads", "cameras", "checkpoints", "drone_flights")


@dataclass(frozen=True)
class TownshipInfo:
    """A township's identity, settings and rules (``township.toml``)."""

    code: str
    name: str
    name_en: str = ""
    timezone: str = "Asia/Shanghai"
    metric_crs: str = "EPSG:4546"
    bbox_margin_m: float = 5000.0
    squads: dict[str, dict[str, str]] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "timezone": self.timezone,
            "metric_crs": self.metric_crs,
            "bbox_margin_m": self.bbox_margin_m,
            "squads": self.squads,
            "rules": self.rules.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None) -> TownshipInfo:
        """Build from ``[township]`` plus ``squads`` and ``rules``; validate each field."""
        for key in ("code", "name"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise InvalidInput(f"[township] needs a non-empty {key}", source=source)
        check_township_code(data["code"].strip(), source=source, place="[township] code")
        tz_name = str(data.get("timezone", "Asia/Shanghai"))
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"unknown time zone {tz_name!r}; use an IANA name such as Asia/Shanghai",
                source=source,
                place="[township] timezone",
            ) from None
        crs_text = str(data.get("metric_crs", "EPSG:4546"))
        try:
            crs = pyproj.CRS.from_user_input(crs_text)
        except pyproj.exceptions.CRSError:
            raise InvalidInput(
                f"unknown CRS {crs_text!r}", source=source, place="[township] metric_crs"
            ) from None
        if not crs.is_projected or crs.to_epsg() == 3857:
            raise InvalidInput(
                f"metric_crs {crs_text} must be a projected CRS in metres other than EPSG:3857 "
                "(for Hunan use EPSG:4546 or EPSG:32649)",
                source=source,
                place="[township] metric_crs",
            )
        squads = data.get("squads", {})
        if not isinstance(squads, dict):
            raise InvalidInput("[squads] must be a table", source=source)
        return cls(
            code=str(data["code"]).strip(),
            name=str(data["name"]).strip(),
            name_en=str(data.get("name_en", "")),
            timezone=tz_name,
            metric_crs=crs_text,
            bbox_margin_m=float(data.get("bbox_margin_m", 5000.0)),
            squads={str(k): {str(a): str(b) for a, b in v.items()} for k, v in squads.items()},
            rules=Rules.from_mapping(dict(data.get("rules", {})), source=source),
        )


@dataclass(frozen=True)
class TownshipLayers:
    """All layers of one township, each a GeoDataFrame in EPSG:4326 with the columns of
    :data:`LAYER_COLUMNS`. ``outline`` has one row (the township boundary)."""

    info: TownshipInfo
    outline: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    checkpoints: gpd.GeoDataFrame
    drone_flights: gpd.GeoDataFrame
    #: The township's DEM GeoTIFF (``dem.tif`` in the layers folder), as its bytes; None
    #: without one (:func:`geo.coverage.terrain.township_dem` decodes it).
    dem: bytes | None = field(default=None, repr=False)

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """One layer by its name (``villages``, ``cameras``, ...)."""
        frame: gpd.GeoDataFrame = getattr(self, name)
        return frame

    def metric(self, name: str) -> gpd.GeoDataFrame:
        """A layer projected to the township's metric CRS."""
        return self.layer(name).to_crs(self.info.metric_crs)

    def squads(self) -> list[str]:
        """Village squads and any extra squads named in township.toml, sorted."""
        names = {str(s) for s in self.villages["squad"] if s} | set(self.info.squads)
        return sorted(names)

    def without_roads(self) -> TownshipLayers:
        return replace(self, roads=empty_layer("roads"))


def check_township_code(code: str, *, source: str | None = None, place: str | None = None) -> str:
    """``code`` when it is a township code (:data:`TOWNSHIP_CODE`), else :class:`InvalidInput`.

    Every township taken from input (a layers folder, ``--township``, ``GEO_TOWNSHIP``, the
    API's ``township`` parameter) is checked here before it names anything.
    """
    if not isinstance(code, str) or not TOWNSHIP_CODE.match(code):
        raise InvalidInput(
            f"township code {code!r} is not a division code (区划代码): write its digits, "
            "e.g. 433122207",
            source=source,
            place=place,
        )
    return code


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """An empty layer with the right columns."""
    cols = LAYER_COLUMNS[name]
    data = {c: pd.Series([], dtype=_pandas_dtype(k)) for c, k in cols.items()}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def _pandas_dtype(kind: str) -> str:
    return {"str": "object", "float": "float64", "bool": "bool"}[kind]


def read_township_toml(path: Path) -> TownshipInfo:
    """Read ``township.toml``; errors name the file and the problem."""
    if not os.path.lexists(path):
        raise InvalidInput("township.toml is missing", source=str(path.parent))
    confined_file(path.parent, path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("township.toml is missing", source=str(path.parent)) from None
    except UnicodeDecodeError:
        raise InvalidInput("is not UTF-8 text", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not valid TOML: {exc}", source=str(path)) from None
    table = dict(data.get("township", {}))
    table["squads"] = data.get("squads", {})
    table["rules"] = data.get("rules", {})
    return TownshipInfo.from_dict(table, source=str(path))


def read_layers_dir(directory: Path) -> TownshipLayers:
    """Read a layers folder and validate it.

    Parameters
    ----------
    directory
        Folder with ``township.toml``, ``township.*``, ``villages.*`` and optionally roads,
        cameras, checkpoints and drone_flights, each in a format GDAL reads (GeoJSON,
        GeoPackage, Shapefile, FlatGeobuf).

    Returns
    -------
    TownshipLayers
        The layers in EPSG:4326, columns normalised.

    Raises
    ------
    LayerProblems
        Listing every problem found, each naming its layer and feature.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidInput("not a folder", source=str(directory))
    info = read_township_toml(directory / "township.toml")
    problems: list[str] = []
    outline_raw = _read_layer_file(directory, "township", required=True)
    assert outline_raw is not None
    outline = _normalise_outline(outline_raw, info, problems)
    frames: dict[str, gpd.GeoDataFrame] = {}
    for name in ("villages", *OPTIONAL_LAYERS):
        raw = _read_layer_file(directory, name, required=name == "villages")
        frames[name] = empty_layer(name) if raw is None else normalise_layer(name, raw, problems)
    if problems:
        raise LayerProblems(problems, source=str(directory))
    layers = TownshipLayers(
        info=info, outline=outline, **frames, dem=_read_dem_file(directory, info)
    )
    layers = assign_villages(layers)
    problems = validate_layers(layers)
    if problems:
        raise LayerProblems(problems, source=str(directory))
    return layers


def _read_dem_file(directory: Path, info: TownshipInfo) -> bytes | None:
    """The bytes of the folder's ``dem.tif``, checked to read as a bounded GeoTIFF in the
    township's metric CRS (:func:`geo.coverage.terrain.read_dem`); None without one."""
    from geo.coverage.terrain import DEM_FILE, MAX_DEM_BYTES, read_dem

    path = directory / DEM_FILE
    if not os.path.lexists(path):
        return None
    confined_file(directory, path)
    if path.stat().st_size > MAX_DEM_BYTES:
        raise InvalidInput(f"is larger than {MAX_DEM_BYTES // 2**20} MiB", source=str(path))
    data = path.read_bytes()
    read_dem(data, info.metric_crs, name=str(path))
    return data


def _read_layer_file(directory: Path, name: str, *, required: bool) -> gpd.GeoDataFrame | None:
    found = [
        directory / f"{name}{s}"
        for s in LAYER_FILE_SUFFIXES
        if os.path.lexists(directory / f"{name}{s}")  # a dangling link is found, and refused
    ]
    if not found:
        if required:
            raise InvalidInput(
                f"layer {name} is missing: expected {name}.geojson (or .gpkg, .shp, .fgb)",
                source=str(directory),
            )
        return None
    if len(found) > 1:
        raise InvalidInput(
            f"layer {name} is given twice ({', '.join(p.name for p in found)}); keep one",
            source=str(directory),
        )
    path = found[0]
    driver = LAYER_DRIVERS[path.suffix]
    data = _layer_bytes(directory, path, driver)
    try:
        # From memory, so GDAL never sees a path (no /vsi prefix, no archive, no link) and the
        # driver it picks is checked before any feature is read.
        with warnings.catch_warnings():
            # GDAL notes that a GeoPackage in memory has no .gpkg name; it reads it the same.
            warnings.filterwarnings("ignore", "File /vsimem/.* non conformant file extension")
            seen = pyogrio.read_info(io.BytesIO(data))["driver"]
            if seen != driver:
                raise InvalidInput(
                    f"was opened by GDAL's {seen} driver; a {path.suffix} layer must be {driver}",
                    source=str(path),
                )
            frame = gpd.read_file(io.BytesIO(data), engine="pyogrio")
    except InvalidInput:
        raise
    except Exception as exc:  # pyogrio raises several driver-specific errors
        raise InvalidInput(f"cannot be read as a layer: {exc}", source=str(path)) from None
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    elif not frame.crs.equals(pyproj.CRS(WGS84)):
        frame = frame.to_crs(WGS84)  # CGCS2000 (EPSG:4490) is treated as equal; others reprojected
    return frame


def _layer_bytes(directory: Path, path: Path, driver: str) -> bytes:
    """The bytes GDAL gets for a layer file: the file itself, its content checked to be in the
    format of its suffix (a VRT, CSV or anything else named ``cameras.json`` is refused before
    GDAL sees it), or for a shapefile its parts zipped in memory."""
    parts = [path]
    if driver == "ESRI Shapefile":
        parts += [
            p
            for s in SHAPEFILE_PARTS[1:]
            for p in (path.with_suffix(s), path.with_suffix(s.upper()))
            if os.path.lexists(p)
        ]
    contents = {p: _read_confined(directory, p) for p in parts}
    head = contents[path][:100]
    if not _looks_like(driver, head):
        raise InvalidInput(
            f"is not a {driver} file (its content is something else); layers are read only as "
            f"{', '.join(sorted(set(LAYER_DRIVERS.values())))}",
            source=str(path),
        )
    if driver != "ESRI Shapefile":
        return contents[path]
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
        for p, content in contents.items():
            archive.writestr(f"layer{p.suffix.lower()}", content)
    return packed.getvalue()


def _read_confined(directory: Path, path: Path) -> bytes:
    confined_file(directory, path)
    size = path.stat().st_size
    if size > MAX_LAYER_FILE_BYTES:
        raise InvalidInput(
            f"is {size:,} bytes; a layer file may have {MAX_LAYER_FILE_BYTES:,}", source=str(path)
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot be read: {exc.strerror}", source=str(path)) from None


def _looks_like(driver: str, head: bytes) -> bool:
    """Whether a file's first bytes are those of ``driver``'s format."""
    if driver == "GeoJSON":
        return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"{")
    if driver == "GPKG":
        return head.startswith(b"SQLite format 3\x00") and head[68:72] in (
            b"GPKG",
            b"GP10",
            b"GP11",
        )
    if driver == "FlatGeobuf":
        return head[:3] == b"fgb" and head[4:7] == b"fgb"
    return head[:4] == b"\x00\x00\x27\x0a"  # the shapefile file code 9994


def _normalise_outline(
    raw: gpd.GeoDataFrame, info: TownshipInfo, problems: list[str]
) -> gpd.GeoDataFrame:
    geoms = raw.geometry.dropna()
    bad = ~geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    if len(geoms) == 0 or bad.any():
        problems.append("township: needs polygon geometry")
        return gpd.GeoDataFrame({"code": [info.code]}, geometry=[None], crs=WGS84)
    merged = shapely.union_all(geoms.to_numpy())
    if not merged.is_valid:
        problems.append(f"township: invalid geometry ({shapely.is_valid_reason(merged)})")
    return gpd.GeoDataFrame(
        {"code": [info.code], "name": [info.name], "name_en": [info.name_en]},
        geometry=[_as_multi(merged)],
        crs=WGS84,
    )


def _as_multi(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, shapely.Polygon):
        return shapely.MultiPolygon([geom])
    return geom


def normalise_layer(name: str, raw: gpd.GeoDataFrame, problems: list[str]) -> gpd.GeoDataFrame:
    """Coerce a layer's columns to :data:`LAYER_COLUMNS`; record what cannot be coerced."""
    cols = LAYER_COLUMNS[name]
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in raw.columns]
    if missing:
        problems.append(f"{name}: missing attribute(s) {', '.join(missing)}")
        return empty_layer(name)
    out: dict[str, Any] = {}
    n = len(raw)
    for col, kind in cols.items():
        if col not in raw.columns:
            out[col] = _default_column(name, col, kind, n)
            continue
        values = raw[col]
        if kind == "float":
            numbers = pd.to_numeric(values, errors="coerce")
            for i in np.flatnonzero(numbers.isna() & values.notna()):
                problems.append(
                    f"{name} {_label(raw, int(i))}: {col} {values.iloc[i]!r} is not a number"
                )
            out[col] = numbers.astype("float64")
        elif kind == "bool":
            out[col] = [_as_bool(v) for v in values]
        else:
            out[col] = [
                "" if v is None or (isinstance(v, float) and np.isnan(v)) else _as_text(v)
                for v in values
            ]
    geometry = raw.geometry
    if name == "villages":
        geometry = gpd.GeoSeries(
            [_as_multi(g) if g is not None else None for g in geometry], crs=WGS84
        )
    frame = gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs=WGS84)
    if name == "roads" and len(frame):
        blank = frame["code"] == ""
        frame.loc[blank, "code"] = [f"R{i + 1:04d}" for i in np.flatnonzero(blank)]
    return frame


def _as_text(value: Any) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | pd.Timestamp):
        # GDAL reads a date-only text field as a datetime at midnight: give the date back.
        if value.tzinfo is None and (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t", "是")
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    return bool(value)


def _default_column(layer: str, col: str, kind: str, n: int) -> Any:
    if layer == "cameras" and col == "status":
        return ["online"] * n
    if layer == "cameras" and col == "fov_deg":
        return np.full(n, 90.0)
    if layer == "cameras" and col == "range_m":
        return np.full(n, 50.0)
    if layer == "roads" and col == "class":
        return ["road"] * n
    if layer == "drone_flights" and col == "hfov_deg":
        return np.full(n, 84.0)
    if layer == "drone_flights" and col == "altitude_source":
        return ["agl"] * n
    if layer == "drone_flights" and col == "source":
        return ["layers"] * n
    if kind == "float":
        return np.full(n, np.nan)
    if kind == "bool":
        return [False] * n
    return [""] * n


def _text_problems(name: str, frame: gpd.GeoDataFrame) -> list[str]:
    """Text attributes no store can hold (a NUL character, see :mod:`geo.text`), by feature
    number (the code itself may be the bad text)."""
    out = []
    for column, kind in LAYER_COLUMNS[name].items():
        if kind != "str" or column not in frame.columns:
            continue
        for i, value in enumerate(frame[column]):
            problem = text_problem(value) if isinstance(value, str) else None
            if problem:
                out.append(f"{name} feature {i + 1}: {column} {problem}")
    return out


def _label(frame: gpd.GeoDataFrame, i: int) -> str:
    for col in ("code", "flight_id", "name"):
        if col in frame.columns:
            value = frame[col].iloc[i]
            if isinstance(value, str) and value:
                return value
    return f"feature {i + 1}"


def assign_villages(layers: TownshipLayers) -> TownshipLayers:
    """Fill the ``village`` attribute of cameras and checkpoints from their location when blank."""
    updates: dict[str, gpd.GeoDataFrame] = {}
    for name in ("cameras", "checkpoints"):
        frame = layers.layer(name)
        if frame.empty or not (frame["village"] == "").any():
            continue
        frame = frame.copy()
        found = village_of_points(layers.villages, frame.geometry.to_numpy())
        blank = frame["village"] == ""
        frame.loc[blank, "village"] = found[blank.to_numpy()]
        updates[name] = frame
    return replace(layers, **updates) if updates else layers


def village_of_points(villages: gpd.GeoDataFrame, points: np.ndarray) -> np.ndarray:
    """Code of the village containing each point ('' when none)."""
    result = np.full(len(points), "", dtype=object)
    if len(points) == 0 or villages.empty:
        return result
    tree = shapely.STRtree(villages.geometry.to_numpy())
    pts_idx, vil_idx = tree.query(points, predicate="within")
    result[pts_idx] = villages["code"].to_numpy()[vil_idx]
    return result


def validate_layers(layers: TownshipLayers) -> list[str]:
    """Check a township's layers and name every problem.

    Checks: geometry types and validity, villages inside the township and not overlapping,
    cameras and checkpoints inside a village (and in the village they name), unique codes,
    camera attributes in range. Areas are measured in the township's metric CRS.

    Returns
    -------
    list of str
        One sentence per problem, each starting with the layer and the feature; empty when
        the layers are sound.
    """
    problems: list[str] = []
    crs = layers.info.metric_crs
    outline = layers.outline.to_crs(crs).geometry.iloc[0]
    if outline is None or outline.is_empty:
        return ["township: no boundary polygon"]
    if not outline.is_valid:
        problems.append(f"township: invalid geometry ({shapely.is_valid_reason(outline)})")
        outline = shapely.make_valid(outline)
    for name, kinds in GEOMETRY_TYPES.items():
        frame = layers.layer(name)
        geoms = frame.geometry.to_numpy()
        for i, g in enumerate(geoms):
            if g is None or g.is_empty:
                problems.append(f"{name} {_label(frame, i)}: has no geometry")
            elif g.geom_type not in kinds:
                problems.append(
                    f"{name} {_label(frame, i)}: geometry is {g.geom_type}, "
                    f"expected {' or '.join(kinds)}"
                )
            elif not g.is_valid:
                problems.append(
                    f"{name} {_label(frame, i)}: invalid geometry ({shapely.is_valid_reason(g)})"
                )
        key = "flight_id" if name == "drone_flights" else "code"
        codes = frame[key]
        dup = codes[codes.duplicated() & (codes != "")]
        for code in sorted(set(dup)):
            problems.append(f"{name}: code {code} is used more than once")
        blank = int((codes == "").sum()) if name != "checkpoints" else 0
        if blank:
            problems.append(f"{name}: {blank} feature(s) without {key}")
        problems.extend(_text_problems(name, frame))
    if problems:
        return problems

    villages = layers.villages.to_crs(crs)
    vgeoms = villages.geometry.to_numpy()
    tolerance_m2 = 1.0
    for i, g in enumerate(vgeoms):
        outside = g.difference(outline).area
        if outside > tolerance_m2:
            problems.append(
                f"villages {_label(villages, i)}: {outside:,.0f} m² lies outside the township"
            )
    tree = shapely.STRtree(vgeoms)
    left, right = tree.query(vgeoms, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        if a < b:
            overlap = shapely.intersection(vgeoms[a], vgeoms[b]).area
            if overlap > tolerance_m2:
                problems.append(
                    f"villages {_label(villages, a)} and {_label(villages, b)} "
                    f"overlap by {overlap:,.0f} m²"
                )
    codes = set(villages["code"])
    squads = villages["squad"]
    for no_squad in np.flatnonzero((squads == "").to_numpy()):
        problems.append(f"villages {_label(villages, int(no_squad))}: has no squad")

    for name in ("cameras", "checkpoints"):
        frame = layers.layer(name)
        if frame.empty:
            continue
        found = village_of_points(layers.villages, frame.geometry.to_numpy())
        for i, (named, actual) in enumerate(zip(frame["village"], found, strict=True)):
            if actual == "":
                problems.append(f"{name} {_label(frame, i)}: lies outside every village")
            elif named not in codes:
                problems.append(f"{name} {_label(frame, i)}: names unknown village {named}")
            elif named != actual:
                problems.append(
                    f"{name} {_label(frame, i)}: says village {named} but lies in {actual}"
                )

    cams = layers.cameras
    for i in range(len(cams)):
        row = cams.iloc[i]
        label = _label(cams, i)
        if row["status"] not in CAMERA_STATUSES:
            problems.append(
                f"cameras {label}: status {row['status']!r} is not one of "
                f"{', '.join(CAMERA_STATUSES)}"
            )
        if not (0 <= row["fov_deg"] <= 360):
            problems.append(f"cameras {label}: fov_deg {row['fov_deg']} is outside 0–360")
        if not (row["range_m"] > 0):
            problems.append(f"cameras {label}: range_m must be positive, got {row['range_m']}")
        if not row["ptz"] and not (0 <= row["bearing_deg"] < 360):
            problems.append(f"cameras {label}: bearing_deg {row['bearing_deg']} is outside 0–360")
    roads = layers.roads
    bad_class = roads[~roads["class"].isin(ROAD_CLASSES)]
    for i in range(len(bad_class)):
        problems.append(
            f"roads {_label(bad_class, i)}: class {bad_class['class'].iloc[i]!r} is not one of "
            f"{', '.join(ROAD_CLASSES)}"
        )
    return problems
