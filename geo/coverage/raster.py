"""Compiled grid kernels of the fast coverage engine (numba).

Cells of ``cell_m`` hold the exact distance from their centre to the nearest patrol piece
(capped). The distance to a set of segments is 1-Lipschitz and smooth along the footprint's
edge (straight offsets and arcs of radius R), so interpolating it between cell centres places
the edge within centimetres: :func:`footprint_polygon` draws the edge as the field's contour
and :func:`sample_field` reads the field anywhere (road samples).

Village polygons are filled by scanline with the even-odd rule (cell centres deciding, holes
and multipart villages work), to find the village of a point without a polygon test away
from boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import contourpy
import numba
import numpy as np
import shapely
from numba import njit, prange
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Grid:
    """A grid of square cells over a metric extent (row 0 at ``y0``, column 0 at ``x0``).

    Attributes
    ----------
    x0, y0
        Lower-left corner (metres, metric CRS).
    cell_m
        Side of a cell.
    ny, nx
        Rows and columns.
    """

    x0: float
    y0: float
    cell_m: float
    ny: int
    nx: int

    @classmethod
    def covering(
        cls, bounds: tuple[float, float, float, float], margin: float, cell_m: float
    ) -> Grid:
        """The grid aligned on multiples of ``cell_m`` covering ``bounds`` plus ``margin``."""
        minx, miny, maxx, maxy = bounds
        x0 = np.floor((minx - margin) / cell_m) * cell_m
        y0 = np.floor((miny - margin) / cell_m) * cell_m
        nx = int(np.ceil((maxx + margin - x0) / cell_m))
        ny = int(np.ceil((maxy + margin - y0) / cell_m))
        return cls(float(x0), float(y0), float(cell_m), ny, nx)

    def cell_of(self, px: F64, py: F64) -> tuple[I64, I64, NDArray[np.bool_]]:
        """Row and column of the cell holding each point, and whether it is in the grid."""
        c = np.floor((np.asarray(px) - self.x0) / self.cell_m).astype(np.int64)
        r = np.floor((np.asarray(py) - self.y0) / self.cell_m).astype(np.int64)
        inside = (r >= 0) & (r < self.ny) & (c >= 0) & (c < self.nx)
        return r, c, inside


@njit(cache=True, inline="always")
def _slice(
    ax: float, ay: float, dx: float, dy: float, len2: float, py: float, rho: float
) -> tuple[float, float]:
    """The x-interval where the horizontal line ``y = py`` meets the capsule of radius ``rho``
    around segment A→A+(dx, dy) (lo > hi when it misses): the union of the two end discs'
    and the band's intervals, one interval since the capsule is convex."""
    lo, hi = np.inf, -np.inf
    for qx, qy in ((ax, ay), (ax + dx, ay + dy)):
        h2 = rho * rho - (py - qy) * (py - qy)
        if h2 >= 0.0:
            h = np.sqrt(h2)
            lo, hi = min(lo, qx - h), max(hi, qx + h)
    if len2 > 0.0:
        # 0 <= ((x - ax) dx + (py - ay) dy) / len2 <= 1 and |(x - ax) dy - (py - ay) dx| <= rho L
        wy = py - ay
        blo, bhi = -np.inf, np.inf
        if dx != 0.0:
            t0 = ax - wy * dy / dx
            t1 = ax + (len2 - wy * dy) / dx
            blo, bhi = max(blo, min(t0, t1)), min(bhi, max(t0, t1))
        elif not (0.0 <= wy * dy <= len2):
            blo, bhi = np.inf, -np.inf
        r_len = rho * np.sqrt(len2)
        if dy != 0.0:
            p0 = ax + (wy * dx - r_len) / dy
            p1 = ax + (wy * dx + r_len) / dy
            blo, bhi = max(blo, min(p0, p1)), min(bhi, max(p0, p1))
        elif abs(wy * dx) > r_len:
            blo, bhi = np.inf, -np.inf
        if blo <= bhi:
            lo, hi = min(lo, blo), max(hi, bhi)
    return lo, hi


