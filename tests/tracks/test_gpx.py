"""GPX reading: real files from ../shared, hand-made edge cases, clear errors."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from geo.errors import InvalidFile
from tests.tracks.readers import read_gpx

TZ = ZoneInfo("Asia/Shanghai")
GPX_HEAD = '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
GPX_TAIL = "</trkseg></trk></gpx>"


def gpx(points: str) -> bytes:
    return (GPX_HEAD + points + GPX_TAIL).encode()


def real_gpx_files(shared: Path) -> list[Path]:
    return sorted(shared.glob("*/*.gpx")) + sorted(shared.glob("*/*.GPX"))


def test_every_real_gpx_file_is_read_or_refused_clearly(shared_data: Path) -> None:
    files = real_gpx_files(shared_data)
    assert len(files) >= 6
    for path in files:
        data = path.read_bytes()
        # An independent count: every trkpt/rtept start tag.
        expected = len(re.findall(rb"<(?:\w+:)?(?:trkpt|rtept)[\s>]", data))
        try:
            parsed = read_gpx(data, source=path.name, tz=TZ)
        except InvalidFile as exc:
            assert path.parent.name == "broken", f"{path.name} refused: {exc}"
            assert exc.source == path.name and exc.place and exc.place.startswith("point ")
            continue
        assert len(parsed.fixes) == expected, path.name
        first_time = re.search(rb"<time>([^<]+)</time>", data.split(b"<trkpt", 1)[1])
        if first_time:
            got = parsed.fixes["time"].dropna().iloc[0]
            assert got == pd.Timestamp(first_time.group(1).decode()).tz_convert("UTC"), path.name


def test_points_without_time_and_segments_are_kept(shared_data: Path) -> None:
    parsed = read_gpx((shared_data / "gpx" / "togeojson_osm.gpx").read_bytes(), source="osm", tz=TZ)
    assert len(parsed.fixes) == 420
    assert parsed.fixes["time"].isna().sum() == 245  # the manifest's count
    run = read_gpx(
        (shared_data / "gpx" / "togeojson_Friday-Evening-Run.gpx").read_bytes(), source="r", tz=TZ
    )
    assert run.fixes["part"].nunique() == 3


def test_naive_times_are_read_as_township_local_time() -> None:
    parsed = read_gpx(
        gpx(
            '<trkpt lat="28.1" lon="109.9"><time>2026-11-23T09:00:00</time></trkpt>'
            '<trkpt lat="28.1" lon="109.9"><time>2026-11-23T01:00:05Z</time></trkpt>'
        ),
        source="t.gpx",
        tz=TZ,
    )
    assert parsed.naive_times == 1
    assert list(parsed.fixes["time"]) == [
        pd.Timestamp("2026-11-23T01:00:00Z"),
        pd.Timestamp("2026-11-23T01:00:05Z"),
    ]


def test_hdop_becomes_an_accuracy_estimate_and_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + gpx(
        '<trkpt lat="28.1" lon="109.9"><time>2026-11-23T01:00:00Z</time><hdop>2.0</hdop></trkpt>'
    )
    parsed = read_gpx(data, source="t.gpx", tz=TZ)
    assert parsed.fixes["accuracy_m"].iloc[0] == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (b"<kml></kml>", "not a GPX file", None),
        (gpx('<trkpt lat="28.1" lon="109.9">'), "not well-formed XML", "line 1"),
        (gpx('<trkpt lat="undefined" lon="109.9"></trkpt>'), "are not numbers", "point 1"),
        (
            gpx('<trkpt lat="28.1" lon="109.9"></trkpt><trkpt lon="109.9"></trkpt>'),
            "no lat",
            "point 2",
        ),
        (gpx('<trkpt lat="95" lon="109.9"></trkpt>'), "not a position on Earth", "point 1"),
        (gpx(""), "no track or route points", None),
        (
            gpx('<trkpt lat="28.1" lon="109.9"><time>yesterday</time></trkpt>'),
            "ISO 8601",
            "point 1",
        ),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_gpx(data, source="bad.gpx", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.gpx"
    if place:
        assert exc.place is not None and exc.place.startswith(place)
    assert "\n" not in exc.one_line()


def test_fast_scan_agrees_with_the_xml_parser(shared_data: Path) -> None:
    from geo.tracks.gpx import _scan_fast, _scan_tree
    from geo.tracks.gpx_write import write_gpx
    from geo.tracks.limits import DEFAULT_LIMITS

    simulated = write_gpx(
        np.array([109.9, 109.91, 109.92]),
        np.array([28.1, 28.11, 28.12]),
        pd.Series(
            pd.to_datetime(["2026-11-23T01:00:00Z", "2026-11-23T01:00:05Z", "2026-11-23T01:00:09Z"])
        ),
        hdop=np.array([1.0, 2.0, 3.0]),
    )
    used_fast = 0
    for name, data in [("simulated", simulated)] + [
        (p.name, p.read_bytes()) for p in real_gpx_files(shared_data)
    ]:
        fast = _scan_fast(data, TZ, DEFAULT_LIMITS, name)
        if fast is None:
            continue
        used_fast += 1
        tree = _scan_tree(data, name, DEFAULT_LIMITS)
        np.testing.assert_array_equal(fast.lons, tree.lons, err_msg=name)
        np.testing.assert_array_equal(fast.lats, tree.lats, err_msg=name)
        np.testing.assert_array_equal(fast.hdops, tree.hdops, err_msg=name)
        np.testing.assert_array_equal(fast.eles, tree.eles, err_msg=name)
        np.testing.assert_array_equal(fast.parts, tree.parts, err_msg=name)
        fast_times = (
            fast.parsed_times
            if fast.parsed_times is not None
            else pd.to_datetime(pd.Series(fast.times), utc=True, format="ISO8601")
        )
        tree_times = pd.to_datetime(pd.Series(tree.times), utc=True, format="ISO8601")
        assert list(fast_times) == list(tree_times), name
    assert used_fast >= 2


@pytest.mark.parametrize(
    ("head", "system"),
    [
        ("<metadata><name>巡护</name><desc>坐标系：GCJ-02（火星坐标）</desc></metadata>", "gcj02"),
        ("<metadata><desc><![CDATA[BD-09 百度坐标]]></desc></metadata>", "bd09"),
        ("<trk><name>白泥塘 (国测局坐标)</name>", "gcj02"),
        ("<metadata><keywords>WGS84</keywords></metadata>", "wgs84"),
        ("<metadata><name>高德地图轨迹</name></metadata>", None),
        ("<metadata><desc>GCJ-02 已转为 WGS-84</desc></metadata>", None),
        ("", None),
    ],
)
def test_metadata_naming_one_system_is_used(head: str, system: str | None) -> None:
    trk = "" if head.startswith("<trk>") else "<trk>"
    gpx = (
        '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        f'{head}{trk}<trkseg><trkpt lat="28.12" lon="109.93"><time>2026-11-18T01:00:00Z</time>'
        "</trkpt></trkseg></trk></gpx>"
    )
    parsed = read_gpx(gpx.encode(), source="t.gpx", tz=TZ)
    assert parsed.declared_crs == system
    assert len(parsed.fixes) == 1
    if system:
        assert any(f"coordinates read as {system}" in n for n in parsed.notes)


def test_a_point_name_after_the_first_point_does_not_name_the_file() -> None:
    gpx = (
        '<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>'
        '<trkpt lat="28.12" lon="109.93"><name>GCJ-02</name></trkpt></trkseg></trk></gpx>'
    )
    assert read_gpx(gpx.encode(), source="t.gpx", tz=TZ).declared_crs is None


@pytest.mark.parametrize(
    ("meta", "inner", "tail"),
    [
        ("<!-- a comment -->", "", ""),
        ("", "<!-- a comment inside a point -->", ""),
        ("<metadata><desc><![CDATA[x]]></desc></metadata>", "", ""),
        ("", "", "<rte><rtept lat='28.3' lon='110.2'/></rte>"),
    ],
)
def test_documents_that_are_not_plain_go_to_the_xml_parser(
    meta: str, inner: str, tail: str
) -> None:
    from geo.tracks.gpx import _scan_fast
    from geo.tracks.limits import DEFAULT_LIMITS

    doc = (
        '<?xml version="1.0"?><gpx>{meta}<trk><trkseg><trkpt lat="28.1" lon="110.0">{inner}'
        '<time>2026-11-23T01:00:00Z</time></trkpt><trkpt lat="28.2" lon="110.1"/></trkseg></trk>'
        "{tail}</gpx>"
    )
    plain = doc.format(meta="", inner="", tail="").encode()
    fast = _scan_fast(plain, TZ, DEFAULT_LIMITS, "t.gpx")
    assert fast is not None and len(fast.lons) == 2
    data = doc.format(meta=meta, inner=inner, tail=tail).encode()
    assert _scan_fast(data, TZ, DEFAULT_LIMITS, "t.gpx") is None
    assert len(read_gpx(data, source="t.gpx", tz=TZ).fixes) == (3 if tail else 2)
