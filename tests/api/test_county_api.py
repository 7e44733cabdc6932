"""A county in one store, on both stores: keys scoped to one township (a leader, planner or
patrol key of township 433122901 never gets township 433122902's data, on any route the app
serves), the county view (``/api/v1/county``) and the county's monthly report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo import access, operations, phones
from geo.api.app import create_app
from geo.api.auth import RouteAccess, declared_access
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.store import Store
from geo.weeks import IsoWeek
from tests.api.simulated_stores import STORE_KINDS, simulated_store
from tests.api.test_tracks_api import live_batch
from tests.storage.test_store import village_track_gpx

EAST, WEST = "433122901", "433122902"
WEEK = IsoWeek(2026, 47)
APP_ROUTES = declared_access(create_app(Settings()))
PROTECTED = [r for r in APP_ROUTES if r.roles is not None]
SCOPED = (Role.LEADER, Role.PLANNER, Role.PATROL)


@dataclass
class County:
    """A served store with two townships and a simulated week in each, and keys."""

    client: TestClient
    store: Store
    west: TownshipLayers
    #: East's keys by role (the patrol key: squad-01).
    east_keys: dict[Role, str]
    #: County keys (no township) by role.
    county_keys: dict[Role, str]
    west_upload: int
    west_device: str


@pytest.fixture(scope="module", params=STORE_KINDS)
def county(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    county_layers: list[TownshipLayers],
) -> Iterator[County]:
    tmp = tmp_path_factory.mktemp("county")
    east, west = county_layers[0], county_layers[1]
    assert (east.info.code, west.info.code) == (EAST, WEST)
    store = simulated_store(request, tmp, [east, west], [WEEK])
    url = getattr(store, "url", None)
    settings = Settings(
        store=StoreSettings(database_url=url, gpkg_path=tmp / "geo.gpkg"),
        layers=LayerSettings(township=None),
    )
    east_keys = {
        role: access.create_key(
            store,
            role=role,
            name=f"east {role.value}",
            township=EAST,
            squad="squad-01" if role is Role.PATROL else None,
        )[0]
        for role in SCOPED
    }
    county_keys = {
        role: access.create_key(store, role=role, name=f"county {role.value}")[0]
        for role in (Role.LEADER, Role.PLANNER, Role.ADMIN)
    }
    upload = store.uploads(WEST)[0].id
    device, _ = phones.register_device(store, squad="squad-01", township=WEST)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield County(client, store, west, east_keys, county_keys, upload, device.device_id)
    store.close()


def _west_markers(west: TownshipLayers) -> list[str]:
    """Text only West's data holds: its names and its villages' codes."""
    return [
        west.info.name,
        west.info.name_en,
        *(str(c) for c in west.villages["code"]),
        *(str(n) for n in west.villages["name"]),
    ]


def west_request(county: County, route: RouteAccess, token: str) -> Any:
    """``route`` asking for West's data (its township, upload, device, features)."""
    values = {
        "week": str(WEEK),
        "day": "1" if route.path.startswith("/api/v1/plan/") else "2026-11-18",
        "squad": "squad-01",
        "month": "2026-11",
        "upload_id": str(county.west_upload),
        "layer": "cameras",
        "collection": "cameras",
        "code": "CAM-01",
        "fid": "CAM-01",
        "id": county.west_device,
        "tileMatrixSetId": "WebMercatorQuad",
        "message_id": "1",  # the alert outbox is an admin's, and admin keys are the county's
    }
    if "/tiles" in route.path:  # OGC API – Tiles: a tile of West's fixes
        values |= {"collection": "fixes", "tileMatrix": "0", "tileRow": "0", "tileCol": "0"}
    path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path)
    params = {"township": WEST}
    if not route.path.startswith("/ogc"):
        params["squad"] = "squad-01"
    headers = {"Authorization": f"Bearer {token}"}
    kwargs: dict[str, Any] = {}
    if (route.method, route.path) == ("POST", "/api/v1/tracks"):
        kwargs["content"] = village_track_gpx(county.west, start="2026-11-20 09:00")
        headers["Content-Type"] = "application/gpx+xml"
    elif route.method == "POST" and route.path == "/api/v1/positions":
        kwargs["json"] = {**live_batch(county.west, 1), "squad": "squad-01"}
    elif route.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return county.client.request(route.method, path, params=params, headers=headers, **kwargs)


