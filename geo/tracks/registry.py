"""Every track format in one table: how it is recognised and how it is read.

One row per format (as pygeoapi registers its providers): its name, what an uploader calls it,
the function that recognises it from the start of a file (:class:`~geo.tracks.decode.Head`), the
function that reads it, and whether that reader takes the file's bytes (XML parsers that read
the encoding from the document, a KMZ archive) or its text (decoded once by ingest with
:func:`geo.tracks.decode.decode_text`). Format detection and reading both go through this
table (:func:`geo.ingest.pipeline.detect_format`, :func:`geo.ingest.pipeline.read_format`);
adding a format is one reader module and one row here.

Readers are imported when first used (the GPX scanner compiles with numba), by their
``"module:function"`` path.

Every reader has the signature ``read(content, *, source, tz, limits, **options)`` and returns
a :class:`~geo.tracks.fixes.ParsedTrack`; ``options`` are those its row names
(:class:`ReadOptions`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack

#: ``(content, *, source, tz, limits, **options) -> ParsedTrack``
ReadFunction = Callable[..., ParsedTrack]
SniffFunction = Callable[[Head], bool]


@dataclass(frozen=True)
class ReadOptions:
    """What the uploader says about a file beyond its bytes (only some readers use it)."""

    epsg: int | None = None
    """A CSV's x/y columns are metres in this EPSG system."""
    bd09mc: bool = False
    """A CSV's x/y columns are Baidu Mercator metres."""


@dataclass(frozen=True)
class TrackFormat:
    """One row of the table."""

    name: str
    """The format's name (:attr:`ParsedTrack.format` may refine it: ``kmz``, ``mf-json``)."""
    label: str
    """What the uploader calls it, in messages."""
    sniff: str
    """``"module:function"``: ``(head: Head) -> bool``, True when the file is this format."""
    read: str
    """``"module:function"``: the reader."""
    takes: Literal["text", "bytes"] = "text"
    """``text``: ingest decodes the file first; ``bytes``: the reader decodes it itself."""
    lenient: bool = False
    """Text formats whose lines carry their own check: undecodable bytes are replaced, not
    refused (:func:`geo.tracks.decode.decode_text`)."""
    options: tuple[str, ...] = ()
    """The :class:`ReadOptions` fields the reader takes as keyword arguments."""

    def sniffer(self) -> SniffFunction:
        """The function that recognises the format."""
        check: SniffFunction = _load(self.sniff)
        return check

    def reader(self) -> ReadFunction:
        """The function that reads the format."""
        read: ReadFunction = _load(self.read)
        return read

    def keywords(self, options: ReadOptions) -> dict[str, Any]:
        """The options this reader takes, as keyword arguments."""
        return {name: getattr(options, name) for name in self.options}


#: No options given.
NO_OPTIONS = ReadOptions()


def _load(path: str) -> Any:
    module, function = path.split(":")
    return getattr(importlib.import_module(module), function)


#: Every format, in the order detection tries them (the first that recognises a file wins;
#: CSV, the least specific, comes last).
FORMATS: tuple[TrackFormat, ...] = (
    TrackFormat(
        "gpx", "GPX", "geo.tracks.gpx:looks_like_gpx", "geo.tracks.gpx:read_gpx", takes="bytes"
    ),
    TrackFormat(
        "kml", "KML/KMZ", "geo.tracks.kml:looks_like_kml", "geo.tracks.kml:read_kml", takes="bytes"
    ),
    TrackFormat(
        "geojson",
        "GeoJSON",
        "geo.tracks.geojson:looks_like_json",
        "geo.tracks.geojson:read_geojson",
    ),
    TrackFormat("plt", "GeoLife PLT", "geo.tracks.plt:looks_like_plt", "geo.tracks.plt:read_plt"),
    TrackFormat(
        "nmea", "NMEA", "geo.tracks.nmea:looks_like_nmea", "geo.tracks.nmea:read_nmea", lenient=True
    ),
    TrackFormat("dji-srt", "DJI SRT", "geo.tracks.srt:looks_like_srt", "geo.tracks.srt:read_srt"),
    TrackFormat(
        "airdata-csv",
        "AirData CSV",
        "geo.tracks.airdata:looks_like_airdata",
        "geo.tracks.airdata:read_airdata",
    ),
    TrackFormat(
        "dji-csv",
        "a DJI flight record CSV (CsvView, DatCon)",
        "geo.tracks.dji_csv:looks_like_dji_csv",
        "geo.tracks.dji_csv:read_dji_csv",
    ),
    TrackFormat(
        "csv",
        "CSV",
        "geo.tracks.csv_tracks:looks_like_csv",
        "geo.tracks.csv_tracks:read_csv_track",
        options=("epsg", "bd09mc"),
    ),
)

#: The rows by name.
BY_NAME: dict[str, TrackFormat] = {row.name: row for row in FORMATS}


def accepted() -> str:
    """The formats an uploader may send, for messages.

    Examples
    --------
    >>> accepted()  # doctest: +ELLIPSIS
    'GPX, KML/KMZ, GeoJSON, GeoLife PLT, NMEA, DJI SRT, AirData CSV, ... or CSV'
    """
    labels = [row.label for row in FORMATS]
    return ", ".join(labels[:-1]) + " or " + labels[-1]
