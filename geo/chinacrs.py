"""Conversions between WGS-84, GCJ-02 (Amap/Tencent) and BD-09 (Baidu), vectorised with numpy.

Why this module exists
----------------------
Apps built on the Amap (Gaode) or Tencent SDKs record GCJ-02, and apps built on the Baidu SDK
record BD-09; both can end up, silently, in a GPX or GeoJSON upload. GCJ-02 is an obfuscated
datum with no EPSG code, so pyproj/PROJ cannot convert it (PROJ issue 982), and BD-09 is GCJ-02
with a second, Baidu-specific shift on top. Near Xiaozhang (about 110.2 E, 28.2 N) GCJ-02 is
about 600 m from WGS-84 (roughly 470 m east and 370 m south) and BD-09 about 1,150 m, far more
than the width of a patrol corridor, so an undeclared or unconverted upload puts every patrol on
the wrong road. The service stores WGS-84; :func:`to_wgs84` converts an upload from the system
it declares.

The formulas
------------
* WGS-84 -> GCJ-02 is the public-domain formula (the polynomial-plus-sines offset in metres,
  turned into degrees on the Krasovsky 1940 ellipsoid, a = 6378245.0,
  e^2 = 0.00669342162296594323).
* GCJ-02 -> WGS-84 has no closed form. :func:`gcj02_to_wgs84` starts from the usual one-step
  inverse (error up to a few metres) and iterates the forward transform until the worst point's
  residual is under 1e-9 degrees (about 0.1 mm) or 10 iterations have run; 3-4 iterations
  usually suffice.
* GCJ-02 <-> BD-09 is the standard Baidu formula (x_pi = pi * 3000 / 180, shifts 0.0065 E and
  0.006 N). The common closed-form BD-09 -> GCJ-02 is itself approximate (errors up to about
  2e-6 degrees, some 20 cm), so :func:`bd09_to_gcj02` uses it as the first guess and iterates
  the forward formula the same way as the GCJ-02 inverse.

The "outside China" rule
------------------------
As in every public implementation, the GCJ-02 offset is only applied inside the rough China box
lon 72.004-137.8347, lat 0.8293-55.8271 (bounds inclusive); points outside it, and non-finite
points, are returned unchanged by the WGS-84 <-> GCJ-02 conversions (the inverse tests the GCJ-02
input against the box). The Baidu step (GCJ-02 <-> BD-09) is a plain formula that is applied
everywhere, as the reference implementations do; so outside the box ``wgs84_to_bd09`` applies
the Baidu shift only and ``bd09_to_wgs84`` undoes it only. Non-finite points (NaN, inf) are
returned unchanged by every conversion.

CGCS2000 is treated as equal to WGS-84 (they differ by well under a metre here).

This module depends on numpy and pyproj only (no web or database code).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Final

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

from geo.errors import InvalidInput

__all__ = [
    "SOURCE_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]
_Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

#: Named coordinate systems an upload may declare (besides an ``EPSG:<code>``).
SOURCE_SYSTEMS: Final[tuple[str, ...]] = ("wgs84", "cgcs2000", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323

# Baidu's constants.
_X_PI: Final = math.pi * 3000.0 / 180.0
_BD_DLON: Final = 0.0065
_BD_DLAT: Final = 0.006

# The rough China box of the "outside China" rule.
_LON_MIN: Final = 72.004
_LON_MAX: Final = 137.8347
_LAT_MIN: Final = 0.8293
_LAT_MAX: Final = 55.8271

# Iterative inverses: stop when the worst residual is below this (degrees) or after _MAX_ITER.
_TOL: Final = 1e-9
_MAX_ITER: Final = 10

_EPSG_RE: Final = re.compile(r"^epsg:(\d+)$", re.IGNORECASE)


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Read inputs as float64 arrays of one (broadcast) shape; callers never write to them."""
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a, lat_a


