"""Fixes: the table of GPS positions every reader produces and every step after consumes.

A fixes frame is a :class:`pandas.DataFrame` with columns

``time``
    ``datetime64[ms, UTC]``; ``NaT`` where the file gave no time.
``lon``, ``lat``
    WGS-84 degrees (``float64``).
``accuracy_m``
    Reported horizontal accuracy in metres, ``NaN`` when not given.
``part``
    The file's own track/segment number (``int32``); cleaning never joins across parts.
``alt_m``
    Altitude in metres (``NaN`` when not given); what it measures is
    :attr:`ParsedTrack.alt_source` (height above take-off for most drone logs, else above sea
    level).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

FIX_COLUMNS = ("time", "lon", "lat", "accuracy_m", "part", "alt_m")


def make_fixes(
    lon: ArrayLike,
    lat: ArrayLike,
    time: ArrayLike | None = None,
    *,
    accuracy_m: ArrayLike | None = None,
    part: ArrayLike | None = None,
    alt_m: ArrayLike | None = None,
) -> pd.DataFrame:
    """Build a fixes frame; ``time`` must be time-zone aware (any zone) or UTC datetime64.

    Examples
    --------
    >>> f = make_fixes([110.0], [28.1], pd.to_datetime(["2026-11-23T01:00:00Z"]))
    >>> str(f["time"].dtype)
    'datetime64[ms, UTC]'
    """
    lon_a = np.asarray(lon, dtype=np.float64)
    n = len(lon_a)
    if time is None:
        times = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ms, UTC]")
    else:
        parsed = pd.to_datetime(pd.Series(time), utc=True)
        times = parsed.astype("datetime64[ms, UTC]").reset_index(drop=True)
    return pd.DataFrame(
        {
            "time": times,
            "lon": lon_a,
            "lat": np.asarray(lat, dtype=np.float64),
            "accuracy_m": (
                np.full(n, np.nan)
                if accuracy_m is None
                else np.asarray(accuracy_m, dtype=np.float64)
            ),
            "part": np.zeros(n, dtype=np.int32)
            if part is None
            else np.asarray(part, dtype=np.int32),
            "alt_m": np.full(n, np.nan) if alt_m is None else np.asarray(alt_m, dtype=np.float64),
        }
    )


@dataclass(frozen=True)
class ParsedTrack:
    """What a reader found in one file, before cleaning."""

    format: str
    fixes: pd.DataFrame
    naive_times: int = 0
    """Fixes whose time had no UTC offset and were read as township local time."""
    name: str = ""
    notes: tuple[str, ...] = ()
    """What the reader decided that the uploader should know (axis order, units, ...)."""
    declared_crs: str | None = None
    """The coordinate system the file names itself (a GeoJSON ``crs`` member such as
    ``EPSG:32649`` or ``EPSG:4490``, a CSV header such as ``经度(GCJ-02)``, Ovital's
    ``<OvCoordType>``, a GPX/KML title naming ``火星坐标``...): any name
    :func:`geo.ingest.chinacrs.canonical_crs` knows; ``lon``/``lat`` hold the positions as written
    in it. None: the file names none. :func:`geo.ingest.pipeline.decide_crs` decides what is
    used."""
    alt_source: str = ""
    """What ``alt_m`` measures when a drone log says: ``takeoff_rel`` (height above the take-off
    point as logged: ``rel_alt``, ``H``, AirData's ``height_above_takeoff``, ``OSD.height``),
    ``barometer`` (barometric height above take-off: ``BAROMETER``, ``Hb``) or ``asl`` (altitude
    above sea level: ``abs_alt``, ``altitude:``). Empty: the format's usual meaning (GPX ``ele``,
    KML, NMEA: above sea level) or no altitude."""
    elapsed_s: NDArray[np.float64] | None = field(default=None, compare=False)
    """Seconds since the recording started, per fix, for logs whose times carry no date (SRT
    cue timecodes); :func:`geo.tracks.log_dates.date_log` turns them into times."""
