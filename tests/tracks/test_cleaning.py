"""Track cleaning: every step counted, every fix accounted for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.crs import to_wgs84
from geo.rules import Rules
from geo.tracks.cleaning import Drop, clean_fixes
from geo.tracks.fixes import make_fixes

CRS = "EPSG:4546"
X0, Y0 = 390_000.0, 3_115_000.0


def track(
    xs: list[float], seconds: list[float], *, accuracy: list[float] | None = None
) -> pd.DataFrame:
    lon, lat = to_wgs84(np.asarray(xs) + X0, np.full(len(xs), Y0), CRS)
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
