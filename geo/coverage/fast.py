"""The fast engine the service uses by default: exact segment distances on a grid, the
footprint drawn as the distance field's contour, vector geometry only where it is cheap.

The exact engine spends most of its time buffering tens of thousands of short pieces and
unioning the buffers (GEOS). Here :func:`geo.coverage.raster.distance_field` gives every
10 m cell the exact distance from its centre to the nearest patrol piece (numba, parallel by
bands of rows), and the footprint is the field's contour at the patrol radius
(:func:`geo.coverage.raster.footprint_polygon`): one polygon whose edge is within about a
quarter of a metre of the buffers' union, at a small fraction of the cost. From there:

- **Area and surveillance coverage, area gaps**: the same vector intersections as the exact
  engine, with the contour polygon in place of the union of buffers.
- **Roads**: each village's roads are sampled every 2.5 m and the field interpolated at the
  samples; an interval whose ends straddle the radius is cut where the distance crosses it.
- **Minutes and distance**: fixes and midpoints take the village of their cell (a scanline
  raster of the villages); points within two cells of a boundary are tested exactly, and
  pieces whose ends or midpoint lie in different villages are clipped exactly.

docs/coverage.md gives the differences from the exact engine measured by bench/coverage.py.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.coverage.measures import MIN_ROAD_GAP_M, PatrolInput, PatrolMeasures
from geo.coverage.raster import (
    Grid,
    distance_field,
    footprint_polygon,
    rasterize,
    sample_field,
)

#: Side of the cells at which distances are computed (metres).
CELL_M = 10.0
#: Spacing of the samples along roads (metres).
ROAD_STEP_M = 2.5


def measure_fast(data: PatrolInput, *, cell_m: float = CELL_M) -> PatrolMeasures:
    """Patrol and surveillance measures of every village from a distance field.

    Parameters
    ----------
    data
        The week's metric fixes, villages, their roads, the other surveillance polygons and
        the rules.
    cell_m
        Cell size of the distance field.

    Returns
    -------
    PatrolMeasures
        The same measures as :func:`geo.coverage.exact.measure_exact`, within the
        differences stated in docs/coverage.md.
    """
    rules = data.rules
    radius = rules.patrol_radius_m
    n = len(data.villages)
    x, y, seg = data.x, data.y, data.segment
    out = PatrolMeasures.empty(n, max(len(x) - 1, 0))
    if n == 0:
        return out
    bounds = shapely.total_bounds(np.asarray(data.villages, dtype=object))
    grid = Grid.covering(tuple(bounds), 2 * cell_m, cell_m)
    # Contours and bilinear reads at ``radius`` only look at cells within 1.5 cells of it.
    field = distance_field(
        grid, x, y, seg, cap=radius + 1.5 * cell_m, inner=max(0.0, radius - 1.5 * cell_m)
    )
    foot = footprint_polygon(grid, field, radius)
    shapely.prepare(foot)
    surveillance = (
        shapely.union_all(np.asarray([foot, *data.extra_surveillance], dtype=object))
        if data.extra_surveillance
        else foot
    )
    for k, village in enumerate(data.villages):
        area = village.area
        if area > 0:
            out.area_coverage[k] = shapely.intersection(foot, village).area / area
            out.surveillance_coverage[k] = shapely.intersection(surveillance, village).area / area
        parts = shapely.get_parts(shapely.difference(village, surveillance))
        out.area_gaps[k] = list(parts[shapely.area(parts) >= rules.min_gap_area_m2])
        roads = data.village_roads[k]
        if not roads.is_empty:
            out.road_covered_m[k], out.road_gaps[k] = _roads(grid, field, radius, roads)

    classes = rasterize(grid, data.villages, values=list(range(n)))
    _pairs(data, grid, classes, _near_boundary(classes), out)
    return out


def _near_boundary(classes: NDArray[np.int16]) -> NDArray[np.bool_]:
    """Cells within one cell of a change of village: a point in them may lie on the other
    side of a boundary from the cell's centre."""
    edge = np.zeros(classes.shape, dtype=bool)
    dx = classes[:, 1:] != classes[:, :-1]
    dy = classes[1:, :] != classes[:-1, :]
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    edge[1:, :] |= dy
    edge[:-1, :] |= dy
    grown = edge.copy()
    grown[1:, :] |= edge[:-1, :]
    grown[:-1, :] |= edge[1:, :]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    return grown


