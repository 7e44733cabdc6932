"""From a track file's bytes to a cleaned upload ready to store (no I/O besides parsing).

This is the one path every upload takes: ``geo tracks import``, ``geo drone import``,
``POST /api/v1/tracks`` and the demo's simulated phones. Steps: detect the format from the
content (gzip accepted), read it, convert the declared coordinate system to WGS-84, check the
positions are plausible for the township, clean, and build the :class:`NewUpload`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import from_shapely
from pyproj import CRS

from geo.errors import InvalidFile, InvalidInput
from geo.ingest.chinacrs import canonical_crs, to_wgs84
from geo.ingest.cleaning import CleanedTrack, Drop, check_fix_times, clean_fixes
from geo.ingest.plausibility import check_plausible, township_bbox
from geo.layers import WGS84, TownshipLayers
from geo.store.base import NewUpload
from geo.tracks.decode import Head, decode_text, empty_file, refuse_empty
from geo.tracks.fixes import ParsedTrack
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.log_dates import date_log, require_times
from geo.tracks.registry import BY_NAME, FORMATS, NO_OPTIONS, ReadOptions, accepted

#: EPSG:4326 parsed once (segment lines are built for every upload).
_WGS84_CRS = CRS.from_user_input(WGS84)


def normalise_crs(crs: str) -> str:
    """``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``, ``bd09mc`` or ``EPSG:n`` for any name in
    :data:`geo.ingest.chinacrs.CRS_ALIASES` (``WGS 84``, ``火星坐标``, ``bd09ll``,
    ``EPSG:4490``...); anything else is refused with what is accepted."""
    return canonical_crs(crs)


def _same_system(a: str, b: str) -> bool:
    """CGCS2000 and WGS-84 are one system here (they differ by well under a metre)."""
    flat = {"cgcs2000": "wgs84"}
    return flat.get(a, a) == flat.get(b, b)


def decide_crs(requested: str | None, parsed: ParsedTrack, *, filename: str) -> str:
    """The coordinate system an upload's positions are in: the one place this is decided.

    The upload may declare one (``requested``), and the file may name one itself
    (:attr:`ParsedTrack.declared_crs`: a GeoJSON ``crs`` member, a CSV header such as
    ``经度(GCJ-02)``, an Ovital ``<OvCoordType>``, a GPX/KML title or description naming
    GCJ-02...). The file's own system is used when the upload declares nothing; both must
    agree when both are given (CGCS2000 and WGS-84 agree); nothing named means WGS-84.

    Raises
    ------
    InvalidInput
        The upload declares one system and the file names another (both are named).
    """
    wanted = normalise_crs(requested) if requested else None
    if not parsed.declared_crs:
        return wanted or "wgs84"
    named = normalise_crs(parsed.declared_crs)
    if wanted is None or _same_system(wanted, named):
        return wanted or named
    raise InvalidInput(
        f"the file says its coordinates are {named} but the upload says crs={requested}; "
        f"send it again with crs={named}, or without crs to use the file's own",
        source=filename,
    )


def unpack(data: bytes, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """Gunzip a gzip-compressed upload (checked by its magic number, not its name), in chunks
    and within ``limits`` (size and ratio: :meth:`ReadLimits.unpack`)."""
    if data[:2] != b"\x1f\x8b":
        return data
    raw = io.BytesIO(data)
    try:
        with gzip.GzipFile(fileobj=raw) as stream:
            return limits.unpack(stream, consumed=raw.tell, what="the gzip data", source=filename)
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidFile(f"gzip data cannot be unpacked ({exc})", source=filename) from None


def detect_format(data: bytes, filename: str) -> str:
    """Name the format of an (unpacked) track file from its content: the first row of
    :data:`geo.tracks.registry.FORMATS` whose sniffer recognises the file's start.

    Raises
    ------
    InvalidFile
        An empty file, XML that is neither GPX nor KML, or a format no reader recognises
        (naming those accepted).

    Examples
    --------
    >>> detect_format(b'<?xml version="1.0"?><gpx version="1.1"></gpx>', "a.txt")
    'gpx'
    """
    refuse_empty(data, source=filename)
    head = Head.of(data)
    for row in FORMATS:
        if row.sniffer()(head):
            return row.name
    if head.text.startswith("<"):
        raise InvalidFile(
            f"an XML document that is neither GPX nor KML; send {accepted()}", source=filename
        )
    raise InvalidFile(f"format not recognised: send {accepted()}", source=filename)


def read_format(
    fmt: str,
    data: bytes,
    *,
    source: str,
    tz: ZoneInfo,
    limits: ReadLimits = DEFAULT_LIMITS,
    options: ReadOptions = NO_OPTIONS,
) -> ParsedTrack:
    """Read an (unpacked) file of a known format with its reader from the registry.

    The one place a file is refused as empty and the one place text is decoded
    (:func:`geo.tracks.decode.decode_text`) before a text reader runs; a guessed encoding is
    the first of the notes. Every reader counts fixes while it reads; the count is checked
    again here for any reader that reads at once.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> t = read_format("csv", "lon,lat\\n109.9,28.1\\n".encode("utf-16-le"), source="t.csv",
    ...                 tz=ZoneInfo("Asia/Shanghai"))
    >>> t.fixes[["lon", "lat"]].iloc[0].tolist(), t.notes[0]
    ([109.9, 28.1], 'decoded as UTF-16-LE (no byte-order mark)')
    """
    row = BY_NAME[fmt]
    refuse_empty(data, source=source)
    content: str | bytes = data
    note: str | None = None
    if row.takes == "text":
        decoded = decode_text(data, source=source, lenient=row.lenient)
        if not decoded.text or decoded.text.isspace():
            raise empty_file(source)
        content, note = decoded.text, decoded.note
    parsed = row.reader()(content, source=source, tz=tz, limits=limits, **row.keywords(options))
    limits.check_fixes(len(parsed.fixes), source=source)
    if note:
        parsed = replace(parsed, notes=(note, *parsed.notes))
    return parsed


def read_track(
    data: bytes,
    *,
    filename: str,
    tz: ZoneInfo,
    epsg: int | None = None,
    bd09mc: bool = False,
    start: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ParsedTrack:
    """Detect the format and read the file (after gunzip); ``epsg``/``bd09mc``: a CSV's x/y
    columns are metres in that system. A log with elapsed times but no date is dated from the
    user's ``start`` or its DJI file name (:mod:`geo.tracks.log_dates`). Read within
    ``limits``: unpacked size and ratio, fixes counted while reading, CSV columns
    (:mod:`geo.tracks.limits`)."""
    data = unpack(data, filename, limits)
    fmt = detect_format(data, filename)
    options = ReadOptions(epsg=epsg, bd09mc=bd09mc)
    parsed = read_format(fmt, data, source=filename, tz=tz, limits=limits, options=options)
    return date_log(parsed, filename=filename, tz=tz, start=start)


@dataclass(frozen=True)
class PreparedUpload:
    """A parsed and cleaned upload, with what the uploader should be told."""

    upload: NewUpload
    parsed: ParsedTrack
    cleaned: CleanedTrack
    tz: str
    warnings: tuple[dict[str, str], ...] = ()
    """What may be wrong but was not refused (``code``, ``zh``, ``en``), e.g. a track that
    looks like undeclared GCJ-02 (:func:`geo.ingest.plausibility.check_plausible`)."""

    def report(self) -> dict[str, object]:
        """The cleaning report returned to the uploader: format, counts by step, first and
        last time (in the township's time zone, with offset), bounding box, source CRS."""
        fixes = self.upload.fixes
        # First and last of the fixes dated within the accepted times (year 9999 in the
        # township's zone is past the calendar).
        times = fixes["time"][self.cleaned.drop != Drop.OUT_OF_TIME].dropna()
        kept = self.cleaned.segment >= 0
        tz = ZoneInfo(self.tz)
        return {
            "format": self.parsed.format,
            "source_crs": self.upload.source_crs,
            **self.cleaned.report.to_dict(),
            "dropped": {
                d.name.lower(): int((self.cleaned.drop == d).sum()) for d in Drop if d != Drop.KEPT
            },
            "naive_times_read_as_local": self.parsed.naive_times,
            "time_zone": self.tz,
            "first_time": times.min().tz_convert(tz).isoformat() if len(times) else None,
            "last_time": times.max().tz_convert(tz).isoformat() if len(times) else None,
            "bbox": (
                [
                    round(float(fixes["lon"][kept].min()), 7),
                    round(float(fixes["lat"][kept].min()), 7),
                    round(float(fixes["lon"][kept].max()), 7),
                    round(float(fixes["lat"][kept].max()), 7),
                ]
                if kept.any()
                else None
            ),
            "notes": list(self.parsed.notes),
            "warnings": [dict(w) for w in self.warnings],
        }


def prepare_upload(
    data: bytes,
    *,
    filename: str,
    layers: TownshipLayers,
    squad: str,
    device: str = "",
    crs: str | None = None,
    uploaded_at: datetime | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    start: str | None = None,
) -> PreparedUpload:
    """Parse, convert, check and clean one track file for a squad of a township.

    Parameters
    ----------
    data
        The file's bytes (gzip accepted).
    filename
        Its name, for messages and the record.
    layers
        The township (time zone, rules, outline and roads for plausibility).
    squad
        One of ``layers.squads()``.
    device
        The phone or recorder, free text.
    crs
        The coordinate system of the file: ``wgs84``, ``cgcs2000`` (treated as equal),
        ``gcj02``, ``bd09``, ``bd09mc`` (Baidu Mercator metres), any of their aliases, or
        ``EPSG:<code>`` for projected metres. None (the default): the system the file names
        itself, else WGS-84 (:func:`decide_crs`).
    limits
        What the file may unpack to and hold (:class:`PayloadTooLarge` above): fixes counted
        while reading, unpacked size and ratio, CSV columns.
    start
        When a log without dates started (``--start``), see :func:`geo.tracks.log_dates.date_log`.

    Raises
    ------
    InvalidInput
        Unknown squad or coordinate system.
    InvalidFile
        The file cannot be read, or its positions cannot belong to the township as declared.
    """
    check_squad(layers, squad)
    requested = normalise_crs(crs) if crs else None
    epsg = int(requested.split(":")[1]) if requested and requested.startswith("EPSG:") else None
    parsed = read_track(
        data,
        filename=filename,
        tz=layers.info.tz,
        epsg=epsg,
        bd09mc=requested == "bd09mc",
        start=start,
        limits=limits,
    )
    require_times(parsed, filename)
    source_crs = decide_crs(crs, parsed, filename=filename)
    return prepare_parsed(
        parsed,
        sha256=hashlib.sha256(data).hexdigest(),
        filename=filename,
        layers=layers,
        squad=squad,
        device=device,
        source_crs=source_crs,
        uploaded_at=uploaded_at,
    )


def check_squad(layers: TownshipLayers, squad: str) -> None:
    """Refuse a squad the township does not have, naming those it has."""
    squads = layers.squads()
    if squad not in squads:
        raise InvalidInput(f"unknown squad {squad!r}; this township's squads: {', '.join(squads)}")


def prepare_parsed(
    parsed: ParsedTrack,
    *,
    sha256: str,
    filename: str,
    layers: TownshipLayers,
    squad: str,
    device: str,
    source_crs: str,
    uploaded_at: datetime | None = None,
    continues_open_track: bool = False,
) -> PreparedUpload:
    """Convert, check and clean fixes already read (from a file or a live batch).

    ``continues_open_track`` is for live batches: a batch of a few fixes continues the
    device's track, so cleaning keeps short segments (coverage joins a device's segments
    across uploads, :func:`geo.coverage.evaluate.link_segments`).
    """
    raw_lon = parsed.fixes["lon"].to_numpy(dtype=np.float64)
    raw_lat = parsed.fixes["lat"].to_numpy(dtype=np.float64)
    lon, lat = to_wgs84(raw_lon, raw_lat, source_crs)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InvalidFile(
            f"x={raw_lon[first]} y={raw_lat[first]} is not a position in {source_crs}",
            source=filename,
            place=f"point {first + 1}",
        )
    warnings = check_plausible(
        raw_lon, raw_lat, lon, lat, source_crs=source_crs, layers=layers, source=filename
    )
    fixes = parsed.fixes.assign(lon=lon, lat=lat)
    rules = layers.info.rules
    if continues_open_track:
        rules = replace(rules, min_segment_fixes=1, min_segment_seconds=0.0)
    uploaded_at = uploaded_at or datetime.now(UTC)
    cleaned = clean_fixes(
        fixes,
        rules=rules,
        metric_crs=layers.info.metric_crs,
        bbox=township_bbox(layers),
        now=uploaded_at,
    )
    check_fix_times(fixes, cleaned, now=uploaded_at, source=filename)
    fixes = fixes.assign(segment=cleaned.segment, drop=cleaned.drop)
    upload = NewUpload(
        township=layers.info.code,
        squad=squad,
        device=device,
        filename=filename,
        source_format=parsed.format,
        source_crs=source_crs,
        sha256=sha256,
        uploaded_at=uploaded_at,
        fixes=fixes,
        segments=segment_lines(fixes),
    )
    prepared = PreparedUpload(
        upload=upload,
        parsed=parsed,
        cleaned=cleaned,
        tz=layers.info.timezone,
        warnings=tuple(warnings),
    )
    return replace(prepared, upload=replace(upload, report=prepared.report()))


def segment_lines(fixes: pd.DataFrame) -> gpd.GeoDataFrame:
    """One WGS-84 LineString per cleaned segment with its first and last time and fix count.

    Built with numpy and shapely's array functions (one sort, no groupby): every upload goes
    through here, so its cost is a fixed cost of each upload (docs/performance.md).
    Kept fixes always have a time (cleaning drops those without).
    """
    segment = fixes["segment"].to_numpy()
    kept = np.flatnonzero(segment >= 0)
    times = fixes["time"].array
    if not len(kept):
        return gpd.GeoDataFrame(
            {"segment": [], "started_at": [], "ended_at": [], "fixes": []},
            geometry=gpd.GeoSeries([], crs=WGS84),
            crs=WGS84,
        )
    seg = segment[kept]
    stamp = times.asi8[kept]
    rows = kept[np.lexsort((stamp, seg))]  # by segment, then time; stable
    seg = segment[rows]
    first = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    sizes = np.diff(np.r_[first, len(rows)])
    # A segment of one fix (a live batch may be one position) is a line of zero length.
    repeat = np.where(np.repeat(sizes, sizes) == 1, 2, 1)
    xy = np.column_stack(
        [
            fixes["lon"].to_numpy(dtype=np.float64)[rows],
            fixes["lat"].to_numpy(dtype=np.float64)[rows],
        ]
    )
    lines = shapely.linestrings(
        np.repeat(xy, repeat, axis=0),
        indices=np.repeat(np.repeat(np.arange(len(first)), sizes), repeat),
    )
    frame = pd.DataFrame(
        {
            "segment": seg[first],
            "started_at": times.take(rows[first]),
            "ended_at": times.take(rows[first + sizes - 1]),
            "fixes": sizes.astype(np.int64),
            "geometry": from_shapely(lines, crs=_WGS84_CRS),
        }
    )
    # A GeoDataFrame from a finished frame: about a fifth of the cost of building one from
    # columns and a GeoSeries (which parses and compares the CRS several times).
    return gpd.GeoDataFrame(frame, geometry="geometry", copy=False)
