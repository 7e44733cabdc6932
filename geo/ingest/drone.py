"""Drone flight logs (DJI SRT, AirData CSV, DJI flight-record CSV, GPX, KML) to a flight ready
to store.

A flight becomes one 3-D line (z = height above the take-off point) with its times; coverage
later buffers it by half the camera's ground swath. Flights are checked for plausibility like
patrol tracks, except the road test: drones do not follow roads.

Heights keep their meaning (:func:`flight_heights`): the log's height above take-off when it
gives one; otherwise an above-sea-level altitude only as the difference to the first fixes'
altitude (taken as the take-off point); never an altitude above sea level used as a height.
The flight's ``altitude_source`` and the report say which.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.coverage.surveillance import DEFAULT_ALTITUDE_M, DEFAULT_HFOV_DEG, ground_swath_m
from geo.errors import InvalidFile
from geo.ingest.chinacrs import to_wgs84
from geo.ingest.cleaning import Drop, clean_fixes
from geo.ingest.pipeline import decide_crs, read_track
from geo.ingest.plausibility import check_plausible, township_bbox
from geo.layers import TownshipLayers
from geo.tracks.log_dates import require_times

#: ``altitude_source`` values of imported flights (the layers' own flights say ``agl``: drawn
#: as height above take-off).
HEIGHT_SOURCES: dict[str, str] = {
    "takeoff_rel": "height above take-off from the log",
    "barometer": "barometric height above take-off from the log",
    "asl_minus_takeoff": "altitude above sea level minus the first fix's altitude",
    "default": "no height in the log: 120 m assumed",
}


@dataclass(frozen=True)
class FlightHeights:
    """Heights above the take-off point for a flight's fixes, and where they came from."""

    metres: NDArray[np.float64]
    source: str
    """One of :data:`HEIGHT_SOURCES`."""
    takeoff_asl_m: float | None
    """The altitude taken as the take-off point's (``asl_minus_takeoff`` only)."""
    note: str


def flight_heights(alt_m: NDArray[np.float64], alt_source: str) -> FlightHeights:
    """Heights above take-off from a log's altitudes (in time order) and what they measure.

    Parameters
    ----------
    alt_m
        ``alt_m`` of the kept fixes, in time order (NaN where the log gave none).
    alt_source
        :attr:`geo.tracks.fixes.ParsedTrack.alt_source`: ``takeoff_rel`` and ``barometer`` are
        heights above take-off and are used as they are; anything else (``asl``, or a format
        whose altitude is above sea level: GPX ``ele``, KML) is an altitude above sea level and
        becomes its difference to the first fix's altitude (a log starts on the ground,
        where the aircraft takes off; one that starts in the air gives heights above that
        point, and the note says what was taken).

    Examples
    --------
    >>> h = flight_heights(np.array([np.nan, 214.0, 214.4, 240.0, 266.0]), "asl")
    >>> h.source, h.takeoff_asl_m, h.metres.round(1).tolist()
    ('asl_minus_takeoff', 214.0, [0.0, 0.0, 0.4, 26.0, 52.0])
    >>> flight_heights(np.array([np.nan, np.nan]), "").metres.tolist()
    [120.0, 120.0]
    """
    finite = np.isfinite(alt_m)
    if not finite.any():
        return FlightHeights(
            np.full(len(alt_m), DEFAULT_ALTITUDE_M, dtype=np.float64),
            "default",
            None,
            HEIGHT_SOURCES["default"],
        )
    filled = np.asarray(
        pd.Series(alt_m).interpolate(limit_direction="both").to_numpy(), dtype=np.float64
    )
    if alt_source in ("takeoff_rel", "barometer"):
        return FlightHeights(filled, alt_source, None, HEIGHT_SOURCES[alt_source])
    # Above sea level. Hook for a later issue: where the township's layers carry a DEM, the
    # height above ground (altitude minus the ground under each fix) replaces the difference
    # to the take-off point here; there is no DEM in the layers yet.
    takeoff = float(alt_m[finite][0])
    note = (
        f"the log gives no height above take-off: heights are its altitude above sea level "
        f"minus {takeoff:.1f} m, the first fix's altitude, taken as the take-off point"
    )
    return FlightHeights(filled - takeoff, "asl_minus_takeoff", takeoff, note)


@dataclass(frozen=True)
class PreparedFlight:
    """One drone flight, in WGS-84, with the report for the uploader."""

    township: str
    flight_id: str
    started_at: str
    ended_at: str
    altitude_source: str
    hfov_deg: float
    drone: str
    times_s: list[float]
    geometry: shapely.LineString
    report: dict[str, Any]

    def row(self) -> dict[str, Any]:
        """The ``drone_flights`` row (``source`` = ``import``)."""
        return {
            "township": self.township,
            "flight_id": self.flight_id,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "altitude_source": self.altitude_source,
            "hfov_deg": self.hfov_deg,
            "drone": self.drone,
            "times_s": json.dumps([round(t, 1) for t in self.times_s]),
            "source": "import",
            "geom": self.geometry,
        }


