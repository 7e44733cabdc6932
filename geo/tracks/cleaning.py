"""Track cleaning (product.md section 3): every fix either lands in a segment or gets a reason.

Steps, each counted in the :class:`CleaningReport`: fixes without time are kept for display
but count for nothing; sort by time; drop exact duplicates; drop fixes whose reported accuracy
is worse than ``max_accuracy_m``; drop fixes outside the township's box grown by a margin;
drop speed spikes (out-and-back jumps and fixes reached faster than ``v_max_kmh``); split into
segments at time gaps and jumps; drop segments that are too short.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.crs import to_metric
from geo.rules import Rules


class Drop(IntEnum):
    """Why a fix is not in any segment (0 means it is)."""

    KEPT = 0
    NO_TIME = 1
    DUPLICATE = 2
    LOW_ACCURACY = 3
    OUTSIDE_AREA = 4
    SPEED_SPIKE = 5
    SHORT_SEGMENT = 6


@dataclass(frozen=True)
class CleaningReport:
    """Counts of each cleaning step for one upload."""

    fixes_read: int
    no_time: int
    duplicates: int
    low_accuracy: int
    outside_area: int
    speed_spikes: int
    short_segments: int
    fixes_kept: int
    segments: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class CleanedTrack:
    """Cleaning's result, aligned with the input rows.

    Attributes
    ----------
    segment
        Segment number per input fix (``-1`` where dropped); segments are numbered in time order.
    drop
        A :class:`Drop` code per input fix.
    x, y
        Metric coordinates per input fix (``NaN`` where not projected).
    """

    segment: NDArray[np.int32]
    drop: NDArray[np.int8]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    report: CleaningReport


def clean_fixes(
    fixes: pd.DataFrame,
    *,
    rules: Rules,
    metric_crs: str,
    bbox: tuple[float, float, float, float] | None = None,
) -> CleanedTrack:
    """Clean one upload's fixes.

    Parameters
    ----------
    fixes
        A fixes frame (see :mod:`geo.tracks.fixes`); it is not modified.
    rules
        Thresholds (accuracy, v_max, split gap and jump, minimum segment).
    metric_crs
        The township's metric CRS, for distances.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` already grown by the margin; fixes outside are
        dropped. ``None`` keeps every position.

    Returns
    -------
    CleanedTrack
    """
    n = len(fixes)
    drop = np.zeros(n, dtype=np.int8)
    time_ns = fixes["time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    no_time = fixes["time"].isna().to_numpy()
    drop[no_time] = Drop.NO_TIME
    lon = fixes["lon"].to_numpy(dtype=np.float64)
    lat = fixes["lat"].to_numpy(dtype=np.float64)
    part = fixes["part"].to_numpy(dtype=np.int64)
    acc = fixes["accuracy_m"].to_numpy(dtype=np.float64)

    # Stable sort on time keeps file order among equal times.
    order = np.argsort(np.where(no_time, np.iinfo(np.int64).max, time_ns), kind="stable")
    order = order[~no_time[order]]

    same = (np.diff(time_ns[order]) == 0) & (np.diff(lon[order]) == 0) & (np.diff(lat[order]) == 0)
    drop[order[1:][same]] = Drop.DUPLICATE
    order = order[drop[order] == Drop.KEPT]

    bad_acc = acc[order] > rules.max_accuracy_m
    drop[order[bad_acc]] = Drop.LOW_ACCURACY
    order = order[~bad_acc]

    if bbox is not None:
        o_lon, o_lat = lon[order], lat[order]
        outside = (o_lon < bbox[0]) | (o_lon > bbox[2]) | (o_lat < bbox[1]) | (o_lat > bbox[3])
        drop[order[outside]] = Drop.OUTSIDE_AREA
        order = order[~outside]

    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if len(order):
        x[order], y[order] = to_metric(lon[order], lat[order], metric_crs)

    order = _drop_spikes(order, x, y, time_ns, part, drop, rules)

    segment = np.full(n, -1, dtype=np.int32)
    if len(order):
        t = time_ns[order]
        dt_s = np.diff(t) / 1000.0
        dist = np.hypot(np.diff(x[order]), np.diff(y[order]))
        cut = (
            (dt_s > rules.split_gap_minutes * 60)
            | (dist > rules.split_jump_m)
            | (np.diff(part[order]) != 0)
        )
        seg_of = np.concatenate([[0], np.cumsum(cut)])
        starts = np.concatenate([[0], np.flatnonzero(cut) + 1])
        ends = np.concatenate([np.flatnonzero(cut), [len(order) - 1]])
        counts = ends - starts + 1
        durations = (t[ends] - t[starts]) / 1000.0
        too_short = (counts < rules.min_segment_fixes) | (durations < rules.min_segment_seconds)
        short_rows = too_short[seg_of]
        drop[order[short_rows]] = Drop.SHORT_SEGMENT
        keep = ~short_rows
        # Renumber surviving segments 0..k-1 in time order.
        survivors = np.cumsum(~too_short) - 1
        segment[order[keep]] = survivors[seg_of[keep]]
        n_segments = int((~too_short).sum())
    else:
        n_segments = 0

    counts_by = np.bincount(drop, minlength=len(Drop))
    report = CleaningReport(
        fixes_read=n,
        no_time=int(counts_by[Drop.NO_TIME]),
        duplicates=int(counts_by[Drop.DUPLICATE]),
        low_accuracy=int(counts_by[Drop.LOW_ACCURACY]),
        outside_area=int(counts_by[Drop.OUTSIDE_AREA]),
        speed_spikes=int(counts_by[Drop.SPEED_SPIKE]),
        short_segments=int(counts_by[Drop.SHORT_SEGMENT]),
        fixes_kept=int(counts_by[Drop.KEPT]),
        segments=n_segments,
    )
    return CleanedTrack(segment=segment, drop=drop, x=x, y=y, report=report)


def _drop_spikes(
    order: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    time_ms: NDArray[np.int64],
    part: NDArray[np.int64],
    drop: NDArray[np.int8],
    rules: Rules,
) -> NDArray[np.intp]:
    """Remove out-and-back spikes (vectorised), then fixes reached faster than v_max from the
    last kept fix (a short loop over the few remaining suspects)."""
    v_max = rules.v_max_kmh / 3.6
    for _ in range(3):
        if len(order) < 3:
            break
        speed = _speeds(order, x, y, time_ms)
        same_part = np.diff(part[order]) == 0
        fast = (speed > v_max) & same_part
        spike = np.zeros(len(order), dtype=bool)
        spike[1:-1] = fast[:-1] & fast[1:]
        if not spike.any():
            break
        drop[order[spike]] = Drop.SPEED_SPIKE
        order = order[~spike]
    if len(order) < 2:
        return order
    speed = _speeds(order, x, y, time_ms)
    dist = np.hypot(np.diff(x[order]), np.diff(y[order]))
    # Jumps longer than split_jump_m become segment breaks instead of drops.
    suspects = np.flatnonzero((speed > v_max) & (dist <= rules.split_jump_m)) + 1
    if len(suspects) == 0:
        return order
    keep = np.ones(len(order), dtype=bool)
    for i in suspects:
        prev = i - 1
        while prev >= 0 and not keep[prev]:
            prev -= 1
        if prev < 0:
            continue
        a, b = order[prev], order[i]
        dt = max((time_ms[b] - time_ms[a]) / 1000.0, 0.0)
        d = float(np.hypot(x[b] - x[a], y[b] - y[a]))
        if part[a] == part[b] and d > 0 and (dt == 0 or d / dt > v_max) and d <= rules.split_jump_m:
            keep[i] = False
            drop[b] = Drop.SPEED_SPIKE
    return order[keep]


def _speeds(
    order: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    time_ms: NDArray[np.int64],
) -> NDArray[np.float64]:
    dist = np.hypot(np.diff(x[order]), np.diff(y[order]))
    dt = np.diff(time_ms[order]) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, dist / np.where(dt > 0, dt, 1.0), np.where(dist > 0, np.inf, 0.0))
    return speed
