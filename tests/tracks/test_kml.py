"""KML/KMZ reading: real files from ../shared, hand-made edge cases, clear errors."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.errors import InvalidFile
from tests.tracks.readers import read_kml

TZ = ZoneInfo("Asia/Shanghai")
KML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">'
    "<Document><name>test</name>"
)
KML_TAIL = "</Document></kml>"


def kml(body: str) -> bytes:
    return (KML_HEAD + body + KML_TAIL).encode()


def line_string(coords: str) -> str:
    return f"<Placemark><LineString><coordinates>{coords}</coordinates></LineString></Placemark>"


def real_kml_files(shared: Path) -> list[Path]:
    return (
        sorted(shared.glob("kml/*.kml"))
        + sorted(shared.glob("drone/*.kml"))
        + sorted(shared.glob("broken/*.kml"))
    )


def expected_track(data: bytes) -> tuple[int, list[str]]:
    """Count positions by regex: LineString tuples plus non-empty gx:coord, and their times."""
    text = re.sub(rb"<!--.*?-->", b"", data, flags=re.S)
    count = 0
    for block in re.findall(rb"<LineString>(.*?)</LineString>", text, flags=re.S):
        coords = re.search(rb"<coordinates>(.*?)</coordinates>", block, flags=re.S)
        count += len(coords.group(1).split()) if coords else 0
    times: list[str] = []
    for block in re.findall(rb"<gx:Track>(.*?)</gx:Track>", text, flags=re.S):
        whens = re.findall(rb"<when>([^<]*)</when>", block)
        coords = re.findall(rb"<gx:coord\s*/>|<gx:coord>([^<]*)</gx:coord>", block)
        for k, c in enumerate(coords):
            if c.strip():
                count += 1
                if len(whens) == len(coords):
                    times.append(whens[k].decode().strip())
    return count, times


def test_every_real_kml_file_is_read_or_refused_clearly(shared_data: Path) -> None:
    files = real_kml_files(shared_data)
    assert len(files) >= 6
    for path in files:
        data = path.read_bytes()
        try:
            parsed = read_kml(data, source=path.name, tz=TZ)
        except InvalidFile as exc:
            assert path.parent.name == "broken", f"{path.name} refused: {exc}"
            assert exc.source == path.name
            assert exc.place and re.fullmatch(r"line \d+, column \d+", exc.place), exc.place
            continue
        count, times = expected_track(data)
        assert len(parsed.fixes) == count, path.name
        got = parsed.fixes["time"].dropna()
        assert len(got) == len(times), path.name
        if times:
            assert got.iloc[0] == pd.Timestamp(times[0]), path.name
            assert got.iloc[-1] == pd.Timestamp(times[-1]), path.name
        assert parsed.fixes["lat"].between(-90, 90).all()
        assert parsed.fixes["alt_m"].notna().all(), path.name


@pytest.mark.parametrize(
    ("name", "fixes", "parts", "first", "last"),
    [
        ("kml/gdal_gx_track_without_when.kml", 7, 1, None, None),
        (
            "kml/gpsbabel_opentracks.kml",
            2,
            1,
            "2021-03-02T09:30:41.890Z",
            "2021-03-02T12:34:53.912Z",
        ),
        ("kml/gpsbabel_skydrop.kml", 1329, 1, None, None),
        (
            "kml/togeojson_gxmultitrack.kml",
            26,
            2,
            "2014-04-12T14:26:16.702Z",
            "2014-04-12T14:27:24.638Z",
        ),
        ("drone/airdata_mini2_flight.kml", 2284, 1, None, None),
    ],
)
def test_real_kml_counts_parts_and_times(
    shared_data: Path, name: str, fixes: int, parts: int, first: str | None, last: str | None
) -> None:
    # Counts from grep over the raw files; times copied from their first and last <when>.
    parsed = read_kml((shared_data / name).read_bytes(), source=name, tz=TZ)
    f = parsed.fixes
    assert len(f) == fixes
    assert f["part"].nunique() == parts
    if first is None:
        assert f["time"].isna().all()
    else:
        assert f["time"].iloc[0] == pd.Timestamp(first)
        assert f["time"].iloc[-1] == pd.Timestamp(last)


def test_airdata_home_point_is_not_mixed_into_the_track(shared_data: Path) -> None:
    path = shared_data / "drone" / "airdata_mini2_flight.kml"
    parsed = read_kml(path.read_bytes(), source=path.name, tz=TZ)
    assert parsed.name == "Airdata.com"
    assert parsed.fixes["lon"].iloc[0] == pytest.approx(-122.626623360638)  # not the home point
    assert any("point placemark" in n for n in parsed.notes)
    assert parsed.fixes["alt_m"].iloc[0] == pytest.approx(5.2937593)


def test_skydrop_comments_inside_coordinates_are_ignored(shared_data: Path) -> None:
    path = shared_data / "kml" / "gpsbabel_skydrop.kml"
    parsed = read_kml(path.read_bytes(), source=path.name, tz=TZ)
    assert parsed.fixes["lon"].iloc[0] == pytest.approx(8.5155383)
    assert parsed.fixes["lat"].iloc[1] == pytest.approx(48.2660633)
    assert parsed.fixes["alt_m"].iloc[0] == 768


def test_line_strings_have_no_times_and_each_is_a_part() -> None:
    parsed = read_kml(
        kml(
            line_string("110.0,28.0,100 110.1,28.1,101")
            + "<Placemark><MultiGeometry>"
            + "<LineString><coordinates>110.2, 28.2 110.3,28.3</coordinates></LineString>"
            + "<LineString><coordinates>110.4,28.4</coordinates></LineString>"
            + "</MultiGeometry></Placemark>"
        ),
        source="t.kml",
        tz=TZ,
    )
    f = parsed.fixes
    assert list(f["part"]) == [0, 0, 1, 1, 2]
    assert f["time"].isna().all()
    assert list(f["alt_m"].iloc[:2]) == [100, 101] and f["alt_m"].iloc[2:].isna().all()
    assert parsed.format == "kml" and parsed.name == "test"


def test_gx_track_without_when_keeps_positions_and_notes_it() -> None:
    parsed = read_kml(
        kml(
            "<Placemark><gx:Track><when>2026-11-23T01:00:00Z</when>"
            "<gx:coord>110.0 28.0 100</gx:coord><gx:coord>110.1 28.1 101</gx:coord>"
            "</gx:Track></Placemark>"
        ),
        source="t.kml",
        tz=TZ,
    )
    assert len(parsed.fixes) == 2
    assert parsed.fixes["time"].isna().all()
    assert any("2 positions but 1 <when>" in n for n in parsed.notes)


def test_multitrack_tracks_are_parts_and_naive_when_is_local() -> None:
    parsed = read_kml(
        kml(
            "<Placemark><gx:MultiTrack>"
            "<gx:Track><when>2026-11-23T09:00:00</when><gx:coord>110.0 28.0 1</gx:coord>"
            "<when>2026-11-23T09:00:05</when><gx:coord>110.0 28.001 1</gx:coord></gx:Track>"
            "<gx:Track><when>2026-11-23T01:10:00Z</when><gx:coord>110.1 28.1 1</gx:coord>"
            "</gx:Track></gx:MultiTrack></Placemark>"
        ),
        source="t.kml",
        tz=TZ,
    )
    f = parsed.fixes
    assert list(f["part"]) == [0, 0, 1]
    assert f["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00Z")
    assert parsed.naive_times == 2


def test_empty_gx_coord_splits_a_track() -> None:
    parsed = read_kml(
        kml(
            "<Placemark><gx:Track>"
            + "".join(f"<when>2026-11-23T01:00:0{i}Z</when>" for i in range(4))
            + "<gx:coord>110.0 28.0 1</gx:coord><gx:coord/>"
            "<gx:coord>110.0 28.1 1</gx:coord><gx:coord>110.0 28.2 1</gx:coord>"
            "</gx:Track></Placemark>"
        ),
        source="t.kml",
        tz=TZ,
    )
    assert list(parsed.fixes["part"]) == [0, 1, 1]
    assert parsed.fixes["time"].iloc[1] == pd.Timestamp("2026-11-23T01:00:02Z")


def test_points_with_timestamps_form_the_track_when_there_is_no_line() -> None:
    point = (
        "<Placemark><TimeStamp><when>{t}</when></TimeStamp>"
        "<Point><coordinates>{c}</coordinates></Point></Placemark>"
    )
    parsed = read_kml(
        kml(
            point.format(t="2026-11-23T01:00:00Z", c="110.0,28.0")
            + point.format(t="2026-11-23T01:01:00Z", c="110.0,28.1,5")
        ),
        source="t.kml",
        tz=TZ,
    )
    f = parsed.fixes
    assert list(f["time"]) == [
        pd.Timestamp("2026-11-23T01:00:00Z"),
        pd.Timestamp("2026-11-23T01:01:00Z"),
    ]
    assert list(f["part"]) == [0, 0]
    assert f["alt_m"].iloc[1] == 5


def test_kml_2_1_namespace_and_no_namespace_are_read() -> None:
    for head in ('<kml xmlns="http://earth.google.com/kml/2.1">', "<kml>"):
        data = (head + line_string("110.0,28.0 110.1,28.1") + "</kml>").encode()
        assert len(read_kml(data, source="t.kml", tz=TZ).fixes) == 2


def test_kmz_is_unpacked() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("files/icon.png", b"\x89PNG")
        zf.writestr("doc.kml", kml(line_string("110.0,28.0 110.1,28.1 110.2,28.2")))
    parsed = read_kml(buf.getvalue(), source="t.kmz", tz=TZ)
    assert parsed.format == "kmz"
    assert len(parsed.fixes) == 3


def test_kmz_without_kml_and_broken_zip_are_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InvalidFile, match=r"no \.kml file"):
        read_kml(buf.getvalue(), source="t.kmz", tz=TZ)
    with pytest.raises(InvalidFile, match="cannot be unpacked"):
        read_kml(b"PK\x03\x04" + b"\x00" * 40, source="t.kmz", tz=TZ)


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (b"  \n", "empty", None),
        (b"<gpx></gpx>", "not a KML file", None),
        (b'<?xml version="1.0" encoding="WTF-8"?><kml/>', "encoding", None),
        (kml(line_string("110.0,28.0"))[:-20], "not well-formed XML", "line 1, column"),
        (kml(line_string("110.0,28.0 abc,28.1")), "not numbers", "point 2"),
        (kml(line_string("110.0,28.0 110.0")), "not lon,lat", "point 2"),
        (kml(line_string("110.0,95.0")), "not a position on Earth", "point 1"),
        (
            kml("<Placemark><gx:Track><gx:coord>110 28 x</gx:coord></gx:Track></Placemark>"),
            "not numbers",
            "point 1",
        ),
        (kml(""), "no track points", None),
        (
            kml(
                "<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>"
                "110,28 110.1,28 110.1,28.1 110,28</coordinates></LinearRing>"
                "</outerBoundaryIs></Polygon></Placemark>"
            ),
            "1 polygon",
            None,
        ),
        (
            kml(
                line_string("110.0,28.0") + "<Placemark><TimeStamp><when>soon</when></TimeStamp>"
                "<Point><coordinates>110,28</coordinates></Point></Placemark>"
                "<Placemark><TimeStamp><when>later</when></TimeStamp>"
                "<Point><coordinates>110,28</coordinates></Point></Placemark>"
            ),
            None,
            None,
        ),
        (
            kml(
                "<Placemark><TimeStamp><when>2026-11-23T01:00:00Z</when></TimeStamp>"
                "<Point><coordinates>110,28</coordinates></Point></Placemark>"
                "<Placemark><TimeStamp><when>soon</when></TimeStamp>"
                "<Point><coordinates>110,28</coordinates></Point></Placemark>"
            ),
            "ISO 8601",
            "point 2",
        ),
    ],
)
def test_bad_files_get_one_clear_message(
    data: bytes, message: str | None, place: str | None
) -> None:
    if message is None:
        # Label points beside a track are ignored, so their unreadable times do not matter.
        assert len(read_kml(data, source="bad.kml", tz=TZ).fixes) == 1
        return
    with pytest.raises(InvalidFile) as caught:
        read_kml(data, source="bad.kml", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.kml"
    if place:
        assert exc.place is not None and exc.place.startswith(place)
    assert "\n" not in exc.one_line()


# --- the coordinate system the file names (issue 11) -------------------------------------------


def _ovital_points(coord_types: list[str]) -> bytes:
    """Point placemarks in the layout of a real 奥维互动地图 export (one <OvCoordType> each)."""
    marks = "".join(
        f"""
