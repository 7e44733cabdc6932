"""Terrain (optional): a DEM, and camera sectors cut to what the camera can see over it.

A township may have a DEM GeoTIFF; without one every camera sees its whole sector, as in
:func:`geo.coverage.surveillance.camera_sectors`. With one, a sector becomes its viewshed: the
ground points of the sector whose line of sight from the camera (its ground elevation plus its
mounting height) to a person on them (``target_height_m`` above ground) passes above the
terrain everywhere in between. Reading a GeoTIFF needs rasterio (the ``dem`` extra); the line of
sight itself is numpy on the elevation array. Drone heights, logged above the take-off point,
become heights above the ground under the drone, for its camera's ground swath.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.coverage.surveillance import camera_sectors, drone_footprints

#: Mounting height of a camera without ``height_m`` (metres above ground).
DEFAULT_CAMERA_HEIGHT_M = 5.0
#: Targets are checked in batches of this many (memory: batch × samples floats).
BATCH = 4096


@dataclass(frozen=True)
class Dem:
    """Elevations (metres, NaN where unknown) on a north-up grid in a metric CRS: cell
    ``(row, col)`` has its top-left corner at ``(x0 + col · cell, y0 − row · cell)``.

    Examples
    --------
    >>> dem = Dem(np.array([[1.0, 2.0], [3.0, 4.0]]), x0=0.0, y0=20.0, cell=10.0, crs="EPSG:4546")
    >>> dem.at(np.array([5.0, 15.0, 99.0]), np.array([5.0, 15.0, 5.0])).tolist()
    [3.0, 2.0, nan]
    """

    elevation: NDArray[np.float64]
    x0: float
    y0: float
    cell: float
    crs: str

    def at(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Elevation of the cell holding each point (NaN outside the grid)."""
        col = np.floor((x - self.x0) / self.cell).astype(np.int64)
        row = np.floor((self.y0 - y) / self.cell).astype(np.int64)
        rows, cols = self.elevation.shape
        inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
        out = np.full(np.shape(x), np.nan)
        out[inside] = self.elevation[row[inside], col[inside]]
        return out


def read_dem(path: Path, metric_crs: str) -> Dem:
    """Read a single-band DEM GeoTIFF, resampled to a north-up grid in ``metric_crs`` (bilinear)
    when it is in another system; nodata becomes NaN. Needs rasterio (the ``dem`` extra)."""
    import rasterio  # type: ignore[import-untyped]
    from rasterio.warp import Resampling, calculate_default_transform, reproject  # type: ignore[import-untyped]

    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype(np.float64).filled(np.nan)
        transform, crs = src.transform, src.crs
        if crs is None:
            raise ValueError(f"{path.name}: the DEM has no coordinate system")
        if crs.to_string() != metric_crs or transform.b != 0 or transform.d != 0:
            dst_transform, width, height = calculate_default_transform(
                crs, metric_crs, src.width, src.height, *src.bounds
            )
            out = np.full((height, width), np.nan)
            reproject(
                data,
                out,
                src_transform=transform,
                src_crs=crs,
                dst_transform=dst_transform,
                dst_crs=metric_crs,
                src_nodata=np.nan,
                dst_nodata=np.nan,
                resampling=Resampling.bilinear,
            )
            data, transform = out, dst_transform
    if abs(abs(transform.a) - abs(transform.e)) > 1e-6 * abs(transform.a):
        raise ValueError(f"{path.name}: the DEM's cells are not square")
    return Dem(data, float(transform.c), float(transform.f), float(transform.a), metric_crs)


def visible_from(
    dem: Dem,
    x: float,
    y: float,
    eye_height_m: float,
    tx: NDArray[np.float64],
    ty: NDArray[np.float64],
    *,
    target_height_m: float = 1.5,
) -> NDArray[np.bool_]:
    """Whether each target point can be seen from the eye at ``(x, y)``, ``eye_height_m`` above
    the ground: no terrain sample along the way (every half cell) rises above the sight line.
    Unknown elevations block nothing.

    Examples
    --------
    A 20 m wall 40 m north of a 5 m camera hides the ground behind it, not before it.

    >>> z = np.zeros((20, 3)); z[11, :] = 20.0  # rows from y = 100 down; row 11 is y 40-45
    >>> dem = Dem(z, x0=-7.5, y0=100.0, cell=5.0, crs="EPSG:4546")
    >>> visible_from(dem, 0.0, 2.5, 5.0, np.array([0.0, 0.0]), np.array([20.0, 80.0])).tolist()
    [True, False]
    """
    z_eye = float(dem.at(np.array([x]), np.array([y]))[0])
    z_eye = (0.0 if np.isnan(z_eye) else z_eye) + eye_height_m
    step = dem.cell / 2
    out = np.zeros(len(tx), dtype=bool)
    for lo in range(0, len(tx), BATCH):
        bx, by = tx[lo : lo + BATCH], ty[lo : lo + BATCH]
        dist = np.hypot(bx - x, by - y)
        z_target = dem.at(bx, by)
        z_target = np.where(np.isnan(z_target), z_eye - eye_height_m, z_target) + target_height_m
        n = max(int(np.ceil(dist.max(initial=0.0) / step)), 1)
        s = np.arange(1, n) * step  # sample distances from the eye
        share = s[None, :] / np.where(dist > 0, dist, 1.0)[:, None]  # (targets, samples)
        before = share < 1 - 1e-9
        sx = x + (bx - x)[:, None] * share
        sy = y + (by - y)[:, None] * share
        ground = dem.at(sx, sy)
        sight = z_eye + (z_target - z_eye)[:, None] * share
        blocked = before & (ground > sight)
        out[lo : lo + BATCH] = ~blocked.any(axis=1)
    return out