def _village_of(
    data: PatrolInput,
    grid: Grid,
    classes: NDArray[np.int16],
    near_edge: NDArray[np.bool_],
    px: NDArray[np.float64],
    py: NDArray[np.float64],
) -> NDArray[np.int64]:
    """The village index holding each point (-1 outside all): the cell's class, and an
    exact test where the cell is near a boundary."""
    r, c, inside = grid.cell_of(px, py)
    out = np.full(len(px), -1, dtype=np.int64)
    rc, cc = r[inside], c[inside]
    out[inside] = classes[rc, cc]
    check = np.flatnonzero(inside)[near_edge[rc, cc]]
    if len(check):
        out[check] = -1
        for k, village in enumerate(data.villages):
            shapely.prepare(village)
            hit = shapely.contains_xy(village, px[check], py[check])
            out[check[hit]] = k
    return out


def _pairs(
    data: PatrolInput,
    grid: Grid,
    classes: NDArray[np.int16],
    near_edge: NDArray[np.bool_],
    out: PatrolMeasures,
) -> None:
    """Midpoint village of every pair of fixes, and each village's patrol distance."""
    x, y, seg = data.x, data.y, data.segment
    if len(x) < 2:
        return
    mid = _village_of(data, grid, classes, near_edge, (x[1:] + x[:-1]) / 2, (y[1:] + y[:-1]) / 2)
    out.pair_village[:] = mid
    at = _village_of(data, grid, classes, near_edge, x, y)
    same_seg = seg[1:] == seg[:-1]
    length = np.hypot(np.diff(x), np.diff(y))
    whole = same_seg & (at[1:] == at[:-1]) & (mid == at[1:]) & (mid >= 0)
    out.distance_m[:] = np.bincount(
        mid[whole], weights=length[whole], minlength=len(out.distance_m)
    )
    split = np.flatnonzero(same_seg & ~whole & ((at[1:] >= 0) | (at[:-1] >= 0) | (mid >= 0)))
    if len(split) == 0:
        return
    lines = shapely.linestrings(
        np.stack(
            [np.column_stack([x[split], y[split]]), np.column_stack([x[split + 1], y[split + 1]])],
            axis=1,
        )
    )
    for k, village in enumerate(data.villages):
        out.distance_m[k] += float(shapely.length(shapely.intersection(lines, village)).sum())


def _roads(
    grid: Grid, field: NDArray[np.float32], radius: float, roads: BaseGeometry
) -> tuple[float, list[BaseGeometry]]:
    """Covered length of one village's roads and its uncovered stretches."""
    parts = shapely.get_parts(shapely.segmentize(roads, ROAD_STEP_M))
    parts = parts[shapely.get_type_id(parts) == 1]
    if len(parts) == 0:
        return 0.0, []
    coords, index = shapely.get_coordinates(parts, return_index=True)
    d = sample_field(grid, field, coords[:, 0], coords[:, 1]) - radius  # <= 0: covered
    seg_len = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    valid = index[1:] == index[:-1]
    d0, d1 = d[:-1], d[1:]
    both = (d0 <= 0) & (d1 <= 0)
    cross = (d0 <= 0) != (d1 <= 0)
    # Where the ends straddle the radius, cut the interval where the distance crosses it.
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(cross, d0 / (d0 - d1), 0.0)  # share from the start to the crossing
    covered_share = np.where(both, 1.0, np.where(cross, np.where(d0 <= 0, t, 1.0 - t), 0.0))
    covered = float((seg_len * covered_share)[valid].sum())

    gaps: list[BaseGeometry] = []
    uncovered = valid & ~both
    if not uncovered.any():
        return covered, gaps
    # Runs of intervals not wholly covered, per part; their ends cut at the crossing.
    start = np.flatnonzero(uncovered & ~np.r_[False, uncovered[:-1]])
    stop = np.flatnonzero(uncovered & ~np.r_[uncovered[1:], False])
    for a, b in zip(start, stop, strict=True):
        pts = coords[a : b + 2].copy()
        if cross[a] and d0[a] <= 0:
            pts[0] = coords[a] + t[a] * (coords[a + 1] - coords[a])
        if cross[b] and d1[b] <= 0:
            pts[-1] = coords[b] + t[b] * (coords[b + 1] - coords[b])
        gaps.append(shapely.LineString(pts))
    merged = shapely.line_merge(shapely.union_all(np.asarray(gaps, dtype=object)))
    return covered, [g for g in shapely.get_parts(merged) if g.length >= MIN_ROAD_GAP_M]
