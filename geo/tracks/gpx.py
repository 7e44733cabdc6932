"""GPX 1.0/1.1 reader: track points (and route points) with time, accuracy and segment."""

from __future__ import annotations

import io
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from numpy.typing import NDArray

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
    points = _scan_fast(data) or _scan_tree(data, source)
    if len(points.lons) == 0:
        raise InvalidFile("the GPX file has no track or route points", source=source)
    if points.parsed_times is not None:
        parsed_times, naive = points.parsed_times, 0
    else:
        parsed_times, naive = parse_times(points.times, tz=tz, source=source)
    # GPX has no accuracy field; hdop × 5 m is the usual rough conversion to metres.
    accuracy = np.asarray(points.hdops, dtype=np.float64) * 5.0
    fixes = make_fixes(
        points.lons,
        points.lats,
        parsed_times,
        accuracy_m=accuracy,
        part=points.parts,
        alt_m=points.eles,
    )
    return ParsedTrack(format="gpx", fixes=fixes, naive_times=naive, name=points.name)


@dataclass
class _Points:
    lons: Any = field(default_factory=list)
    lats: Any = field(default_factory=list)
    times: list[str | None] = field(default_factory=list)
    hdops: Any = field(default_factory=list)
    eles: Any = field(default_factory=list)
    parts: Any = field(default_factory=list)
    name: str = ""
    parsed_times: pd.Series | None = None
    """Times already parsed (all UTC), when the fast path could."""


_LAT_FIRST = (
    re.compile(rb'<trkpt\s+lat="([^"]*)"\s+lon="[^"]*"\s*>'),
    re.compile(rb'<trkpt\s+lat="[^"]*"\s+lon="([^"]*)"\s*>'),
)
_LON_FIRST = (
    re.compile(rb'<trkpt\s+lon="[^"]*"\s+lat="([^"]*)"\s*>'),
    re.compile(rb'<trkpt\s+lon="([^"]*)"\s+lat="[^"]*"\s*>'),
)


def _floats(texts: list[bytes], expected: int) -> NDArray[np.float64] | None:
    """Parse decimal texts in C; None when any is not a plain number."""
    if any(not t or b"," in t for t in texts[:1]):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            values = np.fromstring(b",".join(texts), dtype=np.float64, sep=",")
    except ValueError:  # text that is not a number: the XML parser will name the point
        return None
    return values if len(values) == expected else None


def _child(contents: list[bytes], name: bytes) -> list[bytes | None]:
    """The text of each point's ``<name>`` child (None when absent)."""
    open_tag, close_tag = b"<" + name + b">", b"</" + name + b">"
    out: list[bytes | None] = []
    for c in contents:
        i = c.find(open_tag)
        if i < 0:
            out.append(None)
            continue
        j = c.find(close_tag, i)
        out.append(c[i + len(open_tag) : j].strip() if j > 0 else None)
    return out


def _children(points: bytes, name: bytes, expected: int) -> list[bytes | None]:
    """Each point's ``<name>`` text: one pass when every point has exactly one, else per point."""
    found: list[bytes] = re.findall(b"<" + name + rb">([^<]*)</" + name + b">", points)
    if len(found) == expected:
        return list(found)
    if not found:
        return [None] * expected
    return _child(points.split(b"<trkpt")[1:], name)


def _utc_times(texts: list[bytes | None]) -> pd.Series | None:
    """All times as ``YYYY-MM-DDTHH:MM:SS[.fff]Z``: parsed by numpy in one go (else None)."""
    if any(t is None for t in texts):
        return None
    arr = np.array(texts, dtype="S40")
    lengths = np.char.str_len(arr)
    if not (np.char.endswith(arr, b"Z").all() and lengths.min() == lengths.max()):
        return None
    try:
        values = np.char.rstrip(arr, b"Z").astype("datetime64[ms]")
    except ValueError:
        return None
    return pd.Series(values).dt.tz_localize("UTC")


