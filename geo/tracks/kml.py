"""KML and KMZ reader: LineString, Point, gx:Track and gx:MultiTrack placemarks as fixes."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from geo.errors import InvalidFile, PayloadTooLarge
from geo.ingest.chinacrs import SOURCE_SYSTEMS, crs_alias, crs_in_text
from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.timestamps import parse_times

_ZIP_MAGIC = b"PK\x03\x04"
_COMMA = re.compile(r"\s*,\s*")
_PLACE = re.compile(r"^point (\d+)$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(elem: ET.Element) -> str:
    # itertext() joins the text around comments and CDATA (SkyDrop puts comments inside
    # <coordinates>).
    return "".join(elem.itertext()).strip()


@dataclass
class _Found:
    """Positions in document order; ``number`` is each one's place in the whole file."""

    lons: list[float] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    alts: list[float] = field(default_factory=list)
    times: list[str | None] = field(default_factory=list)
    parts: list[int] = field(default_factory=list)
    number: list[int] = field(default_factory=list)

    def add(self, pos: tuple[float, float, float], time: str | None, part: int, n: int) -> None:
        self.lons.append(pos[0])
        self.lats.append(pos[1])
        self.alts.append(pos[2])
        self.times.append(time)
        self.parts.append(part)
        self.number.append(n)


def _position(values: list[str], raw: str, *, source: str, n: int) -> tuple[float, float, float]:
    """``[lon, lat(, alt)]`` strings as numbers, checked to be a place on Earth."""
    if len(values) not in (2, 3):
        raise InvalidFile(
            f"coordinate {raw[:60]!r} is not lon,lat[,alt]", source=source, place=f"point {n}"
        )
    try:
        lon, lat = float(values[0]), float(values[1])
        alt = float(values[2]) if len(values) == 3 else math.nan
    except ValueError:
        raise InvalidFile(
            f"coordinate {raw[:60]!r} is not numbers", source=source, place=f"point {n}"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat + lon):
        raise InvalidFile(
            f"lon={lon} lat={lat} is not a position on Earth", source=source, place=f"point {n}"
        )
    if math.isinf(alt):
        raise InvalidFile(
            f"altitude {values[2]!r} is not a number", source=source, place=f"point {n}"
        )
    return lon, lat, alt


def _tuples(text: str) -> list[str]:
    """The ``lon,lat[,alt]`` tuples of a ``<coordinates>`` text (tolerating ``lon, lat``)."""
    return _COMMA.sub(",", text).split()


def _unzip(data: bytes, source: str, limits: ReadLimits) -> tuple[bytes, list[str]]:
    """The .kml inside a KMZ: the first one at the archive's root (as Google Earth does),
    unpacked in chunks within ``limits`` (members, size, ratio)."""
    notes: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            if len(members) > limits.max_archive_members:
                raise PayloadTooLarge(
                    f"the KMZ archive holds {len(members):,} entries; the limit is "
                    f"{limits.max_archive_members:,}",
                    source=source,
                )
            kmls = [i for i in members if not i.is_dir() and i.filename.lower().endswith(".kml")]
            if not kmls:
                raise InvalidFile("the KMZ archive holds no .kml file", source=source)
            root_level = [i for i in kmls if "/" not in i.filename.strip("/")]
            info = (root_level or kmls)[0]
            if len(kmls) > 1:
                notes.append(f"the KMZ holds {len(kmls)} .kml files; only {info.filename} was read")
            # The ratio counts the member's compressed size as stored (never more than the file).
            compressed = min(info.compress_size, len(data))
            with zf.open(info) as member:
                body = limits.unpack(
                    member,
                    consumed=lambda: compressed,
                    what=f"the KMZ's {info.filename}",
                    source=source,
                )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError):
        raise InvalidFile(
            "the file starts like a KMZ (zip) archive but cannot be unpacked", source=source
        ) from None
    return body, notes


