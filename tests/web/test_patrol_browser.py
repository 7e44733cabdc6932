"""The patrol page (/patrol) in headless Chromium on a phone viewport, against a real server:
signed in by its QR link, walked along a village road of the demo layers with the network cut
for part of the walk (and one answer lost), every fix stored exactly once; the page opens again
with no network after the first visit (service worker)."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import pytest
import shapely
from playwright.sync_api import expect

from geo import access
from geo.api.auth import COOKIE
from geo.devices import patrol_signin_link
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.store import Store
from geo.store.geopackage import GeoPackageStore
from tests.conftest import _truncate
from tests.serve import serve_app
from tests.storage.test_store import village_track_gpx
from tests.web.test_map_browser import OUTPUT, browser  # noqa: F401 - the fixture

TOWNSHIP = "433122207"
SQUAD = "squad-01"
PHONE = {"width": 390, "height": 844}
#: Console lines expected while the network is cut or an answer is lost on purpose.
EXPECTED_FAILURES = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_CONNECTION_RESET")


class Served(NamedTuple):
    url: str
    store: Store
    patrol_key: str
    leader_key: str


def village_road(layers: TownshipLayers, points: int, step_m: float) -> list[tuple[float, float]]:
    """``points`` positions ``step_m`` apart along the longest road inside squad-01's village."""
    crs = layers.info.metric_crs
    village = layers.villages[layers.villages["squad"] == SQUAD].to_crs(crs).geometry.iloc[0]
    roads = layers.roads.to_crs(crs).geometry
    road = max((shapely.intersection(r, village) for r in roads), key=lambda g: g.length)
    if road.geom_type != "LineString":
        road = max(road.geoms, key=lambda g: g.length)
    walked = [road.interpolate(i * step_m) for i in range(points)]
    lonlat = gpd.GeoSeries(walked, crs=crs).to_crs(4326)
    return [(p.x, p.y) for p in lonlat]


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, demo_layers: TownshipLayers
) -> Iterator[Served]:
    """A server on an empty store of each kind with the demo layers, a patrol key of squad-01
    and a leader's key."""
    yield from serve_store(request, request.param, tmp_path, demo_layers)


@pytest.fixture
def served_gpkg(
    request: pytest.FixtureRequest, tmp_path: Path, demo_layers: TownshipLayers
) -> Iterator[Served]:
    """The same on the GeoPackage store only (for what the page does, whatever the store)."""
    yield from serve_store(request, "gpkg", tmp_path, demo_layers)


def serve_store(
    request: pytest.FixtureRequest, kind: str, tmp_path: Path, demo_layers: TownshipLayers
) -> Iterator[Served]:
    if kind == "gpkg":
        store: Store = GeoPackageStore(tmp_path / "geo.gpkg")
        settings = Settings(
            store=StoreSettings(database_url=None, gpkg_path=tmp_path / "geo.gpkg"),
            layers=LayerSettings(township=None),
        )
    else:
        from geo.store.postgis import PostGISStore

        url = request.getfixturevalue("postgis_url")
        _truncate(url)
        store = PostGISStore(url)
        settings = Settings(
            store=StoreSettings(database_url=url), layers=LayerSettings(township=None)
        )
    store.save_layers(demo_layers)
    patrol_key, _ = access.create_key(
        store, role=Role.PATROL, name="一组手机", township=TOWNSHIP, squad=SQUAD
    )
    leader_key, _ = access.create_key(store, role=Role.LEADER, name="leader")
    with serve_app(settings) as url:
        yield Served(url, store, patrol_key, leader_key)
    store.close()


def phone(browser: Any, **options: Any) -> tuple[Any, Any, list[str]]:  # noqa: F811
    """A phone-sized context with geolocation granted, its page and the console's errors."""
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        permissions=["geolocation"],
        **options,
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return context, page, problems


def counts(page: Any) -> dict[str, int]:
    return {k: int(page.locator(f"#{k}").inner_text()) for k in ("queued", "sent", "refused")}