def _scan_fast(data: bytes) -> _Points | None:
    """Read the points of a plain GPX file with a few passes of regular expressions and numpy
    over the bytes, several times faster than the XML parser on large files. Used only when
    the file is complete and plain: it ends in ``</gpx>``, has no comments, CDATA, entities,
    routes or prefixed point tags, and every point starts ``<trkpt lat=".." lon="..">``.
    Anything else returns None and the XML parser reads the file, so every error still names
    its line and column."""
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if (
        not body.rstrip().endswith(b"</gpx>")
        or b"<!" in body
        or b"&" in body
        or b"<rtept" in body
        or b":trkpt" in body
    ):
        return None
    expected = body.count(b"<trkpt")
    if expected == 0 or body.count(b"</trkpt>") != expected:
        return None
    first = body.find(b"<trkpt")
    points = body[first : body.rfind(b"</trkpt>") + 8]
    coords = None
    for lat_re, lon_re in (_LAT_FIRST, _LON_FIRST):
        lat_text = lat_re.findall(points)
        if len(lat_text) == expected:
            lats = _floats(lat_text, expected)
            lons = _floats(lon_re.findall(points), expected)
            coords = None if lats is None or lons is None else (lons, lats)
            break
    if coords is None:
        return None
    lons, lats = coords
    if not (np.all(np.abs(lats) <= 90) and np.all(np.abs(lons) <= 180)):
        return None
    time_text = _children(points, b"time", expected)
    parsed = _utc_times(time_text)
    times = (
        []
        if parsed is not None
        else [None if t is None else t.decode("utf-8", "replace") for t in time_text]
    )
    hdops = _numbers(_children(points, b"hdop", expected))
    eles = _numbers(_children(points, b"ele", expected))
    per_part = [chunk.count(b"<trkpt") for chunk in body.split(b"<trkseg")]
    if per_part and per_part[0] == 0:
        per_part = per_part[1:]
    parts = np.repeat(np.arange(len(per_part)), per_part)
    name_match = re.search(rb"<name>\s*([^<]*?)\s*</name>", body[:first])
    name = name_match.group(1).decode("utf-8", "replace") if name_match else ""
    return _Points(lons, lats, times, hdops, eles, parts, name, parsed)


def _numbers(texts: list[bytes | None]) -> NDArray[np.float64]:
    if texts and None not in texts:
        values = _floats(texts, len(texts))  # type: ignore[arg-type]
        if values is not None:
            return values
    present = [i for i, t in enumerate(texts) if t is not None]
    out = np.full(len(texts), np.nan)
    if not present:
        return out
    try:
        out[present] = np.array([texts[i] for i in present], dtype="S40").astype(np.float64)
    except ValueError:  # e.g. <ele>bad data</ele>: read one by one, NaN where unreadable
        for i in present:
            out[i] = _number((texts[i] or b"").decode("ascii", "replace"))
    return out


def _scan_tree(data: bytes, source: str) -> _Points:
    """Read points with the XML parser; errors name the line, column or point."""
    pts = _Points()
    part = -1
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
            elif tag == "name" and not pts.name and not pts.lons:
                pts.name = (elem.text or "").strip()
            elif tag in ("trkpt", "rtept"):
                n = len(pts.lons) + 1
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
                pts.lons.append(lon)
                pts.lats.append(lat)
                pts.times.append(point_time)
                pts.hdops.append(point_hdop)
                pts.eles.append(point_ele)
                pts.parts.append(max(part, 0))
                elem.clear()
    except ET.ParseError as exc:
        line, col = exc.position
        raise InvalidFile(
            f"not well-formed XML ({exc.msg.split(':')[0]})",
            source=source,
            place=f"line {line}, column {col}",
        ) from None
    except LookupError as exc:  # an unknown encoding in the XML declaration
        raise InvalidFile(f"unknown text encoding ({exc})", source=source, place="line 1") from None
    if not root_seen:
        raise InvalidFile("the file is empty", source=source)
    return pts
