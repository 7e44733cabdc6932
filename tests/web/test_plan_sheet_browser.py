"""The printable plan sheet in headless Chromium, network closed: it renders with no console
errors, the hostile village name is text, each day's sketch is drawn, and it prints on A4."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo import access
from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.weeks import IsoWeek
from tests.api.simulated_stores import HOSTILE_NAME, hostile_layers
from tests.conftest import SimulatedStores
from tests.web.test_map_browser import OUTPUT, browser  # noqa: F401 - the fixture

#: The squad of the village renamed to a script tag.
SQUAD = "squad-01"


@pytest.fixture(scope="module")
def sheet_file(
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
    simulated_stores: SimulatedStores,
) -> Iterator[tuple[Path, int]]:
    """The sheet of squad-01 for 2026-W48, and how many days its plan has."""
    tmp = tmp_path_factory.mktemp("sheet")
    store = simulated_stores.copy(
        tmp / "geo.gpkg", hostile_layers(demo_layers), [IsoWeek(2026, 47)]
    )
    token, _ = access.create_key(store, role=Role.PATROL, name="browser test", squad=SQUAD)
    store.close()
    settings = Settings(
        store=StoreSettings(database_url=None, gpkg_path=tmp / "geo.gpkg"),
        layers=LayerSettings(township=None),
    )
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings), headers=headers) as client:
        response = client.get(f"/api/v1/plan/2026-W48/{SQUAD}/sheet")
        plan = client.get("/api/v1/plan/2026-W48").json()
    assert response.status_code == 200, response.text
    assert [s["squad"] for s in plan["squads"]] == [SQUAD]
    path = tmp / "sheet.html"
    path.write_text(response.text, encoding="utf-8")
    yield path, len(plan["squads"][0]["days"])


def test_the_sheet_renders_and_prints(browser, sheet_file: tuple[Path, int]) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    path, days = sheet_file
    assert days >= 1
    page = browser.new_page(viewport={"width": 820, "height": 1200})
    problems: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    def route(r):  # type: ignore[no-untyped-def]
        requested.append(r.request.url)
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_selector("section.day")
    assert problems == []
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []
    assert page.evaluate("() => document.querySelectorAll('script').length") == 0
    assert HOSTILE_NAME in page.locator("#reach").inner_text()
    assert page.locator("section.day").count() == days
    sketches = page.locator("svg.sketch")
    assert sketches.count() == days
    box = sketches.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    # The route is drawn inside its sketch, with the base on it.
    assert page.locator("svg.sketch").first.locator("polyline").count() >= 1
    assert page.locator("svg.sketch").first.locator("rect.base").count() == 1
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "plan-sheet.png"), full_page=True)

    page.emulate_media(media="print")
    inside = page.evaluate(
        "() => [...document.querySelectorAll('section.day')]"
        ".map(s => getComputedStyle(s).breakInside)"
    )
    assert inside == ["avoid"] * days  # a day is not split over two pages
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-")
    page.close()
