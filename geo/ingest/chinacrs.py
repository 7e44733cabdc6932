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
the Baidu shift only and ``bd09_to_wgs84`` undoes it only. Non-finite points (NaN, inf) and
numbers too large to be degrees (lon beyond ±360, lat beyond ±180) are returned unchanged by
every conversion (the formulas would overflow on them).

CGCS2000 is treated as equal to WGS-84 (they differ by well under a metre here).

Baidu Mercator (BD-09MC)
------------------------
Baidu's web services and its JS API also give positions as "Baidu Mercator" metres. This is not
Web Mercator: Baidu's JS API converts BD-09 degrees to these metres with a piecewise polynomial
in six latitude bands (``LL2MC``) and back with another (``MC2LL``); the tables below are the
ones in Baidu's JS API as republished by many open-source ports (go-bd09mc, projzh, ...). The
two directions are separate fits, not exact inverses of each other: a round trip moves a point
by about 3 mm at 28° N and by under 30 cm anywhere in China (lat 3-55°).
:func:`bd09mc_to_bd09` (metres to degrees) is the one an upload uses.

Names
-----
People name these systems in many ways (``WGS 84``, ``GCJ-02``, ``火星坐标``, ``国测局``,
``bd09ll``, ``百度``, ``EPSG:4490`` ...). :data:`CRS_ALIASES` is the one table of those names;
:func:`canonical_crs` maps any of them (ignoring case, spaces, ``-`` and ``_``) to ``wgs84``,
``cgcs2000``, ``gcj02``, ``bd09``, ``bd09mc`` or ``EPSG:<code>``, and :func:`crs_in_text` finds a
system named in free text (a file's title or description).

This module depends on numpy and pyproj only (no web or database code).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Final

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

from geo.errors import InvalidInput

__all__ = [
    "CRS_ALIASES",
    "SOURCE_SYSTEMS",
    "bd09_to_bd09mc",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "bd09mc_to_bd09",
    "canonical_crs",
    "crs_alias",
    "crs_in_text",
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
SOURCE_SYSTEMS: Final[tuple[str, ...]] = ("wgs84", "cgcs2000", "gcj02", "bd09", "bd09mc")

#: Every name of a system that people and files use → its canonical name. Keys are compared
#: after :func:`_alias_key` (NFKC, case-folded, without spaces, ``-``, ``_`` and ``.``).
CRS_ALIASES: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        ("wgs84", "wgs1984", "wgs", "wgs84ll", "epsg:4326", "4326", "crs84", "ogc:crs84"),
        "wgs84",
    ),
    **dict.fromkeys(
        (
            "cgcs2000",
            "cgcs",
            "epsg:4490",
            "4490",
            "国家2000",
            "国家2000坐标",
            "国家2000坐标系",
            "2000国家大地坐标系",
            "cgcs2000坐标系",
        ),
        "cgcs2000",
    ),
    **dict.fromkeys(
        (
            "gcj02",
            "gcj",
            "gcj02ll",
            "mars",
            "火星",
            "火星坐标",
            "火星坐标系",
            "国测局",
            "国测局坐标",
            "国测局坐标系",
            "高德",
            "高德坐标",
            "高德坐标系",
            "腾讯",
            "腾讯坐标",
            "腾讯坐标系",
            "amap",
            "gaode",
            "tencent",
        ),
        "gcj02",
    ),
    **dict.fromkeys(
        (
            "bd09",
            "bd09ll",
            "bd",
            "baidu",
            "百度",
            "百度坐标",
            "百度坐标系",
            "百度经纬度",
            "百度经纬度坐标",
        ),
        "bd09",
    ),
    **dict.fromkeys(
        ("bd09mc", "百度墨卡托", "百度墨卡托坐标", "百度米制坐标", "baidumercator"), "bd09mc"
    ),
}