def viewsheds(
    cameras: pd.DataFrame,
    dem: Dem | None,
    *,
    target_height_m: float = 1.5,
    grid_m: float | None = None,
) -> NDArray[np.object_]:
    """Each camera's sector cut to the ground it can see over the DEM (the whole sector
    without a DEM).

    Parameters
    ----------
    cameras
        A GeoDataFrame as :func:`~geo.coverage.surveillance.camera_sectors` takes, in the DEM's
        CRS, with ``height_m`` (mounting height; NaN: :data:`DEFAULT_CAMERA_HEIGHT_M`).
    grid_m
        Spacing of the ground points checked (default: the DEM cell, at most a twentieth of the
        camera's range); the viewshed is the sector cut to the squares of the visible points.

    Returns
    -------
    numpy.ndarray of shapely geometries, one per camera.
    """
    sectors = camera_sectors(cameras)
    if dem is None:
        return sectors
    out = np.empty(len(sectors), dtype=object)
    heights = (
        cameras["height_m"].fillna(DEFAULT_CAMERA_HEIGHT_M).to_numpy(dtype=np.float64)
        if "height_m" in cameras.columns
        else np.full(len(sectors), DEFAULT_CAMERA_HEIGHT_M)
    )
    xs = shapely.get_x(cameras.geometry.to_numpy())
    ys = shapely.get_y(cameras.geometry.to_numpy())
    reach = cameras["range_m"].fillna(0.0).to_numpy(dtype=np.float64)
    for i, sector in enumerate(sectors):
        if sector.is_empty:
            out[i] = sector
            continue
        g = grid_m or min(dem.cell, reach[i] / 20)
        out[i] = _visible_part(dem, sector, xs[i], ys[i], heights[i], g, target_height_m)
    return out


def _visible_part(
    dem: Dem,
    sector: BaseGeometry,
    x: float,
    y: float,
    height: float,
    grid: float,
    target_height_m: float,
) -> BaseGeometry:
    xmin, ymin, xmax, ymax = sector.bounds
    gx, gy = np.meshgrid(np.arange(xmin, xmax + grid, grid), np.arange(ymin, ymax + grid, grid))
    gx, gy = gx.ravel(), gy.ravel()
    near = shapely.intersects_xy(sector.buffer(grid), gx, gy)
    gx, gy = gx[near], gy[near]
    seen = visible_from(dem, x, y, height, gx, gy, target_height_m=target_height_m)
    if seen.all():
        return sector
    if not seen.any():
        return shapely.Polygon()
    half = grid / 2
    cells = shapely.box(gx[seen] - half, gy[seen] - half, gx[seen] + half, gy[seen] + half)
    out: BaseGeometry = shapely.intersection(sector, shapely.coverage_union_all(cells))
    return out


def heights_above_ground(dem: Dem, line: BaseGeometry) -> NDArray[np.float64]:
    """Heights above the ground under each vertex of a 3-D flight line whose z is metres above
    the take-off point (its first vertex): ``z + ground(take-off) − ground(vertex)``. NaN stays
    NaN; where the DEM has no elevation the height above take-off is kept.

    Examples
    --------
    >>> dem = Dem(np.array([[100.0, 40.0, 160.0]]), x0=0.0, y0=10.0, cell=10.0, crs="EPSG:4546")
    >>> flight = shapely.LineString([(5, 5, 0), (15, 5, 100), (25, 5, 100)])
    >>> heights_above_ground(dem, flight).tolist()  # over a valley, then over a hill
    [0.0, 160.0, 40.0]
    """
    xyz = shapely.get_coordinates(line, include_z=True)
    ground = dem.at(xyz[:, 0], xyz[:, 1])
    takeoff = ground[0]
    if np.isnan(takeoff):
        return xyz[:, 2].copy()
    height: NDArray[np.float64] = xyz[:, 2] + np.where(np.isnan(ground), 0.0, takeoff - ground)
    return height


def drone_footprints_over(
    flights: pd.DataFrame, dem: Dem | None, *, piece_vertices: int = 32
) -> NDArray[np.object_]:
    """:func:`~geo.coverage.surveillance.drone_footprints` with each vertex's height above the
    ground under it (the DEM) instead of above take-off; the same without a DEM."""
    if dem is None or len(flights) == 0:
        return drone_footprints(flights, piece_vertices=piece_vertices)
    lines = []
    for line in flights.geometry.to_numpy():
        if line is None or line.is_empty:
            lines.append(line)
            continue
        xyz = shapely.get_coordinates(line, include_z=True)
        xyz[:, 2] = heights_above_ground(dem, line)
        lines.append(shapely.LineString(xyz))
    over = flights.copy()
    over["geometry"] = lines
    return drone_footprints(over, piece_vertices=piece_vertices)