def _out(a: ArrayLike) -> FloatArray:
    """A float64 ndarray (0-d for scalar results), owning its data."""
    return np.array(a, dtype=np.float64, copy=True)


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether points fall inside the rough China box where GCJ-02 applies.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees.

    Returns
    -------
    NDArray[np.bool_]
        True inside lon 72.004-137.8347, lat 0.8293-55.8271 (inclusive); False outside and
        for non-finite values.

    Examples
    --------
    >>> in_china([110.2, 2.35], [28.2, 48.85]).tolist()
    [True, False]
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    return np.asarray(
        (lon_a >= _LON_MIN) & (lon_a <= _LON_MAX) & (lat_a >= _LAT_MIN) & (lat_a <= _LAT_MAX),
        dtype=np.bool_,
    )


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (degrees) at WGS-84 points, with no China test."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    pi_x = np.pi * x
    pi_y = np.pi * y
    sines_x = 2.0 * np.sin(6.0 * pi_x) + 2.0 * np.sin(2.0 * pi_x)  # in both components
    dlat_m = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + (
            sines_x
            + 2.0 * np.sin(pi_y)
            + 4.0 * np.sin(pi_y / 3.0)
            + 16.0 * np.sin(pi_y / 12.0)
            + 32.0 * np.sin(pi_y / 30.0)
        )
        * (20.0 / 3.0)
    )
    dlon_m = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + (
            sines_x
            + 2.0 * np.sin(pi_x)
            + 4.0 * np.sin(pi_x / 3.0)
            + 15.0 * np.sin(pi_x / 12.0)
            + 30.0 * np.sin(pi_x / 30.0)
        )
        * (20.0 / 3.0)
    )
    rad_lat = np.radians(lat)
    sin_lat = np.sin(rad_lat)
    magic = 1.0 - _EE * sin_lat * sin_lat
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat_m * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon_m * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return np.asarray(dlon, dtype=np.float64), np.asarray(dlat, dtype=np.float64)


