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
