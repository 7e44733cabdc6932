"""What a coverage engine is given and what it measures, shared by the exact and the fast
engine so the weekly rule (:mod:`geo.coverage.evaluate`) judges both the same way."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.rules import Rules

#: Road stretches outside the footprint shorter than this are noise at the buffer's edge.
MIN_ROAD_GAP_M = 20.0


@dataclass(frozen=True)
class PatrolInput:
    """One week's inputs in the township's metric CRS.

    Attributes
    ----------
    x, y, segment
        Kept fixes sorted by segment, then time; consecutive fixes of one segment form the
        patrol's pieces.
    villages
        Village polygons, in the layer's order.
    village_roads
        Each village's roads (clipped to it), possibly empty.
    extra_surveillance
        Sectors of online cameras and footprints of the week's drone flights.
    rules
        The township's rules.
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    segment: NDArray[np.int64]
    villages: list[BaseGeometry]
    village_roads: list[BaseGeometry]
    extra_surveillance: list[BaseGeometry]
    rules: Rules


@dataclass
class PatrolMeasures:
    """An engine's measures per village ``k`` (arrays indexed by village)."""

    pair_village: NDArray[np.int64]
    """For each pair of consecutive fixes: the village holding its midpoint, or -1."""
    distance_m: NDArray[np.float64]
    area_coverage: NDArray[np.float64]
    surveillance_coverage: NDArray[np.float64]
    road_covered_m: NDArray[np.float64]
    area_gaps: list[list[BaseGeometry]] = field(default_factory=list)
    """Polygons no patrol, camera or drone reached, of at least ``min_gap_area_m2``."""
    road_gaps: list[list[BaseGeometry]] = field(default_factory=list)
    """Road lines no patrol rode, of at least :data:`MIN_ROAD_GAP_M`."""

    @classmethod
    def empty(cls, villages: int, pairs: int) -> PatrolMeasures:
        z = np.zeros(villages)
        return cls(
            pair_village=np.full(pairs, -1, dtype=np.int64),
            distance_m=z.copy(),
            area_coverage=z.copy(),
            surveillance_coverage=z.copy(),
            road_covered_m=z.copy(),
            area_gaps=[[] for _ in range(villages)],
            road_gaps=[[] for _ in range(villages)],
        )
