"""CSV track reading: every real CSV from ../shared, hand-made layouts, clear errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from geo.errors import InvalidFile, InvalidInput
from tests.tracks.readers import read_csv_track

TZ = ZoneInfo("Asia/Shanghai")
VANCOUVER = ZoneInfo("America/Vancouver")


def local(text: str, tz: ZoneInfo = TZ) -> pd.Timestamp:
    """A naive timestamp read as local time in ``tz``, in UTC at millisecond precision."""
    return pd.Timestamp(text).tz_localize(tz).tz_convert("UTC").floor("ms")


def aware(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def deg(text: str, hemisphere: str = "") -> float:
    """Degrees from '49.0733336N' or '12.413179' + 'E' (independent of the reader)."""
    text = text.strip()
    letter = hemisphere.strip().upper()
    if text[-1:].upper() in ("N", "S", "E", "W"):
        text, letter = text[:-1], text[-1].upper()
    value = float(text)
    return -abs(value) if letter in ("S", "W") else value


# For each real file: separator, tz, and functions from the split raw row to (lon, lat, time).
Row = list[str]
SPEC: dict[str, tuple[str, ZoneInfo, Callable[[Row], tuple[float, float, pd.Timestamp]]]] = {
    # INDEX,RCR,DATE,TIME,VALID,LATITUDE,N/S,LONGITUDE,E/W,... (naive: township local time)
    "gpsbabel_iblue747.csv": (
        ",",
        TZ,
        lambda r: (deg(r[7], r[8]), deg(r[5], r[6]), local(f"{r[2].replace('/', '-')} {r[3]}")),
    ),
    "gpsbabel_mtk_logger_m241.csv": (
        ",",
        TZ,
        lambda r: (deg(r[7], r[8]), deg(r[5], r[6]), local(f"{r[2].replace('/', '-')} {r[3]}")),
    ),
    # INDEX,TAG,DATE(YYMMDD),TIME(HHMMSS),LATITUDE N/S,LONGITUDE E/W: local time (utc-7 there)
    "gpsbabel_24173415.CSV": (
        ",",
        VANCOUVER,
        lambda r: (
            deg(r[5]),
            deg(r[4]),
            local(
                f"20{r[2][:2]}-{r[2][2:4]}-{r[2][4:6]} {r[3][:2]}:{r[3][2:4]}:{r[3][4:6]}",
                VANCOUVER,
            ),
        ),
    ),
    # X;Y;fid;id;sequence;trajectory_id;tracker;t with "+00" offsets
    "movingpandas_demodata_geolife.csv": (
        ";",
        TZ,
        lambda r: (float(r[0]), float(r[1]), aware(r[7] + ":00")),
    ),
    # user_id;tracked_at;latitude;longitude;elevation;accuracy (Z times, newest first)
    "trackintel_google_trajectory.csv": (
        ";",
        TZ,
        lambda r: (float(r[3]), float(r[2]), aware(r[1])),
    ),
    # user_id;longitude;latitude;accuracy;tracked_at (naive, 9 fractional digits)
    "trackintel_posmo_trajectory.csv": (
        ";",
        TZ,
        lambda r: (float(r[1]), float(r[2]), local(r[4])),
    ),
}


def real_csv_files(shared: Path) -> list[Path]:
    """The CSV tracks (not GeoLife .plt files or labels.txt: those are another reader's)."""
    return sorted(shared.glob("csv/*.csv")) + sorted(shared.glob("csv/*.CSV"))


def data_rows(path: Path) -> list[str]:
    """Non-empty lines after the header line: the independent count."""
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    return [line for line in lines[1:] if line.strip()]


def test_every_real_csv_file_is_read_with_the_right_fixes(shared_data: Path) -> None:
    files = real_csv_files(shared_data)
    assert {p.name for p in files} == set(SPEC), "a new real CSV needs an entry in SPEC"
    for path in files:
        sep, tz, expect = SPEC[path.name]
        rows = data_rows(path)
        parsed = read_csv_track(path.read_bytes(), source=path.name, tz=tz)
        fixes = parsed.fixes
        assert parsed.format == "csv"
        assert len(fixes) == len(rows), path.name
        for row, fix in ((rows[0], fixes.iloc[0]), (rows[-1], fixes.iloc[-1])):
            lon, lat, time = expect(row.split(sep))
            assert fix["lon"] == pytest.approx(lon), path.name
            assert fix["lat"] == pytest.approx(lat), path.name
            assert fix["time"] == time, path.name
        assert fixes["time"].notna().all(), path.name


def test_real_files_naive_times_and_order_are_reported(shared_data: Path) -> None:
    def read(name: str, tz: ZoneInfo = TZ) -> tuple[pd.DataFrame, int, tuple[str, ...]]:
        p = shared_data / "csv" / name
        t = read_csv_track(p.read_bytes(), source=name, tz=tz)
        return t.fixes, t.naive_times, t.notes

    fixes, naive, _ = read("trackintel_posmo_trajectory.csv")
    assert naive == len(fixes) == 1327
    name_g = "trackintel_google_trajectory.csv"
    fixes, naive, _ = read(name_g)
    assert naive == 0
    assert fixes["time"].is_monotonic_decreasing  # file order kept; cleaning sorts
    raw_accuracy = [float(r.split(";")[5]) for r in data_rows(shared_data / "csv" / name_g)]
    assert fixes["accuracy_m"].tolist() == raw_accuracy
    fixes, naive, notes = read("movingpandas_demodata_geolife.csv")
    assert naive == 0
    assert fixes["part"].nunique() == 5  # trajectory_id
    assert any("'X'" in n and "'Y'" in n for n in notes)
    fixes, naive, _ = read("gpsbabel_24173415.CSV", VANCOUVER)
    assert naive == 742
    assert fixes["time"].iloc[0] == pd.Timestamp("2025-07-25T00:34:18Z")  # 17:34:18 PDT
    assert (fixes["lon"] < -125).all() and (fixes["lat"] > 49).all()  # W is negative
    fixes, _, notes = read("gpsbabel_mtk_logger_m241.csv")
    assert fixes["alt_m"].iloc[0] == pytest.approx(374.812)  # "374.812 m"
    assert fixes["accuracy_m"].iloc[0] == pytest.approx(0.85 * 5)  # HDOP x 5
    assert any("HDOP" in n for n in notes)
    fixes, _, _ = read("gpsbabel_iblue747.csv")
    assert fixes["alt_m"].iloc[0] == 146


def csv(text: str) -> pd.DataFrame:
    return read_csv_track(text.encode(), source="t.csv", tz=TZ).fixes


def test_chinese_headers_with_altitude_and_accuracy() -> None:
    parsed = read_csv_track(
        "经度,纬度,时间,海拔(米),精度\n"
        "109.9,28.1,2026-11-23 09:00:00,300.5,5\n"
        "109.91,28.11,2026-11-23 09:00:05,301,6\n".encode(),
        source="t.csv",
        tz=TZ,
    )
    f = parsed.fixes
    assert f["lon"].tolist() == [109.9, 109.91]
    assert f["lat"].tolist() == [28.1, 28.11]
    assert f["time"].tolist() == [
        pd.Timestamp("2026-11-23T01:00:00Z"),
        pd.Timestamp("2026-11-23T01:00:05Z"),
    ]
    assert f["alt_m"].tolist() == [300.5, 301.0]
    assert f["accuracy_m"].tolist() == [5.0, 6.0]
    assert parsed.naive_times == 2


def test_gb18030_chinese_windows_export() -> None:
    data = "日期,时间,纬度,经度,高程\n2026/11/23,09:00:00,28.1,109.9,300\n".encode("gb18030")
    parsed = read_csv_track(data, source="t.csv", tz=TZ)
    assert parsed.fixes[["lon", "lat"]].iloc[0].tolist() == [109.9, 28.1]
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00Z")
    assert any("GB18030" in n for n in parsed.notes)


def test_utf8_bom_semicolons_and_trailing_separators() -> None:
    data = b"\xef\xbb\xbflon;lat;time;\r\n109.9;28.1;2026-11-23T01:00:00Z;\r\n\r\n"
    f = read_csv_track(data, source="t.csv", tz=TZ).fixes
    assert len(f) == 1 and f["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00Z")


def test_tab_separated_date_and_time_columns() -> None:
    f = csv("lat\tlon\tdate\ttime\n28.1\t109.9\t2026-11-23\t9:00:05.5\n")
    assert f["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:05.5Z")


def test_swapped_columns_without_header_are_settled_by_value() -> None:
    parsed = read_csv_track(
        b"28.1,109.9,2026-11-23 09:00:00\n28.2,109.8,2026-11-23 09:00:05\n",
        source="t.csv",
        tz=TZ,
    )
    assert parsed.fixes["lon"].tolist() == [109.9, 109.8]
    assert parsed.fixes["lat"].tolist() == [28.1, 28.2]
    assert parsed.fixes["time"].notna().all()
    assert any("longitude read from column 2" in n for n in parsed.notes)


def test_west_china_order_without_header_uses_the_china_rule() -> None:
    # Xinjiang: both values are below 90, but latitude 80 is not in China.
    parsed = read_csv_track(b"41.7,80.2\n41.8,80.3\n", source="t.csv", tz=TZ)
    assert parsed.fixes["lon"].tolist() == [80.2, 80.3]
    assert any("China" in n for n in parsed.notes)


def test_headerless_order_that_the_values_cannot_settle_is_refused() -> None:
    with pytest.raises(InvalidFile, match="cannot tell longitude from latitude"):
        csv("47.1,8.5\n47.2,8.6\n")


def test_labelled_columns_holding_the_other_axis_are_swapped() -> None:
    parsed = read_csv_track(b"lon,lat\n28.1,109.9\n", source="t.csv", tz=TZ)
    assert parsed.fixes[["lon", "lat"]].iloc[0].tolist() == [109.9, 28.1]
    assert any("swapped" in n for n in parsed.notes)


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [("1764000000000", "milliseconds"), ("1764000000", "seconds"), ("1764000000.5", "seconds")],
)
def test_epoch_times_by_magnitude(stamp: str, unit: str) -> None:
    parsed = read_csv_track(
        f"lng,lat,timestamp\n109.9,28.1,{stamp}\n".encode(), source="t.csv", tz=TZ
    )
    expected = pd.Timestamp(float(stamp) / (1000 if unit == "milliseconds" else 1), unit="s")
    assert parsed.fixes["time"].iloc[0] == expected.tz_localize("UTC").floor("ms")
    assert parsed.naive_times == 0
    assert any(unit in n for n in parsed.notes)


