"""Who may call what, on both stores: every route of the app × every role, taken from the
routes' own declarations (a new route is covered without touching this file), and the route ×
role table in docs/security.md checked against them."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from geo import access, operations, phones
from geo.api import problems
from geo.api.app import create_app
from geo.api.auth import AUTH_PROBLEMS, COOKIE, RouteAccess, access_table, declared_access, require
from geo.keys import Principal, Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.store import Store
from geo.store.geopackage import GeoPackageStore
from tests.api.test_tracks_api import live_batch
from tests.conftest import ROOT, _truncate
from tests.storage.test_store import village_track_gpx

ROUTES = declared_access(create_app(Settings()))
PROTECTED = [r for r in ROUTES if r.roles is not None]
OPEN = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/signin"), ("POST", "/signin")}
OPEN |= {("POST", "/signout")}
# The tracker apps' endpoints: the device id (or a patrol key as the Basic password) is their
# credential, checked by geo.phones (tests/api/test_phones_api.py).
OPEN |= {(m, "/api/v1/osmand") for m in ("GET", "POST")}
OPEN |= {(m, "/api/v1/gpslogger") for m in ("GET", "POST")} | {("POST", "/api/v1/owntracks")}
# The patrol page and its files are the same for everyone (its service worker keeps them for
# offline visits); the page reads its data from /api/v1/patrol with a key.
OPEN |= {("GET", p) for p in ("/patrol", "/patrol-sw.js", "/patrol.webmanifest")}
OPEN |= {("GET", f"/patrol-icon{s}") for s in (".svg", "-192.png", "-512.png")}
SECURITY_DOC = ROOT / "docs" / "security.md"


def route_id(route: RouteAccess) -> str:
    return f"{route.method} {route.path}"


@dataclass
class World:
    """A served store with one upload per squad 01 and 02, and a key of each role."""

    client: TestClient
    store: Store
    tokens: dict[Role, str]
    revoked: dict[Role, str]
    uploads: dict[str, int]
    device_id: str


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("auth")
    if request.param == "gpkg":
        store: Store = GeoPackageStore(tmp / "geo.gpkg")
        settings = Settings(store=StoreSettings(database_url=None, gpkg_path=tmp / "geo.gpkg"))
    else:
        url = request.getfixturevalue("postgis_url")
        _truncate(url)
        from geo.store.postgis import PostGISStore

        store = PostGISStore(url)
        settings = Settings(store=StoreSettings(database_url=url))
    settings = Settings(store=settings.store, layers=LayerSettings(township=None))
    store.save_layers(demo_layers)
    uploads = {
        squad: operations.import_track(
            store,
            village_track_gpx(demo_layers, start=start),
            filename=f"{squad}.gpx",
            township="433122207",
            squad=squad,
        ).record.id
        for squad, start in (("squad-01", "2026-11-18 09:00"), ("squad-02", "2026-11-19 09:00"))
    }
    tokens, revoked = {}, {}
    for role in Role:
        squad = "squad-01" if role is Role.PATROL else None
        tokens[role] = access.create_key(store, role=role, name=role.value, squad=squad)[0]
        revoked[role], key = access.create_key(store, role=role, name="old", squad=squad)
        access.revoke_key(store, key.key_id)
    new, _ = phones.register_device(store, squad="squad-01")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield World(client, store, tokens, revoked, uploads, new.device_id)
    store.close()


def call(
    world: World, route: RouteAccess, token: str | None = None, squad: str = "squad-01"
) -> Any:
    """A request of ``route`` as a key of ``squad`` would send it (path filled in)."""
    values = {
        "week": "2026-W47",
        # A planned day is a number; a daily view's a date.
        "day": "1" if route.path.startswith("/api/v1/plan/") else "2026-11-18",
        "squad": squad,
        "month": "2026-11",
        "upload_id": str(world.uploads[squad]),
        "layer": "cameras",
        "collection": "cameras",
        "code": "CAM-01",
        # A DELETE that gets through must not take away what later GETs read.
        "fid": "CAM-404" if route.method == "DELETE" else "CAM-01",
        "id": "000000000000" if route.method == "DELETE" else world.device_id,
        "tileMatrixSetId": "WebMercatorQuad",
    }
    if "/tiles" in route.path:  # OGC API – Tiles: a tile of the key's squad's fixes
        values |= {"collection": "fixes", "tileMatrix": "0", "tileRow": "0", "tileCol": "0"}
    path = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), route.path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # OGC API – Features answers 400 to a parameter an operation does not take
    params = {} if route.path.startswith("/ogc") else {"squad": squad}
    return world.client.request(route.method, path, params=params, headers=headers)


def assert_unauthenticated(response: Any, route: RouteAccess) -> None:
    if route.page:
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/signin?next=%2F")
        return
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["type"] == "/problems/authentication-required"


def test_only_health_and_sign_in_are_open() -> None:
    assert {(r.method, r.path) for r in ROUTES if r.roles is None} == OPEN
    assert PROTECTED, "no protected route found"


def test_the_docs_table_is_the_apps() -> None:
    table = access_table(create_app(Settings()))
    text = SECURITY_DOC.read_text(encoding="utf-8")
    assert table in text, f"docs/security.md must hold the route × role table:\n{table}"


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_no_key_is_401(world: World, route: RouteAccess) -> None:
    assert_unauthenticated(call(world, route), route)


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_a_revoked_key_is_401(world: World, route: RouteAccess) -> None:
    assert route.roles is not None
    for role in route.roles:
        assert_unauthenticated(call(world, route, world.revoked[role]), route)


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_a_role_not_admitted_is_403(world: World, route: RouteAccess) -> None:
    assert route.roles is not None
    others = [r for r in Role if r not in route.roles]
    for role in others:
        response = call(world, route, world.tokens[role])
        assert response.status_code == 403, (role, response.text)
        if not route.page:
            assert response.headers["content-type"] == "application/problem+json"
            assert f"a {role.value} key may not use" in response.json()["detail"]


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_an_admitted_role_gets_through(world: World, route: RouteAccess) -> None:
    assert route.roles is not None
    for role in route.roles:
        response = call(world, route, world.tokens[role])
        # Past the door: the route's own answer (a POST without a body is 422).
        assert response.status_code not in (401, 403), (role, response.text)
        if route.method == "GET":
            assert response.status_code == 200, (role, response.text)


def other_squad_requests(world: World, layers: TownshipLayers) -> dict[tuple[str, str], Any]:
    """For each route a patrol key may use, the same request made for another squad."""
    gpx = village_track_gpx(layers, start="2026-11-20 09:00")
    return {
        ("POST", "/api/v1/tracks"): lambda h: world.client.post(
            "/api/v1/tracks?squad=squad-02", content=gpx, headers=h
        ),
        ("POST", "/api/v1/positions"): lambda h: world.client.post(
            "/api/v1/positions", json={**live_batch(layers, 1), "squad": "squad-02"}, headers=h
        ),
        ("GET", "/api/v1/tracks"): lambda h: world.client.get(
            "/api/v1/tracks?squad=squad-02", headers=h
        ),
        ("GET", "/api/v1/tracks/{upload_id}"): lambda h: world.client.get(
            f"/api/v1/tracks/{world.uploads['squad-02']}", headers=h
        ),
        ("GET", "/api/v1/plan/{week}"): lambda h: world.client.get(
            "/api/v1/plan/2026-W48?squad=squad-02", headers=h
        ),
        ("GET", "/api/v1/plan/{week}/{squad}/{day}.gpx"): lambda h: world.client.get(
            "/api/v1/plan/2026-W48/squad-02/1.gpx", headers=h
        ),
        ("GET", "/api/v1/plan/{week}/{squad}/sheet"): lambda h: world.client.get(
            "/api/v1/plan/2026-W48/squad-02/sheet", headers=h
        ),
        ("GET", "/api/v1/patrol"): lambda h: world.client.get(
            "/api/v1/patrol?squad=squad-02", headers=h
        ),
        ("GET", "/ogc/collections/{collection}/tiles"): lambda h: world.client.get(
            "/ogc/collections/fixes/tiles?squad=squad-02", headers=h
        ),
        ("GET", "/ogc/collections/{collection}/tiles/{tileMatrixSetId}"): lambda h: (
            world.client.get(
                "/ogc/collections/tracks/tiles/WebMercatorQuad?squad=squad-02", headers=h
            )
        ),
        (
            "GET",
            "/ogc/collections/{collection}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        ): lambda h: world.client.get(
            "/ogc/collections/fixes/tiles/WebMercatorQuad/0/0/0?squad=squad-02", headers=h
        ),
    }


def test_a_patrol_key_acts_for_its_own_squad_only(
    world: World, demo_layers: TownshipLayers
) -> None:
    requests = other_squad_requests(world, demo_layers)
    patrol_routes = {(r.method, r.path) for r in PROTECTED if r.roles and Role.PATROL in r.roles}
    assert patrol_routes == set(requests), "add the other-squad request of each patrol route"
    before = len(world.store.uploads("433122207"))
    patrol = {"Authorization": f"Bearer {world.tokens[Role.PATROL]}"}
    pages = {(r.method, r.path) for r in PROTECTED if r.page}
    for key, send in requests.items():
        response = send(patrol)
        assert response.status_code == 403, (key, response.text)
        if key in pages:  # a page: the sign-in page says why
            assert response.headers["content-type"].startswith("text/html"), key
            assert "belongs to squad-01" in response.text, key
            continue
        assert response.headers["content-type"] == "application/problem+json"
        assert "belongs to squad-01" in response.json()["detail"]
    assert len(world.store.uploads("433122207")) == before  # nothing stored
    # Its own squad: listed by default, read back as GeoJSON.
    own = world.client.get("/api/v1/tracks", headers=patrol).json()
    assert [u["squad"] for u in own] == ["squad-01"]
    track = world.client.get(f"/api/v1/tracks/{world.uploads['squad-01']}", headers=patrol)
    assert track.headers["content-type"] == "application/geo+json"
    body = track.json()
    assert body["type"] == "FeatureCollection" and body["upload"]["squad"] == "squad-01"
    assert body["features"][0]["geometry"]["type"] == "LineString"
    assert {f["properties"]["squad"] for f in body["features"]} == {"squad-01"}


def test_leaders_read_every_squads_tracks_by_week(world: World) -> None:
    leader = {"Authorization": f"Bearer {world.tokens[Role.LEADER]}"}
    every = world.client.get("/api/v1/tracks?week=2026-W47", headers=leader).json()
    assert {u["squad"] for u in every} >= {"squad-01", "squad-02"}
    assert world.client.get("/api/v1/tracks?week=2026-W40", headers=leader).json() == []
    other = world.client.get(f"/api/v1/tracks/{world.uploads['squad-02']}", headers=leader)
    assert other.status_code == 200 and other.json()["upload"]["squad"] == "squad-02"
    missing = world.client.get("/api/v1/tracks/999999", headers=leader)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "token",
    ["", "geo_", "not-a-key", "geo_0123456789ab_" + "A" * 43, "Basic abc", "geo_xyz_secret"],
)
def test_malformed_or_unknown_keys_are_401(world: World, token: str) -> None:
    response = world.client.get(
        "/api/v1/coverage/2026-W47", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_basic_auth_takes_the_key_as_the_password(world: World) -> None:
    """QGIS's and GDAL's Basic authentication: any user name, the key as the password."""
    token = world.tokens[Role.PLANNER]
    for user in ("qgis", "", "张三"):
        pair = f"{user}:{token}".encode()
        header = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        assert world.client.get("/api/v1/coverage/2026-W47", headers=header).status_code == 200
        assert world.client.get("/ogc/collections", headers=header).status_code == 200
    revoked = base64.b64encode(f"qgis:{world.revoked[Role.PLANNER]}".encode()).decode()
    refused = world.client.get(
        "/api/v1/coverage/2026-W47", headers={"Authorization": f"Basic {revoked}"}
    )
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "credentials",
    ["", "bm8tY29sb24=", "not base64!", base64.b64encode(b"\xff\xfe:x").decode()],
    ids=["empty", "no-colon", "not-base64", "not-utf8"],
)
def test_malformed_basic_credentials_are_401_saying_what_is_expected(
    world: World, credentials: str
) -> None:
    response = world.client.get(
        "/api/v1/coverage/2026-W47", headers={"Authorization": f"Basic {credentials}"}
    )
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Basic" in response.json()["detail"] or "API key" in response.json()["detail"]


def test_a_wrong_secret_for_a_real_key_id_is_401(world: World) -> None:
    key_id = world.tokens[Role.ADMIN].split("_")[1]
    forged = f"geo_{key_id}_{'B' * 43}"
    response = world.client.get(
        "/api/v1/coverage/2026-W47", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401 and "not valid" in response.json()["detail"]


def test_the_sign_in_cookie_works_like_the_header(world: World) -> None:
    world.client.cookies.set(COOKIE, world.tokens[Role.PLANNER])
    try:
        assert world.client.get("/api/v1/coverage/2026-W47").status_code == 200
        world.client.cookies.set(COOKIE, world.revoked[Role.PLANNER])
        assert world.client.get("/api/v1/coverage/2026-W47").status_code == 401
    finally:
        world.client.cookies.clear()


def test_openapi_shows_bearer_and_basic_on_protected_routes_only(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for route in ROUTES:
        operation = spec["paths"].get(route.path, {}).get(route.method.lower())
        if operation is None:
            continue  # pages are not in the schema
        if route.roles is None:
            assert "security" not in operation, route
        else:
            assert operation["security"] == [{"bearer": []}, {"basic": []}], route
            assert "401" in operation["responses"] and "403" in operation["responses"], route


def test_last_use_is_recorded_at_most_once_a_minute(store: Store) -> None:
    token, key = access.create_key(store, role=Role.LEADER)
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    access.authenticate(store, token, now=t0)
    access.authenticate(store, token, now=t0 + timedelta(seconds=30))
    stored = store.api_key(key.key_id)
    assert stored is not None and stored.last_used_at == t0
    access.authenticate(store, token, now=t0 + timedelta(minutes=2))
    stored = store.api_key(key.key_id)
    assert stored is not None and stored.last_used_at == t0 + timedelta(minutes=2)


def test_require_attaches_to_a_whole_router(store: Store, tmp_path: Path) -> None:
    router = APIRouter(dependencies=[Depends(require(Role.LEADER, Role.ADMIN))])

    @router.get("/api/v1/things")
    def things() -> dict[str, str]:
        return {"ok": "yes"}

    @router.get("/api/v1/me")
    def me(who: Principal = Depends(require(Role.ADMIN))) -> dict[str, str]:  # noqa: B008
        return {"role": who.role.value}

    other = APIRouter()

    @other.get("/ogc/collections")
    def collections() -> dict[str, str]:
        return {"ok": "ogc"}

    app = FastAPI()
    app.state.store = store
    problems.install(app)
    app.include_router(router)
    # The same dependency given when a router is included (as the lead may do at merge time).
    app.include_router(
        other, dependencies=[Depends(require(Role.PLANNER))], responses=AUTH_PROBLEMS
    )
    found = {(r.method, r.path): r.roles for r in declared_access(app)}
    assert found[("GET", "/api/v1/things")] == {Role.LEADER, Role.ADMIN}
    assert found[("GET", "/api/v1/me")] == {Role.ADMIN}  # both apply: the intersection
    assert found[("GET", "/ogc/collections")] == {Role.PLANNER}
    spec = app.openapi()["paths"]["/ogc/collections"]["get"]
    assert spec["security"] == [{"bearer": []}, {"basic": []}] and "401" in spec["responses"]
    leader = access.create_key(store, role=Role.LEADER)[0]
    planner = access.create_key(store, role=Role.PLANNER)[0]
    with TestClient(app) as client:
        assert client.get("/api/v1/things").status_code == 401
        ok = client.get("/api/v1/things", headers={"Authorization": f"Bearer {leader}"})
        assert ok.json() == {"ok": "yes"}
        no = client.get("/api/v1/things", headers={"Authorization": f"Bearer {planner}"})
        assert no.status_code == 403
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {leader}"})
        assert me.status_code == 403
        ogc = client.get("/ogc/collections", headers={"Authorization": f"Bearer {planner}"})
        assert ogc.json() == {"ok": "ogc"}
        assert client.get("/ogc/collections").status_code == 401


def test_keys_listing_has_no_secret(store: Store) -> None:
    token, key = access.create_key(store, role=Role.ADMIN, name="x")
    listed = [k.listing() for k in store.api_keys()]
    assert listed[0]["key_id"] == key.key_id
    assert token.split("_", 2)[2] not in repr(listed) and key.secret_sha256 not in repr(listed)


def test_patrol_keys_need_a_known_squad(store: Store, demo_layers: TownshipLayers) -> None:
    from geo.errors import InvalidInput, NotFound

    store.save_layers(demo_layers)
    with pytest.raises(InvalidInput, match="needs --squad"):
        access.create_key(store, role="patrol")
    with pytest.raises(InvalidInput, match="squad 'squad-99' is not in the layers"):
        access.create_key(store, role="patrol", squad="squad-99")
    with pytest.raises(InvalidInput, match="unknown role 'boss'"):
        access.create_key(store, role="boss")
    with pytest.raises(InvalidInput, match="patrol keys only"):
        access.create_key(store, role="leader", squad="squad-01")
    with pytest.raises(NotFound):
        access.create_key(store, role="patrol", squad="squad-01", township="999")
    _, key = access.create_key(store, role="patrol", squad="squad-01")
    assert (key.township, key.squad) == ("433122207", "squad-01")
    assert store.api_keys() == [key]
