"""GeoLife PLT reading: real files from ../shared, hand-made edge cases, clear errors."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.errors import InvalidFile
from tests.tracks.readers import read_plt

TZ = ZoneInfo("Asia/Shanghai")
HEADER = (
    "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n"
    "0,2,255,My Track,0,0,2,8421376\n0\n"
)


def plt(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_every_real_plt_file_is_read(shared_data: Path) -> None:
    files = sorted(shared_data.glob("*/*.plt"))
    assert len(files) >= 3
    for path in files:
        data = path.read_bytes()
        rows = [r.split(",") for r in data.decode().splitlines()[6:] if r.strip()]
        parsed = read_plt(data, source=path.name, tz=TZ)
        f = parsed.fixes
        assert len(f) == len(rows), path.name
        assert f["time"].iloc[0] == pd.Timestamp(f"{rows[0][5]}T{rows[0][6]}Z"), path.name
        assert f["time"].iloc[-1] == pd.Timestamp(f"{rows[-1][5]}T{rows[-1][6]}Z"), path.name
        assert f["lat"].iloc[-1] == float(rows[-1][0]) and f["lon"].iloc[-1] == float(rows[-1][1])
        assert parsed.format == "plt"


@pytest.mark.parametrize(
    ("name", "fixes"),
    [
        ("geolife_002_20081027103804.plt", 2289),
        ("geolife_010_20070805070503.plt", 5570),
        ("geolife_010_20080331160008.plt", 915),
    ],
)
def test_real_plt_counts_match_the_manifest(shared_data: Path, name: str, fixes: int) -> None:
    parsed = read_plt((shared_data / "csv" / name).read_bytes(), source=name, tz=TZ)
    assert len(parsed.fixes) == fixes


def test_xinjiang_file_has_no_altitudes_and_gmt_times(shared_data: Path) -> None:
    path = shared_data / "csv" / "geolife_010_20080331160008.plt"
    parsed = read_plt(path.read_bytes(), source=path.name, tz=TZ)
    assert parsed.fixes["alt_m"].isna().all()  # every altitude is -777
    assert any("-777" in n for n in parsed.notes)
    # First row: 41.741415,86.186028,0,-777,39538.6667592593,2008-03-31,16:00:08 (GMT).
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2008-03-31T16:00:08Z")
    assert parsed.naive_times == 0


def test_altitude_in_feet_becomes_metres_and_day_number_is_a_fallback() -> None:
    parsed = read_plt(
        plt(
            "39.900271,116.38561,0,76,39748.4431018519,2008-10-27,10:38:04",
            "39.900343,116.385579,0,-777,39748.443125,,",
        ),
        source="t.plt",
        tz=TZ,
    )
    f = parsed.fixes
    assert f["alt_m"].iloc[0] == pytest.approx(76 * 0.3048)
    assert pd.isna(f["alt_m"].iloc[1])
    assert f["time"].iloc[1] == pd.Timestamp("2008-10-27T10:38:06Z")
    assert any("day-number" in n for n in parsed.notes)
    assert list(f["part"]) == [0, 0]


def test_file_without_header_is_read_from_its_first_line() -> None:
    data = (
        b"39.9,116.3,0,100,39748.5,2008-10-27,12:00:00\r\n"
        b"39.9,116.4,0,100,39748.5,2008-10-27,12:00:05\r\n"
    )
    parsed = read_plt(data, source="t.plt", tz=TZ)
    assert len(parsed.fixes) == 2
    assert any("no 6-line PLT header" in n for n in parsed.notes)


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (HEADER.encode(), "no track points", None),
        (plt("39.9,116.3,0,100,39748.5,2008-10-27"), "6 fields", "line 7"),
        (
            plt(
                "39.9,116.3,0,100,39748.5,2008-10-27,12:00:00",
                "39.9,east,0,1,1,2008-10-27,12:00:01",
            ),
            "longitude 'east'",
            "line 8",
        ),
        (plt("99.9,116.3,0,100,39748.5,2008-10-27,12:00:00"), "not a position on Earth", "line 7"),
        (plt("39.9,116.3,0,high,39748.5,2008-10-27,12:00:00"), "altitude 'high'", "line 7"),
        (plt("39.9,116.3,0,100,39748.5,2008-10-27,noon"), "not yyyy-mm-dd hh:mm:ss", "line 7"),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_plt(data, source="bad.plt", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.plt"
    if place:
        assert exc.place == place
    assert "\n" not in exc.one_line()
