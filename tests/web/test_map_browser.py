"""The weekly map in headless Chromium with no network: our layers draw, nothing else fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo import operations
from geo.layers import TownshipLayers
from geo.outputs.weekly_map import map_html, weekly_map
from geo.weeks import IsoWeek
from tests.conftest import IN_CI, ROOT, SimulatedStores

CHROMIUM = os.environ.get("GEO_CHROMIUM", "/usr/bin/chromium")
OUTPUT = ROOT / "test-output"
WEEK = IsoWeek(2026, 47)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing in CI (make test installs it)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def week_map(
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
    simulated_stores: SimulatedStores,
) -> Path:
    tmp = tmp_path_factory.mktemp("map")
    store = simulated_stores.copy(tmp / "geo.gpkg", demo_layers, [WEEK])
    result = operations.week_coverage(store, "433122207", WEEK)
    start, end = WEEK.bounds(demo_layers.info.tz)
    html = map_html(weekly_map(demo_layers, result, store.week_tracks("433122207", start, end)))
    path = tmp / "week.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_map_file_is_self_contained_and_small(week_map: Path) -> None:
    html = week_map.read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in html and "code.jquery.com" not in html
    assert '<script src="http' not in html and '<link rel="stylesheet" href="http' not in html
    assert week_map.stat().st_size < 5_000_000


def test_map_draws_every_layer_offline(browser, week_map: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # Basemap tiles are the only thing allowed to come from outside; refuse them here.
    page.route("**/*", lambda r: r.abort() if r.request.url.startswith("http") else r.continue_())
    page.goto(week_map.as_uri())
    page.wait_for_selector(".leaflet-container")
    page.wait_for_timeout(500)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "weekly-map.png"))
    real_errors = [e for e in errors if "ERR_FAILED" not in e and "net::" not in e]
    assert real_errors == []
    assert page.locator("path.leaflet-interactive").count() > 50  # villages, gaps, tracks, sectors
    control = page.locator(".leaflet-control-layers").inner_text()
    for name in ("村庄结论 Villages", "未覆盖道路 Road gaps", "监控 Cameras", "乡界 Township"):
        assert name in control
    assert "2026-W47" in page.locator(".geo-legend").inner_text()
    assert page.locator(".leaflet-control-zoom-fullscreen").count() == 1
    assert page.locator(".leaflet-control-measure").count() == 1
    assert "巡逻热力 Patrol heat" in control
    page.get_by_text("巡逻热力 Patrol heat").click()
    page.wait_for_timeout(300)
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert [e for e in errors if "ERR_FAILED" not in e and "net::" not in e] == []
    page.close()


CAMERA_JS = """() => {
  const el = document.querySelector('.folium-map');
  const map = window[el.id];
  let found = null;
  map.eachLayer(l => { if (!found && l instanceof L.CircleMarker) { found = l; } });
  const p = found.getLatLng();
  return [p.lng, p.lat];
}"""


def test_amap_draws_overlays_at_gcj02_and_other_basemaps_do_not(browser, week_map: Path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from geo.ingest.chinacrs import wgs84_to_gcj02
    from geo.projection import to_metric

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.route("**/*", lambda r: r.abort() if r.request.url.startswith("http") else r.continue_())
    page.goto(week_map.as_uri())
    page.wait_for_selector(".leaflet-container")
    lon, lat = page.evaluate(CAMERA_JS)
    page.get_by_text("高德地图 Amap (GCJ-02)").click()
    page.wait_for_timeout(200)
    glon, glat = page.evaluate(CAMERA_JS)
    elon, elat = wgs84_to_gcj02(lon, lat)
    x, y = to_metric(
        np.array([glon, float(elon), lon]), np.array([glat, float(elat), lat]), "EPSG:4546"
    )
    assert np.hypot(x[0] - x[1], y[0] - y[1]) < 1.0  # where GCJ-02 puts it, within a metre
    assert 550 < np.hypot(x[0] - x[2], y[0] - y[2]) < 650  # about 600 m from WGS-84
    page.get_by_text("OpenStreetMap").click()
    page.wait_for_timeout(200)
    assert page.evaluate(CAMERA_JS) == [lon, lat]
    page.close()


SUGGESTED = 3


@pytest.fixture(scope="module")
def suggestions_map(
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
    simulated_stores: SimulatedStores,
) -> tuple[Path, list[float]]:
    """The week's map with suggested camera sites (``geo map --suggest-cameras``), and the
    area each site adds as the suggestions say."""
    tmp = tmp_path_factory.mktemp("suggest")
    store = simulated_stores.copy(tmp / "geo.gpkg", demo_layers, [WEEK])
    page = operations.week_map(store, "433122207", WEEK, suggest_cameras=SUGGESTED)
    found = operations.camera_suggestions(store, "433122207", count=SUGGESTED, week=WEEK)
    path = tmp / "suggest.html"
    path.write_text(page.html, encoding="utf-8")
    return path, [s.added_m2 for s in found.sites]


def test_suggested_cameras_are_markers_with_the_area_each_adds(  # type: ignore[no-untyped-def]
    browser, suggestions_map: tuple[Path, list[float]], week_map: Path
) -> None:
    path, added = suggestions_map
    assert len(added) == SUGGESTED and all(a > 0 for a in added)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.abort() if r.request.url.startswith("http") else r.continue_())
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-container")
    assert (
        "建议新增摄像头 Suggested cameras" in page.locator(".leaflet-control-layers").inner_text()
    )
    markers = page.locator("path.geo-suggested-camera")
    assert markers.count() == SUGGESTED
    assert page.locator("path.geo-suggested-camera-sector").count() == SUGGESTED
    assert "suggested camera" in page.locator(".geo-legend").inner_text()
    # Each marker's tooltip gives its rank and the area it adds, as the suggestions say.
    for rank, area in enumerate(added, start=1):
        markers.nth(rank - 1).dispatch_event("mouseover")
        tip = page.locator(".leaflet-tooltip").last.inner_text()
        assert f"#{rank}" in tip and f"adds {area:,.0f} m²" in tip, tip
    assert errors == []
    page.close()
    # Without the option the map has none.
    plain = browser.new_page()
    plain.route("**/*", lambda r: r.abort() if r.request.url.startswith("http") else r.continue_())
    plain.goto(week_map.as_uri())
    plain.wait_for_selector(".leaflet-container")
    assert plain.locator("path.geo-suggested-camera").count() == 0
    assert "suggested camera" not in plain.locator(".geo-legend").inner_text()
    plain.close()
