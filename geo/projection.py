"""Coordinate transforms between WGS-84 and a township's metric CRS (cached, vectorised)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyproj
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@lru_cache(maxsize=16)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def to_metric(lon: FloatArray, lat: FloatArray, crs: str) -> tuple[FloatArray, FloatArray]:
    """Project WGS-84 lon/lat arrays to ``crs`` (metres)."""
    x, y = _transformer("EPSG:4326", crs).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def from_metric(x: FloatArray, y: FloatArray, crs: str) -> tuple[FloatArray, FloatArray]:
    """Inverse of :func:`to_metric`."""
    lon, lat = _transformer(crs, "EPSG:4326").transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
