"""Every page in headless Chromium with layers whose every text field is hostile: no dialog,
no injected markup, no Content-Security-Policy violation, no console error; the text shows as
text. The pages come from the app's own routes, so a page added later fails here until it is
listed. A page of another port of the same host posting a form with the admin's cookie is
refused and stores nothing (cross-site request forgery).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.routing import Route

from geo import access
from geo.api import auth
from geo.api.app import create_app
from geo.api.auth import COOKIE
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.weeks import IsoWeek
from tests.conftest import SimulatedStores
from tests.serve import free_port
from tests.web.hostile import HOSTILE, hostile, hostile_layers
from tests.web.test_map_browser import browser  # noqa: F401 - the fixture

WEEK = IsoWeek(2026, 47)
#: The hostile squad of the first village (hostile_layers' name for squad-01), in a path.
SQUAD_PATH = quote(hostile("S0").replace("</script>", "<script>"), safe="")
#: Seconds an answer may take (a week's coverage is computed on the first read).
TIMEOUT = 120


@dataclass(frozen=True)
class Page:
    """A page to open: its route, the address, what must show as text, whether it is signed in."""

    route: str
    url: str
    text: str = HOSTILE
    key: Role | None = Role.ADMIN
    #: FastAPI's OAuth2 redirect page expects the window that opened it.
    opener_needed: bool = False


#: Every GET route answering HTML (checked against the app below) and how it is opened.
PAGES = (
    Page("/", "/?week=2026-W47"),
    Page("/", "/?week=2026-W47&lang=en"),
    Page("/api/v1/coverage/{week}/map", "/api/v1/coverage/2026-W47/map"),
    Page("/api/v1/reports/monthly/{month}", "/api/v1/reports/monthly/2026-11"),
    Page("/api/v1/reports/monthly/{month}", "/api/v1/reports/monthly/2026-11?lang=en"),
    Page("/api/v1/reports/monthly/{month}", "/api/v1/reports/monthly/2026-11?county=true"),
    Page("/county", "/county?weeks=2026-W46..2026-W47"),
    Page("/county", "/county?weeks=2026-W47&lang=en"),
    Page("/api/v1/plan/{week}/{squad}/sheet", f"/api/v1/plan/2026-W48/{SQUAD_PATH}/sheet"),
    Page("/api/v1/plan/{week}/{squad}/sheet", f"/api/v1/plan/2026-W48/{SQUAD_PATH}/sheet?lang=en"),
    # The address comes back in the form and the language link.
    Page("/signin", "/signin?next=" + quote("/?q=" + HOSTILE), text="", key=None),
    # A role the page does not admit: the sign-in page with the reason (the path in it).
    Page("/", "/?week=2026-W47&q=" + quote(HOSTILE), text="", key=Role.PATROL),
    Page("/docs", "/docs", text="", key=None),
    Page("/redoc", "/redoc", text="", key=None),
    Page("/docs/oauth2-redirect", "/docs/oauth2-redirect", text="", key=None, opener_needed=True),
    # OGC API – Features pages (f=html); the items page draws the hostile cameras on a map.
    Page("/ogc", "/ogc?f=html", text=""),
    Page("/ogc/collections", "/ogc/collections?f=html", text=""),
    Page("/ogc/collections/{collection}", "/ogc/collections/cameras?f=html", text=""),
    Page("/ogc/collections/{collection}/items", "/ogc/collections/cameras/items?f=html"),
    # The patrol page draws the squad's villages and lists its checkpoints (their names).
    Page("/patrol", "/patrol", key=Role.PATROL),
    Page("/patrol", "/patrol?lang=en", key=Role.PATROL),
)

#: FastAPI's documentation pages load Swagger UI and ReDoc from a CDN; the network is closed,
#: so stand-ins answer (they only show that the policy lets the page's scripts run).
CDN_STUB = (
    "window.SwaggerUIBundle = function () { return {}; };"
    "window.SwaggerUIBundle.presets = {apis: {}};"
    "window.SwaggerUIBundle.SwaggerUIStandalonePreset = {};"
)

#: Installed before any page script: collects policy violations.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"""

#: What an injection would leave in the page: inline handlers, javascript: URLs, the image.
INJECTED = """() => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) { out.push(el.tagName + ' ' + a.name); }
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name)
          && a.value.trim().toLowerCase().startsWith('javascript:')) {
        out.push(el.tagName + ' ' + a.name + '=' + a.value);
      }
    }
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') { out.push('img src=x'); }
  }
  return out;
}"""


