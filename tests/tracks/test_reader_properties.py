"""Property tests of every track reader: any bytes in, a fixes frame or a :class:`GeoError` out,
never another exception.

Each reader gets raw bytes and a small valid file of its format with random edits (tokens that
broke readers before: huge numbers, NaN, NUL, odd years and offsets, stray quotes and tags);
NMEA sentences are built field by field with a correct checksum, GeoJSON as random JSON of
GeoJSON's shape. ``make test`` runs a few derandomized examples each (profile ``bounded`` in
tests/conftest.py); ``make fuzz`` many (profile ``fuzz``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from geo.errors import GeoError
from geo.ingest.pipeline import read_track
from geo.tracks.fixes import FIX_COLUMNS, ParsedTrack
from tests.tracks.readers import (
    read_airdata,
    read_csv_track,
    read_dji_csv,
    read_geojson,
    read_gpx,
    read_kml,
    read_nmea,
    read_plt,
    read_srt,
)
from tests.tracks.samples import AIRDATA, CSV, DJI_CSV, GEOJSON, GPX, KML, PLT, SRT

TZ = ZoneInfo("Asia/Shanghai")
Reader = Callable[[bytes], ParsedTrack]

#: Tokens spliced into valid files: numbers a parser chokes on, odd dates, markup and bytes.
NASTY = [
    b"1" * 5000,
    b"-" + b"9" * 400,
    b"1e400",
    b"-1e-400",
    b"NaN",
    b"nan",
    b"Infinity",
    b"inf",
    b"-0",
    b"0",
    b"",
    b" ",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xe4\xb8\xad",
    b"9999-12-31T23:59:59-14:00",
    b"0001-01-01T00:00:00+14:00",
    b"2026-02-30",
    b"1970-01-01",
    b"24:00:00",
    b"99:99:99",
    b"+14:00",
    b"Z",
    b"T",
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r",
    b'"',
    b"'",
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b"&#0;",
    b"<![CDATA[",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"true",
    b"180.0000001",
    b"-90.5",
    b"1e11",
    b"1.7976931348623157e308",
    b"4294967296",
    b"N",
    b"S",
    b"E",
    b"W",
    b"*",
    b"$",
]


@st.composite
def mutated(draw: st.DrawFn, sample: bytes) -> bytes:
    """``sample`` with a few random edits: a nasty token or random bytes put in, or a span
    cut out."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        span = draw(st.integers(0, 12))
        token = draw(st.one_of(st.sampled_from(NASTY), st.binary(max_size=8)))
        if draw(st.booleans()):
            data[at : at + span] = token
        else:
            data[at:at] = token
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut]) if draw(st.integers(0, 9)) == 0 else bytes(data)


def _field() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                "",
                "2806.0000",
                "10954.0000",
                "N",
                "E",
                "S",
                "W",
                "A",
                "V",
                "1",
                "0",
                "010203",
                "235959.99",
                "240000",
                "181126",
                "999999",
                "9" * 400,
                "nan",
                "-1",
                "9000.0000",
                "18100.0000",
            ]
        ),
        st.text(alphabet="0123456789.-+NSEWAV ", max_size=12),
    )


@st.composite
def nmea(draw: st.DrawFn) -> bytes:
    """NMEA sentences with random fields and a correct checksum (so they are not skipped)."""
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["GPGGA", "GNRMC", "GPRMC", "GNGGA", "GPGSV", "BDGGA"]))
        fields = draw(st.lists(_field(), min_size=0, max_size=14))
        body = ",".join([kind, *fields])
        cs = reduce(lambda acc, ch: acc ^ ord(ch), body, 0)
        lines.append(f"${body}*{cs:02X}")
    return "\r\n".join(lines).encode("utf-8", "surrogatepass")