def test_hemisphere_letters_in_the_numbers_and_in_columns() -> None:
    f = csv("lat,lon\n28.1N,109.9E\n33.9S,151.2E\nN28.2,E109.8\n")
    assert f["lat"].tolist() == [28.1, -33.9, 28.2]
    assert f["lon"].tolist() == [109.9, 151.2, 109.8]
    g = csv("LATITUDE,N/S,LONGITUDE,E/W\n12.5,S,77.1,W\n")
    assert g[["lon", "lat"]].iloc[0].tolist() == [-77.1, -12.5]
    # Without a header, the letters tell the axes apart.
    h = csv("28.1N,109.9E\n")
    assert h[["lon", "lat"]].iloc[0].tolist() == [109.9, 28.1]


def test_units_in_values_and_headers() -> None:
    f = csv("lat,lon,alt,speed\n28.1,109.9,374.8 m,0.8 km/h\n28.1,109.9,100 ft,1 km/h\n")
    assert f["alt_m"].tolist() == pytest.approx([374.8, 30.48])
    g = csv("latitude,longitude,height_above_takeoff(feet)\n28.1,109.9,100\n")
    assert g["alt_m"].iloc[0] == pytest.approx(30.48)


def test_time_layouts() -> None:
    def first_time(header: str, cells: str) -> pd.Timestamp:
        return csv(f"lon,lat,{header}\n109.9,28.1,{cells}\n")["time"].iloc[0]

    expected = pd.Timestamp("2026-11-23T01:00:00Z")
    assert first_time("time", "2026-11-23T09:00:00") == expected
    assert first_time("time", "2026-11-23T09:00:00+08:00") == expected
    assert first_time("time", "2026-11-23 01:00:00+00") == expected  # hour-only offset
    assert first_time("time", "2026/11/23 09:00:00") == expected
    assert first_time("time", "2026年11月23日 09:00:00") == expected
    assert first_time("time", "20261123090000") == expected
    assert first_time("date,time", "2026-11-23,09:00:00") == expected
    assert first_time("date,time", "261123,090000") == expected  # YYMMDD + HHMMSS
    assert first_time("日期,时间", "20261123,90000") == expected
    assert first_time("time", "2026-11-23 09:00:00.123456789") == expected + pd.Timedelta("123ms")
    assert first_time("datetime(utc)", "2026-11-23 01:00:00") == expected


