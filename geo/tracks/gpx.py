"""GPX 1.0/1.1 reader: track points (and route points) with time, accuracy and segment."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import numpy as np

from geo.errors import InvalidFile
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.timestamps import parse_times


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _number(text: str | None) -> float:
    """A float, or NaN for missing or unreadable text (``<ele>bad data</ele>`` is seen)."""
    try:
        return float(text or "nan")
    except ValueError:
        return float("nan")


def read_gpx(data: bytes, *, source: str, tz: ZoneInfo) -> ParsedTrack:
    """Read the track and route points of a GPX file.

    Parameters
    ----------
    data
        The file's bytes (a UTF-8 BOM is allowed).
    source
        The file name, used in error messages.
    tz
        Township time zone: times without an offset are read in it.

    Returns
    -------
    ParsedTrack
        Fixes in file order; ``part`` numbers each ``trkseg``/``rte`` in the file.

    Raises
    ------
    InvalidFile
        For XML that is not well formed (with line and column), a root other than ``gpx``,
        a point without a numeric lat/lon, or a file without points.
    """
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InvalidFile("the file is empty", source=source)
    lons: list[float] = []
    lats: list[float] = []
    times: list[str | None] = []
    hdops: list[float] = []
    eles: list[float] = []
    parts: list[int] = []
    part = -1
    name = ""
    root_seen = False
    point_time: str | None = None
    point_hdop = np.nan
    point_ele = np.nan
    try:
        for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if tag != "gpx":
                        raise InvalidFile(
                            f"root element is <{tag}>, not <gpx>: this is not a GPX file",
                            source=source,
                        )
                if tag in ("trkseg", "rte"):
                    part += 1
                elif tag in ("trkpt", "rtept"):
                    point_time, point_hdop, point_ele = None, np.nan, np.nan
                continue
            if tag == "time":
                point_time = (elem.text or "").strip() or None
            elif tag == "hdop":
                point_hdop = _number(elem.text)
            elif tag == "ele":
                point_ele = _number(elem.text)
            elif tag == "name" and not name and not lons:
                name = (elem.text or "").strip()
            elif tag in ("trkpt", "rtept"):
                n = len(lons) + 1
                try:
                    lat = float(elem.attrib["lat"])
                    lon = float(elem.attrib["lon"])
                except KeyError as exc:
                    raise InvalidFile(
                        f"<{tag}> has no {exc.args[0]} attribute", source=source, place=f"point {n}"
                    ) from None
                except ValueError:
                    raise InvalidFile(
                        f"<{tag}> lat={elem.attrib.get('lat')!r} lon={elem.attrib.get('lon')!r} "
                        "are not numbers",
                        source=source,
                        place=f"point {n}",
                    ) from None
                if not (-90 <= lat <= 90 and -180 <= lon <= 180) or np.isnan(lat + lon):
                    raise InvalidFile(
                        f"lat={lat} lon={lon} is not a position on Earth",
                        source=source,
                        place=f"point {n}",
                    )
                lons.append(lon)
                lats.append(lat)
                times.append(point_time)
                hdops.append(point_hdop)
                eles.append(point_ele)
                parts.append(max(part, 0))
                elem.clear()
    except ET.ParseError as exc:
        line, col = exc.position
        raise InvalidFile(
            f"not well-formed XML ({exc.msg.split(':')[0]})",
            source=source,
            place=f"line {line}, column {col}",
        ) from None
    if not root_seen:
        raise InvalidFile("the file is empty", source=source)
    if not lons:
        raise InvalidFile("the GPX file has no track or route points", source=source)
    parsed_times, naive = parse_times(times, tz=tz, source=source)
    # GPX has no accuracy field; hdop × 5 m is the usual rough conversion to metres.
    accuracy = np.asarray(hdops) * 5.0
    fixes = make_fixes(lons, lats, parsed_times, accuracy_m=accuracy, part=parts, alt_m=eles)
    return ParsedTrack(format="gpx", fixes=fixes, naive_times=naive, name=name)
