"""The dispatch routes on both stores: the week's plan, a day as GPX, camera suggestions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import gpxpy
import pytest
from fastapi.testclient import TestClient

from geo import access, operations
from geo.api.app import create_app
from geo.dispatch.cameras import CameraSuggestions
from geo.dispatch.plan import PatrolPlan
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.store import Store
from geo.weeks import IsoWeek
from tests.api.simulated_stores import simulated_store

WEEK = IsoWeek.parse("2026-W47")


@dataclass
class Served:
    client: TestClient
    store: Store
    headers: dict[Role, dict[str, str]]


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
) -> Iterator[Served]:
    """A store holding the simulated demo week 2026-W47, served, with a key of each role (the
    patrol key of squad-06)."""
    tmp = tmp_path_factory.mktemp("plan-api")
    store = simulated_store(request, tmp, demo_layers, [WEEK])
    url = getattr(store, "url", None)
    gpkg = tmp / "geo.gpkg"
    settings = Settings(
        store=StoreSettings(database_url=url, gpkg_path=gpkg), layers=LayerSettings(township=None)
    )
    # The week's result stored (as `geo coverage` leaves it): every plan reads the same one.
    operations.week_coverage(store, "433122207", WEEK)
    headers = {}
    for role in Role:
        squad = "squad-06" if role is Role.PATROL else None
        token, _ = access.create_key(store, role=role, name=role.value, squad=squad)
        headers[role] = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        yield Served(client, store, headers)
    store.close()


def test_the_plan_is_the_operations_plan(served: Served) -> None:
    response = served.client.get("/api/v1/plan/2026-W48", headers=served.headers[Role.LEADER])
    assert response.status_code == 200, response.text
    body = response.json()
    plan = PatrolPlan.model_validate(body)
    assert plan.week == "2026-W48" and plan.based_on[-1] == "2026-W47"
    assert {s.squad for s in plan.squads} == {f"squad-0{n}" for n in range(1, 8)}
    expected = operations.patrol_plan(served.store, "433122207", IsoWeek.parse("2026-W48"))
    assert body == expected.model_dump(mode="json")
    waca = next(v for v in plan.villages if v.name == "瓦槽村")
    assert waca.planned is not None and waca.last_week is not None
    assert waca.planned > waca.last_week


def test_a_patrol_key_gets_its_own_squads_plan(served: Served) -> None:
    patrol = served.headers[Role.PATROL]
    own = served.client.get("/api/v1/plan/2026-W48", headers=patrol)
    assert own.status_code == 200, own.text
    assert [s["squad"] for s in own.json()["squads"]] == ["squad-06"]
    other = served.client.get("/api/v1/plan/2026-W48?squad=squad-02", headers=patrol)
    assert other.status_code == 403 and "belongs to squad-06" in other.json()["detail"]
    gpx = served.client.get("/api/v1/plan/2026-W48/squad-02/1.gpx", headers=patrol)
    assert gpx.status_code == 403


def test_a_planned_day_as_gpx(served: Served) -> None:
    planner = served.headers[Role.PLANNER]
    response = served.client.get("/api/v1/plan/2026-W48/squad-06/1.gpx", headers=planner)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/gpx+xml")
    assert 'filename="squad-06_2026-W48_day1.gpx"' in response.headers["content-disposition"]
    gpx = gpxpy.parse(response.text)
    names = [w.name for w in gpx.waypoints]
    assert names[0] == "瓦槽村村部" and "瓦槽村小学" in names  # base, then the missed school
    assert len(gpx.tracks[0].segments[0].points) > 10
    missing = served.client.get("/api/v1/plan/2026-W48/squad-06/7.gpx", headers=planner)
    assert missing.status_code == 404, missing.text
    assert (
        served.client.get("/api/v1/plan/2026-W48/squad-06/8.gpx", headers=planner).status_code
        == 422
    )
    nobody = served.client.get("/api/v1/plan/2026-W48/squad-99/1.gpx", headers=planner)
    assert nobody.status_code == 404 and "squad-99" in nobody.json()["detail"]


def test_camera_suggestions(served: Served) -> None:
    leader = served.headers[Role.LEADER]
    village = "433122207206"
    response = served.client.get(
        f"/api/v1/cameras/suggestions?count=2&village={village}&week=2026-W47", headers=leader
    )
    assert response.status_code == 200, response.text
    found = CameraSuggestions.model_validate(response.json())
    assert [s.rank for s in found.sites] == [1, 2]
    assert {s.village_code for s in found.sites} == {village}
    assert found.uncovered_after_m2 < found.uncovered_m2
    assert found.settings.count == 2 and found.settings.village == village
    bad = served.client.get("/api/v1/cameras/suggestions?count=0", headers=leader)
    assert bad.status_code == 422
    nowhere = served.client.get("/api/v1/cameras/suggestions?village=nope", headers=leader)
    assert nowhere.status_code == 404
    patrol = served.client.get("/api/v1/cameras/suggestions", headers=served.headers[Role.PATROL])
    assert patrol.status_code == 403


def test_the_openapi_examples_are_valid_results() -> None:
    for model in (PatrolPlan, CameraSuggestions):
        example = model.model_json_schema()["examples"][0]
        assert model.model_validate(example).model_dump(mode="json") == example


def test_the_printable_sheet(served: Served) -> None:
    leader = served.headers[Role.LEADER]
    response = served.client.get("/api/v1/plan/2026-W48/squad-06/sheet", headers=leader)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" in response.headers["content-security-policy"]
    html = response.text
    assert "<script" not in html and 'http-equiv="Content-Security-Policy"' in html
    plan = operations.patrol_plan(
        served.store, "433122207", IsoWeek.parse("2026-W48"), squad="squad-06"
    )
    days = plan.squad("squad-06").days
    assert html.count('<section class="day">') == len(days) == html.count("<svg")
    assert "巡查计划单" in html and "瓦槽村小学" in html and "第 1 天" in html
    # The first day's sketch: the school numbered on it, the required roads in red.
    first = html[html.index('<section class="day">') :]
    first = first[: first.index("</section>")]
    assert first.count("<circle") == len(days[0].checkpoints) == 1
    assert first.count('class="required"') >= sum(p.kind == "gap" for p in days[0].pieces) > 0
    english = served.client.get("/api/v1/plan/2026-W48/squad-06/sheet?lang=en", headers=leader)
    assert "Patrol plan sheet" in english.text and "Day 1" in english.text
    patrol = served.headers[Role.PATROL]
    own = served.client.get("/api/v1/plan/2026-W48/squad-06/sheet", headers=patrol)
    assert own.status_code == 200
    other = served.client.get("/api/v1/plan/2026-W48/squad-02/sheet", headers=patrol)
    assert other.status_code == 403  # a page: the sign-in page says why
    assert other.headers["content-type"].startswith("text/html")
    assert "belongs to squad-06" in other.text


def test_the_sheet_as_pdf(served: Served) -> None:
    pytest.importorskip("weasyprint")
    response = served.client.get(
        "/api/v1/plan/2026-W48/squad-06/sheet?format=pdf", headers=served.headers[Role.PLANNER]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "433122207-2026-W48-squad-06-sheet.pdf" in response.headers["content-disposition"]


def test_the_dashboard_links_each_squad_to_next_weeks_sheet(served: Served) -> None:
    leader = served.headers[Role.LEADER]
    page = served.client.get("/?week=2026-W47", headers=leader)
    assert page.status_code == 200, page.text
    links = re.findall(r'class="plan-sheet" href="([^"]+)"', page.text)
    assert len(links) == 7
    wanted = "/api/v1/plan/2026-W48/squad-06/sheet?lang=zh"
    assert wanted in links
    sheet = served.client.get(wanted, headers=leader)
    assert sheet.status_code == 200 and "瓦槽村小学" in sheet.text
