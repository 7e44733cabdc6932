"""Track cleaning (product.md section 3): every fix either lands in a segment or gets a reason.

Steps, each counted in the :class:`CleaningReport`: fixes without time are kept for display
but count for nothing; so are fixes dated before :data:`EARLIEST_FIX` or more than
:data:`FUTURE_TOLERANCE` ahead of the clock (a phone whose date was never set, a corrupt
file); sort by time; drop exact duplicates; drop fixes whose reported accuracy is worse than
``max_accuracy_m``; drop fixes outside the township's box grown by a margin; drop speed spikes
(out-and-back jumps and fixes reached faster than ``v_max_kmh``, speeds measured over at least
a second and allowing for the file's rounding of positions and times, so high-rate drone logs
lose nothing to rounding); split into segments at time gaps and jumps; drop segments that are
too short. An upload with every dated fix out of time is refused (:func:`check_fix_times`).
"""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InvalidFile
from geo.projection import to_metric
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
    OUT_OF_TIME = 7
    """Dated before :data:`EARLIEST_FIX` or after the clock plus :data:`FUTURE_TOLERANCE`."""


#: No patrol evidence is older than this (GPS phones; a phone without a date says 1970 or 0001).
EARLIEST_FIX = datetime(2000, 1, 1, tzinfo=UTC)
#: How far ahead of the server's clock a fix may be dated (phone clocks and time zones drift).
FUTURE_TOLERANCE = timedelta(days=1)


def fix_time_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The times a fix may have: ``[EARLIEST_FIX, now + FUTURE_TOLERANCE]`` (UTC)."""
    return EARLIEST_FIX, (now or datetime.now(UTC)).astimezone(UTC) + FUTURE_TOLERANCE


@dataclass(frozen=True)
class CleaningReport:
    """Counts of each cleaning step for one upload."""

    fixes_read: int
    no_time: int
    out_of_time: int
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
    now: datetime | None = None,
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
    now
        The clock the fixes' times are checked against (:func:`fix_time_window`): the upload
        time; the current time when None.

    Returns
    -------
    CleanedTrack
    """
    n = len(fixes)
    drop = np.zeros(n, dtype=np.int8)
    time_ns = fixes["time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    no_time = fixes["time"].isna().to_numpy()
    drop[no_time] = Drop.NO_TIME
    earliest, latest = (round(t.timestamp() * 1000) for t in fix_time_window(now))
    out_of_time = ~no_time & ((time_ns < earliest) | (time_ns > latest))
    drop[out_of_time] = Drop.OUT_OF_TIME
    untimed = no_time | out_of_time  # neither is sorted, segmented or counted further
    lon = fixes["lon"].to_numpy(dtype=np.float64)
    lat = fixes["lat"].to_numpy(dtype=np.float64)
    part = fixes["part"].to_numpy(dtype=np.int64)
    acc = fixes["accuracy_m"].to_numpy(dtype=np.float64)

    # Stable sort on time keeps file order among equal times.
    order = np.argsort(np.where(untimed, np.iinfo(np.int64).max, time_ns), kind="stable")
    order = order[~untimed[order]]

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

    resolution = _Resolution(
        metres=position_resolution_m(lon[order], lat[order]),
        seconds=_time_resolution_s(time_ns[order]),
    )
    order = _drop_spikes(order, x, y, time_ns, part, drop, rules, resolution)

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
        out_of_time=int(counts_by[Drop.OUT_OF_TIME]),
        duplicates=int(counts_by[Drop.DUPLICATE]),
        low_accuracy=int(counts_by[Drop.LOW_ACCURACY]),
        outside_area=int(counts_by[Drop.OUTSIDE_AREA]),
        speed_spikes=int(counts_by[Drop.SPEED_SPIKE]),
        short_segments=int(counts_by[Drop.SHORT_SEGMENT]),
        fixes_kept=int(counts_by[Drop.KEPT]),
        segments=n_segments,
    )
    return CleanedTrack(segment=segment, drop=drop, x=x, y=y, report=report)


#: The coarsest position grid allowed for (4 decimals, 11 m): coarser-looking positions are
#: taken as coincidence, not as how the file writes them.
MAX_GRID_DEG = 1e-4
#: Speeds are measured over at least this long: between fixes 20 ms apart, positions rounded
#: to 1.1 m would read as 200 km/h.
SPEED_BASELINE_S = 1.0


