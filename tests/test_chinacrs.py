"""geo.ingest.chinacrs against an independent reference (prcoords), round trips and known
offsets."""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyproj
import pytest
from numpy.typing import NDArray

from geo.errors import InvalidInput
from geo.ingest.chinacrs import (
    CRS_ALIASES,
    SOURCE_SYSTEMS,
    bd09_to_bd09mc,
    bd09_to_gcj02,
    bd09_to_wgs84,
    bd09mc_to_bd09,
    canonical_crs,
    crs_in_text,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
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
    assert SOURCE_SYSTEMS == ("wgs84", "cgcs2000", "gcj02", "bd09", "bd09mc")
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


@pytest.mark.parametrize("name", ["utm", "gcj-03", "EPSG:", "EPSG:99999", "", "web mercator"])
def test_to_wgs84_rejects_unknown_systems(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        to_wgs84([110.2], [28.2], name)
    for allowed in (*SOURCE_SYSTEMS, "EPSG:<code>", "火星坐标", "百度"):
        assert allowed in info.value.detail
    assert "\n" not in info.value.one_line()


# --- names -----------------------------------------------------------------------------------

ALIASES = {
    "wgs84": ["wgs84", "WGS 84", "WGS-84", "EPSG:4326", "4326", "CRS84", "epsg：4326", " Wgs84 "],
    "cgcs2000": ["cgcs2000", "CGCS 2000", "EPSG:4490", "国家2000", "cgcs-2000", "ＣＧＣＳ２０００"],
    "gcj02": [
        "gcj02", "gcj_02", "GCJ-02", "gcj 02", "火星坐标", "火星坐标系", "国测局", "国测局坐标",
        "高德", "腾讯", "AMap",
    ],
    "bd09": ["bd09", "bd09ll", "BD-09", "BD09LL", "百度", "百度坐标", "百度 坐标"],
    "bd09mc": ["bd09mc", "BD09MC", "bd-09-mc", "百度墨卡托"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "canonical"), [(n, c) for c, names in ALIASES.items() for n in names]
)
def test_every_alias_maps_to_its_canonical_name(name: str, canonical: str) -> None:
    assert canonical_crs(name) == canonical


def test_alias_table_only_names_canonical_systems() -> None:
    assert set(CRS_ALIASES.values()) == set(SOURCE_SYSTEMS)
    assert canonical_crs("epsg:32649") == "EPSG:32649"
    assert canonical_crs("EPSG:4546") == "EPSG:4546"


@pytest.mark.parametrize(
    ("name", "source"),
    [("火星坐标", "gcj02"), ("WGS 84", "wgs84"), ("bd09ll", "bd09"), ("CGCS 2000", "cgcs2000")],
)
def test_to_wgs84_takes_aliases(name: str, source: str) -> None:
    lon, lat = GRIDS["luxi"]
    forward = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}.get(source)
    x, y = forward(lon, lat) if forward else (lon, lat)
    assert _max_deg(to_wgs84(x, y, name), (lon, lat)) < 1e-9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("小章村巡护（火星坐标）", "gcj02"),
        ("坐标系: GCJ-02 (高德)", "gcj02"),
        ("国测局坐标", "gcj02"),
        ("Baidu BD-09 track", "bd09"),
        ("BD09MC export", "bd09mc"),
        ("百度坐标", "bd09"),
        ("WGS84", "wgs84"),
        ("CGCS2000 / WGS 84", "wgs84"),
        ("converted from GCJ-02 to WGS-84", None),
        ("高德地图导航记录", None),  # an app's name is not a datum
        ("", None),
    ],
)
def test_crs_named_in_free_text(text: str, expected: str | None) -> None:
    assert crs_in_text(text) == expected


# --- Baidu Mercator ----------------------------------------------------------------------------


def test_bd09mc_known_answer_from_a_published_example() -> None:
    """go-bd09mc (speng4096/go-bd09mc, convert_test.go): bd09ll (108.95344, 34.265657) is
    bd09mc (12128773.43, 4040249.01) / (12128773.43, 4040249.00) back, to its rounding."""
    x, y = bd09_to_bd09mc(108.95344, 34.265657)
    assert abs(float(x) - 12128773.43) < 0.005 and abs(float(y) - 4040249.01) < 0.005
    lon, lat = bd09mc_to_bd09(12128773.43, 4040249.00)
    assert abs(float(lon) - 108.95344) < 5e-7 and abs(float(lat) - 34.265657) < 5e-7


def test_bd09mc_is_not_web_mercator() -> None:
    x, y = bd09_to_bd09mc(110.2, 28.2)
    web = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    wx, wy = web.transform(110.2, 28.2)
    # Read as Web Mercator, Baidu's metres would land about 20 km south of the truth here.
    assert abs(float(x) - wx) < 500 and 15_000 < wy - float(y) < 25_000


def test_bd09mc_round_trip_across_china() -> None:
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(73.0, 135.0, 20_000), rng.uniform(3.0, 54.0, 20_000)
    back_lon, back_lat = bd09mc_to_bd09(*bd09_to_bd09mc(lon, lat))
    _, _, dist = GEOD.inv(lon, lat, back_lon, back_lat)
    assert dist.max() < 0.3  # two separate fits in Baidu's JS API, not exact inverses
    near = bd09mc_to_bd09(*bd09_to_bd09mc(110.2, 28.2))
    assert GEOD.inv(110.2, 28.2, float(near[0]), float(near[1]))[2] < 0.01


def test_bd09mc_upload_lands_on_the_wgs84_truth() -> None:
    lon, lat = GRIDS["luxi"]
    x, y = bd09_to_bd09mc(*wgs84_to_bd09(lon, lat))
    assert float(np.min(x)) > 1e7  # metres, not degrees
    out_lon, out_lat = to_wgs84(x, y, "bd09mc")
    _, _, dist = GEOD.inv(lon, lat, out_lon, out_lat)
    assert dist.max() < 0.05


def test_bd09mc_keeps_signs_and_non_finite_values() -> None:
    x, y = bd09_to_bd09mc([-70.0, 110.0, np.nan], [-30.0, 28.0, 1.0])
    assert x[0] < 0 and y[0] < 0 and x[1] > 0 and y[1] > 0 and np.isnan(x[2])
    lon, lat = bd09mc_to_bd09(x, y)
    assert abs(lon[0] + 70.0) < 1e-5 and abs(lat[0] + 30.0) < 1e-5 and np.isnan(lon[2])
