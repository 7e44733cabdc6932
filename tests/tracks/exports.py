"""Track files shaped like the exports of Chinese apps, built around a known WGS-84 track.

What is confirmed from real material and what is inferred (see docs/ingest.md):

* 奥维互动地图 (Ovital Map) KML/``.ovkml``: the layout of ``ovital_kml`` (tab-indented
  ``Document/Folder/Placemark``, ``<OvAttr><OvIcon>``, the pushpin ``Style``, one
  ``<OvCoordType>`` per placemark before its geometry, ``lon,lat,0`` with 8 decimals) is that
  of a real export (Fangster-1/ovkml-converter, 奥维格式数据/姚安县验证B线.ovkml, which says
  ``CGCS2000``). ``GCJ02`` as the value for Amap-based exports is what converters of those
  files accept; no real GCJ02 ``.ovkml`` was found.
* GeoJSON in EPSG:4490: the ``crs`` member exactly as GDAL 3.6 (``ogr2ogr -a_srs EPSG:4490
  -lco RFC7946=NO``) writes it.
* ``时间,经度(GCJ-02),纬度(GCJ-02)`` CSV: the header from the field report in issue 11.
* 两步路 / 六只脚 GPX and KML: no real export was found; these are plain GPX 1.1 and KML
  ``gx:Track`` files whose title or description names the system, the way such exports are
  labelled (inferred).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.ingest.chinacrs import wgs84_to_bd09, wgs84_to_gcj02
from geo.layers import TownshipLayers
from geo.projection import from_metric

FloatArray = NDArray[np.float64]
Shift = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]
#: A forest patrol of 白泥塘: reservoir (CP-13), farm (CP-15), village office (CP-14) and back,
#: each leg bent 500 m away from the roads.
FOREST_ROUND = ("CP-13", "CP-15", "CP-14", "CP-13")


def forest_patrol(
    layers: TownshipLayers, codes: tuple[str, ...], *, detour_m: float = 500.0, seed: int = 7
) -> pd.DataFrame:
    """A walk through the forest between checkpoints: a fix every 8 m (6 s), 3 m of noise."""
    cps = layers.metric("checkpoints").set_index("code")
    roads = shapely.union_all(layers.metric("roads").geometry.to_numpy())
    stops = [shapely.get_coordinates(cps.geometry[c])[0] for c in codes]
    way = [stops[0]]
    for a, b in itertools.pairwise(stops):
        normal = np.array([a[1] - b[1], b[0] - a[0]]) / np.hypot(*(b - a))
        bends = [(a + b) / 2 + sign * detour_m * normal for sign in (1, -1)]
        way += [max(bends, key=lambda p: shapely.distance(shapely.Point(p), roads)), b]
    line = shapely.LineString(way)
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(line, np.arange(0.0, line.length, 8.0))
    )
    xy = xy + np.random.default_rng(seed).normal(0.0, 3.0, xy.shape)
    lon, lat = from_metric(xy[:, 0], xy[:, 1], layers.info.metric_crs)
    times = pd.date_range("2026-11-18T01:00:00Z", periods=len(lon), freq="6s")
    return pd.DataFrame({"time": times, "lon": lon, "lat": lat})


def _local(track: pd.DataFrame) -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M:%S") for t in track["time"].dt.tz_convert("Asia/Shanghai")]


def _utc(track: pd.DataFrame) -> list[str]:
    return [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in track["time"]]


def shifted(track: pd.DataFrame, system: str) -> tuple[FloatArray, FloatArray]:
    """The track's positions as an app in ``system`` writes them."""
    lon, lat = track["lon"].to_numpy(), track["lat"].to_numpy()
    if system == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if system == "bd09":
        return wgs84_to_bd09(lon, lat)
    if system == "bd09mc":
        from geo.ingest.chinacrs import (
            bd09_to_bd09mc,  # imported here: the module runs on older code
        )

        return bd09_to_bd09mc(*wgs84_to_bd09(lon, lat))
    return lon, lat


def csv_named_header(track: pd.DataFrame, header: str, system: str, *, decimals: int = 6) -> bytes:
    """``时间,经度(GCJ-02),纬度(GCJ-02)`` and friends: local times, then longitude, latitude."""
    lon, lat = shifted(track, system)
    rows = [header] + [
        f"{t},{x:.{decimals}f},{y:.{decimals}f}"
        for t, x, y in zip(_local(track), lon, lat, strict=True)
    ]
    return ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")