\t\t<Placemark>
\t\t\t<name>B{i}</name>
\t\t\t<OvAttr>
\t\t\t\t<OvIcon>4</OvIcon>
\t\t\t\t<OvIconNum>0</OvIconNum>
\t\t\t</OvAttr>
\t\t\t<Style>
\t\t\t\t<IconStyle>
\t\t\t\t\t<Icon>
\t\t\t\t\t\t<href>http://maps.google.com/mapfiles/kml/pushpin/ylw-pushpin.png</href>
\t\t\t\t\t</Icon>
\t\t\t\t\t<hotSpot x="0.5" y="0.0" xunits="fraction" yunits="fraction" />
\t\t\t\t</IconStyle>
\t\t\t</Style>
\t\t\t<OvCoordType>{t}</OvCoordType>
\t\t\t<Point>
\t\t\t\t<coordinates>{109.93 + i / 1000:.8f},28.12000000,0</coordinates>
\t\t\t</Point>
\t\t</Placemark>"""
        for i, t in enumerate(coord_types)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2" \n'
        f"\t>\n<Document>\n\t<name>验证</name>\n\t<Folder>\n\t\t<name>验证</name>{marks}\n"
        "\t</Folder>\n</Document>\n</kml>\n"
    ).encode()


@pytest.mark.parametrize(
    ("types", "system"),
    [(["CGCS2000"] * 3, "cgcs2000"), (["GCJ02"] * 2, "gcj02"), (["GCJ-02"], "gcj02"),
     (["WGS84", "CGCS2000"], "cgcs2000"), (["BD09"], "bd09")],
)  # fmt: skip
def test_ovital_coord_type_names_the_system(types: list[str], system: str) -> None:
    parsed = read_kml(_ovital_points(types), source="a.ovkml", tz=TZ)
    assert parsed.declared_crs == system
    assert len(parsed.fixes) == len(types)
    assert any("<OvCoordType> (奥维互动地图)" in n for n in parsed.notes)


def test_ovital_placemarks_in_different_systems_are_refused() -> None:
    with pytest.raises(InvalidFile, match=r"name different coordinate systems.*GCJ02"):
        read_kml(_ovital_points(["CGCS2000", "GCJ02"]), source="a.ovkml", tz=TZ)


def test_an_unknown_ovital_coord_type_is_noted_not_guessed() -> None:
    parsed = read_kml(_ovital_points(["Beijing54"]), source="a.ovkml", tz=TZ)
    assert parsed.declared_crs is None
    assert any("Beijing54" in n for n in parsed.notes)


@pytest.mark.parametrize(
    ("title", "system"),
    [("巡护轨迹（火星坐标）", "gcj02"), ("track GCJ-02", "gcj02"), ("百度坐标 BD-09", "bd09"),
     ("高德地图导出", None), ("GCJ-02 转 WGS84", None), ("巡护", None)],
)  # fmt: skip
def test_a_title_naming_one_system_is_used(title: str, system: str | None) -> None:
    kml = (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>{title}</name><Placemark><LineString><coordinates>"
        "109.93,28.12 109.931,28.121</coordinates></LineString></Placemark></Document></kml>"
    )
    assert read_kml(kml.encode(), source="t.kml", tz=TZ).declared_crs == system
