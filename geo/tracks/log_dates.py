"""Dates for drone logs that carry none: from the DJI file name or the user's start time.

Some DJI SRT files (Mavic Mini, Mini 2, Phantom 4 Pro) hold only cue timecodes, the seconds since
the video started. The camera names the video ``DJI_YYYYMMDDhhmmss_0001_D.MP4`` (and its SRT
likewise) by its local clock at the start, so that name dates the log; otherwise the user gives
the start (``--start`` on the command line, ``start=`` over HTTP). A log that stays without
times is refused where it is imported (:func:`require_times`), naming that option.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePath
from zoneinfo import ZoneInfo

import pandas as pd

from geo.errors import InvalidFile, InvalidInput
from geo.tracks.fixes import ParsedTrack

#: ``DJI_20240512153012_0001_D.SRT``: the camera's local date and time when the video started;
#: ``DJIFlightRecord_2024-05-12_[15-30-12]``: the app's flight record, likewise.
_DJI_NAMES = (
    re.compile(r"(?<![0-9])DJI_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?![0-9])"),
    re.compile(r"DJIFlightRecord_(\d{4})-(\d{2})-(\d{2})_\[(\d{2})-(\d{2})-(\d{2})\]"),
)
#: The option named when a log has no date; the HTTP parameter has the same name.
START_OPTION = "--start"
_NO_DATE = (
    "the log has times since the video started but no date, and its file name is not the "
    "camera's DJI_YYYYMMDDhhmmss_...: give the start time with --start "
    "(e.g. --start 2024-05-12T15:30:12; start= over HTTP)"
)


def start_from_name(filename: str, tz: ZoneInfo) -> pd.Timestamp | None:
    """The start time in a DJI camera file name, read as township local time (UTC result).

    Examples
    --------
    >>> start_from_name("x/DJI_20240512153012_0001_D.SRT", ZoneInfo("Asia/Shanghai"))
    Timestamp('2024-05-12 07:30:12+0000', tz='UTC')
    >>> start_from_name("DJI_0001.SRT", ZoneInfo("Asia/Shanghai")) is None
    True
    """
    name = PurePath(filename).name
    m = next((found for p in _DJI_NAMES if (found := p.search(name))), None)
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(g) for g in m.groups())
    try:
        local = pd.Timestamp(year=y, month=mo, day=d, hour=hh, minute=mi, second=ss)
    except ValueError:
        return None
    zoned = local.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return None if pd.isna(zoned) else pd.Timestamp(zoned).tz_convert("UTC")


def parse_start(text: str, tz: ZoneInfo) -> pd.Timestamp:
    """A user's start time: ISO 8601 date and time, local to the township unless it has an
    offset (UTC result). A date alone is refused: the time of day is needed too.

    Examples
    --------
    >>> parse_start("2024-05-12 15:30:12", ZoneInfo("Asia/Shanghai"))
    Timestamp('2024-05-12 07:30:12+0000', tz='UTC')
    >>> parse_start("2024-05-12T07:30:12Z", ZoneInfo("Asia/Shanghai"))
    Timestamp('2024-05-12 07:30:12+0000', tz='UTC')
    """
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
        raise InvalidInput(
            f"{START_OPTION} {value!r} has no time of day: give when the video started, "
            "e.g. 2024-05-12T15:30:12"
        )
    try:
        stamp = pd.Timestamp(value)
        valid = not pd.isna(stamp)
    except ValueError:
        valid = False
    if not valid:
        raise InvalidInput(
            f"{START_OPTION} {value!r} is not a date and time; e.g. 2024-05-12T15:30:12 "
            "(township local time) or 2024-05-12T07:30:12Z"
        )
    if stamp.tzinfo is None:
        local = stamp.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        if pd.isna(local):
            raise InvalidInput(f"{START_OPTION} {value!r} does not exist in {tz.key}")
        return pd.Timestamp(local).tz_convert("UTC")
    return pd.Timestamp(stamp).tz_convert("UTC")


def date_log(
    parsed: ParsedTrack, *, filename: str, tz: ZoneInfo, start: str | None = None
) -> ParsedTrack:
    """Give times to a log that has elapsed seconds but no dates (``parsed.elapsed_s``).

    The start is the user's ``start`` when given, else the DJI file name's. A log with its own
    dates is returned as it is (a ``start`` given for it is noted as unused); a log that cannot
    be dated keeps its ``NaT`` times (see :func:`require_times`).
    """
    has_times = bool(parsed.fixes["time"].notna().any())
    if has_times or parsed.elapsed_s is None:
        if start is None:
            return parsed
        why = "the log has its own dates" if has_times else "the log has no elapsed times"
        return replace(parsed, notes=(*parsed.notes, f"{why}: {START_OPTION} {start} not used"))
    if start is not None:
        origin, how = parse_start(start, tz), f"{START_OPTION} {start.strip()}"
    else:
        from_name = start_from_name(filename, tz)
        if from_name is None:
            return parsed
        origin, how = from_name, "the DJI file name (the camera's local time)"
    offsets = pd.to_timedelta(parsed.elapsed_s, unit="s")
    times = pd.Series(origin + offsets, index=parsed.fixes.index).astype("datetime64[ms, UTC]")
    note = (
        f"the log has no date: times are the start from {how}, "
        f"{origin.tz_convert(tz).isoformat()}, plus each cue's timecode"
    )
    return replace(
        parsed,
        fixes=parsed.fixes.assign(time=times),
        naive_times=0 if start is not None and _has_offset(start) else len(times),
        notes=(*parsed.notes, note),
    )


def require_times(parsed: ParsedTrack, filename: str) -> None:
    """Refuse a log that has timecodes but no date, naming ``--start`` (one line)."""
    if parsed.elapsed_s is not None and parsed.fixes["time"].isna().all():
        raise InvalidFile(_NO_DATE, source=filename)


def _has_offset(text: str) -> bool:
    return bool(re.search(r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$", text.strip()))
