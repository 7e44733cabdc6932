"""OGC API – Tiles on both stores: the tile matrix set and tileset documents, tiles decoded
with mapbox-vector-tile (counts against the fixes in the tile's box, geometry, properties),
thinning, the time and squad filters, the roles, and bad tile coordinates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo import operations
from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from geo.tiles import EXTENT, MAX_ZOOM, TMS_ID, Tile, tile_of
from geo.weeks import IsoWeek
from tests.api.simulated_stores import STORE_KINDS, simulated_store
from tests.api.test_coverage_api import bearer, settings_for

TOWNSHIP = "433122207"
WEEK = IsoWeek.parse("2026-W47")
MVT = "application/vnd.mapbox-vector-tile"
TILES = "/ogc/collections/{}/tiles/WebMercatorQuad/{}/{}/{}"


@pytest.fixture(scope="module", params=STORE_KINDS)
def held(
    request: pytest.FixtureRequest,
    demo_layers: TownshipLayers,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, Path]]:
    """A store holding the demo layers, a simulated week and its coverage (so both gap
    collections have features)."""
    directory = tmp_path_factory.mktemp(f"tiles-{request.param}")
    store = simulated_store(request, directory, demo_layers, [WEEK])
    operations.week_coverage(store, TOWNSHIP, WEEK, layers=demo_layers)
    yield store, directory
    store.close()


@pytest.fixture(scope="module")
def client(held: tuple[Store, Path]) -> Iterator[TestClient]:
    store, directory = held
    with TestClient(
        create_app(settings_for(store, directory)), headers=bearer(store, Role.PLANNER)
    ) as c:
        yield c


@pytest.fixture(scope="module")
def kept_fixes(held: tuple[Store, Path], demo_layers: TownshipLayers) -> pd.DataFrame:
    """The week's fixes that cleaning kept, as the store gives them."""
    start, end = WEEK.bounds(demo_layers.info.tz)
    fixes = held[0].week_fixes(TOWNSHIP, start, end)
    return fixes[fixes["segment"] >= 0].reset_index(drop=True)


def decode(data: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})  # type: ignore[no-any-return]


def in_tile(fixes: pd.DataFrame, tile: Tile) -> pd.DataFrame:
    west, south, east, north = tile.lonlat_bounds()
    inside = (
        (fixes["lon"] >= west)
        & (fixes["lon"] < east)
        & (fixes["lat"] > south)
        & (fixes["lat"] <= north)
    )
    return fixes[inside]


def busiest_tile(fixes: pd.DataFrame, z: int) -> Tile:
    tiles = [tile_of(lon, lat, z) for lon, lat in zip(fixes["lon"], fixes["lat"], strict=True)]
    return max(set(tiles), key=tiles.count)


def get_tile(client: TestClient, collection: str, tile: Tile, **params: str) -> Any:
    return client.get(TILES.format(collection, tile.z, tile.y, tile.x), params=params)


def test_tile_documents_lead_to_the_tiles(client: TestClient) -> None:
    landing = client.get("/ogc").json()
    schemes = [x for x in landing["links"] if x["rel"].endswith("/tiling-schemes")]
    assert len(schemes) == 1
    sets = client.get(schemes[0]["href"]).json()["tileMatrixSets"]
    assert [s["id"] for s in sets] == [TMS_ID]
    tms = client.get(sets[0]["links"][0]["href"]).json()
    assert tms["crs"].endswith("EPSG/0/3857") and len(tms["tileMatrices"]) == 25
    assert tms["tileMatrices"][13]["matrixWidth"] == 2**13
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "datetime"):
        assert f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}" in conformance

    # fixes and tracks have tiles and no items: outside /collections, which clients page through
    listed = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert "fixes" not in listed and "tracks" not in listed and "area_gaps" in listed
    for name in ("fixes", "tracks", "area_gaps", "road_gaps"):
        collection = client.get(f"/ogc/collections/{name}").json()
        rels = {x["rel"]: x["href"] for x in collection["links"]}
        assert ("items" in rels) == (name.endswith("gaps")), name
        tilesets = client.get(rels["http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"]).json()
        (summary,) = tilesets["tilesets"]
        assert summary["dataType"] == "vector" and summary["tileMatrixSetURI"].endswith(TMS_ID)
        tileset = client.get(summary["links"][0]["href"]).json()
        links = {x["rel"]: x for x in tileset["links"]}
        assert links["item"]["type"] == MVT
        assert "/{tileMatrix}/{tileRow}/{tileCol}" in links["item"]["href"]
        assert links["http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"]["href"].endswith(
            f"/ogc/tileMatrixSets/{TMS_ID}"
        )
        (layer,) = tileset["layers"]
        assert layer["id"] == name and layer["maxTileMatrix"] == str(MAX_ZOOM)
        limits = {x["tileMatrix"]: x for x in tileset["tileMatrixSetLimits"]}
        assert limits["0"]["maxTileCol"] == 0 and len(limits) == MAX_ZOOM + 1
        z13 = limits["13"]
        assert 0 < z13["minTileCol"] <= z13["maxTileCol"] < 2**13