# A system named in free text: only explicit names (a title saying "高德" is not a datum).
_NAMED_IN_TEXT: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("bd09mc", re.compile(r"bd[-_ ]?09[-_ ]?mc|百度墨卡托|百度米制", re.IGNORECASE)),
    ("bd09", re.compile(r"bd[-_ ]?09(?![-_ ]?mc)|百度坐标|百度经纬度", re.IGNORECASE)),
    ("gcj02", re.compile(r"gcj[-_ ]?02|火星坐标|国测局", re.IGNORECASE)),
    ("cgcs2000", re.compile(r"cgcs[-_ ]?2000|国家\s*2000|epsg:?\s*4490", re.IGNORECASE)),
    ("wgs84", re.compile(r"wgs[-_ ]?(?:19)?84|epsg:?\s*4326", re.IGNORECASE)),
)
_EPSG_ANY: Final = re.compile(r"^(?:epsg:+)?(\d{4,6})$")

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


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Read inputs as float64 arrays of one (broadcast) shape; callers never write to them."""
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a, lat_a


def _out(a: ArrayLike) -> FloatArray:
    """A float64 ndarray (0-d for scalar results), owning its data."""
    return np.array(a, dtype=np.float64, copy=True)


def _in_degrees(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    """Finite numbers that can be degrees (with room beyond ±180/±90, so that the Baidu shift
    of a point at the edge is undone too): the only points the Baidu step converts."""
    return np.asarray((np.abs(lon) <= 360.0) & (np.abs(lat) <= 180.0), dtype=np.bool_)


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
    finite = _in_degrees(lon_a, lat_a)
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
    finite = _in_degrees(lon_a, lat_a)
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


# Baidu Mercator: latitude bands (degrees, metres) and the polynomial of each band, from
# Baidu's JS API. Row: [lon c0, lon c1, lat c0..c6, divisor]; x = c0 + c1*|lon|,
# y = sum(ck * (|lat|/divisor)^k), signs restored afterwards.
_LLBAND: Final = np.array([75.0, 60.0, 45.0, 30.0, 15.0, 0.0])
_MCBAND: Final = np.array([12890594.86, 8362377.87, 5591021.0, 3481989.83, 1678043.12, 0.0])
_LL2MC: Final = np.array(
    [
        [-0.0015702102444, 111320.7020616939, 1704480524535203.0, -10338987376042340.0,
         26112667856603880.0, -35149669176653700.0, 26595700718403920.0,
         -10725012454188240.0, 1800819912950474.0, 82.5],
        [0.0008277824516172526, 111320.7020463578, 647795574.6671607, -4082003173.641316,
         10774905663.51142, -15171875531.51559, 12053065338.62167, -5124939663.577472,
         913311935.9512032, 67.5],
        [0.00337398766765, 111320.7020202162, 4481351.045890365, -23393751.19931662,
         79682215.47186455, -115964993.2797253, 97236711.15602145, -43661946.33752821,
         8477230.501135234, 52.5],
        [0.00220636496208, 111320.7020209128, 51751.86112841131, 3796837.749470245,
         992013.7397791013, -1221952.21711287, 1340652.697009075, -620943.6990984312,
         144416.9293806241, 37.5],
        [-0.0003441963504368392, 111320.7020576856, 278.2353980772752, 2485758.690035394,
         6070.750963243378, 54821.18345352118, 9540.606633304236, -2710.55326746645,
         1405.483844121726, 22.5],
        [-0.0003218135878613132, 111320.7020701615, 0.00369383431289, 823725.6402795718,
         0.46104986909093, 2351.343141331292, 1.58060784298199, 8.77738589078284,
         0.37238884252424, 7.45],
    ]
)  # fmt: skip
_MC2LL: Final = np.array(
    [
        [1.410526172116255e-8, 0.00000898305509648872, -1.9939833816331, 200.9824383106796,
         -187.2403703815547, 91.6087516669843, -23.38765649603339, 2.57121317296198,
         -0.03801003308653, 17337981.2],
        [-7.435856389565537e-9, 0.000008983055097726239, -0.78625201886289, 96.32687599759846,
         -1.85204757529826, -59.36935905485877, 47.40033549296737, -16.50741931063887,
         2.28786674699375, 10260144.86],
        [-3.030883460898826e-8, 0.00000898305509983578, 0.30071316287616, 59.74293618442277,
         7.357984074871, -25.38371002664745, 13.45380521110908, -3.29883767235584,
         0.32710905363475, 6856817.37],
        [-1.981981304930552e-8, 0.000008983055099779535, 0.03278182852591, 40.31678527705744,
         0.65659298677277, -4.44255534477492, 0.85341911805263, 0.12923347998204,
         -0.04625736007561, 4482777.06],
        [3.09191371068437e-9, 0.000008983055096812155, 0.00006995724062, 23.10934304144901,
         -0.00023663490511, -0.6321817810242, -0.00663494467273, 0.03430082397953,
         -0.00466043876332, 2555164.4],
        [2.890871144776878e-9, 0.000008983055095805407, -3.068298e-8, 7.47137025468032,
         -0.00000353937994, -0.02145144861037, -0.00001234426596, 0.00010322952773,
         -0.00000323890364, 826088.5],
    ]
)  # fmt: skip


def _baidu_bands(
    x: FloatArray, y: FloatArray, bands: FloatArray, table: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Evaluate Baidu's band polynomial: the first band whose lower bound |y| reaches."""
    abs_y = np.abs(y)
    # bands are descending; the row is the first i with |y| >= bands[i].
    row = len(bands) - np.searchsorted(bands[::-1], abs_y, side="right")
    c = table[np.clip(row, 0, len(bands) - 1)]
    t = abs_y / c[..., 9]
    out_y = c[..., 8]
    for k in range(7, 1, -1):  # Horner: c2 + c3 t + ... + c8 t^6
        out_y = out_y * t + c[..., k]
    out_x = c[..., 0] + c[..., 1] * np.abs(x)
    return np.copysign(out_x, x), np.copysign(out_y, y)


