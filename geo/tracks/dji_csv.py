"""DJI flight records as CSV: CsvView / Flight Reader / TXTlogToCSVtool exports and DatCon's.

Two layouts, both one row per 100 ms or so, named as in CsvView's column descriptions:

* the app's flight record (``DJIFlightRecord_*.txt`` converted by CsvView, Flight Reader or
  TXTlogToCSVtool): ``CUSTOM.date [local]`` (``5/12/2024``), ``CUSTOM.updateTime [local]``
  (``3:30:12.10 PM``; TXTlogToCSVtool writes the whole ``2024/05/12 15:30:12.100`` in
  ``CUSTOM.updateTime``), ``OSD.flyTime [s]``, ``OSD.latitude``, ``OSD.longitude``,
  ``OSD.height [m|ft]`` (height above the take-off point) and ``OSD.altitude [m|ft]`` (above
  sea level). Often behind an Excel ``sep=,`` line; European exports use ``;`` and decimal
  commas. ``[local]`` times are the phone's clock: read as township local time.
* the aircraft's ``.DAT`` through DatCon: ``offsetTime`` (seconds), ``GPS:dateTimeStamp``
  (UTC, whole seconds), ``GPS(0):Lat``/``GPS:Lat``, ``GPS(0):Long``/``GPS:Long``,
  ``General:relativeHeight`` or ``IMU_ATTI(0):relativeHeight`` (above take-off) and
  ``GPS(0):heightMSL`` (above sea level).
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
from geo.tracks.timestamps import parse_times
from geo.tracks.units import FEET

_UNITS = {"m": 1.0, "meters": 1.0, "metres": 1.0, "": 1.0, "ft": FEET, "feet": FEET}
#: Latitude and longitude columns, app layout first, then DatCon's.
_LAT = ("osd.latitude", "gps(0):lat", "gps:lat")
_LON = ("osd.longitude", "gps(0):long", "gps:long")
#: Altitude columns, best first, with what they measure (see ParsedTrack.alt_source).
_ALTS = (
    ("osd.height", "takeoff_rel"),
    ("general:relativeheight", "takeoff_rel"),
    ("imu_atti(0):relativeheight", "takeoff_rel"),
    ("osd.altitude", "asl"),
    ("gps(0):heightmsl", "asl"),
    ("gps:heightmsl", "asl"),
)


def _key(name: str) -> tuple[str, str]:
    """``"OSD.height [ft]"`` → ``("osd.height", "ft")``; DatCon names have no unit."""
    m = re.fullmatch(r"\s*(.*?)\s*(?:\[([^\]]*)\])?\s*", name)
    if not m:
        return name.strip().lower(), ""
    return m.group(1).lower(), (m.group(2) or "").strip().lower()


def _header_line(text: str) -> tuple[str, int]:
    """The header line and how many lines come before it (an Excel ``sep=`` line)."""
    lines = text.lstrip("\ufeff").split("\n", 2)
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines) > 1:
        return lines[1], 1
    return (lines[0] if lines else ""), 0


def looks_like_dji_csv(head: Head) -> bool:
    """Is this the start of a DJI flight record exported as CSV (CsvView, DatCon)?

    Examples
    --------
    >>> looks_like_dji_csv(Head.of(b"sep=,\\nCUSTOM.date [local],OSD.latitude,OSD.longitude\\n"))
    True
    >>> looks_like_dji_csv(Head.of(b"offsetTime,GPS(0):Lat,GPS(0):Long,GPS:dateTimeStamp\\n"))
    True
    >>> looks_like_dji_csv(Head.of(b"time,latitude,longitude\\n"))
    False
    """
    line, _ = _header_line(head.text)
    keys = {_key(n)[0] for n in re.split(r"[,;\t]", line)}
    return any(lat in keys and lon in keys for lat, lon in zip(_LAT, _LON, strict=True))


def read_dji_csv(
    text: str, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read a DJI flight record exported as CSV by CsvView, Flight Reader, TXTlogToCSVtool or
    DatCon.

    Parameters
    ----------
    text
        The file's text (decoded by :func:`geo.tracks.decode.decode_text`).
    source
        The file name, used in error messages.
    tz
        Township time zone: ``[local]`` times (and times without a zone) are read in it.
    limits
        At most ``limits.max_columns`` columns and ``limits.max_fixes`` rows
        (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        ``format="dji-csv"``; fixes in file order; ``alt_m`` in metres (feet converted): the
        height above take-off, or the altitude above sea level when the export has no height
        (``alt_source`` says which). Rows at 0°, 0° or without a position (no GPS yet) are
        skipped. A record with flight times (``OSD.flyTime [s]``) but no date keeps them in
        ``elapsed_s`` for ``--start``.

    Raises
    ------
    InvalidFile
        No latitude/longitude columns, a cell that is not a number, a position
        off the Earth or a time that cannot be read (naming the line and column), or no row
        with a position.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    notes: list[str] = []
    header, skip = _header_line(text)
    sep = max((",", ";", "\t"), key=header.count)
    limits.check_columns(header.count(sep) + 1, source=source)
    frame = read_log_table(text, source=source, limits=limits, sep=sep, skiprows=skip, as_text=True)
    frame.index = frame.index + skip  # line numbers: index + 2 is the file's line
    columns = keyed_columns(frame, _key)
    lat_key = next((k for k in _LAT if k in columns), None)
    lon_key = next((k for k in _LON if k in columns), None)
    if lat_key is None or lon_key is None:
        raise InvalidFile(
            "not a DJI flight record: no OSD.latitude/OSD.longitude (or DatCon GPS:Lat/GPS:Long) "
            "column",
            source=source,
            place=f"line {skip + 1}",
        )
    if frame.empty:
        raise InvalidFile("the flight record has a header but no rows", source=source)
    decimal_comma = sep == ";"
    lat = _column(frame, columns[lat_key][0], "a latitude", source, decimal_comma)
    lon = _column(frame, columns[lon_key][0], "a longitude", source, decimal_comma)
    _check_on_earth(frame, lat, 90, "latitude", columns[lat_key][0], source)
    _check_on_earth(frame, lon, 180, "longitude", columns[lon_key][0], source)
    times, local_clock, elapsed, time_notes = _times(frame, columns, tz, source, decimal_comma)
    notes.extend(time_notes)
    alt, alt_source = _altitude(frame, columns, source, decimal_comma, notes)
    no_fix = (lat == 0) & (lon == 0) | ~np.isfinite(lat) | ~np.isfinite(lon)
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
    kept_elapsed = None if elapsed is None else elapsed[keep]
    return ParsedTrack(
        format="dji-csv",
        fixes=fixes,
        naive_times=int(fixes["time"].notna().sum()) if local_clock else 0,
        notes=tuple(notes),
        alt_source=alt_source,
        elapsed_s=(
            kept_elapsed if kept_elapsed is not None and np.isfinite(kept_elapsed).all() else None
        ),
    )


def _check_on_earth(
    frame: pd.DataFrame, values: NDArray[np.float64], limit: int, name: str, col: str, source: str
) -> None:
    """Refuse the first value past ±``limit`` degrees, naming its line and column."""
    wrong = np.isfinite(values) & ~(np.abs(values) <= limit)
    if wrong.any():
        row = int(np.argmax(wrong))
        raise InvalidFile(
            f"{values[row]!r} is not a {name}",
            source=source,
            place=f"line {int(frame.index[row]) + 2}, column {col.strip()!r}",
        )


def _altitude(
    frame: pd.DataFrame,
    columns: dict[str, tuple[str, str]],
    source: str,
    decimal_comma: bool,
    notes: list[str],
) -> tuple[NDArray[np.float64] | None, str]:
    """Heights in metres from the best altitude column there is (:data:`_ALTS`): (values,
    what they measure), noted; (None, "") without one."""
    for key, meaning in _ALTS:
        if key not in columns:
            continue
        col, unit = columns[key]
        factor = _UNITS.get(unit)
        alt = _column(frame, col, "a height", source, decimal_comma) * (factor or 1.0)
        what = "height above take-off" if meaning == "takeoff_rel" else "altitude above sea level"
        notes.append(f"alt_m: {what} from {col.strip()}")
        if factor is None:
            notes.append(f"{col.strip()}: unknown unit {unit!r}, read as metres")
        elif factor == FEET:
            notes.append(f"{col.strip()} converted from feet to metres")
        return alt, meaning
    return None, ""


def _column(
    frame: pd.DataFrame, col: str, what: str, source: str, decimal_comma: bool
) -> NDArray[np.float64]:
    """A text column as floats (decimal commas in ``;`` exports)."""
    if decimal_comma:
        frame = frame.assign(**{col: frame[col].str.replace(",", ".", regex=False)})
    return column_numbers(frame, col, what, source)


def _times(
    frame: pd.DataFrame,
    columns: dict[str, tuple[str, str]],
    tz: ZoneInfo,
    source: str,
    decimal_comma: bool,
) -> tuple[pd.Series, bool, NDArray[np.float64] | None, list[str]]:
    """(UTC times, read as local time?, elapsed seconds when there is no date, notes)."""
    n = len(frame)
    no_times = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ms, UTC]")
    elapsed: NDArray[np.float64] | None = None
    for key in ("osd.flytime", "offsettime"):
        col, unit = columns.get(key, ("", ""))
        if col and (unit == "s" or key == "offsettime"):
            elapsed = _column(frame, col, "a number of seconds", source, decimal_comma)
            break
    if "gps:datetimestamp" in columns:
        col = columns["gps:datetimestamp"][0]
        stamps = frame[col]
        anchor = np.flatnonzero(stamps.notna().to_numpy(dtype=bool))
        if len(anchor) and elapsed is not None:
            row = int(anchor[0])
            parsed, _ = parse_times([str(stamps.iloc[row])], tz=tz, source=source, what="row")
            if pd.isna(parsed.iloc[0]):
                raise InvalidFile(
                    f"{stamps.iloc[row]!r} is not a date and time",
                    source=source,
                    place=f"line {int(frame.index[row]) + 2}, column {col!r}",
                )
            # Whole seconds in GPS:dateTimeStamp; offsetTime gives the rows between.
            offsets = pd.to_timedelta(elapsed - elapsed[row], unit="s")
            times = pd.Series(parsed.iloc[0] + offsets).astype("datetime64[ms, UTC]")
            return times.reset_index(drop=True), False, None, []
    date_col = columns.get("custom.date")
    time_col = columns.get("custom.updatetime")
    if time_col is None:
        return no_times, False, elapsed, ["no CUSTOM.updateTime or GPS:dateTimeStamp: no times"]
    text = frame[time_col[0]].astype("string").str.strip()
    if date_col is not None:
        text = frame[date_col[0]].astype("string").str.strip() + " " + text
    zone = time_col[1]
    present = text.notna() & (text.str.len() > 0)
    if not present.any():
        return no_times, False, elapsed, ["the time columns are empty: no times"]
    has_date = bool(text[present].str.contains(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}").all())
    if not has_date:
        return no_times, False, elapsed, ["the record has times of day but no date: no times"]
    try:
        local = pd.to_datetime(text, format="mixed", dayfirst=False)
    except (ValueError, TypeError):
        row = _first_bad(text)
        raise InvalidFile(
            f"{str(text.iloc[row])!r} is not a date and time",
            source=source,
            place=f"line {int(frame.index[row]) + 2}, column {time_col[0]!r}",
        ) from None
    local = local.reset_index(drop=True)
    if zone == "utc":
        return local.dt.tz_localize("UTC").astype("datetime64[ms, UTC]"), False, None, []
    times = (
        local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        .dt.tz_convert("UTC")
        .astype("datetime64[ms, UTC]")
    )
    what = "the phone's local clock" if zone == "local" else "without a time zone"
    return times, True, None, [f"the row times are {what}: read as township local time"]


def _first_bad(text: pd.Series) -> int:
    for i, value in enumerate(text.tolist()):
        if value is pd.NA or value is None:
            continue
        try:
            pd.Timestamp(str(value))
        except ValueError:
            return i
    return 0