_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["2026-11-18T01:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31", "x"]),
)
_json = st.recursive(
    _json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
_position = st.one_of(
    st.lists(
        st.one_of(st.floats(allow_nan=False), st.integers(), st.sampled_from([109.9, 28.15])),
        min_size=0,
        max_size=4,
    ),
    _json,
)


@st.composite
def geojson(draw: st.DrawFn) -> bytes:
    """A GeoJSON-shaped document whose positions, times and members are random."""
    features = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(
            st.sampled_from(
                ["Point", "LineString", "MultiLineString", "Polygon", "GeometryCollection", "X"]
            )
        )
        if kind == "Point":
            coords: Any = draw(_position)
        elif kind == "MultiLineString":
            coords = draw(st.lists(st.lists(_position, max_size=4), max_size=3))
        else:
            coords = draw(st.lists(_position, max_size=5))
        props = draw(
            st.dictionaries(
                st.sampled_from(["time", "coordTimes", "times", "accuracy", "name", "Time"]),
                _json,
                max_size=3,
            )
        )
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": kind, "coordinates": coords},
            }
        )
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if draw(st.booleans()):
        doc["crs"] = draw(_json)
    if draw(st.integers(0, 4)) == 0:
        return json.dumps(draw(_json)).encode()
    return json.dumps(doc).encode()


READERS: dict[str, tuple[Reader, bytes]] = {
    "gpx": (lambda d: read_gpx(d, source="t.gpx", tz=TZ), GPX),
    "kml": (lambda d: read_kml(d, source="t.kml", tz=TZ), KML),
    "geojson": (lambda d: read_geojson(d, source="t.geojson", tz=TZ), GEOJSON),
    "csv": (lambda d: read_csv_track(d, source="t.csv", tz=TZ), CSV),
    "csv-epsg": (lambda d: read_csv_track(d, source="t.csv", tz=TZ, epsg=4546), CSV),
    "plt": (lambda d: read_plt(d, source="t.plt", tz=TZ), PLT),
    "srt": (lambda d: read_srt(d, source="t.srt", tz=TZ), SRT),
    "airdata": (lambda d: read_airdata(d, source="t.csv", tz=TZ), AIRDATA),
    "dji-csv": (lambda d: read_dji_csv(d, source="t.csv", tz=TZ), DJI_CSV),
    "nmea": (lambda d: read_nmea(d, source="t.nmea", tz=TZ), b""),
}


def check(read: Reader, data: bytes) -> None:
    """The property: a fixes frame (the columns and time type every step after relies on) or
    a GeoError; any other exception fails the test."""
    try:
        parsed = read(data)
    except GeoError:
        return
    assert isinstance(parsed, ParsedTrack)
    frame = parsed.fixes
    assert isinstance(frame, pd.DataFrame)
    assert set(FIX_COLUMNS) <= set(frame.columns)
    assert str(frame["time"].dtype) == "datetime64[ms, UTC]"


def test_the_samples_are_read() -> None:
    """The seeds are valid files, so edits start from a file that reaches every step."""
    for name, (read, sample) in READERS.items():
        if sample and name != "csv-epsg":
            assert len(read(sample).fixes) >= 2, name


def _reader_test(name: str) -> Callable[[], None]:
    read, sample = READERS[name]
    data = mutated(sample) if sample else nmea()

    @given(data=st.one_of(data, st.binary(max_size=512)))
    @example(data=sample)
    def test(data: bytes) -> None:
        check(read, data)

    return test


test_gpx_reader = _reader_test("gpx")
test_kml_reader = _reader_test("kml")
test_geojson_reader = _reader_test("geojson")
test_csv_reader = _reader_test("csv")
test_csv_reader_in_a_projected_crs = _reader_test("csv-epsg")
test_plt_reader = _reader_test("plt")
test_srt_reader = _reader_test("srt")
test_airdata_reader = _reader_test("airdata")
test_dji_csv_reader = _reader_test("dji-csv")
test_nmea_reader = _reader_test("nmea")


@given(data=geojson())
@example(data=b'{"type":"Point","coordinates":[' + b"1" * 5000 + b",28]}")
@example(data=b'{"type":"Point","coordinates":[NaN,28]}')
def test_geojson_reader_on_geojson_shaped_documents(data: bytes) -> None:
    check(READERS["geojson"][0], data)


@given(
    data=st.one_of(*(mutated(sample) for _, sample in READERS.values() if sample), nmea()),
    packed=st.booleans(),
)
def test_detection_and_dispatch(data: bytes, packed: bool) -> None:
    """``ingest.read_track``: gunzip, detect the format by content, read."""
    body = gzip.compress(data) if packed else data
    check(lambda d: read_track(d, filename="upload", tz=TZ), body)