def _named_crs(root: ET.Element, notes: list[str], source: str) -> str | None:
    """The coordinate system the file names: 奥维互动地图 (Ovital) writes ``<OvCoordType>``
    (``CGCS2000``, ``GCJ02``, ``WGS84``) in each placemark; else a name or description that
    names one system (``火星坐标``, ``GCJ-02``, ``BD-09``...). Noted when found."""
    ov: dict[str, str] = {}
    texts: list[str] = []
    for elem in root.iter():
        tag = _local(elem.tag)
        if tag == "OvCoordType":
            raw = _text(elem)
            ov.setdefault(crs_alias(raw) or "", raw)
        elif tag in ("name", "description", "Snippet"):
            texts.append(_text(elem))
    if "" in ov:
        notes.append(f"<OvCoordType>{ov.pop('')[:30]}</OvCoordType> is not a known system")
    systems = {s for s in ov if s in SOURCE_SYSTEMS}
    if len({"wgs84" if s == "cgcs2000" else s for s in systems}) > 1:
        raise InvalidFile(
            "the placemarks name different coordinate systems in <OvCoordType> ("
            + ", ".join(sorted(ov.values()))
            + "); export the track in one system",
            source=source,
        )
    if systems:
        ov_crs = sorted(systems)[0]
        notes.append(
            f"coordinates read as {ov_crs}, as the file's <OvCoordType> (奥维互动地图) says"
        )
        return ov_crs
    named = crs_in_text("\n".join(texts))
    if named is not None:
        notes.append(f"coordinates read as {named}, as the file's names or descriptions say")
    return named


def looks_like_kml(head: Head) -> bool:
    """An XML document with a ``<kml`` element near its start, or a zip archive (KMZ).

    Examples
    --------
    >>> looks_like_kml(Head.of(b'<kml xmlns="http://www.opengis.net/kml/2.2"/>'))
    True
    """
    if head.raw.startswith(b"PK"):
        return True
    return head.text.startswith("<") and "<kml" in head.lower