def test_mixed_offsets_count_only_the_naive_times() -> None:
    parsed = read_csv_track(
        b"lon,lat,time\n109.9,28.1,2026-11-23 09:00:00\n109.9,28.1,2026-11-23T01:00:05Z\n",
        source="t.csv",
        tz=TZ,
    )
    assert parsed.naive_times == 1
    assert parsed.fixes["time"].tolist() == [
        pd.Timestamp("2026-11-23T01:00:00Z"),
        pd.Timestamp("2026-11-23T01:00:05Z"),
    ]


def test_projected_metres_with_epsg() -> None:
    from geo.projection import to_metric

    x, y = to_metric(np.array([110.9]), np.array([28.1]), "EPSG:4546")
    text = f"x,y,time\n{x[0]:.2f},{y[0]:.2f},2026-11-23 09:00:00\n"
    parsed = read_csv_track(text.encode(), source="t.csv", tz=TZ, epsg=4546)
    assert parsed.declared_crs == "EPSG:4546"
    assert parsed.fixes["lon"].iloc[0] == pytest.approx(x[0], abs=0.01)
    assert parsed.fixes["lat"].iloc[0] == pytest.approx(y[0], abs=0.01)
    # Chinese survey convention: X is the northing; the CRS's area of use settles it.
    swapped = f"X,Y\n{y[0]:.2f},{x[0]:.2f}\n"
    parsed = read_csv_track(swapped.encode(), source="t.csv", tz=TZ, epsg=4546)
    assert parsed.fixes["lon"].iloc[0] == pytest.approx(x[0], abs=0.01)
    assert any("easting read from column 'Y'" in n for n in parsed.notes)
    with pytest.raises(InvalidInput, match="EPSG:999999"):
        read_csv_track(b"x,y\n1,2\n", source="t.csv", tz=TZ, epsg=999999)