@dataclass(frozen=True)
class _Resolution:
    """How finely a file writes positions and times; speeds allow for both."""

    metres: float
    """The largest distance error from rounding positions (both ends of a pair)."""
    seconds: float
    """The largest time error from rounding times, when several fixes share a time stamp."""


def position_resolution_m(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> float:
    """The distance rounding can add to or remove from the distance between two fixes.

    Positions written with ``k`` decimals are on a grid of ``10**-k`` degrees; each end of a
    pair is off by up to half a step on each axis, so a distance is off by up to one step's
    diagonal. The grid is the finer of the two axes' (an axis that barely changes, such as the
    latitude of a flight due east, can look coarser than it is), at most 1e-4 degrees (11 m);
    full-precision positions give (almost) 0.

    Examples
    --------
    >>> lon, lat = np.array([109.90001, 109.90002, 109.9]), np.array([28.1, 28.1, 28.1])
    >>> round(position_resolution_m(lon, lat), 2)
    1.48
    """
    if not len(lon):
        return 0.0
    # A sample is enough to see the grid (every value of a written file lies on it).
    every = max(1, len(lon) // 20_000)
    steps = [
        _decimal_step(values[::every])
        for values in (lon, lat)
        if len(np.unique(values[::every])) >= 3
    ]
    step = min([*steps, MAX_GRID_DEG]) if steps else 0.0
    metres_per_degree = 111_320.0
    lat_mid = float(np.nanmedian(lat))
    dx = step * metres_per_degree * np.cos(np.radians(lat_mid))
    dy = step * metres_per_degree
    return float(np.hypot(dx, dy))


def _decimal_step(values: NDArray[np.float64], max_decimals: int = 9) -> float:
    """The coarsest ``10**-k`` grid every value lies on (0 beyond ``max_decimals``)."""
    finite = values[np.isfinite(values)]
    for k in range(max_decimals + 1):
        scaled = finite * 10.0**k
        # Decimal text read as binary floats: off the grid by a few units in the last place.
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 + 1e-14 * np.abs(scaled)):
            return float(10.0**-k)
    return 0.0


def _time_resolution_s(time_ms: NDArray[np.int64]) -> float:
    """The rounding of time stamps when it matters: several fixes share a stamp (a 30 fps log
    stamped to the second); 0 otherwise."""
    if len(time_ms) < 2 or not (np.diff(np.sort(time_ms)) == 0).any():
        return 0.0
    for unit_ms in (1000, 100, 10):
        if np.all(time_ms % unit_ms == 0):
            return unit_ms / 1000.0
    return 0.001


def check_fix_times(
    fixes: pd.DataFrame, cleaned: CleanedTrack, *, now: datetime | None, source: str
) -> None:
    """Refuse an upload whose every dated fix lies outside :func:`fix_time_window` (a few such
    fixes are only counted: ``out_of_time`` in the report).

    Raises
    ------
    InvalidFile
        Naming the first fix's time and the accepted window.
    """
    dated = fixes["time"].notna().to_numpy()
    if not dated.any() or cleaned.report.out_of_time < int(dated.sum()):
        return
    earliest, latest = fix_time_window(now)
    first = fixes["time"][dated].min()
    side = f"before {earliest:%Y-%m-%d}" if first < earliest else f"after {latest:%Y-%m-%d %H:%M}"
    raise InvalidFile(
        f"every fix is dated outside the accepted times, the first at "
        f"{first.isoformat()} ({side} UTC): fixes may be dated from {earliest:%Y-%m-%d} to "
        f"{latest:%Y-%m-%d %H:%M} UTC (the server's clock plus "
        f"{FUTURE_TOLERANCE.total_seconds() / 3600:.0f} h); check the phone's date and time",
        source=source,
    )


def _drop_spikes(
    order: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    time_ms: NDArray[np.int64],
    part: NDArray[np.int64],
    drop: NDArray[np.int8],
    rules: Rules,
    resolution: _Resolution,
) -> NDArray[np.intp]:
    """Remove out-and-back spikes (vectorised), then fixes reached faster than v_max from the
    last kept fix (a loop over the few suspects and the fixes measured from them).

    Each speed is measured against the fix at least :data:`SPEED_BASELINE_S` before (or
    after; near the ends of a part, its first or last fix), and only what rounding cannot
    explain counts: the distance less the position resolution, over the time plus the time
    resolution. At 1 Hz this is the next fix; in a 50 Hz log, 50 fixes away, so rounding of
    1.1 m over 20 ms is not a 200 km/h spike.
    """
    v_max = rules.v_max_kmh / 3.6
    for _ in range(3):
        if len(order) < 3:
            break
        xo, yo, to = x[order], y[order], time_ms[order]
        before, after = _baselines(to, part[order])
        fast_in = _too_fast(before, xo, yo, to, v_max, resolution)
        fast_out = _too_fast(after, xo, yo, to, v_max, resolution)
        spike = fast_in & fast_out
        # The first (last) fix of a part, far from a track that goes on consistently after
        # (before) it, is a spike too.
        nxt, prv = np.where(after >= 0, after, 0), np.where(before >= 0, before, 0)
        spike |= (before < 0) & fast_out & (after[nxt] >= 0) & ~fast_out[nxt]
        spike |= (after < 0) & fast_in & (before[prv] >= 0) & ~fast_in[prv]
        if not spike.any():
            break
        drop[order[spike]] = Drop.SPEED_SPIKE
        order = order[~spike]
    if len(order) < 2:
        return order
    xo, yo, to = x[order], y[order], time_ms[order]
    before, _ = _baselines(to, part[order])
    fast = _too_fast(before, xo, yo, to, v_max, resolution)
    ref = np.clip(before, 0, None)
    dist = np.hypot(xo - xo[ref], yo - yo[ref])
    # Jumps longer than split_jump_m become segment breaks instead of drops.
    suspects = np.flatnonzero(fast & (dist <= rules.split_jump_m)).tolist()
    if not suspects:
        return order
    keep = np.ones(len(order), dtype=bool)
    queued = set(suspects)
    heapq.heapify(suspects)
    while suspects:
        i = heapq.heappop(suspects)
        prev = int(before[i])
        while prev >= 0 and not keep[prev]:
            prev -= 1
        if prev < 0:
            continue
        a, b = order[prev], order[i]
        d = float(np.hypot(x[b] - x[a], y[b] - y[a]))
        dt = (time_ms[b] - time_ms[a]) / 1000.0
        if (
            part[a] == part[b]
            and d <= rules.split_jump_m
            and _speed_lower(d, dt, resolution) > v_max
        ):
            keep[i] = False
            drop[b] = Drop.SPEED_SPIKE
            # The fixes measured from this one are measured again from the last kept fix.
            lo, hi = np.searchsorted(before, i, side="left"), np.searchsorted(before, i, "right")
            for k in range(int(lo), int(hi)):
                if k not in queued:
                    queued.add(k)
                    heapq.heappush(suspects, k)
    return order[keep]


def _baselines(
    t: NDArray[np.int64], part: NDArray[np.int64]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Per fix (in time order), the fix to measure its speed from and to: the last fix at
    least the baseline earlier and the first at least the baseline later, within its part
    (the part's first or last fix when none is that far); -1 where there is none."""
    n = len(t)
    idx = np.arange(n)
    new_part = np.concatenate([[True], np.diff(part) != 0])
    part_start = np.maximum.accumulate(np.where(new_part, idx, 0))
    part_end = np.minimum.accumulate(
        np.where(np.concatenate([np.diff(part) != 0, [True]]), idx, n - 1)[::-1]
    )[::-1]
    baseline = int(SPEED_BASELINE_S * 1000)
    if n < 2 or np.diff(t).min() >= baseline:  # a fix a second or slower: the neighbours
        before, after = idx - 1, idx + 1
    else:
        before = np.searchsorted(t, t - baseline, side="right") - 1
        after = np.searchsorted(t, t + baseline, side="left")
    before = np.maximum(before, part_start)
    before = np.where(before < idx, before, -1)
    after = np.minimum(after, part_end)
    after = np.where(after > idx, after, -1)
    return before, after


def _too_fast(
    other: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    time_ms: NDArray[np.int64],
    v_max: float,
    resolution: _Resolution,
) -> NDArray[np.bool_]:
    """Is each fix (of ``x``, ``y``, ``time_ms`` in time order) farther from its baseline fix
    ``other`` (-1: none) than v_max allows?"""
    valid = other >= 0
    b = np.where(valid, other, 0)
    dist = np.hypot(x - x[b], y - y[b])
    dt = np.abs(time_ms - time_ms[b]) / 1000.0
    fast: NDArray[np.bool_] = valid & (_speed_lower(dist, dt, resolution) > v_max)
    return fast


def _speed_lower(dist: Any, dt: Any, resolution: _Resolution) -> Any:
    """The lowest speed consistent with the rounding of positions and times."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(dist - resolution.metres, 0.0) / (dt + resolution.seconds)
