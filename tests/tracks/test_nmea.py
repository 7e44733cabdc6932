"""NMEA 0183 reading: the real UTF-16 log from ../shared, hand-made edge cases, clear errors."""

from __future__ import annotations

import re
from functools import reduce
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.errors import InvalidFile
from tests.tracks.readers import read_nmea

TZ = ZoneInfo("Asia/Shanghai")


def sentence(body: str) -> str:
    """``$body*CS`` with the correct checksum."""
    cs = reduce(lambda acc, ch: acc ^ ord(ch), body, 0)
    return f"${body}*{cs:02X}"


def gga(hhmmss: str, lat: str = "2806.0000,N", lon: str = "10954.0000,E", q: str = "1") -> str:
    return sentence(f"GPGGA,{hhmmss},{lat},{lon},{q},08,1.2,512.3,M,-20.1,M,,")


def rmc(hhmmss: str, ddmmyy: str, status: str = "A", lat: str = "2806.0000,N") -> str:
    return sentence(f"GNRMC,{hhmmss},{status},{lat},10954.0000,E,0.5,90.0,{ddmmyy},,,A")


def log(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def real_nmea_files(shared: Path) -> list[Path]:
    return sorted(shared.glob("*/*.nmea"))


def test_every_real_nmea_file_is_read(shared_data: Path) -> None:
    files = real_nmea_files(shared_data)
    assert files
    for path in files:
        data = path.read_bytes()
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode()
        # Independent count: one fix per distinct GGA/RMC time with fix quality > 0 / status A.
        epochs = set(re.findall(r"\$..GGA,([\d.]+),[^,]+,[NS],[^,]+,[EW],[1-9]", text))
        epochs |= set(re.findall(r"\$..RMC,([\d.]+),A,", text))
        dates = re.findall(r"\$..RMC,[\d.]+,A,(?:[^,]*,){6}(\d{6})", text)
        parsed = read_nmea(data, source=path.name, tz=TZ)
        assert len(parsed.fixes) == len(epochs), path.name
        assert parsed.fixes["time"].notna().all()
        first = sorted(epochs)[0]
        d = dates[0]
        expected = pd.Timestamp(f"20{d[4:]}-{d[2:4]}-{d[:2]}T{first[:2]}:{first[2:4]}:{first[4:]}Z")
        assert parsed.fixes["time"].iloc[0] == expected


def test_utf16_log_is_decoded_not_refused(shared_data: Path) -> None:
    path = shared_data / "broken" / "gpsbabel_nmea_utf16.nmea"
    parsed = read_nmea(path.read_bytes(), source=path.name, tz=TZ)
    f = parsed.fixes
    assert len(f) == 154  # 154 $GPGGA and 154 $GPRMC lines, paired by time
    # First lines: $GPGGA,032908.379,4231.8291,N,08807.3033,W,1,05,1.6,209.8,M,... and
    # $GPRMC,032908.379,A,...,070804; last: $GPGGA,033141.370,4231.8310,N,08807.3055,W,...
    assert f["time"].iloc[0] == pd.Timestamp("2004-08-07T03:29:08.379Z")
    assert f["time"].iloc[-1] == pd.Timestamp("2004-08-07T03:31:41.370Z")
    assert f["lat"].iloc[0] == pytest.approx(42 + 31.8291 / 60)
    assert f["lon"].iloc[0] == pytest.approx(-(88 + 7.3033 / 60))
    assert f["alt_m"].iloc[0] == pytest.approx(209.8)
    assert f["accuracy_m"].iloc[0] == pytest.approx(1.6 * 5)
    assert parsed.format == "nmea" and parsed.notes == ()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8-sig", "utf-8"])
def test_encodings(encoding: str) -> None:
    text = "\r\n".join([gga("010000.00"), rmc("010000.00", "231126")])
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    parsed = read_nmea(bom + text.encode(encoding), source="t.nmea", tz=TZ)
    assert len(parsed.fixes) == 1
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00Z")


def test_gga_and_rmc_of_one_epoch_are_one_fix() -> None:
    parsed = read_nmea(
        log(
            rmc("235959.50", "221126", lat="2806.0060,N"),
            gga("235959.50"),
            gga("000000.50", lat="2806.0100,N"),
            rmc("000000.50", "231126", lat="2806.0200,N"),
            rmc("000001.50", "231126", lat="2806.0300,S"),
        ),
        source="t.nmea",
        tz=TZ,
    )
    f = parsed.fixes
    assert len(f) == 3
    assert list(f["time"]) == [
        pd.Timestamp("2026-11-22T23:59:59.5Z"),
        pd.Timestamp("2026-11-23T00:00:00.5Z"),
        pd.Timestamp("2026-11-23T00:00:01.5Z"),
    ]
    assert f["lat"].iloc[0] == pytest.approx(28.1)  # GGA position preferred over RMC
    assert f["lat"].iloc[1] == pytest.approx(28 + 6.01 / 60)
    assert f["lat"].iloc[2] == pytest.approx(-(28 + 6.03 / 60))  # RMC-only fix
    assert f["accuracy_m"].iloc[0] == pytest.approx(6.0) and pd.isna(f["accuracy_m"].iloc[2])
    assert f["alt_m"].iloc[0] == pytest.approx(512.3)


def test_gga_only_log_has_no_times() -> None:
    parsed = read_nmea(log(gga("010000"), gga("010001")), source="t.nmea", tz=TZ)
    assert len(parsed.fixes) == 2
    assert parsed.fixes["time"].isna().all()
    assert any("no date" in n for n in parsed.notes)


def test_gga_dates_come_from_a_later_rmc_and_from_zda() -> None:
    parsed = read_nmea(
        log(gga("235958"), gga("235959"), gga("000000"), rmc("000001", "010126")),
        source="t.nmea",
        tz=TZ,
    )
    assert list(parsed.fixes["time"]) == [
        pd.Timestamp("2025-12-31T23:59:58Z"),
        pd.Timestamp("2025-12-31T23:59:59Z"),
        pd.Timestamp("2026-01-01T00:00:00Z"),
        pd.Timestamp("2026-01-01T00:00:01Z"),
    ]
    zda = read_nmea(
        log(sentence("GPZDA,010000,23,11,2026,00,00"), gga("010000.20")), source="t", tz=TZ
    )
    assert zda.fixes["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00.2Z")


def test_bad_checksums_void_and_no_fix_sentences_are_skipped_and_counted() -> None:
    good = gga("010000")
    parsed = read_nmea(
        log(
            good[:-2] + "00",  # wrong checksum
            gga("010001", q="0"),
            sentence("GPGGA,010002,,,,,0,00,99.9,,M,,M,,"),
            rmc("010003", "231126", status="V"),
            gga("010004"),
            rmc("010004", "231126"),
            "$GPGGA,010005,2806.0000,N,10954.0000,E,1,08,1.0,500.0,M,,M,,",  # no checksum
            "$GPGSV,3,1,09,28,64,316,40*00",
            "garbage line",
        ),
        source="t.nmea",
        tz=TZ,
    )
    assert len(parsed.fixes) == 2
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:04Z")
    notes = " ".join(parsed.notes)
    assert "2 sentence(s) with a wrong checksum" in notes  # the GGA and the GSV
    assert "1 RMC sentence(s) with status V" in notes
    assert "2 GGA sentence(s) without a fix" in notes
    assert "1 sentence(s) without a checksum" in notes


def test_beidou_talker_is_read() -> None:
    body = "BDGGA,010000,2806.0000,N,10954.0000,E,1,08,1.2,512.3,M,,M,,"
    parsed = read_nmea(log(sentence(body)), source="t.nmea", tz=TZ)
    assert parsed.fixes["lon"].iloc[0] == pytest.approx(109.9)


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (b"\xff\xfe", "empty", None),
        (b"lat,lon\n28.1,109.9\n", "not an NMEA log", None),
        (log(gga("010000", q="0"), rmc("010001", "231126", status="V")), "no track points", None),
        (log(gga("010000"), gga("010001", lat="28x6.0,N")), "not a number", "line 2"),
        (log(gga("016000")), "not a time of day", "line 1"),
        (log(gga("01000")), "not hhmmss", "line 1"),
        (log(gga("010000", lat="9106.0000,N")), "not a position on Earth", "line 1"),
        (log(gga("010000", lat="2875.0000,N")), "ddmm.mmmm", "line 1"),
        (log(gga("010000", lat="2806.0000,X")), "ddmm.mmmm", "line 1"),
        (log(rmc("010000", "321126")), "not ddmmyy", "line 1"),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_nmea(data, source="bad.nmea", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.nmea"
    if place:
        assert exc.place == place
    assert "\n" not in exc.one_line()