def test_rows_without_coordinates_are_skipped_and_noted() -> None:
    parsed = read_csv_track(
        b"lon,lat,time\n109.9,28.1,\n,,2026-11-23 09:00:00\n109.8,28.2,\n", source="t.csv", tz=TZ
    )
    assert len(parsed.fixes) == 2
    assert any("1 rows without coordinates skipped (first at line 3)" in n for n in parsed.notes)


def test_one_named_axis_and_one_found_by_value() -> None:
    parsed = read_csv_track(b"lon,latitude_deg\n109.9,28.1\n", source="t.csv", tz=TZ)
    assert parsed.fixes[["lon", "lat"]].iloc[0].tolist() == [109.9, 28.1]


def test_utf16_without_byte_order_mark() -> None:
    data = "lon,lat\n109.9,28.1\n".encode("utf-16-le")
    parsed = read_csv_track(data, source="t.csv", tz=TZ)
    assert parsed.fixes[["lon", "lat"]].iloc[0].tolist() == [109.9, 28.1]


def test_large_files_with_units_and_letters_are_read_column_wise() -> None:
    n = 200_000
    lon = np.round(110 + np.arange(n) / 1e6, 6)
    times = pd.date_range("2026-11-23 09:00", periods=n, freq="s").strftime("%Y/%m/%d %H:%M:%S")
    frame = pd.DataFrame(
        {"纬度": [f"{v:.6f}N" for v in 28 + np.arange(n) / 1e6], "经度": lon, "时间": times}
    )
    frame["海拔"] = "300.5 m"
    f = read_csv_track(frame.to_csv(index=False).encode(), source="big.csv", tz=TZ).fixes
    assert len(f) == n
    assert f["time"].iloc[-1] == pd.Timestamp("2026-11-23T01:00:00Z") + pd.Timedelta(seconds=n - 1)
    assert f["lon"].iloc[-1] == lon[-1] and f["alt_m"].eq(300.5).all()


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (b"\xef\xbb\xbf\r\n\r\n", "empty", None),
        (b"lon,lat\n", "no data rows", None),
        (b"hello\nworld\n", "no column separator", "line 1"),
        (b"lon,lat\n109.9,28.1\n109.9,abc\n", "'abc' is not a coordinate", "line 3, column 'lat'"),
        (b"lon,lat\n109.9,95\n", "not a latitude", "line 2, column 'lat'"),
        (b"lon,lat\n109.9,28.1\n\n109.9,\n", "none in this one", "line 4, column 'lat'"),
        (
            b"lon,lat,time\n109.9,28.1,2026-11-23 09:00\n109.9,28.1,yesterday\n",
            "'yesterday' is not a date and time",
            "line 3, column 'time'",
        ),
        (b"lon,lat,time\n109.9,28.1,2026-13-45 09:00:00\n", "date", "line 2, column 'time'"),
        (b"name,comment\nfoo,bar\n", "no longitude/latitude columns", None),
        (b"lon,lat,time\n109.9,28.1,173418\n", "have no date", "line 2"),
        (b"lon,lat\n\xff\xfe\xfd,28.1\n", "neither UTF-8 nor GB18030", "line 2"),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_csv_track(data, source="bad.csv", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.csv"
    if place:
        assert exc.place is not None and exc.place.startswith(place)
    assert "\n" not in exc.one_line()


# --- headers that name their coordinate system (issue 11) ------------------------------------

NAMED_HEADERS = [
    ("时间,经度(GCJ-02),纬度(GCJ-02)", "gcj02"),
    ("时间,经度（GCJ02）,纬度（GCJ02）", "gcj02"),
    ("time,lng_gcj02,lat_gcj02", "gcj02"),
    ("time,gcj_lng,gcj_lat", "gcj02"),
    ("time,longitude_gcj02,latitude_gcj02", "gcj02"),
    ("time,bd_lon,bd_lat", "bd09"),
    ("时间,百度经度,百度纬度", "bd09"),
    ("time,lng_bd09ll,lat_bd09ll", "bd09"),
    ("time,lon_wgs84,lat_wgs84", "wgs84"),
    ("时间,经度(WGS84),纬度(WGS84)", "wgs84"),
    ("时间,经度(CGCS2000),纬度(CGCS2000)", "cgcs2000"),
]


@pytest.mark.parametrize(("header", "system"), NAMED_HEADERS)
def test_a_header_naming_its_system_is_reported(header: str, system: str) -> None:
    text = f"{header}\n2026-11-18 09:00:00,109.93,28.12\n2026-11-18 09:00:05,109.931,28.121\n"
    parsed = read_csv_track(text.encode(), source="t.csv", tz=TZ)
    assert parsed.declared_crs == system
    assert parsed.fixes["lon"].tolist() == [109.93, 109.931]
    assert any(f"coordinates read as {system}" in n for n in parsed.notes)


@pytest.mark.parametrize(
    "header", ["time,lon,lat", "时间,经度,纬度", "time,gps_lon,gps_lat", "time,经度(°),纬度(°)"]
)
def test_a_plain_header_names_no_system(header: str) -> None:
    text = f"{header}\n2026-11-18 09:00:00,109.93,28.12\n"
    assert read_csv_track(text.encode(), source="t.csv", tz=TZ).declared_crs is None


def test_wgs84_columns_are_read_when_the_file_also_has_shifted_ones() -> None:
    text = "time,lng_gcj02,lat_gcj02,lng,lat\n2026-11-18 09:00:00,109.935,28.117,109.93,28.12\n"
    parsed = read_csv_track(text.encode(), source="t.csv", tz=TZ)
    assert parsed.declared_crs is None
    assert parsed.fixes["lon"].tolist() == [109.93]
    assert "the file also has positions in gcj02; columns 'lng' and 'lat' were read" in parsed.notes


def test_longitude_and_latitude_in_different_systems_are_refused() -> None:
    text = "time,lng_gcj02,lat_bd09\n2026-11-18 09:00:00,109.93,28.12\n"
    with pytest.raises(InvalidFile, match="headers name different coordinate systems"):
        read_csv_track(text.encode(), source="t.csv", tz=TZ)


def test_baidu_mercator_metres_are_kept_as_written() -> None:
    from geo.ingest.chinacrs import bd09_to_bd09mc

    x, y = bd09_to_bd09mc(109.93, 28.12)
    text = f"时间,x,y\n2026-11-18 09:00:00,{float(x):.2f},{float(y):.2f}\n"
    parsed = read_csv_track(text.encode(), source="t.csv", tz=TZ, bd09mc=True)
    assert parsed.declared_crs == "bd09mc"
    assert parsed.fixes["lon"].iloc[0] == pytest.approx(float(x), abs=0.01)
    # Unnamed columns, northing first: the order that falls in China wins.
    swapped = f"a,b\n{float(y):.2f},{float(x):.2f}\n"
    parsed = read_csv_track(swapped.encode(), source="t.csv", tz=TZ, bd09mc=True)
    assert parsed.fixes["lon"].iloc[0] == pytest.approx(float(x), abs=0.01)
