"""AirData.com CSV exports of DJI flight logs.

The header starts ``time(millisecond),datetime(utc),latitude,longitude,
height_above_takeoff(feet|meters),...``; some names carry a leading space (`` xSpeed(mph)``).
``altitude_above_seaLevel(feet|meters)`` is above sea level: used only when there is no height
above take-off, and marked as such (``ParsedTrack.alt_source``).
Imperial exports give heights in feet and speeds in mph. ``datetime(utc)`` has whole seconds
only while rows are 100 ms apart, so each row's time is the first row's datetime plus the
elapsed ``time(millisecond)``.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InvalidFile
from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.log_tables import column_numbers, keyed_columns, read_log_table
from geo.tracks.units import FEET

_REQUIRED = ("time", "datetime", "latitude", "longitude")
_METRES = {"meters": 1.0, "metres": 1.0, "m": 1.0, "feet": FEET, "ft": FEET}


def _key(name: str) -> tuple[str, str]:
    """``" height_above_takeoff(feet)"`` → ``("height_above_takeoff", "feet")``."""
    m = re.fullmatch(r"\s*([^(]*?)\s*(?:\(([^)]*)\))?\s*", name)
    if not m:
        return name.strip().lower(), ""
    return m.group(1).lower(), (m.group(2) or "").strip().lower()


def looks_like_airdata(head: Head) -> bool:
    """Is this the start of an AirData CSV export? (Format detection, first line only.)

    Examples
    --------
    >>> looks_like_airdata(Head.of(b"time(millisecond),datetime(utc),latitude,longitude,x\\n0,"))
    True
    >>> looks_like_airdata(Head.of(b"lon,lat,time\\n"))
    False
    """
    first = head.text.split("\n", 1)[0]
    keys = {_key(n) for n in first.split(",")}
    return {("time", "millisecond"), ("datetime", "utc"), ("latitude", ""), ("longitude", "")} <= (
        keys
    )


def read_airdata(
    text: str, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read an AirData.com flight CSV.

    Parameters
    ----------
    text
        The file's text (decoded by :func:`geo.tracks.decode.decode_text`).
    source
        The file name, used in error messages.
    tz
        Township time zone (unused: AirData times are UTC; kept for the common reader API).
    limits
        At most ``limits.max_columns`` columns and ``limits.max_fixes`` rows
        (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        ``format="airdata-csv"``; fixes in file order with UTC times at the rows' 100 ms
        spacing and ``alt_m`` in metres (feet converted): the height above take-off, or the
        altitude above sea level when the export has no height (``alt_source`` says which).
        Rows at 0°, 0° (no GPS fix yet) are skipped and noted.

    Raises
    ------
    InvalidFile
        A header without the AirData columns, a cell that is not a number or a
        position off the Earth (naming the line and column), or no row with a position.
    """
    del tz  # AirData writes UTC.
    limits.check_columns(text[: text.find("\n")].count(",") + 1, source=source)
    frame = read_log_table(text, source=source, limits=limits, skip_blank_lines=False)
    columns = keyed_columns(frame, _key)
    missing = [k for k in _REQUIRED if k not in columns]
    if missing:
        raise InvalidFile(
            f"not an AirData CSV export: no {', '.join(missing)} column",
            source=source,
            place="line 1",
        )
    if frame.empty:
        raise InvalidFile("the AirData CSV has a header but no rows", source=source)
    notes: list[str] = []
    lat = column_numbers(frame, columns["latitude"][0], "a latitude", source)
    lon = column_numbers(frame, columns["longitude"][0], "a longitude", source)
    elapsed = column_numbers(frame, columns["time"][0], "a number of milliseconds", source)
    for name, vals, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        wrong = ~(np.abs(vals) <= limit)
        if wrong.any():
            row = int(np.argmax(wrong))
            raise InvalidFile(
                f"{vals[row]!r} is not a {name}",
                source=source,
                place=f"line {int(frame.index[row]) + 2}, column {columns[name][0].strip()!r}",
            )
    stamps = frame[columns["datetime"][0]]
    anchor = np.flatnonzero(stamps.notna().to_numpy(dtype=bool) & np.isfinite(elapsed))
    if len(anchor):
        row = int(anchor[0])
        try:
            start = pd.Timestamp(str(stamps.iloc[row]).strip())
        except ValueError:
            raise InvalidFile(
                f"{str(stamps.iloc[row]).strip()!r} is not a date and time",
                source=source,
                place=f"line {int(frame.index[row]) + 2}, column {columns['datetime'][0]!r}",
            ) from None
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        offsets = pd.to_timedelta(elapsed - elapsed[row], unit="ms")
        times = pd.Series(start + offsets).astype("datetime64[ms, UTC]")
    else:
        times = pd.Series(pd.NaT, index=range(len(frame)), dtype="datetime64[ms, UTC]")
        notes.append("no row has both datetime(utc) and time(millisecond): fixes have no times")
    alt, alt_source, alt_notes = _altitude(frame, columns, source)
    notes.extend(alt_notes)
    no_fix = (lat == 0) & (lon == 0) | np.isnan(lat) | np.isnan(lon)
    if no_fix.all():
        raise InvalidFile("no GPS positions: every row is at 0°, 0° or empty", source=source)
    if no_fix.any():
        notes.append(f"{int(no_fix.sum())} rows at 0°, 0° or without position (no GPS) skipped")
    keep = np.flatnonzero(~no_fix)
    fixes = make_fixes(
        lon[keep],
        lat[keep],
        times.iloc[keep].reset_index(drop=True),
        alt_m=None if alt is None else alt[keep],
    )
    return ParsedTrack(format="airdata-csv", fixes=fixes, notes=tuple(notes), alt_source=alt_source)


#: AirData's altitude columns, best first: (column, what it measures).
_ALTITUDES = (
    ("height_above_takeoff", "takeoff_rel"),
    ("altitude_above_sealevel", "asl"),
)


def _altitude(
    frame: pd.DataFrame, columns: dict[str, tuple[str, str]], source: str
) -> tuple[NDArray[np.float64] | None, str, list[str]]:
    """Heights in metres from the best altitude column there is: (values, meaning, notes).

    ``height_above_takeoff`` is the height above the take-off point; without it,
    ``altitude_above_seaLevel`` is an altitude above sea level (never a height). Metric
    exports write ``(meters)``, imperial ones ``(feet)``.
    """
    for key, meaning in _ALTITUDES:
        if key not in columns:
            continue
        col, unit = columns[key]
        factor = _METRES.get(unit)
        what = "height above take-off" if meaning == "takeoff_rel" else "altitude above sea level"
        notes = [f"alt_m: {what} from {col.strip()}"]
        if factor is None:
            notes.append(f"{what} in unknown unit {unit!r}: read as metres")
        elif factor == FEET:
            notes.append(
                f"imperial AirData export: {what} converted from feet to metres (speeds are in mph)"
            )
        values = column_numbers(frame, col, "a height", source) * (factor or 1.0)
        return values, meaning, notes
    return None, "", ["no height_above_takeoff or altitude_above_seaLevel column: no altitude"]
