"""The monthly review report in headless Chromium, network closed: it renders with no console
errors, the hostile village name is text, and printing (A4) keeps the verdict grid."""

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


@pytest.fixture(scope="module")
def report_file(
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
    simulated_stores: SimulatedStores,
) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("report")
    store = simulated_stores.copy(
        tmp / "geo.gpkg", hostile_layers(demo_layers), [IsoWeek(2026, 47)]
    )
    token, _ = access.create_key(store, role=Role.LEADER, name="browser test")
    store.close()
    settings = Settings(
        store=StoreSettings(database_url=None, gpkg_path=tmp / "geo.gpkg"),
        layers=LayerSettings(township=None),
    )
    with TestClient(create_app(settings)) as client:
        response = client.get(
            "/api/v1/reports/monthly/2026-11", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    path = tmp / "report.html"
    path.write_text(response.text, encoding="utf-8")
    yield path


def test_report_renders_and_prints(browser, report_file: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    problems: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    def route(r):  # type: ignore[no-untyped-def]
        requested.append(r.request.url)
        if r.request.url.startswith("file:") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(report_file.as_uri())
    page.wait_for_selector("#verdicts tbody tr")
    assert problems == []
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []
    assert page.locator("#verdicts tbody tr").count() == 7
    assert page.locator("#verdicts thead th.week").all_inner_texts()[0].startswith("W45")
    assert HOSTILE_NAME in page.locator("#verdicts").inner_text()
    assert page.evaluate("() => document.querySelectorAll('script').length") == 0
    charts = page.locator("svg.chart")
    assert charts.count() == 7 and charts.first.bounding_box()["width"] > 100  # type: ignore[index]
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "monthly-report.png"), full_page=True)

    page.emulate_media(media="print")
    grid = page.locator("#verdicts")
    assert grid.is_visible()
    box = grid.bounding_box()
    assert box is not None and box["width"] > 400
    assert page.locator("#verdicts tbody tr").count() == 7
    cells = page.locator("#verdicts td.cell.pass")
    assert cells.count() > 0
    colour = cells.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(232, 245, 233)"  # the verdict colour prints
    breaks = page.evaluate(
        "() => [...document.querySelectorAll('section.page')]"
        ".map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks == ["page", "page", "page"]
    page.screenshot(path=str(OUTPUT / "monthly-report-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-")
    page.close()