def read_kml(
    data: bytes, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read the tracks of a KML file or a KMZ archive.

    Each ``LineString`` and each ``gx:Track`` (also inside ``gx:MultiTrack`` or
    ``MultiGeometry``) becomes its own ``part``; ``LineString`` positions have no times.
    ``Point`` placemarks take the time of their ``<TimeStamp><when>``; they form the track
    only when the file has no lines or tracks (beside a track they are labels such as a start,
    end or home point, and are left out with a note). Namespaces (KML 2.1, 2.2, 2.3, ``gx``)
    are matched on local names.

    Parameters
    ----------
    data
        The file's bytes: KML text (a UTF-8 BOM is allowed) or a KMZ zip archive.
    source
        The file name, used in error messages.
    tz
        Township time zone: times without an offset are read in it.
    limits
        A KMZ is unpacked within them and reading stops at ``limits.max_fixes``
        (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        Fixes in file order with altitudes in ``alt_m``; ``format`` is ``"kml"`` or ``"kmz"``;
        ``declared_crs`` is the coordinate system the file names (Ovital's ``<OvCoordType>``,
        or a name or description such as "轨迹（火星坐标）"), else None.

    Raises
    ------
    InvalidFile
        For a KMZ that cannot be unpacked or holds no .kml, XML that is not well formed (with
        line and column), a root other than ``kml``, a coordinate that is not numbers or not a
        position on Earth (with its point number), or a file without track points.
    """
    fmt = "kml"
    notes: list[str] = []
    if data.startswith(_ZIP_MAGIC):
        fmt = "kmz"
        data, notes = _unzip(data, source, limits)
        if not data.strip(b"\xef\xbb\xbf \t\r\n"):
            raise InvalidFile("the KML inside the KMZ archive is empty", source=source)
    root = _parse(data, source)
    doc = _Document(source=source, limits=limits, notes=notes)
    for container in root.iter():
        tag = _local(container.tag)
        if tag in ("Document", "Folder") and not doc.name:
            doc.name = next(
                (_text(c) for c in container if _local(c.tag) == "name" and _text(c)), ""
            )
        if tag == "Placemark":
            doc.placemark(container)
    found = doc.chosen(fmt)
    try:
        parsed_times, naive = parse_times(found.times, tz=tz, source=source)
    except InvalidFile as exc:
        m = _PLACE.match(exc.place or "")
        place = f"point {found.number[int(m.group(1)) - 1]}" if m else exc.place
        raise InvalidFile(exc.detail, source=source, place=place) from None
    if found is doc.tracks and doc.untimed_lines:
        notes.append(f"{doc.untimed_lines} LineString position(s) carry no times (KML gives none)")
    # Parts numbered 0, 1, ... in file order; a point-only file is one part.
    dense: dict[int, int] = {}
    parts = [dense.setdefault(p, len(dense)) for p in found.parts] if found is doc.tracks else None
    fixes = make_fixes(found.lons, found.lats, parsed_times, part=parts, alt_m=found.alts)
    named = _named_crs(root, notes, source)
    return ParsedTrack(
        format=fmt,
        fixes=fixes,
        naive_times=naive,
        name=doc.name,
        notes=tuple(notes),
        declared_crs=named,
    )


def _parse(data: bytes, source: str) -> ET.Element:
    """The document's root element, which must be ``<kml>``."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        raise InvalidFile(
            f"not well-formed XML ({exc.msg.split(':')[0]})",
            source=source,
            place=f"line {line}, column {col}",
        ) from None
    except (LookupError, ValueError) as exc:
        # An unknown or unsupported encoding in the <?xml ... encoding="..."?> declaration.
        raise InvalidFile(f"the XML encoding cannot be read ({exc})", source=source) from None
    if _local(root.tag) != "kml":
        raise InvalidFile(
            f"root element is <{_local(root.tag)}>, not <kml>: this is not a KML file",
            source=source,
        )
    return root


@dataclass
class _Document:
    """What the placemarks of a document hold, read in document order."""

    source: str
    limits: ReadLimits
    notes: list[str]
    tracks: _Found = field(default_factory=_Found)
    points: _Found = field(default_factory=_Found)
    counter: int = 0
    """Every position read, in document order: the "point N" of messages."""
    part: int = -1
    polygons: int = 0
    empty_coords: int = 0
    untimed_lines: int = 0
    name: str = ""
    track_names: list[str] = field(default_factory=list)

    def next_position(self, values: list[str], raw: str) -> tuple[float, float, float]:
        """The next position of the document, counted against the fix limit."""
        self.counter += 1
        self.limits.check_fixes(self.counter, source=self.source)
        return _position(values, raw, source=self.source, n=self.counter)

    def placemark(self, placemark: ET.Element) -> None:
        """Every LineString, Point and gx:Track of one placemark (polygons counted)."""
        pm_name = next((_text(c) for c in placemark if _local(c.tag) == "name"), "")
        pm_when: str | None = None
        for child in placemark:
            if _local(child.tag) == "TimeStamp":
                pm_when = next((_text(w) for w in child if _local(w.tag) == "when"), None) or None
        for geom in placemark.iter():
            kind = _local(geom.tag)
            if kind == "Polygon":
                self.polygons += 1
            elif kind == "LineString":
                self.part += 1
                self.track_names.append(pm_name)
                self.coordinates(geom, lambda pos, n: self.line_position(pos, n))
            elif kind == "Point":
                self.coordinates(geom, lambda pos, n: self.points.add(pos, pm_when, 0, n))
            elif kind == "Track":
                self.part += 1
                self.track_names.append(pm_name)
                self.track(geom)

    def line_position(self, pos: tuple[float, float, float], n: int) -> None:
        # LineString positions carry no times in KML.
        self.tracks.add(pos, None, self.part, n)
        self.untimed_lines += 1

    def coordinates(
        self, geom: ET.Element, add: Callable[[tuple[float, float, float], int], None]
    ) -> None:
        """The ``lon,lat[,alt]`` tuples of a geometry's ``<coordinates>``."""
        for c in geom:
            if _local(c.tag) != "coordinates":
                continue
            for raw in _tuples(_text(c)):
                add(self.next_position(raw.split(","), raw), self.counter)

    def track(self, geom: ET.Element) -> None:
        """A gx:Track: ``<when>`` times paired with ``<gx:coord>`` positions when they match."""
        whens = [_text(c) or None for c in geom if _local(c.tag) == "when"]
        coords = [c for c in geom if _local(c.tag) == "coord"]
        paired = len(whens) == len(coords)
        if not paired and coords:
            self.notes.append(
                f"a gx:Track has {len(coords)} positions but {len(whens)} <when> times; "
                "its positions are kept without times"
            )
        in_part = 0
        for k, c in enumerate(coords):
            raw = _text(c)
            if not raw:
                # OpenTracks writes an empty <gx:coord/> where recording paused.
                self.empty_coords += 1
                if in_part:
                    self.part += 1
                    in_part = 0
                continue
            pos = self.next_position(raw.replace(",", " ").split(), raw)
            self.tracks.add(pos, whens[k] if paired else None, self.part, self.counter)
            in_part += 1

    def chosen(self, fmt: str) -> _Found:
        """The track's positions (lines and tracks, else the points), noting what was left."""
        if self.empty_coords:
            self.notes.append(
                f"{self.empty_coords} empty <gx:coord> (pause markers) skipped; a track is split "
                "into parts where one falls between positions"
            )
        found = self.points
        if self.tracks.lons:
            found = self.tracks
            if self.points.lons:
                self.notes.append(
                    f"{len(self.points.lons)} point placemark(s) beside the track (labels such "
                    "as a start, end or home point) were not mixed into it"
                )
            self.name = self.name or next((n for n in self.track_names if n), "")
        if not found.lons:
            extra = f" (it holds {self.polygons} polygon(s): areas, not a track)"
            raise InvalidFile(
                f"the {fmt.upper()} file has no track points{extra if self.polygons else ''}",
                source=self.source,
            )
        return found
