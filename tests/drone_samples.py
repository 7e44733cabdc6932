"""Drone logs shaped like the originals, flown over the demo township (Xiaozhang).

Each builder writes the layout its model or tool writes (field names, decimals, cue rate), as
the formats' published descriptions and the real files in ../shared/data/real/drone show:

* Mavic 2 Zoom SRT: ``[latitude: ..] [longtitude: ..] [altitude: ..]`` only, 30 fps; the
  altitude is above sea level (214 m where it takes off);
* Mavic Pro SRT (later firmware): ``HOME(lon,lat) date`` / ``GPS(lon,lat,16) Hb:1.9 Hs:1.9``,
  one cue a second, positions at 4 decimals;
* Avata 2 SRT: ``GPS(lon,lat,n) BAROMETER(91.2)``, 30 fps;
* Mavic 3 SRT: ``[latitude: ..] [longitude: ..] [rel_alt: .. abs_alt: ..]``, positions at 5
  decimals (1.1 m steps), one cue every 20 ms;
* Mavic Mini SRT without dates: ``GPS (lon, lat, 17), D ..m, H ..m, H.S n/a, V.S n/a``;
* CsvView / Flight Reader CSV: ``sep=,`` then ``CUSTOM.date [local]``, ``CUSTOM.updateTime
  [local]`` (``9:30:00.10 AM``), ``OSD.flyTime [s]``, ``OSD.latitude``, ``OSD.longitude``,
  ``OSD.height [m]``, ``OSD.altitude [m]``;
* AirData CSV, metric (``height_above_takeoff(meters)``, ``altitude_above_seaLevel(meters)``).

The flight: take-off on the ground at ``GROUND_ASL_M``, climb to ``CRUISE_M`` above it, then
east along a straight line at ``SPEED_MS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Where it takes off (in the township, away from its roads) and when (local time).
LON0, LAT0 = 109.9000, 28.1500
START_LOCAL = pd.Timestamp("2026-11-04 09:30:00")
GROUND_ASL_M = 214.0
CRUISE_M = 25.0
SPEED_MS = 15.0
CLIMB_S = 6.0
METRES_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class Flight:
    """Where the aircraft is at each sample: seconds from start, lon, lat, height above
    take-off (m)."""

    seconds: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    height: np.ndarray


def flight(duration_s: float, rate_hz: float, *, speed_ms: float = SPEED_MS) -> Flight:
    """A straight flight east: climbing on the spot for ``CLIMB_S``, then level."""
    n = round(duration_s * rate_hz) + 1
    t = np.arange(n) / rate_hz
    moving = np.clip(t - CLIMB_S, 0.0, None)
    east_m = moving * speed_ms
    lon = LON0 + east_m / (METRES_PER_DEG_LAT * np.cos(np.radians(LAT0)))
    lat = np.full(n, LAT0)
    height = CRUISE_M * np.clip(t / CLIMB_S, 0.0, 1.0)
    return Flight(t, lon, lat, height)


def _timecode(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def _cues(f: Flight, bodies: list[str]) -> bytes:
    step = float(f.seconds[1] - f.seconds[0]) if len(f.seconds) > 1 else 1.0
    out = []
    for i, (t, body) in enumerate(zip(f.seconds, bodies, strict=True)):
        out.append(f"{i + 1}\n{_timecode(t)} --> {_timecode(t + step)}\n{body}\n\n")
    return "".join(out).encode()


def _local(t: float) -> pd.Timestamp:
    return START_LOCAL + pd.Timedelta(milliseconds=round(float(t) * 1000))


def mavic2_zoom_srt(duration_s: float = 40.0) -> bytes:
    """Mavic 2 Zoom: ``altitude`` (above sea level) is the only altitude; 30 fps."""
    f = flight(duration_s, 30.0)
    bodies = []
    for i, t in enumerate(f.seconds):
        stamp = _local(t)
        us = stamp.microsecond
        bodies.append(
            f'<font size="36">SrtCnt : {i + 1}, DiffTime : 33ms\n'
            f"{stamp:%Y-%m-%d %H:%M:%S},{us // 1000:03d},{us % 1000:03d}\n"
            "[iso : 100] [shutter : 1/640.0] [fnum : 280] [ev : 0] [ct : 5500] "
            f"[color_md : default] [focal_len : 240] [latitude: {f.lat[i]:.6f}] "
            f"[longtitude: {f.lon[i]:.6f}] [altitude: {GROUND_ASL_M + f.height[i]:.6f}] </font>"
        )
    return _cues(f, bodies)


def mavic_pro_hb_srt(duration_s: float = 60.0) -> bytes:
    """Mavic Pro (later firmware): ``GPS(lon,lat,16) Hb:.. Hs:..``, 1 Hz, 4 decimals."""
    f = flight(duration_s, 1.0, speed_ms=8.0)
    bodies = [
        f"HOME({LON0:.4f},{LAT0:.4f}) {_local(t):%Y.%m.%d %H:%M:%S}\n"
        f"GPS({f.lon[i]:.4f},{f.lat[i]:.4f},16) Hb:{f.height[i]:.1f} Hs:{f.height[i]:.1f}\n"
        "ISO:100 Shutter:60 EV: Fnum:2.2"
        for i, t in enumerate(f.seconds)
    ]
    return _cues(f, bodies)


def avata2_srt(duration_s: float = 30.0) -> bytes:
    """Avata 2: ``GPS(lon,lat,n) BAROMETER(91.2)``, 30 fps."""
    f = flight(duration_s, 30.0)
    bodies = [
        f"{_local(t):%Y-%m-%d %H:%M:%S.%f}\n"
        f"F/2.8, SS 1000, ISO 100, EV 0, GPS({f.lon[i]:.6f},{f.lat[i]:.6f},18) "
        f"BAROMETER({f.height[i]:.1f})"
        for i, t in enumerate(f.seconds)
    ]
    return _cues(f, bodies)


def mavic3_srt(duration_s: float = 30.0, *, speed_ms: float = SPEED_MS) -> bytes:
    """Mavic 3: ``rel_alt``/``abs_alt``, positions at 5 decimals, one cue every 20 ms."""
    f = flight(duration_s, 50.0, speed_ms=speed_ms)
    bodies = [
        f'<font size="28">FrameCnt: {i + 1}, DiffTime: 20ms\n{_local(t):%Y-%m-%d %H:%M:%S.%f}'[:-3]
        + "\n[iso: 100] [shutter: 1/1000.0] [fnum: 2.8] [ev: 0] [color_md: default] "
        f"[focal_len: 24.00] [latitude: {f.lat[i]:.5f}] [longitude: {f.lon[i]:.5f}] "
        f"[rel_alt: {f.height[i]:.3f} abs_alt: {GROUND_ASL_M + f.height[i]:.3f}] [ct: 5500] </font>"
        for i, t in enumerate(f.seconds)
    ]
    return _cues(f, bodies)


def mavic_mini_srt(duration_s: float = 60.0) -> bytes:
    """Mavic Mini: no date anywhere, only cue timecodes; ``H`` is the height above home."""
    f = flight(duration_s, 1.0, speed_ms=8.0)
    bodies = [
        f"F/2.8, SS 30.15, ISO 260, EV -1.7, GPS ({f.lon[i]:.4f}, {f.lat[i]:.4f}, 17), "
        f"D {(f.seconds[i] - CLIMB_S) * 8.0 if t > CLIMB_S else 0.0:.2f}m, "
        f"H {f.height[i]:.2f}m, H.S n/a, V.S n/a "
        for i, t in enumerate(f.seconds)
    ]
    return _cues(f, bodies)


CSVVIEW_COLUMNS = (
    "CUSTOM.date [local]",
    "CUSTOM.updateTime [local]",
    "OSD.flyTime",
    "OSD.flyTime [s]",
    "OSD.latitude",
    "OSD.longitude",
    "OSD.height [m]",
    "OSD.heightMax [m]",
    "OSD.altitude [m]",
    "OSD.hSpeed [m/s]",
    "OSD.gpsNum",
    "OSD.flycState",
    "CAMERA.isVideo",
)


def csvview_csv(duration_s: float = 60.0) -> bytes:
    """CsvView / Flight Reader export of the app's flight record, metric, 10 Hz."""
    f = flight(duration_s, 10.0)
    rows = ["sep=,", ",".join(CSVVIEW_COLUMNS)]
    for i, t in enumerate(f.seconds):
        stamp = _local(t)
        clock = stamp.strftime("%I:%M:%S").lstrip("0") + f".{stamp.microsecond // 10000:02d} "
        clock += stamp.strftime("%p")
        minutes, secs = divmod(float(t), 60)
        rows.append(
            ",".join(
                [
                    f"{stamp.month}/{stamp.day}/{stamp.year}",
                    clock,
                    f"{int(minutes)}m {secs:.1f}s",
                    f"{t:.1f}",
                    f"{f.lat[i]:.8f}",
                    f"{f.lon[i]:.8f}",
                    f"{f.height[i]:.1f}",
                    f"{f.height[: i + 1].max():.1f}",
                    f"{GROUND_ASL_M + f.height[i]:.1f}",
                    f"{SPEED_MS if t > CLIMB_S else 0.0:.1f}",
                    "18",
                    "P-GPS",
                    "True",
                ]
            )
        )
    return ("\n".join(rows) + "\n").encode()


