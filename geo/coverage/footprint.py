"""Patrol lines and footprints from fixes, built with shapely 2 array functions."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

#: Buffering short pieces is lossless and much faster than buffering long noisy lines
#: (GEOS buffer is super-linear on self-overlapping lines; see docs/performance.md).
PIECE_VERTICES = 32


def segment_pieces(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    segment: NDArray[np.int64],
    *,
    max_vertices: int = PIECE_VERTICES,
) -> NDArray[np.object_]:
    """Cut each segment's polyline into pieces of at most ``max_vertices`` vertices.

    Fixes must be sorted by segment, then time. Consecutive pieces share their end vertex,
    so the union of the pieces is exactly the segment's polyline. Segments of one fix give
    no piece.

    Examples
    --------
    >>> import numpy as np
    >>> p = segment_pieces(np.arange(5.0), np.zeros(5), np.zeros(5, dtype=np.int64), max_vertices=3)
    >>> [len(g.coords) for g in p]
    [3, 3]
    """
    n = len(x)
    if n == 0:
        return np.empty(0, dtype=object)
    step = max_vertices - 1
    starts = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
    seg_idx = np.cumsum(np.r_[False, segment[1:] != segment[:-1]])
    rank = np.arange(n) - starts[seg_idx]
    piece_in_seg = rank // step
    # Offsets give every (segment, piece) a unique, ordered number.
    per_seg = np.bincount(seg_idx, minlength=len(starts))
    pieces_per_seg = (per_seg - 1) // step + 1
    offset = np.r_[0, np.cumsum(pieces_per_seg)[:-1]]
    piece = offset[seg_idx] + piece_in_seg
    # Each piece's first vertex is repeated as the previous piece's last one.
    extra = (rank > 0) & (rank % step == 0)
    all_piece = np.concatenate([piece, piece[extra] - 1])
    all_rank = np.concatenate([rank, rank[extra]])
    all_x = np.concatenate([x, x[extra]])
    all_y = np.concatenate([y, y[extra]])
    order = np.lexsort((all_rank, all_piece))
    all_piece, all_x, all_y = all_piece[order], all_x[order], all_y[order]
    size = np.bincount(all_piece)
    ok = size[all_piece] >= 2
    _, dense = np.unique(all_piece[ok], return_inverse=True)
    coords = np.column_stack([all_x[ok], all_y[ok]])
    if len(coords) == 0:
        return np.empty(0, dtype=object)
    return np.asarray(shapely.linestrings(coords, indices=dense), dtype=object)


def footprint(pieces: NDArray[np.object_], radius_m: float, *, quad_segs: int = 16) -> BaseGeometry:
    """Union of the pieces buffered by ``radius_m`` (metric coordinates); empty when none."""
    if len(pieces) == 0:
        return shapely.Polygon()
    buffers = shapely.buffer(pieces, radius_m, quad_segs=quad_segs)
    return shapely.union_all(buffers)
