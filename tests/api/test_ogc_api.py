"""OGC API – Features on both stores, walked the way QGIS walks it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from geo import operations
from geo.api.app import create_app
from geo.api.feature_models import (
    CollectionModel,
    CollectionsModel,
    FeatureCollectionModel,
    LandingPageModel,
    LinkedFeatureModel,
)
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from geo.weeks import IsoWeek
from tests.api.test_coverage_api import bearer, settings_for
from tests.storage.test_store import village_track_gpx

TOWNSHIP = "433122207"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    headers = bearer(store, Role.LEADER)
    with TestClient(create_app(settings_for(store, tmp_path)), headers=headers) as c:
        yield c


def href(links: list[dict[str, Any]], rel: str) -> str:
    found = [x["href"] for x in links if x["rel"] == rel]
    assert len(found) == 1, (rel, links)
    return str(found[0])


def test_qgis_walk_sees_every_camera_once(client: TestClient, demo_layers: TownshipLayers) -> None:
    landing = client.get("/ogc")
    assert landing.status_code == 200 and landing.headers["content-type"] == "application/json"
    page = LandingPageModel.model_validate(landing.json())
    rels = {x.rel: x for x in page.links}
    # FastAPI writes OpenAPI 3.1: the link says so (issue 14)
    assert rels["service-desc"].type == "application/vnd.oai.openapi+json;version=3.1"
    assert rels["data"].type == "application/json"
    assert {"self", "service-doc", "conformance"} <= set(rels)
    document = client.get(rels["service-desc"].href).json()
    assert document["paths"] and document["openapi"].startswith("3.1")

    collections = client.get(rels["data"].href)
    body = CollectionsModel.model_validate(collections.json())
    assert [c.id for c in body.collections] == [
        "villages",
        "roads",
        "cameras",
        "checkpoints",
        "drone_flights",
        "area_gaps",
        "road_gaps",
    ]
    cameras = next(c for c in body.collections if c.id == "cameras")
    self_link = next(x.href for x in cameras.links if x.rel == "self")
    collection = CollectionModel.model_validate(client.get(self_link).json())
    assert collection.item_type == "feature" and CRS84 in collection.crs
    assert collection.extent.spatial is not None
    minx, miny, maxx, maxy = collection.extent.spatial.bbox[0]
    assert 109.8 < minx < maxx < 110.0 and 28.05 < miny < maxy < 28.25

    items = next(x for x in collection.links if x.rel == "items")
    assert items.type == GEOJSON
    township = ",".join(str(v) for v in demo_layers.outline.total_bounds)
    url = f"{items.href}?bbox={township}&limit=10"
    seen: list[str] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == GEOJSON
        fc = FeatureCollectionModel.model_validate(response.json())
        assert fc.number_matched == 34 and fc.number_returned == len(fc.features) <= 10
        assert fc.time_stamp
        seen += [f.id for f in fc.features]
        following = [x for x in fc.links if x.rel == "next"]
        assert all(x.type == GEOJSON for x in following)
        url = following[0].href if following else ""
        pages += 1
    assert pages == 4
    assert sorted(seen) == sorted(demo_layers.cameras["code"]) and len(set(seen)) == 34


def test_conformance_and_api_definition(client: TestClient) -> None:
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    for part in ("core", "geojson"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in conforms
    # "oas30" requires an OpenAPI 3.0 document; FastAPI's is 3.1 (issue 14: a true list)
    assert not any(c.endswith("/oas30") for c in conforms)
    api = client.get("/ogc/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    items = api.json()["paths"]["/ogc/collections/{collection}/items"]["get"]
    limit = next(p for p in items["parameters"] if p["name"] == "limit")
    # what QGIS reads to size its pages
    schema = {k: limit["schema"].get(k) for k in ("type", "minimum", "maximum", "default")}
    assert schema == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}


def test_bbox_leaves_out_what_lies_outside(client: TestClient) -> None:
    box = (109.80, 28.10, 109.90, 28.20)
    body = client.get(
        "/ogc/collections/cameras/items", params={"bbox": ",".join(map(str, box))}
    ).json()
    assert 0 < body["numberMatched"] < 34
    area = shapely.box(*box)
    assert all(area.intersects(shapely.geometry.shape(f["geometry"])) for f in body["features"])
    roads = client.get("/ogc/collections/roads/items", params={"bbox": "109.80,28.10,109.85,28.12"})
    for feature in roads.json()["features"]:
        assert area.intersects(shapely.geometry.shape(feature["geometry"]))


def test_numbers_beyond_the_databases_integers_are_compared_not_refused(
    client: TestClient,
) -> None:
    for path in (
        "/ogc/collections/cameras/items?filter=range_m > 99999999999999999999999999",
        "/ogc/collections/road_gaps/items?filter=checkpoints = 99999999999999999999",
        "/ogc/collections/area_gaps/items?filter=rank IN (1, -99999999999999999999)",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["numberMatched"] == 0
    wrong = client.get("/ogc/collections/road_gaps/items?filter=last_covered > 3")
    assert wrong.status_code == 400 and "compares last_covered" in wrong.json()["detail"]


def test_drone_flights_by_cql2_temporal_functions(client: TestClient) -> None:
    """T_INTERSECTS, T_AFTER, T_DURING... in CQL2 text and JSON over HTTP (the demo's flights:
    2026-11-04 09:30-09:50 and 2026-11-06 14:10-14:30, Beijing time)."""

    def matched(text: str, lang: str = "cql2-text") -> list[str]:
        response = client.get(
            "/ogc/collections/drone_flights/items", params={"filter": text, "filter-lang": lang}
        )
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["features"]]

    first, second = "DJI-20261104-01", "DJI-20261106-01"
    assert matched("T_AFTER(started_at, DATE('2026-11-05'))") == [second]
    assert matched("T_BEFORE(ended_at, TIMESTAMP('2026-11-04T09:50:12+08:00'))") == [first]
    assert matched("T_INTERSECTS(INTERVAL(started_at, ended_at), DATE('2026-11-06'))") == [second]
    assert matched(
        "T_CONTAINS(INTERVAL(started_at, ended_at), TIMESTAMP('2026-11-04T01:40:00Z'))"
    ) == [first]
    assert matched("T_DURING(INTERVAL(started_at, ended_at), INTERVAL('2026-11-01', '..'))") == [
        first,
        second,
    ]
    assert matched("NOT T_EQUALS(started_at, TIMESTAMP('2026-11-06T06:10:00Z'))") == [first]
    as_json = (
        '{"op": "t_intersects", "args": [{"property": "started_at"}, '
        '{"interval": ["2026-11-06T00:00:00+08:00", ".."]}]}'
    )
    assert matched(as_json, "cql2-json") == [second]


def test_drone_flights_by_datetime(client: TestClient) -> None:
    collection = client.get("/ogc/collections/drone_flights").json()
    interval = collection["extent"]["temporal"]["interval"][0]
    assert interval == ["2026-11-04T01:30:00Z", "2026-11-06T06:30:12Z"]

    def matched(value: str) -> list[str]:
        response = client.get("/ogc/collections/drone_flights/items", params={"datetime": value})
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["features"]]

    assert matched("2026-11-04T09:40:00+08:00") == ["DJI-20261104-01"]  # during the flight
    assert matched("2026-11-04T09:55:00+08:00") == []  # after it landed
    assert matched("2026-11-05T00:00:00Z/..") == ["DJI-20261106-01"]
    assert matched("../2026-11-05T00:00:00Z") == ["DJI-20261104-01"]
    assert matched("2026-11-01T00:00:00Z/2026-11-30T00:00:00Z") == [
        "DJI-20261104-01",
        "DJI-20261106-01",
    ]
    assert matched("2026-11-06") == ["DJI-20261106-01"]  # a local day
    # datetime with a filter and a sort key: the SQL's matches, then the time
    both = client.get(
        "/ogc/collections/drone_flights/items",
        params={"datetime": "2026-11-01/2026-11-30", "sortby": "-flight_id", "limit": 1},
    ).json()
    assert [f["id"] for f in both["features"]] == ["DJI-20261106-01"]
    assert both["numberMatched"] == 2 and "next" in [x["rel"] for x in both["links"]]
    one = client.get(
        "/ogc/collections/drone_flights/items",
        params={"datetime": "2026-11-01/2026-11-30", "filter": "flight_id LIKE '%1104%'"},
    ).json()
    assert [f["id"] for f in one["features"]] == ["DJI-20261104-01"]


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/ogc/collections/tracks/items", 404, "'tracks' has vector tiles only"),
        ("/ogc/collections/fixes/queryables", 404, "'fixes' has vector tiles only"),
        ("/ogc/collections/patrol_tracks", 404, "no collection 'patrol_tracks'"),
        ("/ogc/collections/patrol_tracks/items", 404, "no collection"),
        ("/ogc/collections/cameras/items/CAM-99", 404, "CAM-99"),
        ("/ogc/collections/area_gaps/items/2026-W47-1", 404, "area_gaps has no feature"),
        ("/ogc/collections/road_gaps/items/2026-W47-1", 404, "road_gaps has no feature"),
        ("/ogc/collections/gaps", 404, "no collection 'gaps'"),
        ("/ogc/collections/cameras/items?bbox=109.8,28.1,110", 400, "4 numbers"),
        ("/ogc/collections/cameras/items?bbox=north", 400, "not a list of numbers"),
        ("/ogc/collections/cameras/items?limit=0", 400, "limit: Input should be greater"),
        ("/ogc/collections/cameras/items?limit=ten", 400, "limit: Input should be a valid"),
        ("/ogc/collections/cameras/items?offset=-1", 400, "offset: Input should be greater"),
        ("/ogc/collections/drone_flights/items?datetime=today", 400, "RFC 3339"),
        ("/ogc/collections/cameras/items?datetime=2026-11-04T00:00:00Z", 400, "has no time"),
        ("/ogc/collections/cameras/items?f=xml", 400, "not offered"),
        ("/ogc/collections/cameras/items/CAM-07?f=html", 400, "not offered"),
        ("/ogc/collections/cameras/items?bbox-crs=EPSG:32649", 400, "not supported"),
        ("/ogc/collections/cameras/items?crs=EPSG:2000", 400, "not supported"),
        ("/ogc/collections/cameras/items?colour=red", 400, "unknown query parameter colour"),
        ("/ogc/collections?limit=3", 400, "unknown query parameter limit"),
        ("/ogc/collections/cameras/items?filter=status%20%3D", 400, "not valid cql2-text"),
        ("/ogc/collections/cameras/items?filter=colour='red'", 400, "no property colour"),
        ("/ogc/collections/cameras/items?filter-lang=ecql&filter=x", 400, "not offered"),
        ("/ogc/collections/cameras/items?sortby=-colour", 400, "no property colour"),
        ("/ogc/collections/cameras/items?filter=range_m>'far'", 400, "compares range_m (number)"),
        ("/ogc/collections/cameras/items?filter=status IN ('offline', 3)", 400, "compares status"),
        ("/ogc/collections/road_gaps/items?filter=rank>'abc'", 400, "compares rank (integer)"),
        (
            "/ogc/collections/cameras/items"
            "?filter=installed_on > TIMESTAMP('2026-01-01T00:00:00Z')",
            400,
            "compares installed_on (string)",
        ),
        (
            "/ogc/collections/cameras/items"
            "?filter=T_AFTER(installed_on, TIMESTAMP('2026-01-01T00:00:00Z'))",
            400,
            "the properties with a time are none",
        ),
        (
            "/ogc/collections/road_gaps/items"
            "?filter=T_AFTER(week, TIMESTAMP('2026-01-01T00:00:00Z'))",
            400,
            "compares 'week' as a time",
        ),
        (
            "/ogc/collections/drone_flights/items?filter-lang=cql2-json&filter="
            '{"op": "t_after", "args": [{"property": "started_at"}, {"timestamp": "x"}]}',
            400,
            "timestamp 'x' is not an RFC 3339 time",
        ),
        (
            "/ogc/collections/drone_flights/items"
            "?filter=T_DURING(started_at, INTERVAL('2026-13-01', '..'))",
            400,
            "is not an RFC 3339 date or time",
        ),
        ("/ogc/collections/cameras/queryables?x=1", 400, "unknown query parameter x"),
        ("/ogc/collections/gaps/queryables", 404, "no collection"),
    ],
)
def test_errors_are_problem_details(client: TestClient, path: str, status: int, words: str) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]


def test_limit_above_the_maximum_is_served_as_the_maximum(client: TestClient) -> None:
    body = client.get("/ogc/collections/roads/items", params={"limit": 5000}).json()
    assert body["numberReturned"] == body["numberMatched"] == 65
    assert "limit=1000" in href(body["links"], "self")


def test_links_keep_the_query_and_go_both_ways(client: TestClient) -> None:
    body = client.get(
        "/ogc/collections/cameras/items",
        params={"limit": 5, "offset": 5, "township": TOWNSHIP, "bbox": "109,27,111,29"},
    ).json()
    following = href(body["links"], "next")
    previous = href(body["links"], "prev")
    assert "offset=10" in following and "offset=0" in previous
    for url in (following, previous):
        assert f"township={TOWNSHIP}" in url and "bbox=109%2C27%2C111%2C29" in url
    assert client.get(previous).json()["features"][0]["id"] == "CAM-01"


def test_links_follow_the_reverse_proxy(client: TestClient) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "geo.example.cn"}
    landing = client.get("/ogc", headers=headers).json()
    assert href(landing["links"], "data") == "https://geo.example.cn/ogc/collections"
    items = client.get("/ogc/collections/cameras/items?limit=10", headers=headers).json()
    assert href(items["links"], "next").startswith("https://geo.example.cn/ogc/collections/")
    odd = client.get("/ogc", headers={"X-Forwarded-Host": "evil.cn/path?x", "Host": "h:8000"})
    assert href(odd.json()["links"], "data") == "http://h:8000/ogc/collections"


def test_one_feature_with_its_links(client: TestClient) -> None:
    response = client.get("/ogc/collections/cameras/items/CAM-07")
    assert response.headers["content-type"] == GEOJSON
    feature = LinkedFeatureModel.model_validate(response.json())
    assert feature.id == "CAM-07" and feature.properties["code"] == "CAM-07"
    assert {x.rel for x in feature.links} == {"self", "collection"}
    flight = client.get("/ogc/collections/drone_flights/items/DJI-20261106-01").json()
    assert len(flight["geometry"]["coordinates"][0]) == 3


def test_gaps_of_each_computed_week(
    client: TestClient, store: Store, demo_layers: TownshipLayers
) -> None:
    for name in ("area_gaps", "road_gaps"):
        empty = client.get(f"/ogc/collections/{name}").json()
        assert "temporal" not in empty["extent"]
        assert client.get(f"/ogc/collections/{name}/items").json()["numberMatched"] == 0
    for day in ("2026-11-11 09:00", "2026-11-18 09:00"):  # a patrol in W46 and W47
        operations.import_track(
            store,
            village_track_gpx(demo_layers, start=day),
            filename=f"{day[:10]}.gpx",
            township=TOWNSHIP,
            squad="squad-01",
        )
    week = operations.week_coverage(store, TOWNSHIP, IsoWeek(2026, 47))
    operations.week_coverage(store, TOWNSHIP, IsoWeek(2026, 46))
    kinds = {"area_gaps": ("area", {"Polygon"}), "road_gaps": ("road", {"LineString"})}
    ids: list[str] = []
    for name, (kind, types) in kinds.items():
        collection = client.get(f"/ogc/collections/{name}").json()
        assert collection["extent"]["temporal"]["interval"] == [
            ["2026-11-08T16:00:00Z", "2026-11-22T16:00:00Z"]
        ]
        in_w47 = client.get(
            f"/ogc/collections/{name}/items",
            params={"datetime": "2026-11-18T12:00:00+08:00", "limit": 1000},
        ).json()
        of_kind = sorted((g for g in week.gaps if g.kind == kind), key=lambda g: g.rank)
        assert in_w47["numberMatched"] == len(of_kind) > 0
        assert {f["properties"]["week"] for f in in_w47["features"]} == {"2026-W47"}
        # one geometry type per collection, so QGIS draws every feature
        assert {f["geometry"]["type"] for f in in_w47["features"]} == types
        assert {f["properties"]["kind"] for f in in_w47["features"]} == {kind}
        first = in_w47["features"][0]
        assert first["id"] == f"2026-W47-{of_kind[0].rank}"
        assert first["properties"]["rank"] == of_kind[0].rank
        one = client.get(f"/ogc/collections/{name}/items/{first['id']}").json()
        assert one["properties"] == first["properties"]
        other = "road_gaps" if name == "area_gaps" else "area_gaps"
        assert client.get(f"/ogc/collections/{other}/items/{first['id']}").status_code == 404
        both = client.get(f"/ogc/collections/{name}/items", params={"limit": 1000}).json()
        assert {f["properties"]["week"] for f in both["features"]} == {"2026-W46", "2026-W47"}
        ids += [f["id"] for f in both["features"]]
        assert client.get(f"/ogc/collections/{name}/items/2026-W47-9999").status_code == 404
    # filters and sort keys on the computed gaps (pygeofilter's GeoPandas evaluator)
    roads = [g for g in week.gaps if g.kind == "road"]
    village = roads[0].village_code
    chosen = client.get(
        "/ogc/collections/road_gaps/items",
        params={
            "filter": f"village_code = '{village}' AND week = '2026-W47'",
            "sortby": "-rank",
            "properties": "rank,village_code",
            "limit": 1000,
        },
    ).json()
    want = sorted((g.rank for g in roads if g.village_code == village), reverse=True)
    assert [f["properties"]["rank"] for f in chosen["features"]] == want
    assert all(set(f["properties"]) == {"rank", "village_code"} for f in chosen["features"])
    # together the two collections hold every gap of both weeks, each once
    w46 = operations.week_coverage(store, TOWNSHIP, IsoWeek(2026, 46))
    assert sorted(ids) == sorted(
        [f"2026-W47-{g.rank}" for g in week.gaps] + [f"2026-W46-{g.rank}" for g in w46.gaps]
    )


def test_cql2_filters_in_text_and_json(client: TestClient, demo_layers: TownshipLayers) -> None:
    offline = sorted(demo_layers.cameras.loc[demo_layers.cameras.status == "offline", "code"])
    assert offline
    for params in (
        {"filter": "status = 'offline'"},
        {"filter": "status='offline'", "filter-lang": "cql2-text"},
        {
            "filter": '{"op": "=", "args": [{"property": "status"}, "offline"]}',
            "filter-lang": "cql2-json",
        },
    ):
        body = client.get("/ogc/collections/cameras/items", params=params).json()
        assert sorted(f["id"] for f in body["features"]) == offline, params
        assert body["numberMatched"] == len(offline)
    cams = demo_layers.cameras

    def ids(text: str) -> list[str]:
        response = client.get("/ogc/collections/cameras/items", params={"filter": text})
        assert response.status_code == 200, response.text
        return sorted(f["id"] for f in response.json()["features"])

    assert ids("range_m > 100 AND NOT ptz = true") == sorted(
        cams.loc[(cams.range_m > 100) & ~cams.ptz.astype(bool), "code"]
    )
    assert ids("status IN ('offline', 'maintenance')") == sorted(
        cams.loc[cams.status.isin(["offline", "maintenance"]), "code"]
    )
    assert ids("height_m BETWEEN 4 AND 5") == sorted(cams.loc[cams.height_m.between(4, 5), "code"])
    assert ids("name LIKE '%村部'") == sorted(cams.loc[cams.name.str.endswith("村部"), "code"])
    assert ids("bearing_deg IS NULL") == sorted(cams.loc[cams.bearing_deg.isna(), "code"])
    box = (109.80, 28.10, 109.90, 28.20)
    inside = sorted(cams.loc[cams.intersects(shapely.box(*box)), "code"])
    assert 0 < len(inside) < 34
    assert ids(f"S_INTERSECTS(geometry, BBOX({','.join(map(str, box))}))") == inside
    polygon = shapely.box(*box).wkt
    assert ids(f"S_INTERSECTS(geometry, {polygon})") == inside
    assert ids(f"S_WITHIN(geometry, {polygon})") == inside
    assert ids(f"S_DISJOINT(geometry, {polygon})") == sorted(set(cams.code) - set(inside))


def test_sortby_and_properties(client: TestClient, demo_layers: TownshipLayers) -> None:
    body = client.get(
        "/ogc/collections/cameras/items",
        params={"sortby": "-range_m,code", "properties": "code,range_m", "limit": 5},
    ).json()
    want = demo_layers.cameras.sort_values(["range_m", "code"], ascending=[False, True])
    assert [f["id"] for f in body["features"]] == list(want["code"][:5])
    assert all(set(f["properties"]) == {"code", "range_m"} for f in body["features"])
    following = client.get(href(body["links"], "next")).json()
    assert [f["id"] for f in following["features"]] == list(want["code"][5:10])


def test_crs_of_answers_and_boxes(client: TestClient) -> None:
    plain = client.get("/ogc/collections/cameras/items/CAM-07").json()
    lon, lat = plain["geometry"]["coordinates"]
    collection = client.get("/ogc/collections/cameras").json()
    for code in (4326, 4490, 4546, 3857):
        assert f"http://www.opengis.net/def/crs/EPSG/0/{code}" in collection["crs"]
    metres = client.get(
        "/ogc/collections/cameras/items", params={"crs": "EPSG:4546", "filter": "code='CAM-07'"}
    )
    assert metres.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4546>"
    # metres in EPSG:4546's own axis order: northing, then easting (CM 111°E)
    north, east = metres.json()["features"][0]["geometry"]["coordinates"]
    assert 3_000_000 < north < 3_200_000 and 300_000 < east < 500_000
    latlon = client.get(
        "/ogc/collections/cameras/items",
        params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4326", "filter": "code='CAM-07'"},
    ).json()
    assert latlon["features"][0]["geometry"]["coordinates"] == pytest.approx([lat, lon])
    default = client.get("/ogc/collections/cameras/items", params={"limit": 1})
    assert default.headers["content-crs"] == f"<{CRS84}>"
    # a box in Web Mercator around CAM-07 finds it
    import pyproj

    mx, my = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:3857").transform(lon, lat)
    box = f"{mx - 20},{my - 20},{mx + 20},{my + 20}"
    found = client.get(
        "/ogc/collections/cameras/items", params={"bbox": box, "bbox-crs": "EPSG:3857"}
    ).json()
    assert "CAM-07" in [f["id"] for f in found["features"]] and found["numberMatched"] < 5


def test_queryables(client: TestClient) -> None:
    response = client.get("/ogc/collections/cameras/queryables")
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["type"] == "object" and schema["$id"].endswith("/cameras/queryables")
    assert schema["properties"]["status"]["type"] == "string"
    assert schema["properties"]["range_m"]["type"] == "number"
    assert schema["properties"]["geometry"]["format"] == "geometry-point"
    gaps = client.get("/ogc/collections/road_gaps/queryables").json()
    assert gaps["properties"]["rank"]["type"] == "integer"
    assert gaps["properties"]["geometry"]["format"] == "geometry-linestring"
    rels = [x["rel"] for x in client.get("/ogc/collections/cameras").json()["links"]]
    assert "http://www.opengis.net/def/rel/ogc/1.0/queryables" in rels
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in conforms
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conforms


def test_html_pages(client: TestClient) -> None:
    for path in ("/ogc", "/ogc/collections", "/ogc/collections/cameras"):
        page = client.get(path, params={"f": "html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "script-src 'none'" in page.headers["content-security-policy"]
    assert "监控 Cameras" in client.get("/ogc/collections", params={"f": "html"}).text
    items = client.get("/ogc/collections/cameras/items", params={"f": "html", "limit": 5})
    assert items.status_code == 200 and items.headers["content-type"].startswith("text/html")
    assert 'id="map"' in items.text and "CAM-01" in items.text
    assert "'sha256-" in items.headers["content-security-policy"]
    assert items.headers["content-crs"] == f"<{CRS84}>"
    assert client.get("/ogc", params={"f": "json"}).json()["links"]
