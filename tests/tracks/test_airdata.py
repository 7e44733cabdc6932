"""AirData.com CSV exports of DJI flights: the real Mini 2 export and hand-made variants."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.errors import InvalidFile
from tests import drone_samples as samples
from tests.tracks.readers import looks_like_airdata, read_airdata

TZ = ZoneInfo("Asia/Shanghai")
HEADER = (
    "time(millisecond),datetime(utc),latitude,longitude,height_above_takeoff({unit}),"
    " xSpeed({speed}),message\n"
)


def airdata(rows: str, unit: str = "meters", speed: str = "m/s") -> bytes:
    return (HEADER.format(unit=unit, speed=speed) + rows).encode()


def test_the_real_imperial_export(shared_data: Path) -> None:
    path = shared_data / "drone" / "airdata_mini2_flight.csv"
    data = path.read_bytes()
    assert looks_like_airdata(data[:2048])
    lines = [line for line in data.decode("utf-8-sig").splitlines() if line.strip()]
    header = [h.strip() for h in lines[0].split(",")]
    rows = [line.split(",") for line in lines[1:]]
    col = {name: header.index(name) for name in header}
    parsed = read_airdata(data, source=path.name, tz=TZ)
    fixes = parsed.fixes
    assert parsed.format == "airdata-csv"
    assert len(fixes) == len(rows) == 3000  # the manifest's first 3000 rows
    assert parsed.naive_times == 0
    first, last = rows[0], rows[-1]
    start = pd.Timestamp(first[col["datetime(utc)"]], tz="UTC")
    assert fixes["time"].iloc[0] == start
    elapsed = int(last[col["time(millisecond)"]]) - int(first[col["time(millisecond)"]])
    assert fixes["time"].iloc[-1] == start + pd.Timedelta(milliseconds=elapsed)
    # The whole-second datetime column agrees to the second; each step is the ms column's step
    # (mostly 100 ms, with the recorder's own gaps of 200 ms and 34.7 s).
    assert fixes["time"].iloc[-1].floor("s") == pd.Timestamp(last[col["datetime(utc)"]], tz="UTC")
    ms = pd.Series([int(r[col["time(millisecond)"]]) for r in rows])
    steps = fixes["time"].diff().dropna().dt.total_seconds().mul(1000).round().astype(int)
    assert steps.tolist() == ms.diff().dropna().astype(int).tolist()
    assert (steps == 100).mean() > 0.99
    assert fixes["lat"].iloc[0] == pytest.approx(float(first[col["latitude"]]))
    assert fixes["lon"].iloc[0] == pytest.approx(float(first[col["longitude"]]))
    assert fixes["lon"].iloc[0] < -122 and fixes["lat"].iloc[0] > 47  # Puget Sound
    feet = max(float(r[col["height_above_takeoff(feet)"]]) for r in rows)
    assert fixes["alt_m"].max() == pytest.approx(feet * 0.3048)
    assert any("feet" in n for n in parsed.notes)


def test_other_real_files_are_not_airdata(shared_data: Path) -> None:
    for path in sorted(shared_data.glob("csv/*")) + sorted(shared_data.glob("drone/*.SRT")):
        assert not looks_like_airdata(path.read_bytes()[:2048]), path.name


def test_metric_export_with_spaces_and_sub_second_rows() -> None:
    data = airdata(
        "0,2026-11-23 01:00:00,28.1,109.9,0.0, 1.0,\n"
        "100,2026-11-23 01:00:00,28.1,109.9,1.5, 1.0,\n"
        "1100,2026-11-23 01:00:01,28.1,109.9,2.5, 1.0,\n"
    )
    parsed = read_airdata(data, source="f.csv", tz=TZ)
    assert parsed.fixes["time"].tolist() == [
        pd.Timestamp("2026-11-23T01:00:00Z"),
        pd.Timestamp("2026-11-23T01:00:00.1Z"),
        pd.Timestamp("2026-11-23T01:00:01.1Z"),
    ]
    assert parsed.fixes["alt_m"].tolist() == [0.0, 1.5, 2.5]
    assert not any("feet" in n for n in parsed.notes)


def test_imperial_export_converts_feet() -> None:
    parsed = read_airdata(
        airdata("0,2026-11-23 01:00:00,28.1,109.9,100, 3,\n", unit="feet", speed="mph"),
        source="f.csv",
        tz=TZ,
    )
    assert parsed.fixes["alt_m"].iloc[0] == pytest.approx(30.48)
    assert any("feet" in n and "mph" in n for n in parsed.notes)


def test_rows_before_gps_lock_are_skipped() -> None:
    parsed = read_airdata(
        airdata("0,2026-11-23 01:00:00,0,0,0,0,\n100,2026-11-23 01:00:00,28.1,109.9,0,0,\n"),
        source="f.csv",
        tz=TZ,
    )
    assert len(parsed.fixes) == 1
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00.1Z")
    assert any("0°, 0°" in n for n in parsed.notes)


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (b"lon,lat\n1,2\n", "not an AirData CSV export", "line 1"),
        (airdata(""), "no rows", None),
        (airdata("0,2026-11-23 01:00:00,abc,109.9,0,0,\n"), "'abc' is not a latitude", "line 2"),
        (airdata("0,2026-11-23 01:00:00,95,109.9,0,0,\n"), "not a latitude", "line 2"),
        (airdata("0,2026-11-23 01:00:00,0,0,0,0,\n"), "no GPS positions", None),
        (airdata("0,soon,28.1,109.9,0,0,\n"), "not a date and time", "line 2"),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_airdata(data, source="bad.csv", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.csv"
    if place:
        assert exc.place is not None and exc.place.startswith(place)


def test_the_real_imperial_export_gives_height_above_take_off(shared_data: Path) -> None:
    path = shared_data / "drone" / "airdata_mini2_flight.csv"
    parsed = read_airdata(path.read_bytes(), source=path.name, tz=TZ)
    assert parsed.alt_source == "takeoff_rel"
    assert parsed.fixes["alt_m"].iloc[0] == 0.0  # on the ground; sea level is 17.4 ft


def test_metric_export_with_both_altitudes_uses_the_height() -> None:
    data = samples.airdata_metric_csv(duration_s=10)
    parsed = read_airdata(data, source="f.csv", tz=TZ)
    assert parsed.alt_source == "takeoff_rel"
    assert parsed.fixes["alt_m"].iloc[[0, -1]].tolist() == [0.0, samples.CRUISE_M]
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2026-11-04T01:30:00Z")


@pytest.mark.parametrize(("unit", "factor"), [("meters", 1.0), ("feet", 0.3048)])
def test_sea_level_altitude_alone_is_marked_as_such(unit: str, factor: float) -> None:
    data = (
        f"time(millisecond),datetime(utc),latitude,longitude,altitude_above_seaLevel({unit}),"
        f" speed(mph)\n0,2026-11-23 01:00:00,28.1,109.9,700,0\n"
        f"100,2026-11-23 01:00:00,28.1,109.9,710,0\n"
    ).encode()
    parsed = read_airdata(data, source="f.csv", tz=TZ)
    assert parsed.alt_source == "asl"
    assert parsed.fixes["alt_m"].tolist() == pytest.approx([700 * factor, 710 * factor])
    assert any("above sea level" in n for n in parsed.notes)