@dataclass
class Served:
    url: str
    keys: dict[Role, str]
    app: FastAPI
    store_path: Path


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
    simulated_stores: SimulatedStores,
) -> Iterator[Served]:
    """A server on the hostile layers with a simulated week; a camera's name planted by a
    planner over HTTP (as an attacker with a planner key would)."""
    tmp = tmp_path_factory.mktemp("hostile")
    layers = hostile_layers(demo_layers)
    store = simulated_stores.copy(tmp / "geo.gpkg", layers, [WEEK])
    keys = {
        role: access.create_key(
            store, role=role, name="page safety", squad=str(layers.villages["squad"].iloc[0])
        )[0]
        if role is Role.PATROL
        else access.create_key(store, role=role, name="page safety")[0]
        for role in Role
    }
    store.close()
    settings = Settings(
        store=StoreSettings(database_url=None, gpkg_path=tmp / "geo.gpkg"),
        layers=LayerSettings(township=None),
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    url = f"http://127.0.0.1:{port}"
    planner = {"Authorization": f"Bearer {keys[Role.PLANNER]}"}
    code = str(layers.cameras["code"].iloc[0])
    address = f"{url}/api/v1/layers/cameras/{quote(code, safe='')}"
    feature = httpx.get(address, headers=planner, timeout=TIMEOUT)
    assert feature.status_code == 200, feature.text
    body = feature.json()
    body["properties"]["name"] = hostile("planted")
    planted = httpx.put(address, json=body, headers=planner, timeout=TIMEOUT)
    assert planted.status_code == 200, planted.text
    yield Served(url, keys, app, tmp / "geo.gpkg")
    server.should_exit = True
    thread.join(timeout=10)


def html_routes(app: FastAPI, base: str) -> set[str]:
    """The paths of every GET route of ``app`` that answers HTML: API routes declaring an HTML
    response class, and other routes (FastAPI's documentation) asked over HTTP."""
    found: set[str] = set()
    for route in auth._api_routes(app):
        original = getattr(route, "original_route", route)
        if "GET" not in (route.methods or ()):
            continue
        kind = getattr(original.response_class, "value", original.response_class)
        if isinstance(kind, type) and issubclass(kind, HTMLResponse):
            found.add(route.path)
        # routes answering JSON or, asked with f=html, a page (OGC API – Features)
        ok = (getattr(original, "responses", None) or {}).get(200, {})
        if "text/html" in ok.get("content", {}):
            found.add(route.path)
    for other in app.routes:
        page = isinstance(other, Route) and not isinstance(other, APIRoute)
        if page and "GET" in (other.methods or ()) and "{" not in other.path:
            answer = httpx.get(base + other.path, timeout=TIMEOUT)
            if answer.headers.get("content-type", "").startswith("text/html"):
                found.add(other.path)
    return found


def test_every_html_page_is_listed(served: Served) -> None:
    """A page added later fails here until it is in PAGES (and so opened below)."""
    assert html_routes(served.app, served.url) == {p.route for p in PAGES}


def test_every_html_answer_carries_the_security_headers(served: Served) -> None:
    for page in PAGES:
        headers = {"Cookie": f"{COOKIE}={served.keys[page.key]}"} if page.key else {}
        answer = httpx.get(served.url + page.url, headers=headers, timeout=TIMEOUT)
        assert answer.headers["content-type"].startswith("text/html"), page
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "unsafe-eval" not in policy, page
        script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
        assert "'unsafe-inline'" not in script_src, page
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        embeddable = page.route == "/api/v1/coverage/{week}/map"
        assert ("frame-ancestors 'self'" if embeddable else "frame-ancestors 'none'") in policy
        assert answer.headers["x-frame-options"] == ("SAMEORIGIN" if embeddable else "DENY")


def open_page(browser, served: Served, page_spec: Page):  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if page_spec.key:
        context.add_cookies(
            [
                {
                    "name": COOKIE,
                    "value": served.keys[page_spec.key],
                    "url": served.url,
                    "httpOnly": True,
                    "sameSite": "Strict",
                }
            ]
        )
    context.add_init_script(WATCH)
    page = context.new_page()
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "console": []}

    def dialog(d):  # type: ignore[no-untyped-def]
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)

    def route(r):  # type: ignore[no-untyped-def]
        url = r.request.url
        if url.startswith(served.url):
            r.continue_()
        elif url.startswith("https://cdn.jsdelivr.net/") and url.endswith(".js"):
            r.fulfill(status=200, content_type="text/javascript", body=CDN_STUB)
        elif url.startswith("https://cdn.jsdelivr.net/"):
            r.fulfill(status=200, content_type="text/css", body="")
        else:
            r.abort()  # tiles, fonts, icons: the network is closed

    page.route("**/*", route)
    page.goto(served.url + page_spec.url)
    page.wait_for_load_state("load")
    return page, seen


def assert_safe(page, seen: dict[str, list[str]], page_spec: Page) -> None:  # type: ignore[no-untyped-def]
    """No dialog, nothing injected, no policy violation; no error but failed loads."""
    page.wait_for_timeout(300)
    frames = [page.main_frame, *page.main_frame.child_frames]
    for frame in frames:
        assert frame.evaluate(INJECTED) == [], (page_spec, frame.url)
        assert frame.evaluate("() => window.__violations") == [], (page_spec, frame.url)
    assert seen["dialogs"] == [], page_spec
    console = [m for m in seen["console"] if "net::" not in m and "Failed to load" not in m]
    assert console == [], page_spec
    if not page_spec.opener_needed:
        assert seen["errors"] == [], page_spec