def route_id(route: RouteAccess) -> str:
    return f"{route.method} {route.path}"


def test_every_route_of_the_openapi_document_is_walked() -> None:
    app = create_app(Settings())
    walked = {(r.method, r.path) for r in PROTECTED}
    documented = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    open_routes = {(r.method, r.path) for r in APP_ROUTES if r.roles is None}
    assert documented - open_routes <= walked
    assert ("GET", "/api/v1/county") in walked and ("GET", "/county") in walked


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_a_township_key_never_gets_another_townships_data(
    county: County, route: RouteAccess
) -> None:
    markers = _west_markers(county.west)
    for role in SCOPED:
        response = west_request(county, route, county.east_keys[role])
        assert response.status_code in (403, 404), (role, response.status_code, response.text)
        leaked = [m for m in markers if m and m in response.text]
        assert leaked == [], (role, leaked)


@pytest.mark.parametrize(
    "route",
    [r for r in PROTECTED if r.method == "GET" and Role.LEADER in (r.roles or ())],
    ids=route_id,
)
def test_a_county_key_gets_the_same_requests(county: County, route: RouteAccess) -> None:
    """The control: the data refused above is there, and a county key reads it."""
    response = west_request(county, route, county.county_keys[Role.LEADER])
    if route.path == "/":
        assert response.status_code == 200, response.text
        assert county.west.info.name in response.text
        return
    assert response.status_code == 200, (response.status_code, response.text)


def test_a_township_key_works_on_its_own_township_by_default(county: County) -> None:
    leader = {"Authorization": f"Bearer {county.east_keys[Role.LEADER]}"}
    own = county.client.get(f"/api/v1/coverage/{WEEK}", headers=leader)
    assert own.status_code == 200, own.text
    assert own.json()["township_code"] == EAST
    page = county.client.get(f"/?week={WEEK}", headers=leader)
    assert page.status_code == 200 and "示例东乡" in page.text
    assert 'id="county-link"' not in page.text
    # Its county page sends it to its own dashboard.
    sent = county.client.get("/county", headers=leader)
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/?township={EAST}")
    # A county key must name the township: the store holds two.
    county_leader = {"Authorization": f"Bearer {county.county_keys[Role.LEADER]}"}
    assert county.client.get(f"/api/v1/coverage/{WEEK}", headers=county_leader).status_code == 422
    # Its dashboard without a township is the county view; with one, it links the county view.
    home = county.client.get("/", headers=county_leader)
    assert home.status_code == 303 and home.headers["location"].startswith("/county")
    east_page = county.client.get(f"/?township={EAST}&week={WEEK}", headers=county_leader)
    assert 'id="county-link"' in east_page.text