def bd09mc_to_bd09(x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu Mercator metres (BD-09MC) to BD-09 degrees, as Baidu's JS API does.

    Parameters
    ----------
    x, y
        Baidu Mercator easting and northing in metres (array-likes or scalars; not modified).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        BD-09 longitudes and latitudes in degrees; non-finite input stays as it is.

    Examples
    --------
    >>> lon, lat = bd09mc_to_bd09(12128773.43, 4040249.01)  # go-bd09mc's published example
    >>> print(f"{float(lon):.6f} {float(lat):.6f}")
    108.953440 34.265657
    """
    x_a, y_a = _as_float_arrays(x, y)
    finite = np.isfinite(x_a) & np.isfinite(y_a)
    lon, lat = _baidu_bands(np.where(finite, x_a, 0.0), np.where(finite, y_a, 0.0), _MCBAND, _MC2LL)
    return _out(np.where(finite, lon, x_a)), _out(np.where(finite, lat, y_a))


def bd09_to_bd09mc(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 degrees to Baidu Mercator metres (BD-09MC), as Baidu's JS API does.

    Latitudes are clamped to ±74° and longitudes wrapped into ±180° first, as Baidu does.

    Parameters
    ----------
    lon, lat
        BD-09 longitudes and latitudes in degrees (array-likes or scalars; not modified).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        Baidu Mercator easting and northing in metres.

    Examples
    --------
    >>> x, y = bd09_to_bd09mc(108.95344, 34.265657)  # go-bd09mc's published example
    >>> print(f"{float(x):.2f} {float(y):.2f}")
    12128773.43 4040249.01
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    finite = np.isfinite(lon_a) & np.isfinite(lat_a)
    safe_lon = np.mod(np.where(finite, lon_a, 0.0) + 180.0, 360.0) - 180.0
    safe_lat = np.clip(np.where(finite, lat_a, 0.0), -74.0, 74.0)
    x, y = _baidu_bands(safe_lon, safe_lat, _LLBAND, _LL2MC)
    return _out(np.where(finite, x, lon_a)), _out(np.where(finite, y, lat_a))


def _alias_key(name: str) -> str:
    """A name as compared with :data:`CRS_ALIASES`: NFKC (full-width to ASCII), case-folded,
    without spaces, ``-``, ``_`` and ``.``."""
    return re.sub(r"[\s\-_.]+", "", unicodedata.normalize("NFKC", name).casefold())


def crs_alias(name: str) -> str | None:
    """The canonical system a name stands for, or None when it is not a known name.

    ``EPSG:<code>`` (or a bare 4-6 digit code) other than 4326/4490 gives ``EPSG:<code>``
    without checking that the code exists (:func:`canonical_crs` does).

    Examples
    --------
    >>> [crs_alias(n) for n in ("WGS 84", "gcj_02", "国测局", "bd09ll", "EPSG:4546", "utm")]
    ['wgs84', 'gcj02', 'gcj02', 'bd09', 'EPSG:4546', None]
    """
    key = _alias_key(name)
    if key in CRS_ALIASES:
        return CRS_ALIASES[key]
    match = _EPSG_ANY.match(key)
    return f"EPSG:{int(match.group(1))}" if match else None


def _accepted() -> str:
    return (
        ", ".join(SOURCE_SYSTEMS)
        + " or EPSG:<code> (also WGS 84, CGCS 2000, GCJ-02, 火星坐标, 国测局, 高德, 腾讯, "
        "bd09ll, 百度, EPSG:4326, EPSG:4490)"
    )


def canonical_crs(name: str) -> str:
    """The canonical name of a coordinate system an upload declares.

    Parameters
    ----------
    name
        Any name in :data:`CRS_ALIASES` (case, spaces, ``-`` and ``_`` ignored), or
        ``EPSG:<code>``.

    Returns
    -------
    str
        ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``, ``bd09mc`` or ``EPSG:<code>`` (4326 and
        4490 give ``wgs84`` and ``cgcs2000``).

    Raises
    ------
    InvalidInput
        An unknown name or EPSG code, with what is accepted.

    Examples
    --------
    >>> canonical_crs("CGCS 2000"), canonical_crs("火星坐标系"), canonical_crs("epsg:32649")
    ('cgcs2000', 'gcj02', 'EPSG:32649')
    """
    found = crs_alias(str(name))
    if found is None:
        raise InvalidInput(f"unknown coordinate system {name!r}; use {_accepted()}")
    if found.startswith("EPSG:"):
        try:
            _transformer_to_wgs84(found)
        except pyproj.exceptions.CRSError:
            raise InvalidInput(
                f"{found} is not a coordinate reference system pyproj knows; use {_accepted()}"
            ) from None
    return found


def crs_in_text(text: str) -> str | None:
    """The one coordinate system a free text names explicitly (``GCJ-02``, ``火星坐标``,
    ``BD-09``, ``WGS84``...); None when it names none, or several (``GCJ-02 转 WGS84``).
    CGCS2000 counts as WGS-84 here.

    Examples
    --------
    >>> crs_in_text("巡护轨迹（火星坐标）"), crs_in_text("exported from GCJ-02 to WGS-84")
    ('gcj02', None)
    """
    found: set[str] = set()
    rest = text
    for name, pattern in _NAMED_IN_TEXT:
        if pattern.search(rest):
            found.add("wgs84" if name == "cgcs2000" else name)
            rest = pattern.sub(" ", rest)  # "bd09mc" is not also "bd09"
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=16)
def _transformer_to_wgs84(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def to_wgs84(lon: ArrayLike, lat: ArrayLike, source: str) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates from an upload's declared system to WGS-84.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees, or for ``bd09mc`` and EPSG sources the x/y in the
        CRS's units (x first: easting or longitude, whatever the CRS's official axis order).
        Not modified.
    source
        Any name :func:`canonical_crs` knows: ``wgs84`` or ``cgcs2000`` (returned as-is:
        CGCS2000 equals WGS-84 within about a metre), ``gcj02``, ``bd09``, ``bd09mc``, their
        aliases, or an EPSG code such as ``"EPSG:4546"``, converted with pyproj
        (``always_xy=True``).

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.float64]]
        WGS-84 longitudes and latitudes in degrees (new arrays).

    Raises
    ------
    InvalidInput
        If ``source`` is not a known name or not a CRS pyproj knows.

    Examples
    --------
    >>> lon, lat = to_wgs84(*wgs84_to_gcj02(110.2, 28.2), source="gcj02")
    >>> print(f"{float(lon):.6f} {float(lat):.6f}")
    110.200000 28.200000
    >>> lon, lat = to_wgs84(500000.0, 3100000.0, "EPSG:4546")
    >>> print(f"{float(lon):.4f} {float(lat):.4f}")
    111.0000 28.0141
    """
    name = canonical_crs(source)
    if name in ("wgs84", "cgcs2000"):
        lon_a, lat_a = _as_float_arrays(lon, lat)
        return _out(lon_a), _out(lat_a)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    if name == "bd09mc":
        return bd09_to_wgs84(*bd09mc_to_bd09(lon, lat))
    transformer = _transformer_to_wgs84(name)
    lon_a, lat_a = _as_float_arrays(lon, lat)
    out_lon, out_lat = transformer.transform(lon_a, lat_a)
    return _out(out_lon), _out(out_lat)
