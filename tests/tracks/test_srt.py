"""DJI SRT telemetry: every real variant from ../shared, hand-made cues, clear errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.errors import InvalidFile
from geo.ingest.pipeline import read_track
from tests import drone_samples as samples
from tests.tracks.readers import looks_like_srt, read_srt

TZ = ZoneInfo("Asia/Shanghai")

# Where each real flight is (lon range, lat range): checks the axis order.
REGIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "dji_mavic_pro.SRT": ((148.9, 149.1), (-20.3, -20.2)),  # Queensland: GPS(lon,lat,alt)
    "dji_mavic_2_style.SRT": ((148.9, 149.1), (-20.3, -20.2)),  # same place, "longtitude"
    "dji_matrice_300.srt": ((-6.2, -6.0), (36.5, 36.7)),  # Spain: GPS(lat,lon,alt)
    "dji_p4_rtk.SRT": ((-58.9, -58.8), (-34.3, -34.2)),  # Argentina
    "dji_mix_p4rtk_mavic2pro.srt": ((-59.5, -59.4), (-34.7, -34.6)),  # Argentina
    "dji_mavic_mini.SRT": ((-121.8, -121.7), (48.0, 48.1)),  # Washington State
    "dji_air2s.srt": ((2.2, 2.3), (41.4, 41.5)),  # Barcelona
    "callmarcus_neo2_clip.SRT": ((13.7, 13.8), (45.6, 45.7)),
    "callmarcus_avata360_clip.SRT": ((6.4, 6.5), (53.3, 53.4)),  # Dutch coast
    "callmarcus_neo2_clip_nogps.SRT": ((-84.9, -84.8), (32.8, 32.9)),
    "dji_broken_incomplete.SRT": ((-58.5, -58.4), (-34.8, -34.7)),
}
STAMP = re.compile(r"(\d{4})[-.](\d\d)[-.](\d\d) (\d\d:\d\d:\d\d)(?:[.,](\d{3}))?")


def real_srt_files(shared: Path) -> list[Path]:
    return sorted(
        [*shared.glob("drone/*.SRT"), *shared.glob("drone/*.srt"), *shared.glob("broken/dji_*")]
    )


def blocks_with_position(data: bytes) -> list[str]:
    """The independent count: blank-line separated blocks with a GPS fix that is not 0, 0."""
    text = data.decode("utf-8-sig").replace("\r\n", "\n")
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    with_gps = [b for b in blocks if re.search(r"GPS\s*\(|latitude\s*:", b)]
    return [b for b in with_gps if not re.search(r"latitude\s*:\s*0\.0+\]", b)]


def local_stamp(block: str) -> pd.Timestamp | None:
    m = STAMP.search(block)
    if not m:
        return None
    y, mo, d, hms, ms = m.groups()
    text = f"{y}-{mo}-{d} {hms}" + (f".{ms}" if ms else "")
    return pd.Timestamp(text).tz_localize(TZ).tz_convert("UTC")


def test_every_real_srt_file_is_read_or_refused_clearly(shared_data: Path) -> None:
    files = real_srt_files(shared_data)
    assert len(files) == 12
    for path in files:
        data = path.read_bytes()
        blocks = blocks_with_position(data)
        if not data.strip():
            with pytest.raises(InvalidFile, match="the file is empty"):
                read_srt(data, source=path.name, tz=TZ)
            continue
        assert looks_like_srt(data[:2048]), path.name
        parsed = read_srt(data, source=path.name, tz=TZ)
        fixes = parsed.fixes
        assert parsed.format == "dji-srt"
        assert len(fixes) == len(blocks), path.name
        stamps = [local_stamp(b) for b in blocks]
        assert fixes["time"].isna().sum() == stamps.count(None), path.name
        dated = [s for s in stamps if s is not None]
        assert parsed.naive_times == len(dated), path.name  # the aircraft's local clock
        if dated:
            assert fixes["time"].dropna().iloc[0] == dated[0], path.name
            assert fixes["time"].dropna().iloc[-1] == dated[-1], path.name
        (lon_lo, lon_hi), (lat_lo, lat_hi) = REGIONS[path.name]
        assert fixes["lon"].between(lon_lo, lon_hi).all(), path.name
        assert fixes["lat"].between(lat_lo, lat_hi).all(), path.name


def test_real_file_details(shared_data: Path) -> None:
    def read(name: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
        p = next(shared_data.glob(f"*/{name}"))
        parsed = read_srt(p.read_bytes(), source=name, tz=TZ)
        return parsed.fixes, parsed.notes

    fixes, notes = read("dji_mavic_pro.SRT")
    assert len(fixes) == 468 and fixes["alt_m"].iloc[0] == pytest.approx(1.9)  # BAROMETER
    assert fixes["time"].iloc[0] == pd.Timestamp("2017-08-05T06:11:51Z")  # 14:11:51 local
    assert any("(longitude, latitude)" in n for n in notes)
    fixes, notes = read("dji_matrice_300.srt")
    assert len(fixes) == 381
    assert any("(latitude, longitude)" in n for n in notes)
    fixes, notes = read("dji_p4_rtk.SRT")
    assert any("distance D from HOME" in n for n in notes)
    assert fixes["alt_m"].iloc[0] == pytest.approx(85.8)  # H, height above home
    fixes, notes = read("dji_air2s.srt")
    assert fixes["time"].iloc[0] == pd.Timestamp("2022-08-07T05:40:40.774Z")  # 40,774,808
    fixes, notes = read("callmarcus_avata360_clip.SRT")
    assert fixes["alt_m"].eq(5.4).all()  # rel_alt, not the negative abs_alt
    fixes, notes = read("callmarcus_neo2_clip_nogps.SRT")
    assert len(fixes) == 3
    assert any("no GPS lock" in n for n in notes)
    fixes, notes = read("dji_broken_incomplete.SRT")
    assert len(fixes) == 19
    assert any("cut off inside cue 20" in n for n in notes)
    fixes, notes = read("dji_mix_p4rtk_mavic2pro.srt")
    assert fixes["time"].isna().sum() == 6
    assert any("labelled latitude/longitude" in n for n in notes)
    fixes, notes = read("dji_mavic_mini.SRT")
    assert fixes["time"].isna().all() and fixes["alt_m"].iloc[0] == pytest.approx(200.7)


def test_other_files_do_not_look_like_srt(shared_data: Path) -> None:
    for path in sorted(shared_data.glob("csv/*")) + sorted(shared_data.glob("gpx/*")):
        assert not looks_like_srt(path.read_bytes()[:2048]), path.name


def cue(n: int, body: str, second: int = 0) -> str:
    return f"{n}\n00:00:{second:02d},000 --> 00:00:{second + 1:02d},000\n{body}\n\n"


def test_zero_fixes_are_skipped() -> None:
    srt = "".join(
        cue(i + 1, f"2026-11-23 09:00:0{i}.000\n[latitude: {lat}] [longitude: {lon}]", i)
        for i, (lat, lon) in enumerate([(0, 0), (28.1, 109.9), (0, 0), (28.2, 109.8)])
    )
    parsed = read_srt(srt.encode(), source="z.SRT", tz=TZ)
    assert parsed.fixes["lat"].tolist() == [28.1, 28.2]
    assert parsed.fixes["time"].tolist() == [
        pd.Timestamp("2026-11-23T01:00:01Z"),
        pd.Timestamp("2026-11-23T01:00:03Z"),
    ]
    assert any("2 cues at latitude 0" in n for n in parsed.notes)


def test_only_zero_fixes_is_refused() -> None:
    srt = cue(1, "[latitude: 0.000000] [longitude: 0.000000] [rel_alt: 0.4 abs_alt: 20.1]")
    with pytest.raises(InvalidFile, match="no GPS positions: all 1 cues are at latitude 0"):
        read_srt(srt.encode(), source="z.SRT", tz=TZ)


@pytest.mark.parametrize(
    ("gps", "lon", "lat"),
    [
        ("GPS(109.9012,28.1234,16) BAROMETER:1.9", 109.9012, 28.1234),
        ("GPS(28.1234,109.9012,0.0M) BAROMETER:1.9M", 109.9012, 28.1234),
        ("GPS(41.7000,80.2000,0.0M)", 80.2, 41.7),  # Xinjiang: the China rule
        ("GPS (80.2000, 41.7000, 17), D 1.0m, H 2.0m, H.S n/a, V.S n/a", 80.2, 41.7),
    ],
)
def test_gps_axis_order_in_china(gps: str, lon: float, lat: float) -> None:
    srt = cue(1, f"HOME(0,0) 2026.11.23 09:00:00\n{gps}") + cue(2, gps, 1)
    parsed = read_srt(srt.encode(), source="c.SRT", tz=TZ)
    assert parsed.fixes[["lon", "lat"]].iloc[0].tolist() == [lon, lat]
    assert any(n.startswith("GPS(...) read as") for n in parsed.notes)


def test_bracketed_variants_without_timecodes_with_bom_and_crlf() -> None:
    srt = (
        "\ufeff1\r\n2026.11.23 09:00:00,393,525\r\n"
        "[latitude : 28.1] [longtitude : 109.9] [iso : 100]\r\n\r\n"
        "2\r\n2026.11.23 09:00:01,393,525\r\n"
        '<font size="28">[latitude:28.2] [longitude:109.8] [rel_alt:1.5 abs_alt:300.2]</font>\r\n'
    )
    parsed = read_srt(srt.encode(), source="b.SRT", tz=TZ)
    f = parsed.fixes
    assert f["lon"].tolist() == [109.9, 109.8]
    assert f["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00.393Z")
    assert f["alt_m"].iloc[1] == 1.5
    assert parsed.naive_times == 2


def test_restarted_numbering_starts_a_new_part() -> None:
    body = "GPS(109.9,28.1,16) BAROMETER:1.0"
    srt = cue(1, body) + cue(2, body, 1) + cue(1, body, 0) + cue(2, body, 1)
    parsed = read_srt(srt.encode(), source="r.SRT", tz=TZ)
    assert parsed.fixes["part"].tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "the file is empty", None),
        (b"\xef\xbb\xbf\r\n", "the file is empty", None),
        (b"1\n00:00:00,000 --> 00:00:01,000\nhello\n", "no GPS positions", None),
        (
            b"1\n00:00:00,000 --> 00:00:01,000\n[latitude: 28.1] [longitude: 10",
            "first cue",
            "cue 1",
        ),
        (b"1\n00:00:00,000 --> 00:00:01,000\nGPS(109.9,95.0,1)\n", "not a position", "cue 1"),
        (
            b"1\n00:00:00,000 --> 00:00:01,000\n2026-13-45 09:00:00\nGPS(109.9,28.1,1)\n",
            "ISO 8601",
            "cue 1",
        ),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_srt(data, source="bad.SRT", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.SRT"
    if place:
        assert exc.place is not None and exc.place.startswith(place)


@pytest.mark.parametrize(
    ("build", "source", "first", "last"),
    [
        (samples.mavic2_zoom_srt, "asl", 214.0, 239.0),  # altitude: above sea level
        (samples.mavic_pro_hb_srt, "barometer", 0.0, 25.0),  # Hb:, not Hs:
        (samples.avata2_srt, "barometer", 0.0, 25.0),  # BAROMETER(91.2)
        (samples.mavic3_srt, "takeoff_rel", 0.0, 25.0),  # rel_alt, not abs_alt
        (samples.mavic_mini_srt, "takeoff_rel", 0.0, 25.0),  # H 25.00m
    ],
)
def test_each_layout_says_what_its_altitude_measures(
    build: Callable[[], bytes], source: str, first: float, last: float
) -> None:
    parsed = read_srt(build(), source="s.SRT", tz=TZ)
    assert parsed.alt_source == source
    alt = parsed.fixes["alt_m"]
    assert alt.notna().all()
    assert (alt.iloc[0], alt.iloc[-1]) == pytest.approx((first, last), abs=0.001)


def test_real_files_altitude_meanings(shared_data: Path) -> None:
    expected = {
        "dji_mavic_pro.SRT": "barometer",  # BAROMETER:1.9
        "dji_matrice_300.srt": "barometer",  # BAROMETER:0.3M, not GPS(...,0.0M)
        "dji_p4_rtk.SRT": "takeoff_rel",  # H 85.80m
        "dji_mavic_mini.SRT": "takeoff_rel",
        "dji_air2s.srt": "asl",  # [altitude: 117.000000] only
        "callmarcus_avata360_clip.SRT": "takeoff_rel",  # rel_alt 5.4, abs_alt -124.7
        "dji_mavic_2_style.SRT": "",  # no altitude at all
    }
    for name, source in expected.items():
        parsed = read_srt((shared_data / "drone" / name).read_bytes(), source=name, tz=TZ)
        assert parsed.alt_source == source, name


def test_real_date_less_files_are_dated_by_a_dji_name(shared_data: Path) -> None:
    """The real files without any date keep their timecodes; a DJI file name dates them."""
    for path in real_srt_files(shared_data):
        data = path.read_bytes()
        if not data.strip() or STAMP.search(data.decode("utf-8-sig")):
            continue
        parsed = read_srt(data, source=path.name, tz=TZ)
        assert parsed.fixes["time"].isna().all(), path.name
        assert parsed.elapsed_s is not None, path.name
        # The independent reading: each positioned block's timecode start.
        codes = [
            re.search(r"(\d\d):(\d\d):(\d\d),(\d{3}) -->", b) for b in blocks_with_position(data)
        ]
        seconds = [
            int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
            for h, m, s, ms in (c.groups() for c in codes if c)
        ]
        named = read_track(data, filename="DJI_20240512153012_0001_D.SRT", tz=TZ)
        start = pd.Timestamp("2024-05-12T15:30:12").tz_localize(TZ)
        expected = [start + pd.Timedelta(seconds=s) for s in seconds]
        assert named.fixes["time"].tolist() == expected, path.name
        assert named.naive_times == len(expected)
    for name in ("dji_mavic_mini.SRT", "dji_p4_rtk.SRT"):
        data = (shared_data / "drone" / name).read_bytes()
        assert not STAMP.search(data.decode("utf-8-sig")), name  # these two have no date
        kept = read_track(data, filename=name, tz=TZ)
        assert kept.fixes["time"].isna().all()  # read, not refused: refused on import
