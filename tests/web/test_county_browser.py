"""The county view in headless Chromium, served by a real server, network closed: the grid of
townships × weeks, a cell opening that township's dashboard for that week (whose week links
keep the township), the language switch, and a township key sent to its own dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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
EAST, WEST = "433122901", "433122902"


@dataclass(frozen=True)
class Served:
    url: str
    county_key: str
    east_key: str


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    county_layers: list[TownshipLayers],
    simulated_stores: SimulatedStores,
) -> Iterator[Served]:
    """Two townships of the county sample with a simulated week each, a county leader's key
    and a leader key of township 433122901."""
    tmp = tmp_path_factory.mktemp("county-web")
    store = simulated_stores.copy(tmp / "geo.gpkg", county_layers[:2], [WEEK])
    county_key, _ = access.create_key(store, role=Role.LEADER, name="county leader")
    east_key, _ = access.create_key(store, role=Role.LEADER, name="east leader", township=EAST)
    settings = Settings(
        store=StoreSettings(database_url=None, gpkg_path=tmp / "geo.gpkg"),
        layers=LayerSettings(township=None),
    )
    with serve_app(settings) as url:
        yield Served(url, county_key, east_key)


def signed_in(browser, served: Served, key: str, lang: str = "zh-CN"):  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": COOKIE, "value": key, "url": served.url, "httpOnly": True, "sameSite": "Strict"}]
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(served.url) else r.abort()
    )
    return page, problems


def test_the_county_grid_opens_a_townships_week(browser, served: Served) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page, problems = signed_in(browser, served, served.county_key)
    # The dashboard of a county key, naming no township, is the county view.
    page.goto(served.url + "/")
    page.wait_for_selector("#county tbody tr")
    assert "/county" in page.url
    page.goto(served.url + "/county?weeks=2026-W46..2026-W47")
    page.wait_for_selector("#county tbody tr")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "county.png"))
    assert "全县巡查覆盖" in page.locator("h1").inner_text()
    rows = page.locator("#county tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-township") == EAST
    west = page.locator(f'#county tr[data-township="{WEST}"]')
    assert "示例西乡" in west.inner_text() and "EPSG:4545" in west.inner_text()
    assert "无数据" in west.locator('td[data-week="2026-W46"]').inner_text()
    cell = west.locator('td[data-week="2026-W47"]')
    assert cell.get_attribute("class") in ("cell pass", "cell fail")
    assert "/7" in cell.inner_text()
    # Drill down: West's dashboard for that week.
    cell.locator("a").click()
    page.wait_for_selector("#villages tbody tr")
    assert f"township={WEST}" in page.url and "week=2026-W47" in page.url
    assert "示例西乡" in page.locator("h1").inner_text()
    assert page.locator("#villages tbody tr").count() == 7
    assert "西" in page.locator("#villages tbody tr").first.inner_text()
    # Its week links keep the township (a store of two townships would otherwise not know).
    page.locator("header a", has_text="下一周").click()
    page.wait_for_selector("#villages tbody tr")
    assert f"township={WEST}" in page.url and "week=2026-W48" in page.url
    page.locator("#county-link").click()
    page.wait_for_selector("#county tbody tr")
    assert [p for p in problems if "net::" not in p] == []
    page.context.close()


def test_the_county_view_in_english_and_its_week_spans(browser, served: Served) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page, _ = signed_in(browser, served, served.county_key)
    page.goto(served.url + "/county?weeks=2026-W46..2026-W47")
    page.wait_for_selector("#county tbody tr")
    page.locator("#lang-switch").click()
    page.wait_for_selector("#county tbody tr")
    assert "County patrol coverage" in page.locator("h1").inner_text()
    assert "Sample West Township" in page.locator("#county").inner_text()
    page.locator("#earlier").click()
    page.wait_for_selector("#county thead th")
    headers = page.locator("#county thead th").all_inner_texts()
    assert headers[1:3] == ["2026-W44", "2026-W45"]
    page.context.close()


def test_a_township_key_is_sent_to_its_own_dashboard(browser, served: Served) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page, _ = signed_in(browser, served, served.east_key)
    page.goto(served.url + "/county")
    page.wait_for_selector("#villages tbody tr")
    assert f"township={EAST}" in page.url
    assert "示例东乡" in page.locator("h1").inner_text()
    assert page.locator("#county-link").count() == 0
    page.goto(served.url + f"/?township={WEST}&week=2026-W47")
    assert "示例西乡" not in page.content()
    page.context.close()
