"""GPX 1.0/1.1 reader: track points (and route points) with time, accuracy and segment."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.errors import InvalidFile
from geo.ingest.chinacrs import crs_in_text
from geo.tracks.decode import Head, empty_file
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.gpx_scan import MORE_POINTS, scan_points
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.timestamps import parse_times


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _number(text: str | None) -> float:
    """A float, or NaN for missing or unreadable text (``<ele>bad data</ele>`` is seen)."""
    try:
        return float(text or "nan")
    except ValueError:
        return float("nan")


def looks_like_gpx(head: Head) -> bool:
    """An XML document with a ``<gpx`` element near its start.

    Examples
    --------
    >>> looks_like_gpx(Head.of(b'<?xml version="1.0"?><gpx version="1.1"></gpx>'))
    True
    """
    return head.text.startswith("<") and "<gpx" in head.lower


def read_gpx(
    data: bytes, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read the track and route points of a GPX file.

    Parameters
    ----------
    data
        The file's bytes (a UTF-8 BOM is allowed).
    source
        The file name, used in error messages.
    tz
        Township time zone: times without an offset are read in it.
    limits
        Reading stops at ``limits.max_fixes`` (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        Fixes in file order; ``part`` numbers each ``trkseg``/``rte`` in the file;
        ``declared_crs`` is the coordinate system the metadata or the track's name or
        description names ("GCJ-02", "火星坐标", "BD-09"...), else None.

    Raises
    ------
    InvalidFile
        For XML that is not well formed (with line and column), a root other than ``gpx``,
        a point without a numeric lat/lon, or a file without points.
    """
    points = _scan_fast(data, tz, limits, source) or _scan_tree(data, source, limits)
    if len(points.lons) == 0:
        raise InvalidFile("the GPX file has no track or route points", source=source)
    if points.parsed_times is not None:
        parsed_times, naive = points.parsed_times, points.naive_times
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
    notes: list[str] = []
    named = _named_crs(data)
    if named is not None:
        notes.append(f"coordinates read as {named}, as the file's name or description says")
    return ParsedTrack(
        format="gpx",
        fixes=fixes,
        naive_times=naive,
        name=points.name,
        notes=tuple(notes),
        declared_crs=named,
    )


_HEAD_BYTES = 65536
_DESCRIBING = re.compile(
    rb"<(?:\w+:)?(name|desc|cmt|keywords|src)\b[^>]*>(.*?)</(?:\w+:)?\1\s*>", re.DOTALL
)


def _named_crs(data: bytes) -> str | None:
    """The coordinate system the file's metadata and track names and descriptions name
    (``<desc>坐标系：GCJ-02</desc>``, ``<name>巡护（火星坐标）</name>``), read from the text
    before the first point; None when they name none or several."""
    head = data[:_HEAD_BYTES]
    starts = [i for i in (head.find(b"<trkpt"), head.find(b"<rtept")) if i >= 0]
    head = head[: min(starts)] if starts else head
    texts = [
        m.group(2).replace(b"<![CDATA[", b"").replace(b"]]>", b"").decode("utf-8", "replace")
        for m in _DESCRIBING.finditer(head)
    ]
    return crs_in_text("\n".join(texts))


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
    """Times already parsed to UTC, when the fast path read the file."""
    naive_times: int = 0