def _wgs_to_gcj_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _gcj_to_bd_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_closed(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The common closed-form BD-09 -> GCJ-02 (approximate, up to about 2e-6 degrees off)."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _refine(
    forward: _Forward,
    target_lon: FloatArray,
    target_lat: FloatArray,
    guess_lon: FloatArray,
    guess_lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Fixed-point iteration ``p <- p - (forward(p) - target)`` until the worst residual is
    under ``_TOL`` degrees or ``_MAX_ITER`` steps have run (never in place)."""
    lon, lat = guess_lon, guess_lat
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(lon, lat)
        d_lon = f_lon - target_lon
        d_lat = f_lat - target_lat
        lon = lon - d_lon
        lat = lat - d_lat
        if d_lon.size == 0:
            break
        worst = max(float(np.max(np.abs(d_lon))), float(np.max(np.abs(d_lat))))
        if not worst >= _TOL:  # also stops on NaN residuals
            break
    return lon, lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 to GCJ-02 (the Amap/Tencent datum).

    Points outside the rough China box (see the module docstring) are returned unchanged.

    Parameters
    ----------
    lon, lat
        WGS-84 longitudes and latitudes in degrees: array-likes of one shape (or broadcastable),
        or scalars. They are not modified.

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        GCJ-02 longitudes and latitudes in degrees (0-d arrays for scalar input).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02([110.2], [28.2])
    >>> print(f"{lon[0]:.6f} {lat[0]:.6f}")
    110.204783 28.196658
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    inside = in_china(lon_a, lat_a)
    # Evaluate the formula at a harmless point outside the box (no warnings for inf/NaN).
    safe_lon = np.where(inside, lon_a, 105.0)
    safe_lat = np.where(inside, lat_a, 35.0)
    g_lon, g_lat = _wgs_to_gcj_raw(safe_lon, safe_lat)
    return _out(np.where(inside, g_lon, lon_a)), _out(np.where(inside, g_lat, lat_a))


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 to WGS-84 by iterating the forward transform.

    Starts from the one-step inverse (a few metres off) and iterates until the worst point's
    residual is under 1e-9 degrees or 10 iterations have run; the result is well under 1 mm
    from the exact inverse. Points whose GCJ-02 position is outside the rough China box are
    returned unchanged.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes in degrees (array-likes or scalars; not modified).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        WGS-84 longitudes and latitudes in degrees.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(110.2, 28.2))
    >>> print(f"{float(lon):.9f} {float(lat):.9f}")
    110.200000000 28.200000000
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    inside = in_china(lon_a, lat_a)
    safe_lon = np.where(inside, lon_a, 105.0)
    safe_lat = np.where(inside, lat_a, 35.0)
    d_lon, d_lat = _gcj_offset(safe_lon, safe_lat)
    w_lon, w_lat = _refine(_wgs_to_gcj_raw, safe_lon, safe_lat, safe_lon - d_lon, safe_lat - d_lat)
    return _out(np.where(inside, w_lon, lon_a)), _out(np.where(inside, w_lat, lat_a))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 to BD-09 (the Baidu datum) with the standard Baidu formula.

    Applied everywhere (no China test), as in the reference implementations.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes in degrees (array-likes or scalars; not modified).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        BD-09 longitudes and latitudes in degrees.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(110.2, 28.2)
    >>> print(f"{float(lon):.6f} {float(lat):.6f}")
    110.206542 28.205835
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    finite = np.isfinite(lon_a) & np.isfinite(lat_a)
    b_lon, b_lat = _gcj_to_bd_raw(np.where(finite, lon_a, 0.0), np.where(finite, lat_a, 0.0))
    return _out(np.where(finite, b_lon, lon_a)), _out(np.where(finite, b_lat, lat_a))


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 to GCJ-02.

    The closed-form inverse of the Baidu formula is only good to about 2e-6 degrees (20 cm),
    so it serves as the first guess and the forward formula is iterated (worst residual under
    1e-9 degrees, at most 10 iterations). Applied everywhere (no China test).

    Parameters
    ----------
    lon, lat
        BD-09 longitudes and latitudes in degrees (array-likes or scalars; not modified).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        GCJ-02 longitudes and latitudes in degrees.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(110.2, 28.2))
    >>> print(f"{float(lon):.9f} {float(lat):.9f}")
    110.200000000 28.200000000
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    finite = np.isfinite(lon_a) & np.isfinite(lat_a)
    safe_lon = np.where(finite, lon_a, 0.0)
    safe_lat = np.where(finite, lat_a, 0.0)
    g_lon, g_lat = _bd_to_gcj_closed(safe_lon, safe_lat)
    g_lon, g_lat = _refine(_gcj_to_bd_raw, safe_lon, safe_lat, g_lon, g_lat)
    return _out(np.where(finite, g_lon, lon_a)), _out(np.where(finite, g_lat, lat_a))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 to BD-09 (GCJ-02, then the Baidu shift).

    Outside the rough China box only the Baidu shift is applied (the GCJ-02 step leaves such
    points unchanged).

    Parameters
    ----------
    lon, lat
        WGS-84 longitudes and latitudes in degrees (array-likes or scalars; not modified).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        BD-09 longitudes and latitudes in degrees.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09([110.2], [28.2])
    >>> print(f"{lon[0]:.6f} {lat[0]:.6f}")
    110.211339 28.202426
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 to WGS-84 (undo the Baidu shift, then the GCJ-02 offset; both iterative).

    Parameters
    ----------
    lon, lat
        BD-09 longitudes and latitudes in degrees (array-likes or scalars; not modified).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        WGS-84 longitudes and latitudes in degrees.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(110.2, 28.2))
    >>> print(f"{float(lon):.9f} {float(lat):.9f}")
    110.200000000 28.200000000
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


@lru_cache(maxsize=16)
def _transformer_to_wgs84(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _allowed() -> str:
    return ", ".join(f'"{name}"' for name in SOURCE_SYSTEMS) + ' or "EPSG:<code>"'


def to_wgs84(lon: ArrayLike, lat: ArrayLike, source: str) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates from an upload's declared system to WGS-84.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees, or for an EPSG source the CRS's x/y in its units
        (x first: easting or longitude, whatever the CRS's official axis order). Not modified.
    source
        ``"wgs84"`` or ``"cgcs2000"`` (returned as-is: CGCS2000 equals WGS-84 within about
        a metre), ``"gcj02"``, ``"bd09"`` (case-insensitive), or an EPSG code such as
        ``"EPSG:4546"`` or ``"epsg:32649"``, converted with pyproj (``always_xy=True``).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        WGS-84 longitudes and latitudes in degrees (new arrays).

    Raises
    ------
    InvalidInput
        If ``source`` is not one of the names above or not a CRS pyproj knows.

    Examples
    --------
    >>> lon, lat = to_wgs84(*wgs84_to_gcj02(110.2, 28.2), source="gcj02")
    >>> print(f"{float(lon):.6f} {float(lat):.6f}")
    110.200000 28.200000
    >>> lon, lat = to_wgs84(500000.0, 3100000.0, "EPSG:4546")
    >>> print(f"{float(lon):.4f} {float(lat):.4f}")
    111.0000 28.0141
    """
    name = str(source).strip().lower()
    if name in ("wgs84", "cgcs2000"):
        lon_a, lat_a = _as_float_arrays(lon, lat)
        return _out(lon_a), _out(lat_a)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    match = _EPSG_RE.match(name)
    if match is None:
        raise InvalidInput(f"Unknown coordinate system {source!r}; use {_allowed()}.")
    code = f"EPSG:{int(match.group(1))}"
    try:
        transformer = _transformer_to_wgs84(code)
    except pyproj.exceptions.CRSError as exc:
        raise InvalidInput(f"Unknown coordinate system {source!r}: {exc}") from exc
    lon_a, lat_a = _as_float_arrays(lon, lat)
    out_lon, out_lat = transformer.transform(lon_a, lat_a)
    return _out(out_lon), _out(out_lat)