def test_a_fix_tile_holds_the_fixes_in_its_box(
    client: TestClient, kept_fixes: pd.DataFrame
) -> None:
    tile = busiest_tile(kept_fixes, 17)
    expected = in_tile(kept_fixes, tile)
    answer = get_tile(client, "fixes", tile)
    assert answer.status_code == 200 and answer.headers["content-type"] == MVT
    features = decode(answer.content)["fixes"]["features"]
    assert len(features) == len(expected) > 10
    assert sorted(f["properties"]["squad"] for f in features) == sorted(expected["squad"])
    times = {f["properties"]["time"] for f in features}
    assert times == set(expected["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for feature in features:
        assert feature["geometry"]["type"] == "Point"
        x, y = feature["geometry"]["coordinates"]
        assert 0 <= x <= EXTENT and 0 <= y <= EXTENT
    # the tile's neighbours hold none of these fixes: every fix is in one tile
    right = get_tile(client, "fixes", Tile(tile.z, tile.x + 1, tile.y))
    if right.status_code == 200:
        theirs = {f["properties"]["time"] for f in decode(right.content)["fixes"]["features"]}
        assert len(theirs) == len(in_tile(kept_fixes, Tile(tile.z, tile.x + 1, tile.y)))


def test_low_zooms_keep_one_fix_per_squad_and_pixel(
    client: TestClient, kept_fixes: pd.DataFrame
) -> None:
    tile = busiest_tile(kept_fixes, 12)
    expected = in_tile(kept_fixes, tile)
    features = decode(get_tile(client, "fixes", tile).content)["fixes"]["features"]
    assert 0 < len(features) < len(expected)
    cells = [
        (
            f["properties"]["squad"],
            f["geometry"]["coordinates"][0] // 16,
            f["geometry"]["coordinates"][1] // 16,
        )
        for f in features
    ]
    assert len(cells) == len(set(cells))
    assert {f["properties"]["squad"] for f in features} == set(expected["squad"])


def test_datetime_and_squad_filter_fixes(client: TestClient, kept_fixes: pd.DataFrame) -> None:
    tile = busiest_tile(kept_fixes, 17)
    expected = in_tile(kept_fixes, tile)
    day = expected["time"].dt.tz_convert("Asia/Shanghai").dt.date.mode()[0]
    answer = get_tile(client, "fixes", tile, datetime=day.isoformat())
    features = decode(answer.content)["fixes"]["features"]
    on_day = expected[expected["time"].dt.tz_convert("Asia/Shanghai").dt.date == day]
    assert len(features) == len(on_day) > 0
    squad = expected["squad"].mode()[0]
    answer = get_tile(client, "fixes", tile, squad=squad)
    features = decode(answer.content)["fixes"]["features"]
    assert len(features) == int((expected["squad"] == squad).sum())
    assert {f["properties"]["squad"] for f in features} == {squad}
    # a week with no fixes: an empty tile, 204
    assert get_tile(client, "fixes", tile, datetime="2026-10-01/2026-10-07").status_code == 204


def test_tracks_and_gaps_tiles(client: TestClient, kept_fixes: pd.DataFrame) -> None:
    kinds = {"tracks": "LineString", "road_gaps": "LineString", "area_gaps": "Polygon"}
    for z in (12, 14):
        tile = busiest_tile(kept_fixes, z)
        for name, kind in kinds.items():
            answer = get_tile(client, name, tile)
            if name == "tracks":
                assert answer.status_code == 200
            if answer.status_code == 204:
                continue
            features = decode(answer.content)[name]["features"]
            assert features, name
            for feature in features:
                assert feature["geometry"]["type"] in (kind, f"Multi{kind}"), name
                coords = np.asarray(
                    feature["geometry"]["coordinates"][0]
                    if kind == "Polygon"
                    else feature["geometry"]["coordinates"],
                    dtype=object,
                )
                assert coords.size
            props = features[0]["properties"]
            if name == "tracks":
                assert props["started_at"] <= props["ended_at"] and props["fixes"] > 0
            else:
                assert props["week"] == str(WEEK) and props["rank"] >= 1
    # the week's gaps come with datetime in the week, none with a time outside it
    tile = busiest_tile(kept_fixes, 12)
    assert get_tile(client, "area_gaps", tile, datetime="2026-11-18").status_code == 200
    assert get_tile(client, "area_gaps", tile, datetime="2026-10-01").status_code == 204


def test_an_empty_tile_is_204(client: TestClient) -> None:
    answer = client.get(TILES.format("fixes", 17, 0, 0))
    assert answer.status_code == 204 and answer.content == b""


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("fixes/tiles/WebMercatorQuad/abc/0/0", 400),
        ("fixes/tiles/WebMercatorQuad/12/-1/0", 400),
        ("fixes/tiles/WebMercatorQuad/12/0/1.5", 400),
        ("fixes/tiles/WebMercatorQuad/19/0/0", 404),
        ("fixes/tiles/WebMercatorQuad/30/0/0", 404),
        ("fixes/tiles/WebMercatorQuad/3/8/0", 404),
        ("fixes/tiles/WebMercatorQuad/3/0/8", 404),
        ("fixes/tiles/WorldCRS84Quad/3/0/0", 404),
        ("cameras/tiles/WebMercatorQuad/3/0/0", 404),
        ("nothing/tiles", 404),
        ("fixes/tiles/WebMercatorQuad/3/0/0?datetime=yesterday", 400),
        ("fixes/tiles/WebMercatorQuad/3/0/0?zoom=3", 400),
        ("area_gaps/tiles/WebMercatorQuad/3/0/0?squad=squad-01", 400),
    ],
)
def test_bad_tile_requests_are_problems(client: TestClient, path: str, status: int) -> None:
    answer = client.get(f"/ogc/collections/{path}")
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_patrol_keys_read_their_own_squad_only(
    client: TestClient, held: tuple[Store, Path], kept_fixes: pd.DataFrame
) -> None:
    store = held[0]
    tile = busiest_tile(kept_fixes, 17)
    expected = in_tile(kept_fixes, tile)
    squads = expected["squad"].value_counts().index
    own, other = str(squads[0]), str(squads[-1]) if len(squads) > 1 else "squad-99"
    patrol = bearer(store, Role.PATROL, squad=own)
    answer = client.get(TILES.format("fixes", tile.z, tile.y, tile.x), headers=patrol)
    features = decode(answer.content)["fixes"]["features"]
    assert {f["properties"]["squad"] for f in features} == {own}
    assert len(features) == int((expected["squad"] == own).sum())
    for path in (
        TILES.format("fixes", tile.z, tile.y, tile.x) + f"?squad={other}",
        TILES.format("tracks", tile.z, tile.y, tile.x) + f"?squad={other}",
        f"/ogc/collections/tracks/tiles/WebMercatorQuad?squad={other}",
        TILES.format("area_gaps", tile.z, tile.y, tile.x),
    ):
        refused = client.get(path, headers=patrol)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"] == "application/problem+json"
    # the Features API stays closed to patrol keys
    assert client.get("/ogc/collections", headers=patrol).status_code == 403
    # and nothing without a key
    anonymous = client.get(
        TILES.format("fixes", tile.z, tile.y, tile.x), headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401


def test_the_tile_documents_take_f_json_only(client: TestClient) -> None:
    for path in (
        "/ogc/tileMatrixSets",
        "/ogc/tileMatrixSets/WebMercatorQuad",
        "/ogc/collections/fixes/tiles",
        "/ogc/collections/fixes/tiles/WebMercatorQuad",
    ):
        assert client.get(path, params={"f": "json"}).status_code == 200, path
        refused = client.get(path, params={"f": "html"})
        assert refused.status_code == 400, path
        assert refused.headers["content-type"] == "application/problem+json"
