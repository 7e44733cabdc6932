"""geo.chinacrs against an independent reference (prcoords), round trips and known offsets."""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyproj
import pytest
from numpy.typing import NDArray

from geo.chinacrs import (
    SOURCE_SYSTEMS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import InvalidInput
from tests.conftest import IN_CI

FloatArray = NDArray[np.float64]
Conversion = Callable[[Any, Any], tuple[FloatArray, FloatArray]]
GEOD = pyproj.Geod(ellps="WGS84")
NEAR_XIAOZHANG = (110.2, 28.2)


@pytest.fixture(scope="module")
def prc() -> types.ModuleType:
    """prcoords (a dev dependency): scalar, (lat, lon) order, CC0/GPL reference code."""
    try:
        import prcoords
    except ImportError:
        if IN_CI:
            pytest.fail("prcoords (a dev dependency) is not installed in CI")
        pytest.skip("prcoords is not installed (pip install -e '.[dev]')")
    return prcoords


def _grid(
    lon0: float, lon1: float, lat0: float, lat1: float, n_lon: int, n_lat: int
) -> tuple[FloatArray, FloatArray]:
    lon, lat = np.meshgrid(np.linspace(lon0, lon1, n_lon), np.linspace(lat0, lat1, n_lat))
    return lon.ravel(), lat.ravel()


GRIDS = {
    # Luxi county and a margin: 109.6-110.3 E, 27.9-28.5 N, about 1 km spacing.
    "luxi": _grid(109.6, 110.3, 27.9, 28.5, 71, 61),
    # Coarse grid over China (inside the rough box), about 1 degree spacing.
    "china": _grid(73.5, 135.0, 18.0, 53.5, 63, 37),
}


def _apply(
    fn: Callable[..., Any], lon: FloatArray, lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Run a prcoords function (lat, lon in; Coords(lat, lon) out) point by point."""
    out = [fn((la, lo)) for lo, la in zip(lon.tolist(), lat.tolist(), strict=True)]
    return np.array([c.lon for c in out]), np.array([c.lat for c in out])


def _max_deg(a: tuple[FloatArray, FloatArray], b: tuple[FloatArray, FloatArray]) -> float:
    return float(max(np.max(np.abs(a[0] - b[0])), np.max(np.abs(a[1] - b[1]))))


def _metres(lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray) -> FloatArray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2], dtype=np.float64)


# --- against prcoords ------------------------------------------------------------------------


@pytest.mark.parametrize("grid", GRIDS)
def test_forward_transforms_match_prcoords(prc: types.ModuleType, grid: str) -> None:
    lon, lat = GRIDS[grid]
    gcj = _apply(prc.wgs_gcj, lon, lat)
    assert _max_deg(wgs84_to_gcj02(lon, lat), gcj) < 1e-7
    assert _max_deg(gcj02_to_bd09(*gcj), _apply(prc.gcj_bd, *gcj)) < 1e-7
    assert _max_deg(wgs84_to_bd09(lon, lat), _apply(prc.wgs_bd, lon, lat)) < 1e-7


@pytest.mark.parametrize("grid", GRIDS)
def test_inverse_transforms_match_prcoords_iterative(
    prc: types.ModuleType, grid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # prcoords stops iterating once a step is under PRC_EPS = 1e-5 degrees; that leaves its
    # bd_wgs_bored up to about 1.5e-7 degrees from the exact inverse here (its other two stay
    # within about 2e-8). Tighten it so the reference is exact (its loop still stops at 10).
    monkeypatch.setattr(prc, "PRC_EPS", 1e-10)
    lon, lat = GRIDS[grid]
    gcj = wgs84_to_gcj02(lon, lat)
    bd = wgs84_to_bd09(lon, lat)
    assert _max_deg(gcj02_to_wgs84(*gcj), _apply(prc.gcj_wgs_bored, *gcj)) < 1e-7
    assert _max_deg(bd09_to_gcj02(*bd), _apply(prc.bd_gcj_bored, *bd)) < 1e-7
    assert _max_deg(bd09_to_wgs84(*bd), _apply(prc.bd_wgs_bored, *bd)) < 1e-7


# --- round trips -----------------------------------------------------------------------------


def _random_china(n: int, seed: int = 20240601) -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(73.0, 135.0, n), rng.uniform(18.0, 53.5, n)


def test_gcj02_round_trip_is_under_a_centimetre() -> None:
    lon, lat = _random_china(100_000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert float(np.max(_metres(lon, lat, *back))) < 0.01


def test_bd09_round_trip_is_under_a_centimetre() -> None:
    lon, lat = _random_china(100_000, seed=7)
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert float(np.max(_metres(lon, lat, *back))) < 0.01


def test_inverse_residual_meets_the_iteration_tolerance() -> None:
    g_lon, g_lat = _random_china(20_000, seed=3)
    w = gcj02_to_wgs84(g_lon, g_lat)
    assert _max_deg(wgs84_to_gcj02(*w), (g_lon, g_lat)) < 1e-8
    b_lon, b_lat = g_lon + 0.01, g_lat + 0.01
    g = bd09_to_gcj02(b_lon, b_lat)
    assert _max_deg(gcj02_to_bd09(*g), (b_lon, b_lat)) < 1e-8


# --- known offsets ---------------------------------------------------------------------------


def test_offsets_near_xiaozhang() -> None:
    lon, lat = NEAR_XIAOZHANG
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert 590.0 < float(_metres(np.array(lon), np.array(lat), g_lon, g_lat)) < 610.0
    assert float(g_lon) > lon  # east
    assert float(g_lat) < lat  # and south
    b_lon, b_lat = wgs84_to_bd09(lon, lat)
    assert 1100.0 < float(_metres(np.array(lon), np.array(lat), b_lon, b_lat)) < 1200.0


def test_gcj02_offset_across_luxi_county() -> None:
    lon, lat = GRIDS["luxi"]
    d = _metres(lon, lat, *wgs84_to_gcj02(lon, lat))
    assert float(d.min()) > 580.0 and float(d.max()) < 610.0


# --- edge cases and contract -----------------------------------------------------------------

OUTSIDE_LON = np.array([2.35, 139.69, -74.0, 72.0, 100.0, 138.0, 110.0])
OUTSIDE_LAT = np.array([48.85, 35.69, 40.7, 30.0, 56.0, 30.0, 0.5])


@pytest.mark.parametrize("fn", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_points_outside_china_are_unchanged(fn: Conversion) -> None:
    lon, lat = fn(OUTSIDE_LON, OUTSIDE_LAT)
    np.testing.assert_array_equal(lon, OUTSIDE_LON)
    np.testing.assert_array_equal(lat, OUTSIDE_LAT)


def test_outside_china_only_the_baidu_shift_applies() -> None:
    b = wgs84_to_bd09(OUTSIDE_LON, OUTSIDE_LAT)
    assert _max_deg(b, gcj02_to_bd09(OUTSIDE_LON, OUTSIDE_LAT)) == 0.0
    assert _max_deg(bd09_to_wgs84(*b), (OUTSIDE_LON, OUTSIDE_LAT)) < 1e-9


def test_mixed_inside_and_outside_and_non_finite() -> None:
    lon = np.array([110.2, 2.35, np.nan, np.inf])
    lat = np.array([28.2, 48.85, 28.0, 28.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g_lon, g_lat = wgs84_to_gcj02(lon, lat)
        w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
        bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert g_lon[0] != 110.2 and g_lon[1] == 2.35
    assert np.isnan(g_lon[2]) and np.isinf(g_lon[3])
    assert abs(w_lon[0] - 110.2) < 1e-9 and abs(w_lat[0] - 28.2) < 1e-9


ALL_FUNCTIONS = [
    wgs84_to_gcj02,
    gcj02_to_wgs84,
    gcj02_to_bd09,
    bd09_to_gcj02,
    wgs84_to_bd09,
    bd09_to_wgs84,
]


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_inputs_are_not_modified(fn: Conversion) -> None:
    lon, lat = _random_china(1000, seed=11)
    lon_copy, lat_copy = lon.copy(), lat.copy()
    lon.flags.writeable = False  # an in-place write would raise
    lat.flags.writeable = False
    out_lon, out_lat = fn(lon, lat)
    np.testing.assert_array_equal(lon, lon_copy)
    np.testing.assert_array_equal(lat, lat_copy)
    assert out_lon.dtype == np.float64 and out_lat.dtype == np.float64
    assert not np.shares_memory(out_lon, lon) and not np.shares_memory(out_lat, lat)


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_scalar_and_list_input(fn: Conversion) -> None:
    s_lon, s_lat = fn(110.2, 28.2)
    assert isinstance(s_lon, np.ndarray) and s_lon.shape == () and s_lon.dtype == np.float64
    a_lon, a_lat = fn([110.2], [28.2])
    assert a_lon.shape == (1,)
    assert float(s_lon) == a_lon[0] and float(s_lat) == a_lat[0]
    e_lon, e_lat = fn(np.array([]), np.array([]))
    assert e_lon.shape == (0,) and e_lat.shape == (0,)


# --- to_wgs84 --------------------------------------------------------------------------------


def test_to_wgs84_dispatches_named_systems() -> None:
    lon, lat = GRIDS["luxi"]
    assert SOURCE_SYSTEMS == ("wgs84", "cgcs2000", "gcj02", "bd09")
    for name in ("wgs84", "cgcs2000", "WGS84", " CGCS2000 "):
        out = to_wgs84(lon, lat, name)
        assert _max_deg(out, (lon, lat)) == 0.0
        assert not np.shares_memory(out[0], lon)
    assert _max_deg(to_wgs84(*wgs84_to_gcj02(lon, lat), "gcj02"), (lon, lat)) < 1e-9
    assert _max_deg(to_wgs84(*wgs84_to_bd09(lon, lat), "BD09"), (lon, lat)) < 1e-9


@pytest.mark.parametrize("code", ["EPSG:4546", "epsg:4546", "EPSG:32649"])
def test_to_wgs84_from_an_epsg_code_reproduces_pyproj(code: str) -> None:
    lon, lat = GRIDS["luxi"]
    x, y = pyproj.Transformer.from_crs("EPSG:4326", code, always_xy=True).transform(lon, lat)
    expected = pyproj.Transformer.from_crs(code, "EPSG:4326", always_xy=True).transform(x, y)
    out = to_wgs84(x, y, code)
    assert _max_deg(out, expected) == 0.0
    assert _max_deg(out, (lon, lat)) < 1e-9


@pytest.mark.parametrize("name", ["utm", "gcj-02", "EPSG:", "EPSG:99999", "", "bd09ll"])
def test_to_wgs84_rejects_unknown_systems(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        to_wgs84([110.2], [28.2], name)
    if name != "EPSG:99999":
        for allowed in (*SOURCE_SYSTEMS, "EPSG:"):
            assert allowed in info.value.detail
