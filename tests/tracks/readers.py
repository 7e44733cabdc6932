"""Each registered reader as a function of a file's bytes, the way ingest calls it.

Readers take text (decoded once by ingest) or bytes, as their row in
:mod:`geo.tracks.registry` says; the tests give them a file's bytes, so they reach each reader
through :func:`geo.ingest.pipeline.read_format` (empty-file refusal, decoding, encoding note,
fix count), without format detection.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from geo.ingest.pipeline import read_format
from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.registry import BY_NAME, ReadFunction, ReadOptions


def reading(fmt: str) -> ReadFunction:
    """``read(data, *, source, tz, limits=..., **options)`` for the format named ``fmt``."""
    assert fmt in BY_NAME, fmt

    def read(
        data: bytes,
        *,
        source: str,
        tz: ZoneInfo,
        limits: ReadLimits = DEFAULT_LIMITS,
        **options: Any,
    ) -> ParsedTrack:
        return read_format(
            fmt, data, source=source, tz=tz, limits=limits, options=ReadOptions(**options)
        )

    read.__name__ = f"read_{fmt}"
    return read


def sniffing(fmt: str) -> Any:
    """``looks_like(data)`` for the format named ``fmt``, from the start of a file's bytes."""
    sniff = BY_NAME[fmt].sniffer()
    return lambda data: sniff(Head.of(data))


read_gpx = reading("gpx")
read_kml = reading("kml")
read_geojson = reading("geojson")
read_csv_track = reading("csv")
read_plt = reading("plt")
read_nmea = reading("nmea")
read_srt = reading("dji-srt")
read_airdata = reading("airdata-csv")
read_dji_csv = reading("dji-csv")
looks_like_srt = sniffing("dji-srt")
looks_like_airdata = sniffing("airdata-csv")
looks_like_dji_csv = sniffing("dji-csv")