def get_json(url: str, key: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_a_walk_with_the_network_cut_is_stored_exactly_once(  # type: ignore[no-untyped-def]
    browser,  # noqa: F811
    served: Served,
    demo_layers: TownshipLayers,
) -> None:
    walk = village_road(demo_layers, points=36, step_m=6.0)
    context, page, problems = phone(
        browser,
        geolocation={"longitude": walk[0][0], "latitude": walk[0][1], "accuracy": 5},
        # Routing is used below to lose one answer; a service worker would hide requests from it.
        service_workers="block",
    )
    posts: list[dict[str, Any]] = []
    lost: list[str] = []

    def positions(route: Any) -> None:
        """Every batch reaches the server; the answer to the first one after the network is
        back is lost, so the page must send that batch again."""
        body = json.loads(route.request.post_data or "{}")
        posts.append(body)
        if restored.is_set() and not lost:
            route.fetch()  # the server stores the batch ...
            lost.append(body["batch_id"])
            route.abort("connectionreset")  # ... and the phone never hears back
            return
        route.continue_()

    restored = threading.Event()
    page.route("**/api/v1/positions", positions)
    page.goto(patrol_signin_link(served.url, served.patrol_key))
    expect(page.locator("#who")).to_contain_text(SQUAD)
    assert "#" not in page.url  # the key left the address bar at once
    assert page.evaluate("document.cookie") == ""  # and is kept where scripts cannot read it
    assert any(c["name"] == COOKIE and c["httpOnly"] for c in context.cookies())
    assert page.locator("path.leaflet-interactive").count() > 3  # village, roads, checkpoints
    page.click("#start")
    page.wait_for_selector("#stop")

    def walk_along(points: list[tuple[float, float]]) -> None:
        for lon, lat in points:
            context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 5})
            page.wait_for_timeout(500)

    walk_along(walk[:12])
    expect(page.locator("#sent")).not_to_have_text("0", timeout=15_000)  # a batch went out
    context.set_offline(True)
    walk_along(walk[12:26])
    # The page tried to send while the network was cut, and keeps the fixes to try again.
    expect(page.locator("#message")).to_contain_text("秒后重试", timeout=15_000)
    assert counts(page)["queued"] > 0
    assert page.locator("#geo-error").is_hidden(), page.locator("#geo-error").inner_text()
    restored.set()
    context.set_offline(False)
    walk_along(walk[26:])
    page.click("#stop")
    expect(page.locator("#queued")).to_have_text("0", timeout=90_000)
    shown = counts(page)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "patrol-page.png"), full_page=True)

    # Every fix the page recorded is in the store once, under the page's device name.
    assert shown["refused"] == 0 and shown["sent"] >= len(walk) - 2, shown
    assert lost and sum(p["batch_id"] == lost[0] for p in posts) >= 2  # resent after the loss
    sent_fixes = {(f["time"], f["lon"], f["lat"]) for p in posts for f in p["fixes"]}
    assert len(sent_fixes) == shown["sent"]
    device = posts[0]["device"]
    assert {p["device"] for p in posts} == {device} and device.startswith("web-")
    start = datetime(2000, 1, 1, tzinfo=UTC)
    stored = served.store.week_fixes(TOWNSHIP, start, datetime.now(UTC).replace(year=2100))
    mine = stored[stored["device"] == device]
    assert len(mine) == shown["sent"]
    assert mine["time"].is_unique
    assert (mine["segment"] >= 0).all()  # none dropped by cleaning: a real walk's pace

    # A patrol key is told to ask for the tracker apps' codes; it gets no codes of its own.
    assert page.locator("#apps-patrol").is_visible()
    assert page.locator("#codes").is_hidden() and page.locator("#register-form").is_hidden()

    # The daily view (日巡查) shows the squad's patrol, and so does the page.
    day = page.locator("#day").inner_text()
    daily = get_json(f"{served.url}/api/v1/coverage/daily/{day}", served.leader_key)
    squad = next(s for s in daily["squads"] if s["squad"] == SQUAD)
    assert squad["status"] != "no_data" and squad["minutes"] > 0 and squad["distance_km"] > 0
    assert squad["villages_entered"] == [squad["village_code"]]
    # The page asks for the squad's view again once the patrol stopped and all was sent.
    expect(page.locator("#today-summary")).to_contain_text("未达标")  # under 10 minutes
    assert [p for p in problems if not p.startswith(EXPECTED_FAILURES) and "net::" not in p] == []
    assert all(any(e in p for e in EXPECTED_FAILURES) for p in problems), problems
    context.close()


