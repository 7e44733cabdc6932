"""The leaders' dashboard in headless Chromium, served by a real server, network closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from geo import access
from geo.api.auth import COOKIE
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.weeks import IsoWeek
from tests.conftest import SimulatedStores
from tests.serve import serve_app
from tests.web.test_map_browser import OUTPUT, browser  # noqa: F401 - the fixture

WEEK = IsoWeek(2026, 47)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
    simulated_stores: SimulatedStores,
) -> Iterator[tuple[str, str]]:
    """A served store with a simulated week, and a leader's key."""
    tmp = tmp_path_factory.mktemp("dash")
    evil = demo_layers.villages.copy()
    evil.loc[evil.index[0], "name"] = "<script>alert(1)</script>"
    layers = TownshipLayers(**{**demo_layers.__dict__, "villages": evil})
    store = simulated_stores.copy(tmp / "geo.gpkg", layers, [WEEK])
    token, _ = access.create_key(store, role=Role.LEADER, name="browser tests")
    settings = Settings(
        store=StoreSettings(database_url=None, gpkg_path=tmp / "geo.gpkg"),
        layers=LayerSettings(township=None),
    )
    with serve_app(settings) as url:
        yield url, token


@pytest.fixture(scope="module")
def server(served: tuple[str, str]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def leader_key(served: tuple[str, str]) -> str:
    return served[1]


def open_page(browser, url: str, key: str, lang: str = "zh-CN"):  # type: ignore[no-untyped-def]  # noqa: F811
    """The dashboard of the week, signed in with ``key`` (the cookie the sign-in page sets)."""
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": COOKIE, "value": key, "url": url, "httpOnly": True, "sameSite": "Strict"}]
    )
    page = context.new_page()
    problems: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    def route(r):  # type: ignore[no-untyped-def]
        requested.append(r.request.url)
        if r.request.url.startswith(url):
            r.continue_()
        else:
            r.abort()  # only basemap tiles may leave the service, and the network is closed

    page.route("**/*", route)
    page.goto(url + "/?week=2026-W47")
    page.wait_for_selector("#villages tbody tr")
    frame = page.frame_locator("#map")
    frame.locator(".leaflet-container").wait_for()
    page.wait_for_timeout(300)
    return page, problems, requested


def test_dashboard_shows_the_week_and_its_map(browser, server: str, leader_key: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page, problems, requested = open_page(browser, server, leader_key)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "dashboard.png"))
    assert [p for p in problems if "net::" not in p] == []
    assert page.locator("#villages tbody tr").count() == 7
    assert "全乡未达标" in page.locator("#township-verdict").inner_text()
    # The hostile village name is text, on the dashboard and on the map.
    assert "<script>alert(1)</script>" in page.locator("#villages").inner_text()
    map_frame = page.frame_locator("#map")
    assert map_frame.locator("path.leaflet-interactive").count() > 50
    others = {u.split("/")[2] for u in requested if not u.startswith(server)}
    assert all("tile" in host for host in others), others
    page.context.close()


def test_clicking_a_gap_zooms_the_map(browser, server: str, leader_key: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page, _, _ = open_page(browser, server, leader_key)
    zoom = (
        "() => { const f = document.getElementById('map').contentWindow;"
        " const el = f.document.querySelector('.folium-map'); return f[el.id].getZoom(); }"
    )
    before = page.evaluate(zoom)
    page.locator("#gaps button").first.click()
    page.wait_for_timeout(400)
    assert page.evaluate(zoom) > before
    page.context.close()


def test_language_switch(browser, server: str, leader_key: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page, _, _ = open_page(browser, server, leader_key)
    assert "巡查覆盖" in page.locator("h1").inner_text()
    page.locator("#lang-switch").click()
    page.wait_for_selector("#villages tbody tr")
    assert "Patrol coverage" in page.locator("h1").inner_text()
    assert page.locator("#villages thead").inner_text().startswith("Village")
    page.context.close()
    english, _, _ = open_page(browser, server, leader_key, lang="en-US")
    assert "Patrol coverage" in english.locator("h1").inner_text()
    english.context.close()


def test_signing_in_through_the_page(browser, server: str, leader_key: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A browser without a key lands on the sign-in page, a wrong key is refused on the page,
    the right one opens the dashboard it asked for, signing out closes it again."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server) else r.abort())
    page.goto(server + "/?week=2026-W47")
    assert page.url.startswith(server + "/signin?next=")
    assert "访问密钥" in page.locator("main").inner_text()
    page.fill("#key", "geo_0123456789ab_" + "x" * 43)
    page.click("#signin")
    page.wait_for_selector("#signin-error")
    assert "密钥无效" in page.locator("#signin-error").inner_text()
    page.fill("#key", leader_key)
    page.click("#signin")
    page.wait_for_selector("#villages tbody tr")
    assert page.url == server + "/?week=2026-W47"
    assert page.locator("#villages tbody tr").count() == 7
    page.frame_locator("#map").locator(".leaflet-container").wait_for()  # the map is signed in too
    cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the key
    page.click("#signout")
    page.wait_for_selector("#key")
    page.goto(server + "/?week=2026-W47")
    assert page.url.startswith(server + "/signin")
    context.close()
