"""DJI flight records as CSV (CsvView, Flight Reader, TXTlogToCSVtool, DatCon): the layouts as
their column descriptions give them, and clear refusals."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.errors import InvalidFile
from geo.ingest.pipeline import detect_format, read_track
from tests import drone_samples as samples
from tests.tracks.readers import looks_like_dji_csv, read_dji_csv

TZ = ZoneInfo("Asia/Shanghai")
APP = "CUSTOM.date [local],CUSTOM.updateTime [local],OSD.flyTime [s],OSD.latitude,OSD.longitude"


def test_csvview_export_of_the_app_record() -> None:
    data = samples.csvview_csv(duration_s=60)
    assert detect_format(data, "DJIFlightRecord.csv") == "dji-csv"
    parsed = read_dji_csv(data, source="r.csv", tz=TZ)
    fixes = parsed.fixes
    assert parsed.format == "dji-csv" and len(fixes) == 601
    # 11/4/2026 9:30:00.00 AM local (UTC+8), rows 100 ms apart.
    assert fixes["time"].iloc[0] == pd.Timestamp("2026-11-04T01:30:00Z")
    assert fixes["time"].iloc[-1] == pd.Timestamp("2026-11-04T01:31:00Z")
    assert fixes["time"].diff().dropna().eq(pd.Timedelta("100ms")).all()
    assert parsed.naive_times == 601  # the phone's local clock
    assert parsed.alt_source == "takeoff_rel"  # OSD.height, not OSD.altitude
    assert fixes["alt_m"].iloc[[0, -1]].tolist() == [0.0, samples.CRUISE_M]
    assert fixes["lat"].iloc[0] == pytest.approx(samples.LAT0)


def test_afternoon_feet_and_a_sep_line() -> None:
    data = (
        "sep=,\n"
        f"{APP},OSD.height [ft],OSD.altitude [ft]\n"
        "11/4/2026,1:05:00.10 PM,0,28.15,109.9,0,700\n"
        "11/4/2026,1:05:00.20 PM,0.1,28.15,109.9,10,710\n"
        "11/4/2026,12:05:01.20 AM,0.2,28.15,109.9,10,710\n"
    ).encode()
    parsed = read_dji_csv(data, source="r.csv", tz=TZ)
    assert parsed.fixes["time"].tolist() == [
        pd.Timestamp("2026-11-04T05:05:00.1Z"),
        pd.Timestamp("2026-11-04T05:05:00.2Z"),
        pd.Timestamp("2026-11-03T16:05:01.2Z"),  # 12:05 AM is just after midnight
    ]
    assert parsed.fixes["alt_m"].tolist() == pytest.approx([0.0, 3.048, 3.048])
    assert any("feet" in n for n in parsed.notes)


def test_european_export_with_semicolons_and_decimal_commas() -> None:
    data = (
        b"sep=;\n"
        b"CUSTOM.date [local];CUSTOM.updateTime [local];OSD.latitude;OSD.longitude;OSD.height [m]\n"
        b"11/4/2026;9:30:00.00 AM;28,150954;109,849846;1,5\n"
    )
    parsed = read_dji_csv(data, source="r.csv", tz=TZ)
    assert parsed.fixes[["lat", "lon", "alt_m"]].iloc[0].tolist() == [28.150954, 109.849846, 1.5]


def test_txtlogtocsvtool_writes_the_whole_time_in_update_time() -> None:
    data = (
        b"CUSTOM.updateTime,OSD.latitude,OSD.longitude,OSD.altitude [m]\n"
        b"2026/11/04 09:30:00.100,28.15,109.9,214.0\n"
        b"2026/11/04 09:30:00.200,28.15,109.9,214.5\n"
    )
    parsed = read_dji_csv(data, source="r.csv", tz=TZ)
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2026-11-04T01:30:00.1Z")
    assert parsed.alt_source == "asl"  # OSD.altitude only: above sea level
    assert any("without a time zone" in n for n in parsed.notes)


def test_datcon_export_of_the_aircraft_dat() -> None:
    data = (
        b"Tick#,offsetTime,GPS(0):Long,GPS(0):Lat,GPS(0):heightMSL,General:relativeHeight,"
        b"GPS:dateTimeStamp\n"
        b"1000,10.0,0.0,0.0,0,0,\n"  # before the GPS fix
        b"1100,10.1,109.9,28.15,214.0,0.0,2026-11-04T01:30:00Z\n"
        b"1200,10.2,109.9,28.15,214.2,0.2,2026-11-04T01:30:00Z\n"
        b"1300,11.1,109.9,28.15,215.1,1.1,2026-11-04T01:30:01Z\n"
    )
    assert detect_format(data, "FLY001.csv") == "dji-csv"
    parsed = read_dji_csv(data, source="FLY001.csv", tz=TZ)
    assert len(parsed.fixes) == 3
    assert parsed.fixes["time"].tolist() == [
        pd.Timestamp("2026-11-04T01:30:00Z"),
        pd.Timestamp("2026-11-04T01:30:00.1Z"),
        pd.Timestamp("2026-11-04T01:30:01Z"),
    ]
    assert parsed.naive_times == 0  # UTC
    assert parsed.alt_source == "takeoff_rel"
    assert parsed.fixes["alt_m"].tolist() == pytest.approx([0.0, 0.2, 1.1])


def test_a_record_without_a_date_is_dated_by_start() -> None:
    data = (
        b"CUSTOM.updateTime [local],OSD.flyTime [s],OSD.latitude,OSD.longitude,OSD.height [m]\n"
        b"9:30:00.00 AM,0.0,28.15,109.9,0\n"
        b"9:30:00.10 AM,0.1,28.15,109.9,0.5\n"
    )
    undated = read_track(data, filename="r.csv", tz=TZ)
    assert undated.fixes["time"].isna().all() and undated.elapsed_s is not None
    dated = read_track(data, filename="r.csv", tz=TZ, start="2026-11-04 09:30:00")
    assert dated.fixes["time"].tolist() == [
        pd.Timestamp("2026-11-04T01:30:00Z"),
        pd.Timestamp("2026-11-04T01:30:00.1Z"),
    ]


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (f"{APP}\n".encode(), "no rows", None),
        (
            f"{APP}\n11/4/2026,9:30:00.00 AM,0,abc,109.9\n".encode(),
            "'abc' is not a latitude",
            "line 2",
        ),
        (f"{APP}\n11/4/2026,9:30:00.00 AM,0,95,109.9\n".encode(), "not a latitude", "line 2"),
        (f"{APP}\n11/4/2026,9:30:00.00 AM,0,0,0\n".encode(), "no GPS positions", None),
        (f"sep=,\n{APP}\n11/4/2026,soon,0,28.1,109.9\n".encode(), "not a date and time", "line 3"),
        (b"CUSTOM.date [local],OSD.latitude\n1/1/2026,28\n", "not a DJI flight record", "line 1"),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_dji_csv(data, source="bad.csv", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.csv"
    if place:
        assert exc.place is not None and exc.place.startswith(place)


def test_other_real_files_are_not_dji_flight_records(shared_data: Path) -> None:
    for path in sorted(shared_data.glob("csv/*")) + sorted(shared_data.glob("drone/*")):
        assert not looks_like_dji_csv(path.read_bytes()[:2048]), path.name