def test_the_page_opens_and_records_offline_after_the_first_visit(  # type: ignore[no-untyped-def]
    browser,  # noqa: F811
    served_gpkg: Served,
    demo_layers: TownshipLayers,
) -> None:
    served = served_gpkg
    walk = village_road(demo_layers, points=6, step_m=6.0)
    context, page, problems = phone(
        browser, geolocation={"longitude": walk[0][0], "latitude": walk[0][1], "accuracy": 5}
    )
    page.goto(patrol_signin_link(served.url, served.patrol_key))
    expect(page.locator("#who")).to_contain_text(SQUAD)
    for _ in range(100):  # the worker installed and controls the page (evaluate: no eval)
        if page.evaluate("() => navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(200)
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    page.close()

    context.set_offline(True)
    offline = context.new_page()
    offline.on("pageerror", lambda e: problems.append(str(e)))
    offline.goto(served.url + "/patrol")
    expect(offline.locator("#who")).to_contain_text(SQUAD)
    assert offline.locator("path.leaflet-interactive").count() > 3  # the map, without tiles
    offline.click("#start")
    for lon, lat in walk[1:]:
        context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 5})
        offline.wait_for_timeout(400)
    expect(offline.locator("#queued")).to_have_text(str(len(walk)))  # the start and each step
    assert counts(offline)["sent"] == 0
    context.set_offline(False)
    offline.click("#stop")
    expect(offline.locator("#queued")).to_have_text("0", timeout=90_000)
    assert counts(offline)["sent"] == len(walk)
    assert [p for p in problems if "net::" not in p] == []
    context.close()


def test_an_admin_signs_in_shows_a_phones_set_up_codes_and_uploads_a_file(  # type: ignore[no-untyped-def]
    browser,  # noqa: F811
    served_gpkg: Served,
    demo_layers: TownshipLayers,
) -> None:
    served = served_gpkg
    admin, _ = access.create_key(served.store, role=Role.ADMIN, name="admin")
    context, page, problems = phone(browser)
    page.goto(served.url + "/patrol")
    page.wait_for_selector("#signin-panel:not([hidden])")  # no key yet: the page asks for one
    page.fill("#key", "geo_0123456789ab_" + "x" * 43)
    page.click("#signin")
    expect(page.locator("#signin-error")).to_contain_text("登录失败")
    page.fill("#key", admin)
    page.click("#signin")
    expect(page.locator("#who")).to_contain_text(SQUAD)
    assert page.locator("#signin-panel").is_hidden()
    assert page.locator("#apps-patrol").is_hidden()
    page.fill("#phone-name", "一组 <b>张三</b>")
    page.click("#register")
    page.wait_for_selector("#codes:not([hidden])")
    for code in ("#qr-traccar", "#qr-owntracks"):
        expect(page.locator(code)).to_have_js_property("complete", True)
        assert page.locator(code).evaluate("img => img.naturalWidth") > 100
    link = page.locator("#owntracks-link").get_attribute("href") or ""
    assert link.startswith("owntracks:///config?inline=")
    devices = served.store.devices(TOWNSHIP)
    assert [(d.squad, d.name) for d in devices] == [(SQUAD, "一组 <b>张三</b>")]
    # A track recorded by another app (两步路's GPX export) uploaded from the page, twice.
    gpx = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    for expected in ("已上传", "以前已上传过"):
        page.set_input_files(
            "#track-file",
            files=[{"name": "两步路.gpx", "mimeType": "application/gpx+xml", "buffer": gpx}],
        )
        page.click("#upload")
        expect(page.locator("#upload-result")).to_contain_text(expected)
    uploads = served.store.uploads(TOWNSHIP, squad=SQUAD)
    assert [u.filename for u in uploads] == ["两步路.gpx"] and uploads[0].report["fixes_kept"] > 0
    # A 401 for the wrong key is the one expected console line.
    assert [p for p in problems if "401" not in p] == [], problems
    context.close()