# The real export's root element, trailing spaces included.
_OVITAL_ROOT = (
    '<kml xmlns="http://www.opengis.net/kml/2.2" \n'
    '\txmlns:atom="http://www.w3.org/2005/Atom" \n'
    '\txmlns:gx="http://www.google.com/kml/ext/2.2" \n'
    "\t>"
)


def ovital_kml(track: pd.DataFrame, coord_type: str, system: str) -> bytes:
    """An 奥维互动地图 track export: one LineString placemark in the real export's layout."""
    lon, lat = shifted(track, system)
    coords = " ".join(f"{x:.8f},{y:.8f},0" for x, y in zip(lon, lat, strict=True))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{_OVITAL_ROOT}
<Document>
\t<name>白泥塘巡护</name>
\t<Folder>
\t\t<name>白泥塘巡护</name>
\t\t<Placemark>
\t\t\t<name>轨迹2026-11-18</name>
\t\t\t<OvAttr>
\t\t\t\t<OvIcon>4</OvIcon>
\t\t\t\t<OvIconNum>0</OvIconNum>
\t\t\t</OvAttr>
\t\t\t<Style>
\t\t\t\t<LineStyle>
\t\t\t\t\t<color>ff0000ff</color>
\t\t\t\t\t<width>3</width>
\t\t\t\t</LineStyle>
\t\t\t</Style>
\t\t\t<OvCoordType>{coord_type}</OvCoordType>
\t\t\t<LineString>
\t\t\t\t<coordinates>{coords}</coordinates>
\t\t\t</LineString>
\t\t</Placemark>
\t</Folder>
</Document>
</kml>
""".encode()


def titled_gpx(track: pd.DataFrame, *, name: str, desc: str, system: str) -> bytes:
    """A GPX 1.1 export whose metadata names its system (两步路/六只脚-like; inferred)."""
    lon, lat = shifted(track, system)
    points = "\n".join(
        f'<trkpt lat="{y:.7f}" lon="{x:.7f}"><ele>512.0</ele><time>{t}</time></trkpt>'
        for x, y, t in zip(lon, lat, _utc(track), strict=True)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="track export" xmlns="http://www.topografix.com/GPX/1/1">
<metadata><name>{escape(name)}</name><desc>{escape(desc)}</desc></metadata>
<trk><name>{escape(name)}</name><trkseg>
{points}
</trkseg></trk>
</gpx>
""".encode()


def titled_kml_track(track: pd.DataFrame, *, name: str, system: str) -> bytes:
    """A KML ``gx:Track`` export whose document name names its system (六只脚-like; inferred)."""
    lon, lat = shifted(track, system)
    whens = "\n".join(f"<when>{t}</when>" for t in _utc(track))
    coords = "\n".join(
        f"<gx:coord>{x:.7f} {y:.7f} 512.0</gx:coord>" for x, y in zip(lon, lat, strict=True)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>{escape(name)}</name>
<Placemark><name>轨迹</name><gx:Track>
{whens}
{coords}
</gx:Track></Placemark>
</Document></kml>
""".encode()


def gdal_geojson(track: pd.DataFrame, epsg: int) -> bytes:
    """A LineString FeatureCollection with the ``crs`` member GDAL writes for ``epsg``."""
    coords = ", ".join(
        f"[ {x:.7f}, {y:.7f} ]" for x, y in zip(track["lon"], track["lat"], strict=True)
    )
    times = ", ".join(f'"{t}"' for t in _utc(track))
    return (
        "{\n"
        '"type": "FeatureCollection",\n'
        '"name": "patrol",\n'
        '"crs": { "type": "name", "properties": '
        f'{{ "name": "urn:ogc:def:crs:EPSG::{epsg}" }} }},\n'
        '"features": [\n'
        f'{{ "type": "Feature", "properties": {{ "name": "巡护", "coordTimes": [ {times} ] }}, '
        f'"geometry": {{ "type": "LineString", "coordinates": [ {coords} ] }} }}\n'
        "]\n}\n"
    ).encode()
