"""Track cleaning: every step counted, every fix accounted for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.ingest.cleaning import Drop, clean_fixes, position_resolution_m
from geo.projection import from_metric, to_metric
from geo.rules import Rules
from geo.tracks.fixes import make_fixes

CRS = "EPSG:4546"
X0, Y0 = 390_000.0, 3_115_000.0


def track(
    xs: list[float], seconds: list[float], *, accuracy: list[float] | None = None
) -> pd.DataFrame:
    lon, lat = from_metric(np.asarray(xs) + X0, np.full(len(xs), Y0), CRS)
    times = pd.Timestamp("2026-11-18T01:00:00Z") + pd.to_timedelta(seconds, unit="s")
    return make_fixes(lon, lat, times, accuracy_m=accuracy)


def walk(n: int, *, step_m: float = 5.0, dt: float = 5.0) -> tuple[list[float], list[float]]:
    return [i * step_m for i in range(n)], [i * dt for i in range(n)]


def test_a_clean_track_is_one_segment() -> None:
    xs, ts = walk(30)
    result = clean_fixes(track(xs, ts), rules=Rules(), metric_crs=CRS)
    assert result.report.fixes_kept == 30 and result.report.segments == 1
    assert (result.segment == 0).all()


def test_duplicates_spikes_accuracy_and_no_time_are_counted() -> None:
    xs, ts = walk(40)
    xs[10] += 1500  # an out-and-back spike of 1.5 km in 5 s
    acc = [5.0] * 40
    acc[20] = 80.0
    fixes = track(xs, ts, accuracy=acc)
    fixes = pd.concat([fixes, fixes.iloc[[5]]], ignore_index=True)  # an exact duplicate
    fixes.loc[len(fixes)] = [pd.NaT, fixes["lon"].iloc[0], fixes["lat"].iloc[0], np.nan, 0, np.nan]
    result = clean_fixes(fixes, rules=Rules(), metric_crs=CRS)
    r = result.report
    assert (r.duplicates, r.speed_spikes, r.low_accuracy, r.no_time) == (1, 1, 1, 1)
    assert r.fixes_kept == 38 and r.segments == 1
    assert result.drop[10] == Drop.SPEED_SPIKE
    assert r.fixes_read == sum(
        [
            r.no_time,
            r.duplicates,
            r.low_accuracy,
            r.outside_area,
            r.speed_spikes,
            r.short_segments,
            r.fixes_kept,
        ]
    )


def test_time_gaps_and_jumps_split_segments_and_short_ones_are_dropped() -> None:
    xs, ts = walk(20)
    xs2, ts2 = walk(20)
    xs3 = [x + 5000 for x in xs2]  # a 5 km jump (phone off during a drive)
    ts3 = [t + ts[-1] + 5 for t in ts2]
    xs4 = [xs3[-1] + 5, xs3[-1] + 10]  # two fixes after a 20 min pause: too short
    ts4 = [ts3[-1] + 1200, ts3[-1] + 1205]
    result = clean_fixes(track(xs + xs3 + xs4, ts + ts3 + ts4), rules=Rules(), metric_crs=CRS)
    assert result.report.segments == 2
    assert result.report.short_segments == 2
    assert list(np.unique(result.segment)) == [-1, 0, 1]


def test_fixes_outside_the_area_are_dropped() -> None:
    xs, ts = walk(10)
    fixes = track(xs, ts)
    lon, lat = fixes["lon"], fixes["lat"]
    bbox = (
        float(lon.min()) - 0.01,
        float(lat.min()) - 0.01,
        float(lon.max()) + 0.01,
        float(lat.max()) + 0.01,
    )
    moved = fixes.copy()
    moved.loc[0, "lon"] += 1.0
    result = clean_fixes(moved, rules=Rules(), metric_crs=CRS, bbox=bbox)
    assert result.report.outside_area == 1


def test_input_is_not_modified() -> None:
    xs, ts = walk(10)
    fixes = track(xs, ts)
    before = fixes.copy()
    clean_fixes(fixes, rules=Rules(), metric_crs=CRS)
    pd.testing.assert_frame_equal(fixes, before)


def high_rate(
    seconds: float, *, hz: float = 50.0, speed_ms: float = 15.0, decimals: int | None = 5
) -> pd.DataFrame:
    """A drone flying east at ``speed_ms``, a fix every 1/hz s, positions written with
    ``decimals`` decimals (the Mavic 3's SRT: 5, 1.1 m steps)."""
    n = int(seconds * hz) + 1
    t = np.arange(n) / hz
    lon, lat = from_metric(X0 + t * speed_ms, np.full(n, Y0), CRS)
    if decimals is not None:
        lon, lat = np.round(lon, decimals), np.round(lat, decimals)
    times = pd.Timestamp("2026-11-18T01:00:00Z") + pd.to_timedelta(t, unit="s")
    return make_fixes(lon, lat, times)


def test_a_50_hz_log_rounded_to_1e5_degrees_keeps_every_fix() -> None:
    # 15 m/s is 0.3 m per fix; rounding to 1e-5 degrees moves fixes by up to 1.1 m, so one
    # fix to the next reads as up to 200 km/h. Over a second it is 54 km/h.
    fixes = high_rate(60)
    steps = np.hypot(*[np.diff(v) for v in to_metric(fixes["lon"], fixes["lat"], CRS)]) / 0.02
    assert steps.max() * 3.6 > 150  # what a fix-to-fix speed check sees
    result = clean_fixes(fixes, rules=Rules(), metric_crs=CRS)
    assert result.report.speed_spikes == 0
    assert result.report.fixes_kept == len(fixes)


def test_a_real_spike_in_a_50_hz_log_is_still_dropped() -> None:
    fixes = high_rate(60)
    spike = 1500
    x, y = to_metric(fixes["lon"].iloc[[spike]], fixes["lat"].iloc[[spike]], CRS)
    lon, lat = from_metric(x + 1000.0, y, CRS)  # 1 km off for one fix, and back
    fixes.loc[spike, ["lon", "lat"]] = [float(lon[0]), float(lat[0])]
    result = clean_fixes(fixes, rules=Rules(), metric_crs=CRS)
    assert result.report.speed_spikes == 1
    assert result.drop[spike] == Drop.SPEED_SPIKE
    assert result.report.fixes_kept == len(fixes) - 1


def test_a_fast_drift_in_a_50_hz_log_is_dropped() -> None:
    # 300 m off for two seconds (one-sided): no aircraft gets there at 120 km/h.
    fixes = high_rate(60)
    window = slice(1500, 1600)
    x, y = to_metric(fixes["lon"].iloc[window], fixes["lat"].iloc[window], CRS)
    lon, lat = from_metric(x, y + 300.0, CRS)
    fixes.loc[1500:1599, "lon"] = lon
    fixes.loc[1500:1599, "lat"] = lat
    result = clean_fixes(fixes, rules=Rules(), metric_crs=CRS)
    assert result.report.speed_spikes == 100
    assert (result.drop[1500:1600] == Drop.SPEED_SPIKE).all()


def test_frames_stamped_to_the_second_are_not_spikes() -> None:
    # 30 fps, every frame of a second with the same time stamp (a Mavic 2 Pro writes
    # whole seconds): frame to frame is 0 s apart, yet the aircraft flies 14.4 m/s.
    fixes = high_rate(60, hz=30.0, speed_ms=14.4, decimals=6)
    fixes["time"] = fixes["time"].dt.floor("s")
    result = clean_fixes(fixes, rules=Rules(), metric_crs=CRS)
    assert result.report.speed_spikes == 0
    assert result.report.fixes_kept == len(fixes)


def test_position_resolution_from_the_decimals() -> None:
    lon = np.array([109.90001, 109.90002, 109.9])
    lat = np.array([28.15, 28.15001, 28.15])
    # One step of 1e-5 degrees: 0.98 m east, 1.11 m north; the diagonal.
    assert position_resolution_m(lon, lat) == pytest.approx(1.48, abs=0.01)
    assert position_resolution_m(lon + 1e-9 * np.pi, lat + 1e-9 * np.e) == 0.0


def test_a_first_fix_far_off_is_the_spike_not_the_second() -> None:
    # A phone's first fix 900 m off (a cold start), then a clean walk at 1 Hz.
    xs, ts = walk(60, step_m=1.4, dt=1.0)
    xs[0] += 900
    result = clean_fixes(track(xs, ts), rules=Rules(), metric_crs=CRS)
    assert result.drop[0] == Drop.SPEED_SPIKE
    assert result.report.speed_spikes == 1 and result.report.fixes_kept == 59


def test_a_spike_in_a_flight_due_east_is_dropped() -> None:
    # The latitude never changes (28.15 written as such): it must not pass for a 0.01° grid.
    n = 3001
    t = np.arange(n) / 50.0
    lon = np.round(109.9 + t * 15.0 / (111_320.0 * np.cos(np.radians(28.15))), 5)
    lat = np.full(n, 28.15)
    lon[1500] += 0.01  # 980 m east for one fix, and back
    times = pd.Timestamp("2026-11-18T01:00:00Z") + pd.to_timedelta(t, unit="s")
    result = clean_fixes(make_fixes(lon, lat, times), rules=Rules(), metric_crs=CRS)
    assert result.report.speed_spikes == 1 and result.drop[1500] == Drop.SPEED_SPIKE
    assert position_resolution_m(lon, lat) == pytest.approx(1.48, abs=0.01)
