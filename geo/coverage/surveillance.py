"""Camera view sectors (and, later, drone footprints) as polygons in a metric CRS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray


def camera_sectors(cameras: pd.DataFrame, *, arc_step_deg: float = 5.0) -> NDArray[np.object_]:
    """The ground each camera sees: a sector of ``fov_deg`` around ``bearing_deg`` out to
    ``range_m``, or a full disc for PTZ cameras.

    Parameters
    ----------
    cameras
        A GeoDataFrame of points in a metric CRS with ``bearing_deg`` (clockwise from north),
        ``fov_deg``, ``range_m`` and ``ptz``.
    arc_step_deg
        Angular step of the arc's vertices.

    Returns
    -------
    numpy.ndarray of shapely Polygons, one per camera (in the cameras' CRS).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> cams = gpd.GeoDataFrame({"bearing_deg": [90.0], "fov_deg": [90.0], "range_m": [10.0],
    ...     "ptz": [False]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4546")
    >>> round(camera_sectors(cams)[0].area, 1)  # a quarter of a 10 m disc, as a polygon
    78.4
    """
    out = np.empty(len(cameras), dtype=object)
    xs = shapely.get_x(cameras.geometry.to_numpy())
    ys = shapely.get_y(cameras.geometry.to_numpy())
    for i, (x, y, bearing, fov, reach, ptz) in enumerate(
        zip(
            xs,
            ys,
            cameras["bearing_deg"].fillna(0.0),
            cameras["fov_deg"].fillna(90.0),
            cameras["range_m"].fillna(0.0),
            cameras["ptz"],
            strict=True,
        )
    ):
        if reach <= 0:
            out[i] = shapely.Polygon()
        elif ptz or fov >= 360:
            out[i] = shapely.Point(x, y).buffer(reach, quad_segs=int(90 / arc_step_deg))
        else:
            steps = max(int(np.ceil(fov / arc_step_deg)), 2)
            angles = np.radians(bearing - fov / 2 + np.linspace(0, fov, steps + 1))
            arc = np.column_stack([x + reach * np.sin(angles), y + reach * np.cos(angles)])
            out[i] = shapely.Polygon(np.vstack([[x, y], arc, [x, y]]))
    return out


DEFAULT_ALTITUDE_M = 120.0
DEFAULT_HFOV_DEG = 84.0


def ground_swath_m(height_m: NDArray[np.float64], hfov_deg: float) -> NDArray[np.float64]:
    """The width of ground a nadir camera sees: ``2 · height · tan(HFOV / 2)`` (height at
    least 1 m).

    Examples
    --------
    >>> ground_swath_m(np.array([25.0, 250.0]), 84.0).round(1).tolist()
    [45.0, 450.2]
    """
    swath: NDArray[np.float64] = 2 * np.clip(height_m, 1.0, None) * np.tan(np.radians(hfov_deg) / 2)
    return swath


def drone_footprints(flights: pd.DataFrame, *, piece_vertices: int = 32) -> NDArray[np.object_]:
    """The ground each drone flight's camera saw: its track buffered by half the ground swath,
    ``altitude · tan(HFOV / 2)``, with the altitude of each short piece of the track.

    Parameters
    ----------
    flights
        A GeoDataFrame of 3-D lines in a metric CRS (z = metres above take-off, NaN when
        unknown) with ``hfov_deg``; altitude defaults to 120 m and HFOV to 84°.

    Returns
    -------
    numpy.ndarray of shapely geometries, one per flight.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> f = gpd.GeoDataFrame({"hfov_deg": [90.0]},
    ...     geometry=[shapely.LineString([(0, 0, 100), (1000, 0, 100)])], crs="EPSG:4546")
    >>> round(drone_footprints(f)[0].area / 1000)  # a 200 m wide band with round ends
    231
    """
    out = np.empty(len(flights), dtype=object)
    for i, (line, hfov) in enumerate(
        zip(flights.geometry.to_numpy(), flights["hfov_deg"].fillna(DEFAULT_HFOV_DEG), strict=True)
    ):
        if line is None or line.is_empty:
            out[i] = shapely.Polygon()
            continue
        xyz = shapely.get_coordinates(line, include_z=True)
        z = np.where(np.isfinite(xyz[:, 2]), xyz[:, 2], DEFAULT_ALTITUDE_M)
        half_swath = ground_swath_m(z, float(hfov)) / 2
        step = piece_vertices - 1
        starts = np.arange(0, max(len(xyz) - 1, 1), step)
        pieces = [
            shapely.LineString(xyz[s : s + piece_vertices, :2]) for s in starts if s + 1 < len(xyz)
        ]
        radii = [
            float(half_swath[s : s + piece_vertices].mean()) for s in starts if s + 1 < len(xyz)
        ]
        if not pieces:
            out[i] = shapely.Point(xyz[0, :2]).buffer(float(half_swath[0]))
            continue
        out[i] = shapely.union_all(shapely.buffer(np.asarray(pieces, dtype=object), radii))
    return out