def _scan_fast(data: bytes, tz: ZoneInfo, limits: ReadLimits, source: str) -> _Points | None:
    """Read the points of a plain GPX file with the compiled scanner (:mod:`geo.tracks.gpx_scan`).

    Used only when the file is complete and plain: it ends in ``</gpx>`` and has no comments,
    CDATA, entities, routes or prefixed point tags. Anything else, or anything the scanner
    does not expect, returns None and the XML parser reads the file, so every error still
    names its line and column."""
    # Large files are not copied: tests look at the ends and the scanner reads a view.
    head = data[:64]
    start = len(head) - len(head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    body = memoryview(data)[start:]
    # Comments, CDATA and routes (<!, <rtept) are found by the scanner in its one pass.
    if not data[-64:].rstrip().endswith(b"</gpx>") or b"&" in data or b":trkpt" in data:
        return None
    expected = data.count(b"<trkpt")
    if expected == 0:
        return None
    if limits.max_fixes is not None and expected > limits.max_fixes:
        # Room for the limit only: the scanner stops at the first point past it.
        expected = limits.max_fixes
    status, lons, lats, t_ms, kind, hdops, eles, parts = scan_points(
        np.frombuffer(body, dtype=np.uint8), expected
    )
    if status == MORE_POINTS:
        limits.check_fixes(expected + 1, source=source)
    if status != 0 or not (np.all(np.abs(lats) <= 90) and np.all(np.abs(lons) <= 180)):
        return None
    times = pd.Series(pd.NaT, index=range(expected), dtype="datetime64[ms, UTC]")
    utc = kind == 1
    if utc.any():
        times[utc] = pd.to_datetime(t_ms[utc], unit="ms", utc=True)
    local = kind == 2
    if local.any():
        wall = pd.to_datetime(t_ms[local], unit="ms").tz_localize(
            tz, ambiguous="NaT", nonexistent="NaT"
        )
        times[local] = wall.tz_convert("UTC")
    first = data.find(b"<trkpt")
    name_match = re.search(rb"<name>\s*([^<]*?)\s*</name>", data[:first])
    name = name_match.group(1).decode("utf-8", "replace") if name_match else ""
    return _Points(lons, lats, [], hdops, eles, parts, name, times, int(local.sum()))


def _scan_tree(data: bytes, source: str, limits: ReadLimits) -> _Points:
    """Read points with the XML parser; errors name the line, column or point."""
    tree = _TreeScan(source=source, limits=limits)
    try:
        for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                tree.start(_local(elem.tag))
            else:
                tree.end(_local(elem.tag), elem)
    except ET.ParseError as exc:
        line, col = exc.position
        raise InvalidFile(
            f"not well-formed XML ({exc.msg.split(':')[0]})",
            source=source,
            place=f"line {line}, column {col}",
        ) from None
    except LookupError as exc:  # an unknown encoding in the XML declaration
        raise InvalidFile(f"unknown text encoding ({exc})", source=source, place="line 1") from None
    if not tree.root_seen:
        raise empty_file(source)
    return tree.pts


@dataclass
class _TreeScan:
    """The XML parser's events turned into points: the children of a point are read before
    the point ends."""

    source: str
    limits: ReadLimits
    pts: _Points = field(default_factory=_Points)
    part: int = -1
    root_seen: bool = False
    point_time: str | None = None
    point_hdop: float = np.nan
    point_ele: float = np.nan

    def start(self, tag: str) -> None:
        if not self.root_seen:
            self.root_seen = True
            if tag != "gpx":
                raise InvalidFile(
                    f"root element is <{tag}>, not <gpx>: this is not a GPX file",
                    source=self.source,
                )
        if tag in ("trkseg", "rte"):
            self.part += 1
        elif tag in ("trkpt", "rtept"):
            self.point_time, self.point_hdop, self.point_ele = None, np.nan, np.nan

    def end(self, tag: str, elem: ET.Element) -> None:
        pts = self.pts
        if tag == "time":
            self.point_time = (elem.text or "").strip() or None
        elif tag == "hdop":
            self.point_hdop = _number(elem.text)
        elif tag == "ele":
            self.point_ele = _number(elem.text)
        elif tag == "name" and not pts.name and not pts.lons:
            pts.name = (elem.text or "").strip()
        elif tag in ("trkpt", "rtept"):
            self.point(tag, elem)

    def point(self, tag: str, elem: ET.Element) -> None:
        """A point ends: its position checked, stored with the children read."""
        pts = self.pts
        n = len(pts.lons) + 1
        lon, lat = _position(tag, elem, self.source, n)
        pts.lons.append(lon)
        pts.lats.append(lat)
        pts.times.append(self.point_time)
        pts.hdops.append(self.point_hdop)
        pts.eles.append(self.point_ele)
        pts.parts.append(max(self.part, 0))
        self.limits.check_fixes(n, source=self.source)
        elem.clear()


def _position(tag: str, elem: ET.Element, source: str, n: int) -> tuple[float, float]:
    """Point ``n``'s ``lon``, ``lat`` attributes, checked to be a place on Earth."""
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
            f"lat={lat} lon={lon} is not a position on Earth", source=source, place=f"point {n}"
        )
    return lon, lat