@pytest.mark.parametrize("page_spec", PAGES, ids=lambda p: p.url[:40])
def test_no_page_runs_hostile_text(browser, served: Served, page_spec: Page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page, seen = open_page(browser, served, page_spec)
    if page_spec.route == "/" and page_spec.key is Role.ADMIN:
        page.wait_for_selector("#villages tbody tr")
        page.frame_locator("#map").locator("path.leaflet-interactive").first.wait_for()
        assert page_spec.text in page.locator("#villages").inner_text()
        assert page_spec.text in page.locator("#gaps").inner_text()
        assert page.locator("h1").inner_text().count(HOSTILE) == 1  # the township's name
    if page_spec.route.endswith("/map"):
        page.wait_for_selector("path.leaflet-interactive")
        assert page.locator("path.leaflet-interactive").count() > 50
        # The layer control names the hostile squads as text.
        assert (
            HOSTILE.replace("</script>", "<script>")
            in page.locator(".leaflet-control-layers").inner_text()
        )
        village = page.locator("path.leaflet-interactive").first
        village.hover(force=True)
        page.wait_for_selector(".leaflet-tooltip")
        assert HOSTILE in page.locator(".leaflet-tooltip").inner_text()
        village.click(force=True)
        page.wait_for_selector(".leaflet-popup-content")
        assert HOSTILE in page.locator(".leaflet-popup-content").inner_text()
        page.get_by_text("巡逻热力 Patrol heat").click()  # every overlay on
        page.get_by_text("未覆盖区域 Area gaps").click()
        # The measuring tool builds its panels from templates (compiled ahead: no eval).
        page.locator(".leaflet-control-measure").hover()
        page.locator(".leaflet-control-measure .js-start").click()
        page.mouse.click(500, 500)
        page.mouse.click(560, 520)
        assert page.locator(".leaflet-control-measure .js-results").inner_text().strip()
    if "/county" in page_spec.url or "county=true" in page_spec.url:
        page.wait_for_selector("#county tbody tr")
        assert page.locator("#county tbody").inner_text().count(HOSTILE) == 1  # the township
    elif "/reports/" in page_spec.url:
        page.wait_for_selector("#verdicts tbody tr")
        assert page_spec.text in page.locator("#verdicts").inner_text()
        assert page_spec.text in page.locator("#cameras-offline").inner_text()
    if page_spec.route == "/patrol":
        page.wait_for_selector("#checkpoints li")  # drawn with the map, from one answer
        assert page.locator("path.leaflet-interactive").count() > 3
        assert page_spec.text in page.locator("#checkpoints").inner_text()
        assert HOSTILE.replace("</script>", "<script>") in page.locator("#who").inner_text()
    elif page_spec.route == "/signin" or page_spec.key is Role.PATROL:
        assert page.locator("#key").count() == 1
        link = page.locator("#lang-switch").get_attribute("href") or ""
        assert link.startswith("/signin?")
    assert_safe(page, seen, page_spec)
    page.context.close()


def test_another_port_of_the_host_cannot_upload_with_the_cookie(
    browser,  # noqa: F811
    served: Served,
    demo_layers: TownshipLayers,
) -> None:  # type: ignore[no-untyped-def]
    """The attack of issue 10: a page on another port auto-submits a text/plain form holding a
    GPX to the upload route; the browser, signed in as admin, sends its cookie (same site)."""
    before = httpx.get(
        served.url + "/api/v1/tracks",
        headers={"Authorization": f"Bearer {served.keys[Role.ADMIN]}"},
        timeout=TIMEOUT,
    ).json()
    squad = str(hostile_layers(demo_layers).villages["squad"].iloc[0])
    gpx = (
        '<gpx version="1.1"><trk><trkseg>'
        '<trkpt lat="28.15" lon="109.90"><time>2026-11-18T01:00:00Z</time></trkpt>'
        '<trkpt lat="28.151" lon="109.901"><time>2026-11-18T01:01:00Z</time></trkpt>'
        "</trkseg></trk></gpx>"
    )
    evil = f"http://127.0.0.1:{free_port()}"
    target = f"{served.url}/api/v1/tracks?squad={quote(squad)}&filename=csrf.gpx"
    attack = (
        f'<form id="f" method="post" enctype="text/plain" action="{target}">'
        f"<input name='{gpx[:20]}' value='{gpx[20:]}'></form>"
        "<script>document.getElementById('f').submit();</script>"
    )
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": COOKIE,
                "value": served.keys[Role.ADMIN],
                "url": served.url,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    page = context.new_page()
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "/api/v1/tracks" in r.url else None)

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith(evil):
            r.fulfill(status=200, content_type="text/html", body=attack)
        else:
            r.continue_()

    page.route("**/*", route)
    page.goto(evil + "/attack.html")
    page.wait_for_url(f"{served.url}/api/v1/tracks**")
    context.close()
    assert answers == [403]
    after = httpx.get(
        served.url + "/api/v1/tracks",
        headers={"Authorization": f"Bearer {served.keys[Role.ADMIN]}"},
        timeout=TIMEOUT,
    ).json()
    assert after == before
