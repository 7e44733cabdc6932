"""The exact vector engine (the reference): buffer the patrol pieces, union, intersect.

Every measure is computed with GEOS on the polylines: it is the answer the fast engine
(:mod:`geo.coverage.fast`) is checked against.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.coverage.footprint import footprint, segment_pieces
from geo.coverage.measures import MIN_ROAD_GAP_M, PatrolInput, PatrolMeasures


def measure_exact(data: PatrolInput) -> PatrolMeasures:
    """Patrol and surveillance measures of every village with vector geometry.

    Parameters
    ----------
    data
        The week's metric fixes, villages, their roads, the other surveillance polygons and
        the rules.
    """
    x, y, seg = data.x, data.y, data.segment
    rules = data.rules
    pieces = segment_pieces(x, y, seg)
    foot = footprint(pieces, rules.patrol_radius_m)
    shapely.prepare(foot)
    piece_tree = shapely.STRtree(pieces)
    parts = [foot, *data.extra_surveillance]
    surveillance = shapely.union_all(np.asarray(parts, dtype=object))
    shapely.prepare(surveillance)

    n = len(data.villages)
    out = PatrolMeasures.empty(n, max(len(x) - 1, 0))
    mid_x = (x[1:] + x[:-1]) / 2
    mid_y = (y[1:] + y[:-1]) / 2
    for k, village in enumerate(data.villages):
        shapely.prepare(village)
        inside = shapely.contains_xy(village, mid_x, mid_y)
        out.pair_village[inside] = k
        candidates = piece_tree.query(village)
        out.distance_m[k] = float(
            shapely.length(shapely.intersection(pieces[candidates], village)).sum()
        )
        area = village.area
        if area > 0:
            out.area_coverage[k] = shapely.intersection(foot, village).area / area
            out.surveillance_coverage[k] = shapely.intersection(surveillance, village).area / area
        roads = data.village_roads[k]
        if not roads.is_empty:
            out.road_covered_m[k] = shapely.intersection(roads, foot).length
        out.area_gaps[k] = _area_gaps(village, surveillance, rules.min_gap_area_m2)
        out.road_gaps[k] = _road_gaps(roads, foot)
    return out


def _area_gaps(
    village: BaseGeometry, surveillance: BaseGeometry, min_area: float
) -> list[BaseGeometry]:
    parts = shapely.get_parts(shapely.difference(village, surveillance))
    return list(parts[shapely.area(parts) >= min_area])


def _road_gaps(roads: BaseGeometry, foot: BaseGeometry) -> list[BaseGeometry]:
    if roads.is_empty:
        return []
    merged = shapely.line_merge(shapely.difference(roads, foot))
    return [g for g in shapely.get_parts(merged) if g.length >= MIN_ROAD_GAP_M]
