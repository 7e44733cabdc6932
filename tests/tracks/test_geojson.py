"""GeoJSON / MF-JSON reading: real files from ../shared, hand-made edge cases, clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.errors import InvalidFile
from tests.tracks.readers import read_geojson

TZ = ZoneInfo("Asia/Shanghai")


def gj(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def feature(geometry: dict[str, object], **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def collection(*features: dict[str, object], **extra: object) -> dict[str, object]:
    return {"type": "FeatureCollection", **extra, "features": list(features)}


def point(lon: float, lat: float, **props: object) -> dict[str, object]:
    return feature({"type": "Point", "coordinates": [lon, lat]}, **props)


def line(*coords: list[float], **props: object) -> dict[str, object]:
    return feature({"type": "LineString", "coordinates": list(coords)}, **props)


def real_json_files(shared: Path) -> list[Path]:
    found = [
        *shared.glob("geojson/*"),
        *shared.glob("boundaries/*.geojson"),
        *shared.glob("boundaries/*.json"),
        *shared.glob("broken/*.geojson"),
    ]
    return sorted(found)


def test_every_real_geojson_file_is_read_or_refused_clearly(shared_data: Path) -> None:
    files = real_json_files(shared_data)
    assert len(files) >= 8
    for path in files:
        data = path.read_bytes()
        try:
            parsed = read_geojson(data, source=path.name, tz=TZ)
        except InvalidFile as exc:
            assert path.parent.name in ("broken", "boundaries"), f"{path.name} refused: {exc}"
            assert exc.source == path.name
            if path.parent.name == "boundaries" or b'"Polygon"' in data:
                assert exc.detail.startswith("contains polygons, not a track"), exc.detail
            else:
                assert exc.place and re.fullmatch(r"line \d+, column \d+", exc.place)
            continue
        text = data.decode()
        if "temporalGeometry" in text:
            # MF-JSON: as many fixes as datetimes in the temporal geometry.
            tg = re.search(r'"temporalGeometry".*?"datetimes"\s*:\s*\[([^\]]*)\]', text, re.S)
            assert tg is not None
            stamps = re.findall(r'"([^"]+)"', tg.group(1))
            assert parsed.format == "mf-json"
        else:
            stamps = re.findall(r'"time"\s*:\s*"([^"]+)"', text)
            assert len(re.findall(r'"type"\s*:\s*"Point"', text)) == len(stamps)
            assert parsed.format == "geojson"
        assert len(parsed.fixes) == len(stamps), path.name
        assert parsed.fixes["time"].iloc[0] == pd.Timestamp(stamps[0]), path.name
        assert parsed.fixes["time"].iloc[-1] == pd.Timestamp(stamps[-1]), path.name


def test_real_point_collection_and_moving_features(shared_data: Path) -> None:
    pfs = read_geojson(
        (shared_data / "geojson" / "trackintel_pfs_tutorial.geojson").read_bytes(),
        source="pfs",
        tz=TZ,
    )
    assert len(pfs.fixes) == 4241  # 4241 Point features (grep)
    assert pfs.declared_crs is None  # legacy crs is OGC CRS84
    assert pfs.fixes["part"].nunique() == 1
    assert pfs.fixes["accuracy_m"].isna().all()  # "accuracy": null
    assert pfs.fixes["lon"].iloc[0] == pytest.approx(116.318417)
    mf = read_geojson(
        (shared_data / "geojson" / "movingpandas_movingfeatures.json").read_bytes(),
        source="mf",
        tz=TZ,
    )
    assert len(mf.fixes) == 19
    assert mf.fixes["time"].iloc[0] == pd.Timestamp("2018-12-31T06:00:00Z")
    assert mf.fixes["time"].iloc[-1] == pd.Timestamp("2019-01-04T18:00:00Z")
    assert (mf.fixes["lon"].iloc[0], mf.fixes["lat"].iloc[0]) == (111.9, 7.6)


def test_boundaries_are_refused_as_not_a_track(shared_data: Path) -> None:
    for name, polygons in [
        ("boundaries/datameet_goa_villages.geojson", 402),
        ("boundaries/datameet_kerala_villages_simplified.json", 1533),
        ("boundaries/trackintel_tsinghua.geojson", 1),
    ]:
        with pytest.raises(InvalidFile) as caught:
            read_geojson((shared_data / name).read_bytes(), source=name, tz=TZ)
        assert caught.value.detail.startswith("contains polygons, not a track")
        assert f"{polygons} polygon feature" in caught.value.detail


def test_bad_json_names_line_and_column(shared_data: Path) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_geojson(
            (shared_data / "broken" / "geojsonhint_bad-json.geojson").read_bytes(),
            source="bad-json.geojson",
            tz=TZ,
        )
    assert caught.value.place == "line 3, column 5"
    assert "Expecting ',' delimiter" in caught.value.detail


def test_line_with_per_vertex_times_and_multiline_parts() -> None:
    doc = collection(
        line(
            [110.0, 28.0, 100.0],
            [110.001, 28.0, 101.0],
            coordTimes=["2026-11-23T01:00:00Z", "2026-11-23T09:00:05"],
        ),
        feature(
            {
                "type": "MultiLineString",
                "coordinates": [[[110.1, 28.1], [110.2, 28.2]], [[110.3, 28.3]]],
            },
            coordinateProperties={
                "times": [["2026-11-23T01:10:00Z"] * 2, ["2026-11-23T01:20:00Z"]]
            },
        ),
        line([110.4, 28.4], [110.5, 28.5]),
        point(110.0, 28.0, time="2026-11-23T01:00:00Z"),
        name="patrol",
    )
    parsed = read_geojson(gj(doc), source="t.geojson", tz=TZ)
    f = parsed.fixes
    assert list(f["part"]) == [0, 0, 1, 1, 2, 3, 3]
    assert f["time"].iloc[1] == pd.Timestamp("2026-11-23T01:00:05Z")  # naive = township local
    assert parsed.naive_times == 1
    assert f["time"].iloc[4] == pd.Timestamp("2026-11-23T01:20:00Z")
    assert f["time"].iloc[5:].isna().all()
    assert list(f["alt_m"].iloc[:2]) == [100.0, 101.0]
    assert parsed.name == "patrol"
    assert any("1 point(s) beside the line track" in n for n in parsed.notes)


def test_per_vertex_times_of_the_wrong_length_are_dropped_with_a_note() -> None:
    doc = line([110.0, 28.0], [110.1, 28.1], times=["2026-11-23T01:00:00Z"])
    parsed = read_geojson(gj(doc), source="t.geojson", tz=TZ)
    assert parsed.fixes["time"].isna().all()
    assert any("1 per-vertex times for 2 positions" in n for n in parsed.notes)


def test_point_collection_with_times_in_properties() -> None:
    doc = collection(
        point(110.0, 28.0, Time="2026-11-23T01:00:00Z", accuracy=12),
        point(110.0, 28.1, 时间="2026-11-23 09:01:00"),
        point(110.0, 28.2, tracked_at=1795395720, accuracy=None),
        point(110.0, 28.3, timestamp=1795395780000, date_time="ignored"),
    )
    parsed = read_geojson(gj(doc), source="t.geojson", tz=TZ)
    f = parsed.fixes
    assert list(f["time"]) == [
        pd.Timestamp("2026-11-23T01:00:00Z"),
        pd.Timestamp("2026-11-23T01:01:00Z"),
        pd.Timestamp("2026-11-23T01:02:00Z"),
        pd.Timestamp("2026-11-23T01:03:00Z"),
    ]
    assert f["accuracy_m"].iloc[0] == 12 and f["accuracy_m"].iloc[1:].isna().all()
    assert list(f["part"]) == [0, 0, 0, 0]
    assert parsed.naive_times == 1


def test_key_order_decides_which_time_is_used() -> None:
    doc = point(110.0, 28.0, datetime="2026-11-23T02:00:00Z", time="2026-11-23T01:00:00Z")
    parsed = read_geojson(gj(doc), source="t.geojson", tz=TZ)
    assert parsed.fixes["time"].iloc[0] == pd.Timestamp("2026-11-23T01:00:00Z")


def test_legacy_crs_wgs84_and_projected() -> None:
    for name in ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"):
        doc = collection(
            line([110.0, 28.0], [110.1, 28.1]), crs={"type": "name", "properties": {"name": name}}
        )
        assert read_geojson(gj(doc), source="t", tz=TZ).declared_crs is None
    doc = collection(
        line([954219.9, 4442967.6], [954386.3, 4442542.3]),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}},
    )
    parsed = read_geojson(gj(doc), source="t", tz=TZ)
    assert parsed.declared_crs == "EPSG:32649"
    assert parsed.fixes["lon"].iloc[0] == 954219.9 and parsed.fixes["lat"].iloc[0] == 4442967.6
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS27"}}
    with pytest.raises(InvalidFile, match="neither WGS-84 nor an EPSG code"):
        read_geojson(gj(doc), source="t", tz=TZ)


def test_moving_features_json() -> None:
    doc = {
        "type": "Feature",
        "properties": {"name": "drone 7"},
        "temporalGeometry": {
            "type": "MovingPoint",
            "coordinates": [[110.0, 28.0], [110.1, 28.1, 50.0]],
            "datetimes": ["2026-11-23T01:00:00Z", "2026-11-23T01:00:10Z"],
            "interpolation": "Linear",
        },
    }
    parsed = read_geojson(gj(doc), source="t.json", tz=TZ)
    assert parsed.format == "mf-json"
    assert list(parsed.fixes["time"]) == [
        pd.Timestamp("2026-11-23T01:00:00Z"),
        pd.Timestamp("2026-11-23T01:00:10Z"),
    ]
    assert parsed.fixes["alt_m"].iloc[1] == 50.0
    assert parsed.name == "drone 7"
    doc["temporalGeometry"]["datetimes"] = ["2026-11-23T01:00:00Z"]  # type: ignore[index]
    with pytest.raises(InvalidFile, match="2 coordinates but 1 datetimes") as caught:
        read_geojson(gj(doc), source="t.json", tz=TZ)
    assert caught.value.place == "feature 1"


def test_bare_geometry_and_bom() -> None:
    data = b"\xef\xbb\xbf" + gj(
        {"type": "LineString", "coordinates": [[110.0, 28.0], [110.1, 28.1]]}
    )
    parsed = read_geojson(data, source="t.geojson", tz=TZ)
    assert len(parsed.fixes) == 2 and parsed.format == "geojson"


@pytest.mark.parametrize(
    ("data", "message", "place"),
    [
        (b"", "empty", None),
        (b'{\n  "type": "Feature",,\n}', "not valid JSON", "line 2, column 21"),
        (b"[1, 2]", "not a GeoJSON object", None),
        (gj({"type": "Topology"}), "not GeoJSON", None),
        (gj(collection()), "no track points", None),
        (gj({"type": "FeatureCollection"}), "no 'features' list", None),
        (
            gj(collection(point(110, 28), line([110, 28], ["a", 28.1]))),
            "is not numbers",
            "feature 2",
        ),
        (gj(collection(line([110, 28], [110]))), "is not [lon, lat]", "feature 1"),
        (gj(collection(point(110, 28), point(200, 28))), "not a position on Earth", "feature 2"),
        (
            gj(
                collection(point(110, 28, time="2026-11-23T01:00:00Z"), point(110, 28, time="soon"))
            ),
            "ISO 8601",
            "feature 2",
        ),
        (gj(collection(point(110, 28, accuracy="good"))), "accuracy 'good'", "feature 1"),
        (gj(collection(feature({"type": "Circle"}))), "not a GeoJSON geometry", "feature 1"),
        (
            gj(feature({"type": "Polygon", "coordinates": [[[110, 28], [111, 28], [110, 28]]]})),
            "contains polygons, not a track",
            None,
        ),
        (
            gj({"type": "Feature", "temporalGeometry": {"type": "MovingPolygon"}}),
            "only MovingPoint",
            "feature 1",
        ),
        (b"\xff\xfe\x00\x01garbage", "not UTF-8", None),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply", None),
    ],
)
def test_bad_files_get_one_clear_message(data: bytes, message: str, place: str | None) -> None:
    with pytest.raises(InvalidFile) as caught:
        read_geojson(data, source="bad.geojson", tz=TZ)
    exc = caught.value
    assert message in exc.detail
    assert exc.source == "bad.geojson"
    if place:
        assert exc.place == place
    assert "\n" not in exc.one_line()


@pytest.mark.parametrize(
    ("name", "system"),
    [("urn:ogc:def:crs:EPSG::4490", "cgcs2000"), ("EPSG:4490", "cgcs2000"), ("GCJ02", "gcj02")],
)
def test_legacy_crs_in_degrees_is_not_called_projected(name: str, system: str) -> None:
    doc = collection(
        line([110.0, 28.0], [110.1, 28.1]), crs={"type": "name", "properties": {"name": name}}
    )
    parsed = read_geojson(gj(doc), source="t", tz=TZ)
    assert parsed.declared_crs == system
    assert f"coordinates are in {system} as the file's 'crs' member declares" in parsed.notes
    assert not any("not in degrees" in n for n in parsed.notes)
    # In degrees, so a position off the Earth is still refused.
    doc = collection(line([954219.9, 28.0], [110.1, 28.1]), crs=doc["crs"])
    with pytest.raises(InvalidFile):
        read_geojson(gj(doc), source="t", tz=TZ)
