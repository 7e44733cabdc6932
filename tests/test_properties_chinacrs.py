"""Property tests of the GCJ-02 / BD-09 conversions (geo/ingest/chinacrs.py): round trips within
tolerance, finite outputs and no exceptions (nor numpy warnings) for any finite input, and any
declared system either converts or is refused with a :class:`GeoError`.

Bounded in ``make test`` (profile ``bounded`` in tests/conftest.py), longer in ``make fuzz``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from numpy.typing import NDArray

from geo.errors import GeoError
from geo.ingest.chinacrs import (
    SOURCE_SYSTEMS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

FloatArray = NDArray[np.float64]
Conversion = Callable[[Any, Any], tuple[FloatArray, FloatArray]]
CONVERSIONS: list[Conversion] = [
    wgs84_to_gcj02,
    gcj02_to_wgs84,
    gcj02_to_bd09,
    bd09_to_gcj02,
    wgs84_to_bd09,
    bd09_to_wgs84,
]
#: Round trips are exact to this many degrees (about 1 cm).
TOLERANCE_DEG = 1e-7
#: Inside the China box with a margin: the forward shift (under 0.02°) keeps a point inside, so
#: the inverse applies the offset the forward did.
INSIDE_LON = st.floats(72.1, 137.7)
INSIDE_LAT = st.floats(0.9, 55.7)
ANY_LON = st.floats(-180.0, 180.0)
ANY_LAT = st.floats(-90.0, 90.0)
#: Any finite number, as an uploaded file may hold (the plausibility check comes later).
FINITE = st.floats(allow_nan=False, allow_infinity=False)


def _quiet(convert: Conversion, lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or invalid-value warning fails the test
        return convert(lon, lat)


@given(lon=INSIDE_LON, lat=INSIDE_LAT)
@example(lon=110.2, lat=28.2)
def test_gcj02_round_trip_inside_china(lon: float, lat: float) -> None:
    glon, glat = _quiet(wgs84_to_gcj02, [lon], [lat])
    back = _quiet(gcj02_to_wgs84, glon, glat)
    assert np.allclose(back, ([lon], [lat]), rtol=0, atol=TOLERANCE_DEG)


@given(lon=INSIDE_LON, lat=INSIDE_LAT)
def test_bd09_round_trip_inside_china(lon: float, lat: float) -> None:
    blon, blat = _quiet(wgs84_to_bd09, [lon], [lat])
    back = _quiet(bd09_to_wgs84, blon, blat)
    assert np.allclose(back, ([lon], [lat]), rtol=0, atol=TOLERANCE_DEG)


@given(lon=ANY_LON, lat=ANY_LAT)
def test_the_baidu_step_round_trips_anywhere(lon: float, lat: float) -> None:
    blon, blat = _quiet(gcj02_to_bd09, [lon], [lat])
    back = _quiet(bd09_to_gcj02, blon, blat)
    assert np.allclose(back, ([lon], [lat]), rtol=0, atol=TOLERANCE_DEG)


@given(lon=ANY_LON, lat=ANY_LAT)
def test_outside_china_wgs84_and_gcj02_are_the_same(lon: float, lat: float) -> None:
    inside = 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271
    glon, glat = _quiet(wgs84_to_gcj02, [lon], [lat])
    if not inside:
        assert (glon[0], glat[0]) == (lon, lat)


@given(
    convert=st.sampled_from(CONVERSIONS),
    points=st.lists(st.tuples(FINITE, FINITE), min_size=0, max_size=20),
)
@example(convert=gcj02_to_bd09, points=[(1.7976931348623157e308, 1.7976931348623157e308)])
@example(convert=bd09_to_wgs84, points=[(-1e300, 1e300)])
def test_any_finite_input_gives_finite_output(
    convert: Conversion, points: list[tuple[float, float]]
) -> None:
    lon = np.array([p[0] for p in points], dtype=np.float64)
    lat = np.array([p[1] for p in points], dtype=np.float64)
    out_lon, out_lat = _quiet(convert, lon, lat)
    assert out_lon.shape == lon.shape and out_lat.shape == lat.shape
    assert np.isfinite(out_lon).all() and np.isfinite(out_lat).all()


@given(
    source=st.one_of(
        st.sampled_from([*SOURCE_SYSTEMS, "EPSG:4326", "EPSG:4546", "epsg:3857", "EPSG:0"]),
        st.from_regex(r"\AEPSG:[0-9]{1,25}\Z"),
        st.text(max_size=20),
    ),
    lon=FINITE,
    lat=FINITE,
)
def test_any_declared_system_converts_or_is_refused(source: str, lon: float, lat: float) -> None:
    try:
        out_lon, out_lat = to_wgs84([lon], [lat], source)
    except GeoError:
        return
    assert out_lon.shape == (1,) and out_lat.shape == (1,)