AIRDATA_METRIC = (
    "time(millisecond),datetime(utc),latitude,longitude,height_above_takeoff(meters),"
    "height_above_ground_at_drone_location(meters),ground_elevation_at_drone_location(meters),"
    "altitude_above_seaLevel(meters),height_sonar(meters),speed(m/s),distance(meters),"
    "satellites,gpslevel,voltage(v), xSpeed(m/s), ySpeed(m/s), zSpeed(m/s),"
    " compass_heading(degrees),isPhoto,isVideo,flycState,message"
)


def airdata_metric_csv(duration_s: float = 60.0, *, with_height: bool = True) -> bytes:
    """AirData export in metric units (10 Hz); without ``height_above_takeoff`` when asked."""
    f = flight(duration_s, 10.0)
    columns = AIRDATA_METRIC.split(",")
    drop = columns.index("height_above_takeoff(meters)") if not with_height else None
    utc0 = (START_LOCAL.tz_localize("Asia/Shanghai")).tz_convert("UTC").tz_localize(None)
    rows = []
    for i, t in enumerate(f.seconds):
        stamp = utc0 + pd.Timedelta(seconds=float(t))
        values = [
            f"{round(t * 1000)}",
            f"{stamp:%Y-%m-%d %H:%M:%S}",
            f"{f.lat[i]:.10f}",
            f"{f.lon[i]:.10f}",
            f"{f.height[i]:.2f}",
            f"{f.height[i]:.2f}",
            f"{GROUND_ASL_M:.2f}",
            f"{GROUND_ASL_M + f.height[i]:.2f}",
            "0",
            f"{SPEED_MS if t > CLIMB_S else 0.0:.1f}",
            f"{max(t - CLIMB_S, 0) * SPEED_MS:.1f}",
            "18",
            "5",
            "15.8",
            "0",
            "0",
            "0",
            "90.0",
            "0",
            "1",
            "P-GPS",
            "",
        ]
        if drop is not None:
            values.pop(drop)
        rows.append(",".join(values))
    header = [c for j, c in enumerate(columns) if j != drop]
    return ("\n".join([",".join(header), *rows]) + "\n").encode()
