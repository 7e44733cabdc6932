"""Routes of dispatch (月调度): next week's patrol plan, a day's route as GPX, and where the
next cameras go. Each is one call to :mod:`geo.operations`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from geo import operations
from geo.api.auth import READERS, PageAccessDenied, require
from geo.api.dependencies import StoreDep, TownshipDep, WeekDep
from geo.api.printable import (
    AcceptLanguage,
    PageFormat,
    PageLang,
    printable_answer,
    printable_responses,
)
from geo.api.routers.coverage import PROBLEMS
from geo.dispatch.cameras import CameraSuggestions
from geo.dispatch.plan import PatrolPlan
from geo.errors import Forbidden
from geo.i18n import pick_lang
from geo.keys import Principal, Role
from geo.outputs.plan_sheet import sheet_filename
from geo.weeks import IsoWeek

router = APIRouter(tags=["dispatch"], responses=PROBLEMS)

#: A patrol key reads its own squad's plan; leaders, planners and admins every squad's.
PlanReader = Annotated[Principal, Depends(require(Role.PATROL, *READERS))]
#: The same, for the printable sheet (a page: a browser without a key is sent to sign in).
SheetReader = Annotated[Principal, Depends(require(Role.PATROL, *READERS, page=True))]
SquadPath = Annotated[
    str, Path(description="The squad, as in the villages layer.", examples=["squad-06"])
]
DayNumber = Annotated[int, Path(ge=1, le=7, description="Day of the plan, 1 to 7.", examples=[1])]


def _squad(principal: Principal, township: str, squad: str | None) -> str | None:
    """The squad a request plans: a patrol key's own (by default, and checked)."""
    if principal.role is Role.PATROL:
        squad = squad or principal.squad
        principal.check_scope(township, squad or "")
    return squad


@router.get(
    "/api/v1/plan/{week}",
    response_model=PatrolPlan,
    summary="Patrol plan of a week (月调度)",
    response_description="Per squad and day the route, its length and minutes, the pieces "
    "and checkpoints it covers, what could not be planned; per village the road coverage "
    "last week and if the plan is walked",
)
async def get_plan(
    week: WeekDep,
    township: TownshipDep,
    store: StoreDep,
    principal: PlanReader,
    squad: Annotated[
        str | None,
        Query(
            description="Only this squad (a patrol key: its own, the default).",
            examples=["squad-06"],
        ),
    ] = None,
) -> PatrolPlan:
    """The patrol plan of ``week``, made from the four weeks before it: for each squad and
    day a rural-postman route from its base over the roads it left uncovered (weighted by how
    many weeks they stayed so and by checkpoints near them), its missed mandatory checkpoints
    and its other roads, within its usual minutes. Routes are GeoJSON in WGS-84."""
    chosen = _squad(principal, township.code, squad)
    return await run_in_threadpool(
        lambda: operations.patrol_plan(
            store, township.code, week, squad=chosen, layers=township.layers
        )
    )


@router.get(
    "/api/v1/plan/{week}/{squad}/{day}.gpx",
    response_class=Response,
    summary="A planned day as GPX (for phone navigation)",
    responses={
        200: {
            "description": "GPX 1.1: the route as a track without times, the base and the "
            "checkpoints to visit as waypoints",
            "content": {
                "application/gpx+xml": {
                    "schema": {"type": "string"},
                    "example": '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" '
                    'creator="geo" xmlns="http://www.topografix.com/GPX/1/1">...</gpx>',
                }
            },
        }
    },
)
async def get_plan_gpx(
    week: WeekDep,
    squad: SquadPath,
    day: DayNumber,
    township: TownshipDep,
    store: StoreDep,
    principal: PlanReader,
) -> Response:
    """One squad's planned route of one day as GPX 1.1, for OsmAnd, Locus, 2bulu and other
    navigation apps; 404 when the plan has no such day for the squad."""
    _squad(principal, township.code, squad)
    gpx = await run_in_threadpool(
        lambda: operations.plan_day_gpx(
            store, township.code, week, squad, day, layers=township.layers
        )
    )
    name = f"{squad}_{week}_day{day}.gpx"
    return Response(
        gpx,
        media_type="application/gpx+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/api/v1/plan/{week}/{squad}/sheet",
    response_class=HTMLResponse,
    summary="A squad's printable plan sheet (A4)",
    responses=printable_responses("The sheet"),
)
async def get_plan_sheet(
    request: Request,
    week: WeekDep,
    squad: SquadPath,
    township: TownshipDep,
    store: StoreDep,
    principal: SheetReader,
    lang: PageLang = None,
    fmt: PageFormat = "html",
    accept_language: AcceptLanguage = None,
) -> Response:
    """One squad's week of the plan to print and carry: its base and usual effort, then each
    day's route as a sketch with the checkpoints to visit numbered on it, its length and
    minutes, the required roads and a line to sign; the required work left unplanned and the
    road coverage the plan would reach. No scripts; works offline."""
    try:
        _squad(principal, township.code, squad)
    except Forbidden as exc:  # a page: the sign-in page says why, as for a role not admitted
        query = f"?{request.url.query}" if request.url.query else ""
        raise PageAccessDenied(exc, request.url.path + query) from None
    chosen = pick_lang(lang, accept_language)
    html = await run_in_threadpool(
        lambda: operations.plan_sheet(
            store, township.code, week, squad, lang=chosen, layers=township.layers
        )
    )
    name = sheet_filename(township.code, str(week), squad, pdf=True)
    return await printable_answer(html, fmt, name)


@router.get(
    "/api/v1/cameras/suggestions",
    response_model=CameraSuggestions,
    dependencies=[Depends(require(*READERS))],
    summary="Where the next cameras go",
    response_description="The sites best first, each with its bearing and the area it adds; "
    "the uncovered area before and after them (m²)",
)
async def get_camera_suggestions(
    township: TownshipDep,
    store: StoreDep,
    count: Annotated[
        int, Query(ge=1, le=100, description="Sites to suggest (K).", examples=[3])
    ] = 3,
    village: Annotated[
        str | None,
        Query(description="Only this village's area and roads.", examples=["433122207206"]),
    ] = None,
    week: Annotated[
        str | None,
        Query(
            description="Place them over this ISO week's area gaps (default: the villages "
            "minus what the cameras online now see).",
            examples=["2026-W47"],
            pattern=r"^\d{4}-W\d{2}$",
        ),
    ] = None,
) -> CameraSuggestions:
    """K camera sites along the roads that add the most uncovered area (greedy maximal
    coverage with the cameras' sector model and range), best first."""
    iso = IsoWeek.parse(week) if week else None
    return await run_in_threadpool(
        lambda: operations.camera_suggestions(
            store, township.code, count=count, village=village, week=iso, layers=township.layers
        )
    )
