"""Drone flight logs (DJI SRT, AirData CSV, GPX, KML) to a flight ready to store.

A flight becomes one 3-D line (altitude above take-off) with its times; coverage later
buffers it by half the camera's ground swath. Flights are checked for plausibility like
patrol tracks, except the road test: drones do not follow roads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.chinacrs import to_wgs84
from geo.errors import InvalidFile
from geo.ingest import decide_crs, read_track
from geo.layers import TownshipLayers
from geo.plausibility import check_plausible, township_bbox
from geo.tracks.cleaning import Drop, clean_fixes

DEFAULT_ALTITUDE_M = 120.0
DEFAULT_HFOV_DEG = 84.0


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
        WGS-84 (:func:`geo.ingest.decide_crs`).
    flight_id
        Defaults to ``DRONE-`` and the first 12 hex digits of the file's SHA-256, so the same
        log imported twice is one flight.
    hfov_deg
        The camera's horizontal field of view (84° for most DJI wide cameras).

    Raises
    ------
    InvalidFile
        Unreadable, no positions, no times, or not near the township.
    """
    tz = layers.info.tz
    parsed = read_track(data, filename=filename, tz=tz)
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
    alt = kept["alt_m"].to_numpy(dtype=np.float64)
    altitude_source = "agl" if np.isfinite(alt).any() else "assumed"
    alt = np.where(
        np.isfinite(alt), alt, DEFAULT_ALTITUDE_M if altitude_source == "assumed" else np.nan
    )
    alt = pd.Series(alt).interpolate(limit_direction="both").to_numpy()
    times = kept["time"]
    start, end = times.iloc[0], times.iloc[-1]
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
        "altitude_source": altitude_source,
        "altitude_m": [round(float(np.nanmin(alt)), 1), round(float(np.nanmax(alt)), 1)],
        "first_time": start.tz_convert(local).isoformat(),
        "last_time": end.tz_convert(local).isoformat(),
        "naive_times_read_as_local": parsed.naive_times,
        "notes": list(parsed.notes),
    }
    return PreparedFlight(
        township=layers.info.code,
        flight_id=flight_id or f"DRONE-{hashlib.sha256(data).hexdigest()[:12]}",
        started_at=start.tz_convert(local).isoformat(),
        ended_at=end.tz_convert(local).isoformat(),
        altitude_source=altitude_source,
        hfov_deg=float(hfov_deg),
        drone=drone,
        times_s=((times - start).dt.total_seconds()).tolist(),
        geometry=line,
        report=report,
    )
