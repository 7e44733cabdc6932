"""Terrain (optional): a DEM, and camera sectors cut to what the camera can see over it.

A township may have a DEM GeoTIFF (``dem.tif`` in its layers folder, carried into the store with
the layers as ``TownshipLayers.dem``); without one every camera sees its whole sector, as in
:func:`geo.coverage.surveillance.camera_sectors`. With one, a sector becomes its viewshed: the
ground points of the sector whose line of sight from the camera (its ground elevation plus its
mounting height) to a person on them (``target_height_m`` above ground) passes above the
terrain everywhere in between. A GeoTIFF is read with rasterio (GDAL's GTiff driver); the line of
sight itself is numpy on the elevation array. Drone heights, logged above the take-off point,
become heights above the ground under the drone, for its camera's ground swath.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.coverage.surveillance import camera_sectors, drone_footprints
from geo.errors import InvalidInput

if TYPE_CHECKING:
    from geo.layers import TownshipLayers

#: The DEM's file name in a layers folder.
DEM_FILE = "dem.tif"
#: Largest DEM file accepted (bytes).
MAX_DEM_BYTES = 32 * 2**20
#: Most cells of a DEM, as stored and after resampling to the metric CRS (4000 × 4000: a
#: 20 km square at 5 m).
MAX_DEM_CELLS = 16_000_000
#: The first bytes of a TIFF (little- and big-endian) and a BigTIFF.
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

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
    >>> dem.at(np.array([5.0, 15.0, 10.0, 99.0]), np.array([5.0, 15.0, 10.0, 5.0])).tolist()
    [3.0, 2.0, 2.5, nan]
    """

    elevation: NDArray[np.float64]
    x0: float
    y0: float
    cell: float
    crs: str

    def at(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Elevation at each point, interpolated bilinearly between cell centres (so a
        uniform slope stays a slope, not steps that would block sight lines); NaN outside
        the grid. A NaN cell takes no part; a point whose known neighbours weigh less than
        half is NaN."""
        rows, cols = self.elevation.shape
        fc = (np.asarray(x, dtype=np.float64) - self.x0) / self.cell - 0.5
        fr = (self.y0 - np.asarray(y, dtype=np.float64)) / self.cell - 0.5
        inside = (fc >= -0.5) & (fc < cols - 0.5) & (fr >= -0.5) & (fr < rows - 0.5)
        fc = np.clip(np.where(inside, fc, 0.0), 0.0, cols - 1.0)
        fr = np.clip(np.where(inside, fr, 0.0), 0.0, rows - 1.0)
        c0 = np.minimum(np.floor(fc).astype(np.int64), max(cols - 2, 0))
        r0 = np.minimum(np.floor(fr).astype(np.int64), max(rows - 2, 0))
        c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
        tc, tr = fc - c0, fr - r0
        num = np.zeros(np.shape(fc))
        den = np.zeros(np.shape(fc))
        for r, c, w in (
            (r0, c0, (1 - tr) * (1 - tc)),
            (r0, c1, (1 - tr) * tc),
            (r1, c0, tr * (1 - tc)),
            (r1, c1, tr * tc),
        ):
            z = self.elevation[r, c]
            known = ~np.isnan(z)
            num += np.where(known, z * w, 0.0)
            den += np.where(known, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: NDArray[np.float64] = np.where(inside & (den >= 0.5), num / den, np.nan)
        return out


def read_dem(source: Path | bytes, metric_crs: str, *, name: str = "dem.tif") -> Dem:
    """Read a single-band DEM GeoTIFF (a file or its bytes), resampled to a north-up grid in
    ``metric_crs`` (bilinear) when it is in another system; nodata becomes NaN.

    Only GDAL's GTiff driver reads it, from memory (no side files), and it is bounded: at
    most :data:`MAX_DEM_BYTES` and :data:`MAX_DEM_CELLS` cells, before and after resampling.
    Anything else is :class:`geo.errors.InvalidInput` naming ``name`` (the file's name when a
    path is given).
    """
    if isinstance(source, Path):
        name = source.name
        if source.stat().st_size > MAX_DEM_BYTES:
            raise _bad(name, f"larger than {MAX_DEM_BYTES // 2**20} MiB")
        source = source.read_bytes()
    return _decode(source, metric_crs, name)


def _bad(name: str, problem: str) -> InvalidInput:
    return InvalidInput(f"the DEM is {problem}", source=name)


def _check_cells(name: str, height: int, width: int) -> None:
    if height * width > MAX_DEM_CELLS:
        raise _bad(name, f"too large: {width} × {height} cells (at most {MAX_DEM_CELLS:,})")


def _decode(data: bytes, metric_crs: str, name: str) -> Dem:
    if len(data) > MAX_DEM_BYTES:
        raise _bad(name, f"larger than {MAX_DEM_BYTES // 2**20} MiB")
    if data[:4] not in TIFF_MAGIC:
        raise _bad(name, "not a GeoTIFF (no TIFF header)")
    try:
        import rasterio  # type: ignore[import-untyped]
        from rasterio.errors import RasterioError  # type: ignore[import-untyped]
        from rasterio.io import MemoryFile  # type: ignore[import-untyped]
        from rasterio.warp import (  # type: ignore[import-untyped]
            Resampling,
            calculate_default_transform,
            reproject,
        )
    except ImportError:  # pragma: no cover - rasterio is a dependency
        raise _bad(name, "unreadable here: install rasterio (pip install rasterio)") from None
    try:
        with (
            rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"),
            MemoryFile(data) as mem,
            mem.open(driver="GTiff") as src,
        ):
            _check_cells(name, src.height, src.width)
            if src.count < 1:
                raise _bad(name, "without a band")
            transform, crs = src.transform, src.crs
            if crs is None:
                raise _bad(name, "without a coordinate system")
            out = src.read(1, masked=True).astype(np.float64).filled(np.nan)
            if crs.to_string() != metric_crs or transform.b != 0 or transform.d != 0:
                dst_transform, width, height = calculate_default_transform(
                    crs, metric_crs, src.width, src.height, *src.bounds
                )
                _check_cells(name, height, width)
                warped = np.full((height, width), np.nan)
                reproject(
                    out,
                    warped,
                    src_transform=transform,
                    src_crs=crs,
                    dst_transform=dst_transform,
                    dst_crs=metric_crs,
                    src_nodata=np.nan,
                    dst_nodata=np.nan,
                    resampling=Resampling.bilinear,
                )
                out, transform = warped, dst_transform
    except RasterioError as exc:
        # GDAL names the in-memory file (a random name): keep only its problem.
        problem = re.sub(r"^\S*\.tif: ", "", str(exc))
        raise _bad(name, f"unreadable: {problem}") from None
    if abs(abs(transform.a) - abs(transform.e)) > 1e-6 * abs(transform.a):
        raise _bad(name, "made of cells that are not square")
    return Dem(out, float(transform.c), float(transform.f), float(transform.a), metric_crs)


@lru_cache(maxsize=4)
def _decoded(data: bytes, metric_crs: str) -> Dem:
    return _decode(data, metric_crs, DEM_FILE)


def township_dem(layers: TownshipLayers) -> Dem | None:
    """The township's DEM (``layers.dem``, the GeoTIFF of its layers folder) in its metric
    CRS, decoded once per process for the same bytes; None without one."""
    if layers.dem is None:
        return None
    return _decoded(layers.dem, layers.info.metric_crs)


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