@njit(cache=True, parallel=True)
def _distance_field(
    x: F64,
    y: F64,
    pair_start: I64,
    x0: float,
    y0: float,
    cell: float,
    ny: int,
    nx: int,
    cap: float,
    inner: float,
    bands: int,
) -> NDArray[np.float32]:
    field = np.full((ny, nx), np.float32(cap), dtype=np.float32)
    rows_per_band = (ny + bands - 1) // bands
    for b in prange(bands):
        band_lo = b * rows_per_band
        band_hi = min(ny, band_lo + rows_per_band)
        # Two passes: first every piece marks the cells deeper than ``inner`` (a store, no
        # distance); then distances are computed only for the cells no piece holds deep
        # inside, which on a dense track is little more than the footprint's edge.
        for depth_pass in range(2):
            rho = inner if depth_pass == 0 else cap
            if rho <= 0.0:
                continue
            for k in range(len(pair_start)):
                i = pair_start[k]
                ax, ay = x[i], y[i]
                dx, dy = x[i + 1] - ax, y[i + 1] - ay
                r0 = max(band_lo, int(np.ceil((min(ay, ay + dy) - rho - y0) / cell - 0.5)))
                r1 = min(band_hi - 1, int(np.floor((max(ay, ay + dy) + rho - y0) / cell - 0.5)))
                if r0 > r1:
                    continue
                len2 = dx * dx + dy * dy
                for r in range(r0, r1 + 1):
                    py = y0 + (r + 0.5) * cell
                    lo, hi = _slice(ax, ay, dx, dy, len2, py, rho)
                    if lo > hi:
                        continue
                    c0 = max(0, int(np.ceil((lo - x0) / cell - 0.5)))
                    c1 = min(nx - 1, int(np.floor((hi - x0) / cell - 0.5)))
                    if c1 < c0:
                        continue  # (a negative end would wrap around in a slice)
                    if depth_pass == 0:
                        field[r, c0 : c1 + 1] = 0.0
                        continue
                    wy = py - ay
                    for c in range(c0, c1 + 1):
                        if field[r, c] == 0.0:
                            continue
                        wx = x0 + (c + 0.5) * cell - ax
                        t = 0.0
                        if len2 > 0.0:
                            t = min(1.0, max(0.0, (wx * dx + wy * dy) / len2))
                        ex, ey = wx - t * dx, wy - t * dy
                        d = np.float32(np.sqrt(ex * ex + ey * ey))
                        if d < field[r, c]:
                            field[r, c] = d
    return field


def distance_field(
    grid: Grid, x: F64, y: F64, segment: I64, cap: float, inner: float = 0.0
) -> NDArray[np.float32]:
    """Distance (m) from each cell centre to the nearest segment between consecutive fixes of
    one patrol segment, capped at ``cap``.

    Parameters
    ----------
    grid
        The grid.
    x, y, segment
        Metric fixes sorted by segment, then time; a segment of one fix draws nothing (as in
        the exact engine, which buffers lines).
    cap
        Cells farther than this from every segment hold ``cap``.
    inner
        Cells nearer than this to a segment hold 0 instead of their distance (their value
        cannot move a contour or an interpolation at a level above ``inner + cell_m``).
    """
    if len(x) < 2:
        return np.full((grid.ny, grid.nx), np.float32(cap), dtype=np.float32)
    pair_start = np.flatnonzero(segment[1:] == segment[:-1]).astype(np.int64)
    bands = max(1, numba.get_num_threads()) * 4
    return _distance_field(
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(y, dtype=np.float64),
        pair_start,
        grid.x0,
        grid.y0,
        grid.cell_m,
        grid.ny,
        grid.nx,
        float(cap),
        float(inner),
        bands,
    )


@njit(cache=True, inline="always")
def _interp(field: NDArray[np.float32], u: float, v: float) -> float:
    """Bilinear value at cell-index coordinates (u along columns, v along rows), where cell
    centres sit at integers; clamped at the border."""
    ny, nx = field.shape
    u = min(max(u, 0.0), nx - 1.0)
    v = min(max(v, 0.0), ny - 1.0)
    c0 = min(int(u), nx - 2) if nx > 1 else 0
    r0 = min(int(v), ny - 2) if ny > 1 else 0
    c1 = min(c0 + 1, nx - 1)
    r1 = min(r0 + 1, ny - 1)
    tu, tv = u - c0, v - r0
    top = field[r0, c0] * (1.0 - tu) + field[r0, c1] * tu
    bottom = field[r1, c0] * (1.0 - tu) + field[r1, c1] * tu
    return float(top * (1.0 - tv) + bottom * tv)


def sample_field(grid: Grid, field: NDArray[np.float32], px: F64, py: F64) -> F64:
    """Interpolated distances at metric points."""
    return _sample(
        field,
        (np.asarray(px) - grid.x0) / grid.cell_m - 0.5,
        (np.asarray(py) - grid.y0) / grid.cell_m - 0.5,
    )