def prepare_flight(
    data: bytes,
    *,
    filename: str,
    layers: TownshipLayers,
    crs: str | None = None,
    flight_id: str | None = None,
    hfov_deg: float = DEFAULT_HFOV_DEG,
    drone: str = "",
    start: str | None = None,
) -> PreparedFlight:
    """Read, convert, check and clean a drone log.

    Parameters
    ----------
    data
        The log's bytes: DJI SRT, AirData CSV, GPX or KML (gzip accepted).
    filename
        For messages, and the default flight id.
    layers
        The township (time zone, rules, outline).
    crs
        Coordinate system of the log (DJI writes WGS-84); None: what the log names, else
        WGS-84 (:func:`geo.ingest.pipeline.decide_crs`).
    flight_id
        Defaults to ``DRONE-`` and the first 12 hex digits of the file's SHA-256, so the same
        log imported twice is one flight.
    hfov_deg
        The camera's horizontal field of view (84° for most DJI wide cameras).
    start
        When a log without dates started (``--start``; township local time unless it has an
        offset); by default the DJI file name's date and time.

    Raises
    ------
    InvalidFile
        Unreadable, no positions, no times (no date: naming ``--start``), or not near the
        township.
    """
    tz = layers.info.tz
    parsed = read_track(data, filename=filename, tz=tz, start=start)
    require_times(parsed, filename)
    source_crs = decide_crs(crs, parsed, filename=filename)
    raw_lon = parsed.fixes["lon"].to_numpy(dtype=np.float64)
    raw_lat = parsed.fixes["lat"].to_numpy(dtype=np.float64)
    lon, lat = to_wgs84(raw_lon, raw_lat, source_crs)
    # Drones do not follow roads: only the area checks apply, so no roads are passed on.
    check_plausible(
        raw_lon,
        raw_lat,
        lon,
        lat,
        source_crs=source_crs,
        layers=layers.without_roads(),
        source=filename,
    )
    fixes = parsed.fixes.assign(lon=lon, lat=lat)
    if fixes["time"].isna().all():
        raise InvalidFile(
            "the log has positions but no times, so the flight cannot be placed in a week",
            source=filename,
        )
    cleaned = clean_fixes(
        fixes,
        rules=layers.info.rules,
        metric_crs=layers.info.metric_crs,
        bbox=township_bbox(layers),
    )
    kept = fixes.loc[cleaned.segment >= 0].sort_values("time", kind="stable")
    if len(kept) < 2:
        raise InvalidFile(
            f"only {len(kept)} usable position(s) after cleaning: {cleaned.report.to_dict()}",
            source=filename,
        )
    times = kept["time"]
    first, last = times.iloc[0], times.iloc[-1]
    seconds = (times - first).dt.total_seconds().to_numpy(dtype=np.float64)
    heights = flight_heights(kept["alt_m"].to_numpy(dtype=np.float64), parsed.alt_source)
    alt = heights.metres
    swath = ground_swath_m(alt, hfov_deg)
    line = shapely.LineString(np.column_stack([kept["lon"], kept["lat"], alt]))
    local = layers.info.tz
    report = {
        "format": parsed.format,
        "source_crs": source_crs,
        **cleaned.report.to_dict(),
        "dropped": {d.name.lower(): int((cleaned.drop == d).sum()) for d in Drop if d != Drop.KEPT},
        "bbox": [
            round(float(kept["lon"].min()), 7),
            round(float(kept["lat"].min()), 7),
            round(float(kept["lon"].max()), 7),
            round(float(kept["lat"].max()), 7),
        ],
        "altitude_source": heights.source,
        "height_note": heights.note,
        "takeoff_altitude_m": (
            None if heights.takeoff_asl_m is None else round(heights.takeoff_asl_m, 1)
        ),
        "altitude_m": [round(float(np.nanmin(alt)), 1), round(float(np.nanmax(alt)), 1)],
        "swath_m": [
            round(float(swath.min()), 1),
            round(float(np.median(swath)), 1),
            round(float(swath.max()), 1),
        ],
        "first_time": first.tz_convert(local).isoformat(),
        "last_time": last.tz_convert(local).isoformat(),
        "naive_times_read_as_local": parsed.naive_times,
        "notes": list(parsed.notes),
    }
    return PreparedFlight(
        township=layers.info.code,
        flight_id=flight_id or f"DRONE-{hashlib.sha256(data).hexdigest()[:12]}",
        started_at=first.tz_convert(local).isoformat(),
        ended_at=last.tz_convert(local).isoformat(),
        altitude_source=heights.source,
        hfov_deg=float(hfov_deg),
        drone=drone,
        times_s=seconds.tolist(),
        geometry=line,
        report=report,
    )