def test_the_county_view_lays_out_each_townships_own_result(county: County) -> None:
    leader = {"Authorization": f"Bearer {county.county_keys[Role.LEADER]}"}
    response = county.client.get("/api/v1/county?weeks=2026-W46..2026-W47", headers=leader)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["weeks"] == ["2026-W46", "2026-W47"]
    assert [t["township_code"] for t in body["townships"]] == [EAST, WEST]
    assert [t["metric_crs"] for t in body["townships"]] == ["EPSG:4546", "EPSG:4545"]
    for row in body["townships"]:
        assert row["weeks"]["2026-W46"]["status"] == "no_data"
        week = county.client.get(
            f"/api/v1/coverage/{WEEK}?township={row['township_code']}", headers=leader
        ).json()
        cell = row["weeks"][str(WEEK)]
        assert cell["villages_passed"] == week["villages_passed"]
        assert cell["villages_total"] == week["villages_total"] == 7
        assert cell["status"] == ("pass" if week["meets_requirement"] else "fail")
    total = body["totals"][str(WEEK)]
    assert total["villages_total"] == 14
    assert total["villages_passed"] == sum(
        r["weeks"][str(WEEK)]["villages_passed"] for r in body["townships"]
    )
    # The same simulated patrols: West's looser rules (a checkpoint visited within 300 m, not
    # 50 m) pass the village whose mandatory checkpoint East's rules count as missed.
    east, west = (r["weeks"][str(WEEK)]["villages_passed"] for r in body["townships"])
    assert west == east + 1
    # The page shows the same grid, each cell linking to that township-week's dashboard.
    page = county.client.get("/county?weeks=2026-W46..2026-W47&lang=en", headers=leader)
    assert page.status_code == 200
    assert f'href="/?township={WEST}&amp;week=2026-W47&amp;lang=en"' in page.text
    assert "Sample West Township" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("weeks", "status"),
    [("2026-W47..2026-W46", 422), ("2026-W01..2027-W10", 422), ("soon", 422), ("2026-W47", 200)],
)
def test_the_county_weeks_are_checked(county: County, weeks: str, status: int) -> None:
    leader = {"Authorization": f"Bearer {county.county_keys[Role.LEADER]}"}
    response = county.client.get("/api/v1/county", params={"weeks": weeks}, headers=leader)
    assert response.status_code == status, response.text
    if status == 422:
        assert response.headers["content-type"] == "application/problem+json"


def test_the_county_report(county: County) -> None:
    leader = {"Authorization": f"Bearer {county.county_keys[Role.LEADER]}"}
    report = county.client.get("/api/v1/reports/monthly/2026-11?county=true", headers=leader)
    assert report.status_code == 200, report.text
    assert "全县月调度报告" in report.text
    for name in ("示例东乡", "示例西乡"):
        assert name in report.text
    for week in ("2026-W45", "2026-W46", "2026-W47", "2026-W48"):
        assert week in report.text
    assert "<script" not in report.text and 'href="/?' not in report.text
    english = county.client.get(
        "/api/v1/reports/monthly/2026-11?county=true&lang=en", headers=leader
    )
    assert "County monthly review" in english.text and "Sample West Township" in english.text
    # A township's own report is still one township.
    own = county.client.get(f"/api/v1/reports/monthly/2026-11?township={WEST}", headers=leader)
    assert own.status_code == 200 and "示例西乡" in own.text and "示例东乡" not in own.text
    # A key of one township may not read the county's.
    east = {"Authorization": f"Bearer {county.east_keys[Role.LEADER]}"}
    refused = county.client.get("/api/v1/reports/monthly/2026-11?county=true", headers=east)
    assert refused.status_code == 403


def test_county_report_operation_matches_the_view(county: County) -> None:
    html = operations.county_report(county.store, "2026-11", lang="en")
    view = operations.county_coverage(county.store, [IsoWeek(2026, w) for w in (45, 46, 47, 48)])
    for row in view.townships:
        cell = row.weeks[str(WEEK)]
        assert f"{cell.villages_passed}/{cell.villages_total}" in html


def test_scoped_keys_are_refused_where_they_make_no_sense(county: County, tmp_path: Path) -> None:
    from geo.errors import InvalidInput, NotFound

    with pytest.raises(InvalidInput, match="acts for the whole county"):
        access.create_key(county.store, role=Role.ADMIN, township=EAST)
    with pytest.raises(NotFound):
        access.create_key(county.store, role=Role.LEADER, township="433122999")
    with pytest.raises(InvalidInput, match="--squad is for patrol keys only"):
        access.create_key(county.store, role=Role.PLANNER, township=EAST, squad="squad-01")
    _, key = access.create_key(county.store, role=Role.PLANNER, township=WEST)
    assert key.township == WEST and key.listing()["township"] == WEST