@njit(cache=True)
def _sample(field: NDArray[np.float32], u: F64, v: F64) -> F64:
    out = np.empty(len(u))
    for k in range(len(u)):
        out[k] = _interp(field, u[k], v[k])
    return out


@njit(cache=True)
def _fill_rings(
    out: NDArray[np.int16],
    ex0: F64,
    ey0: F64,
    ex1: F64,
    ey1: F64,
    value: int,
    x0: float,
    y0: float,
    size: float,
) -> None:
    """Even-odd scanline fill of one polygon's edges at cell centres."""
    ny, nx = out.shape
    r0 = max(0, int(np.ceil((min(ey0.min(), ey1.min()) - y0) / size - 0.5)))
    r1 = min(ny - 1, int(np.floor((max(ey0.max(), ey1.max()) - y0) / size - 0.5)))
    xs = np.empty(len(ex0))
    for r in range(r0, r1 + 1):
        py = y0 + (r + 0.5) * size
        m = 0
        for k in range(len(ex0)):
            ya, yb = ey0[k], ey1[k]
            if (ya <= py) != (yb <= py):
                xs[m] = ex0[k] + (py - ya) * (ex1[k] - ex0[k]) / (yb - ya)
                m += 1
        cross = np.sort(xs[:m])
        for q in range(0, m - 1, 2):
            c0 = max(0, int(np.ceil((cross[q] - x0) / size - 0.5)))
            c1 = min(nx - 1, int(np.floor((cross[q + 1] - x0) / size - 0.5)))
            for c in range(c0, c1 + 1):
                out[r, c] = value


def _edges(geom: BaseGeometry) -> tuple[F64, F64, F64, F64]:
    rings = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        rings.append(np.asarray(poly.exterior.coords))
        rings.extend(np.asarray(r.coords) for r in poly.interiors)
    if not rings:
        e = np.empty(0)
        return e, e, e, e
    a = np.concatenate([r[:-1] for r in rings])
    b = np.concatenate([r[1:] for r in rings])
    return (
        np.ascontiguousarray(a[:, 0]),
        np.ascontiguousarray(a[:, 1]),
        np.ascontiguousarray(b[:, 0]),
        np.ascontiguousarray(b[:, 1]),
    )


def rasterize(
    grid: Grid, geoms: list[BaseGeometry] | NDArray[np.object_], values: list[int] | None = None
) -> NDArray[np.int16]:
    """Raster of polygons: each cell holds the value of the polygon containing its centre
    (``values`` defaults to 1 for all), -1 elsewhere; later polygons win overlaps."""
    out = np.full((grid.ny, grid.nx), -1, dtype=np.int16)
    for k, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        ex0, ey0, ex1, ey1 = _edges(geom)
        if len(ex0) == 0:
            continue
        value = 1 if values is None else int(values[k])
        _fill_rings(out, ex0, ey0, ex1, ey1, value, grid.x0, grid.y0, grid.cell_m)
    return out


def footprint_polygon(grid: Grid, field: NDArray[np.float32], radius: float) -> BaseGeometry:
    """The region within ``radius`` of the patrol as polygons: the distance field's filled
    contour at ``radius`` (marching squares, linear along cell sides), clipped to the grid.

    The contour's vertices lie on the true edge up to the field's curvature between cell
    centres (about ``cell² / 8R``, a quarter of a metre at 10 m cells and R = 50 m).
    """
    xs = grid.x0 + (np.arange(grid.nx) + 0.5) * grid.cell_m
    ys = grid.y0 + (np.arange(grid.ny) + 0.5) * grid.cell_m
    if grid.nx < 2 or grid.ny < 2 or float(field.min()) > radius:
        return shapely.Polygon()
    gen = contourpy.contour_generator(
        xs, ys, field.astype(np.float64), name="serial", fill_type=contourpy.FillType.OuterOffset
    )
    filled: Any = gen.filled(-1.0, float(radius))  # OuterOffset: (points, offsets) lists
    polys = []
    for pts, offs in zip(filled[0], filled[1], strict=True):
        rings = [pts[offs[i] : offs[i + 1]] for i in range(len(offs) - 1)]
        polys.append(shapely.Polygon(rings[0], rings[1:]))
    shape = shapely.multipolygons(polys)
    return shape if shape.is_valid else shapely.make_valid(shape)
