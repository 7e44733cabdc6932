"""The patrol page ``/patrol`` (an installable web app for squads' phones), its service worker,
manifest and icons, and ``GET /api/v1/patrol``, the squad's day and week it draws.

The page and its files are the same for everyone and need no key (the service worker keeps
them for offline visits); the page signs in through ``POST /signin`` and reads its data from
``/api/v1/patrol`` with the sign-in cookie. See docs/phones.md, "The patrol page".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from geo import operations
from geo.api.auth import READERS, require
from geo.api.dependencies import StoreDep, TownshipDep
from geo.api.routers.coverage import PROBLEMS
from geo.coverage.patrol_view import PatrolView
from geo.i18n import pick_lang
from geo.keys import Principal, Role
from geo.outputs import patrol_page as page

#: The page and its files (no key: the page signs in itself).
pages = APIRouter(include_in_schema=False)
#: The page's data: a patrol key its own squad, leaders, planners and admins any squad.
router = APIRouter(tags=["patrol"], responses=PROBLEMS)
ViewReader = Annotated[Principal, Depends(require(Role.PATROL, *READERS))]
#: The page and its worker are checked for a new version on every visit (the worker answers
#: from its cache at once, so a phone without network still opens the page).
NO_CACHE = {"Cache-Control": "no-cache"}


@pages.get("/patrol", response_class=HTMLResponse)
def patrol(
    lang: Annotated[str | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The patrol page."""
    rendered = page.patrol_page(pick_lang(lang, accept_language))
    return HTMLResponse(
        rendered.html,
        headers={
            **NO_CACHE,
            "Content-Security-Policy": rendered.policy,
            "Permissions-Policy": page.PERMISSIONS,
        },
    )


@pages.get("/patrol-sw.js")
def service_worker() -> Response:
    """The page's service worker."""
    return Response(page.service_worker(), media_type="text/javascript", headers=NO_CACHE)


@pages.get("/patrol.webmanifest")
def manifest(accept_language: Annotated[str | None, Header()] = None) -> Response:
    """The web app manifest (installable)."""
    return Response(
        page.manifest_json(pick_lang(None, accept_language)),
        media_type="application/manifest+json",
    )


@pages.get("/patrol-icon.svg")
def icon_svg() -> Response:
    """The app's icon (SVG)."""
    return Response(page.icon_svg(), media_type="image/svg+xml")


@pages.get("/patrol-icon-192.png")
def icon_192() -> Response:
    """The app's icon, 192 px."""
    return Response(page.icon_png(192), media_type="image/png")


@pages.get("/patrol-icon-512.png")
def icon_512() -> Response:
    """The app's icon, 512 px."""
    return Response(page.icon_png(512), media_type="image/png")


#: The demo township's squad-01 on a morning (geometries shortened).
PATROL_EXAMPLE: dict[str, Any] = {
    "township": "433122207",
    "township_name": "小章乡",
    "township_name_en": "Xiaozhang Township",
    "time_zone": "Asia/Shanghai",
    "squad": "squad-01",
    "squads": ["squad-01"],
    "day": "2026-12-01",
    "week": "2026-W49",
    "bounds": [109.879803, 28.134953, 109.921616, 28.168574],
    "villages": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[109.88, 28.14], [109.92, 28.14], [109.9, 28.16], [109.88, 28.14]]
                    ],
                },
                "properties": {"code": "433122207201", "name": "小章村", "name_en": "Xiaozhang"},
            }
        ],
    },
    "road_gaps": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[109.89, 28.15], [109.9, 28.15]],
                },
                "properties": {"kind": "road", "village_code": "433122207201", "length_m": 980.2},
            }
        ],
    },
    "checkpoints": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [109.906887, 28.150152]},
                "properties": {
                    "code": "CP-01",
                    "name": "小章中心小学",
                    "village_code": "433122207201",
                    "mandatory": True,
                    "visited": False,
                },
            }
        ],
    },
    "today_track": {"type": "FeatureCollection", "features": []},
    "today": {
        "squad": "squad-01",
        "village_code": "433122207201",
        "status": "fail",
        "minutes": 42.5,
        "distance_km": 3.1,
        "minutes_in_own_village": 42.5,
        "villages_entered": ["433122207201"],
    },
    "role": "patrol",
}


class PatrolAnswer(PatrolView):
    """The squad's day and week, and the caller's role (what the page offers)."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [PATROL_EXAMPLE]})

    role: str = Field(description="The caller's key's role", examples=["patrol"])


@router.get(
    "/api/v1/patrol",
    response_model=PatrolAnswer,
    summary="A squad's day and week for the patrol page",
    response_description="The squad's villages, today's track and patrol, the roads not yet "
    "covered this week and its checkpoints (GeoJSON, WGS-84)",
)
async def patrol_view(
    principal: ViewReader,
    township: TownshipDep,
    store: StoreDep,
    squad: Annotated[
        str | None,
        Query(
            description="The squad (a patrol key: its own, the default; others: the first "
            "village squad by default).",
            examples=["squad-01"],
            max_length=200,
        ),
    ] = None,
) -> PatrolAnswer:
    """What the patrol page draws for one squad today (the township's time zone): its
    villages, today's track segments and daily verdict so far, the roads of its villages not
    yet covered this week (the week's road gaps) and its checkpoints with whether each was
    visited this week."""
    layers = township.layers
    if principal.role is Role.PATROL:
        squad = squad or principal.squad or ""
        principal.check_scope(township.code, squad)
        squads = [squad]
    else:
        squads = layers.squads()
        village_squads = [str(s) for s in layers.villages["squad"] if s]
        squad = squad or (village_squads[0] if village_squads else squads[0])
    chosen = squad
    view = await run_in_threadpool(
        lambda: operations.patrol_view(store, township.code, chosen, squads=squads, layers=layers)
    )
    return PatrolAnswer(**view.model_dump(), role=principal.role.value)
