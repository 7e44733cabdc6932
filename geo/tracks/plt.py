"""GeoLife PLT reader: ``lat,lon,0,alt_feet,days,date,time`` rows after a 6-line header."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.errors import InvalidFile
from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits

_HEADER_LINES = 6
_FIELDS = 7
_NO_ALTITUDE = -777.0
"""GeoLife's altitude for "not recorded"."""
_FEET = 0.3048
_EXCEL_EPOCH = pd.Timestamp("1899-12-30", tz="UTC")
"""Day 0 of the day-number column (the spreadsheet convention)."""


def _number(text: str, what: str, *, source: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidFile(
            f"{what} {text.strip()!r} is not a number", source=source, place=f"line {line}"
        ) from None
    if not math.isfinite(value):
        raise InvalidFile(
            f"{what} {text.strip()!r} is not a number", source=source, place=f"line {line}"
        )
    return value


def _looks_like_row(line: str) -> bool:
    fields = line.split(",")
    if len(fields) != _FIELDS:
        return False
    try:
        float(fields[0])
        float(fields[1])
    except ValueError:
        return False
    return True


def looks_like_plt(head: Head) -> bool:
    """Text whose first line is GeoLife's ``Geolife trajectory``.

    Examples
    --------
    >>> looks_like_plt(Head.of(b"Geolife trajectory\\r\\nWGS 84\\r\\n"))
    True
    """
    return head.lower.startswith("geolife trajectory")


def read_plt(
    text: str, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read a GeoLife PLT trajectory.

    After six header lines each row is ``lat,lon,0,altitude_feet,days_since_1899-12-30,
    date,time``; times are GMT, altitude -777 means not recorded. A file whose first line is
    already a point (header stripped) is read from its first line, with a note.

    Parameters
    ----------
    text
        The file's text (decoded by :func:`geo.tracks.decode.decode_text`).
    source
        The file name, used in error messages.
    tz
        Township time zone (unused: PLT times are GMT).
    limits
        Reading stops at ``limits.max_fixes`` (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        Fixes in file order, one part; ``alt_m`` in metres above sea level.

    Raises
    ------
    InvalidFile
        For a row without seven fields, a number, date or time that cannot be
        read, a position not on Earth (each with its line), or a file without points.
    """
    del tz  # PLT times are GMT by definition.
    lines = text.splitlines()
    notes: list[str] = []
    start = _HEADER_LINES
    if lines and _looks_like_row(lines[0]):
        start = 0
        notes.append("the file has no 6-line PLT header; every line is read as a point")
    lats: list[float] = []
    lons: list[float] = []
    alts: list[float] = []
    stamps: list[str] = []
    days: list[float] = []
    rows: list[int] = []
    for lineno, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != _FIELDS:
            raise InvalidFile(
                f"the row has {len(fields)} fields; a PLT point has {_FIELDS} "
                "(lat,lon,0,altitude,days,date,time)",
                source=source,
                place=f"line {lineno}",
            )
        lat = _number(fields[0], "latitude", source=source, line=lineno)
        lon = _number(fields[1], "longitude", source=source, line=lineno)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidFile(
                f"lat={lat} lon={lon} is not a position on Earth",
                source=source,
                place=f"line {lineno}",
            )
        alt = _number(fields[3], "altitude", source=source, line=lineno) if fields[3] else math.nan
        lats.append(lat)
        lons.append(lon)
        alts.append(math.nan if alt == _NO_ALTITUDE else alt * _FEET)
        stamps.append(f"{fields[5]} {fields[6]}" if fields[5] and fields[6] else "")
        days.append(
            _number(fields[4], "day number", source=source, line=lineno) if fields[4] else math.nan
        )
        rows.append(lineno)
        limits.check_fixes(len(rows), source=source)
    if not lats:
        raise InvalidFile("the PLT file has no track points", source=source)

    times = pd.Series(
        pd.to_datetime(
            pd.Series(stamps, dtype="string"),
            format="%Y-%m-%d %H:%M:%S",
            utc=True,
            errors="coerce",
        ),
    ).astype("datetime64[ms, UTC]")
    missing = np.asarray(times.isna())
    written = np.asarray([bool(s) for s in stamps])
    bad = np.flatnonzero(missing & written)
    if len(bad):
        i = int(bad[0])
        raise InvalidFile(
            f"date and time {stamps[i]!r} are not yyyy-mm-dd hh:mm:ss",
            source=source,
            place=f"line {rows[i]}",
        )
    from_days = missing & ~np.isnan(np.asarray(days))
    if from_days.any():
        # Rows without date/time text fall back to the day number (days since 1899-12-30).
        ms = np.round(np.asarray(days)[from_days] * 86_400_000).astype("int64")
        times[from_days] = _EXCEL_EPOCH + pd.to_timedelta(ms, unit="ms")
        notes.append(f"{int(from_days.sum())} time(s) taken from the day-number column")
    no_alt = int(np.isnan(np.asarray(alts)).sum())
    if no_alt:
        notes.append(f"{no_alt} point(s) without altitude (-777)")
    fixes = make_fixes(lons, lats, times, alt_m=alts)
    return ParsedTrack(format="plt", fixes=fixes, notes=tuple(notes))
