"""Routes: health, the weekly table and its map, the daily view, the monthly review data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, PAGE_AUTH_RESPONSES, READERS, require
from geo.api.dependencies import (
    DayPath,
    MonthPath,
    SettingsDep,
    StoreDep,
    TownshipDep,
    WeekDep,
)
from geo.api.geojson import GeoJSONResponse
from geo.api.models import HealthModel
from geo.api.openapi import problem_responses
from geo.coverage.daily import DayCoverage
from geo.coverage.monthly import MonthReview
from geo.coverage.result import WeekCoverage
from geo.weeks import parse_day

router = APIRouter()
PROBLEMS: dict[int | str, dict[str, Any]] = {**AUTH_PROBLEMS, **problem_responses(404, 422, 503)}


@router.get(
    "/healthz",
    response_model=HealthModel,
    tags=["health"],
    summary="Liveness",
    response_description="The process is up",
)
def healthz() -> dict[str, str]:
    """The process is up (it does not look at the store; see /readyz)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=HealthModel,
    responses=problem_responses(503),
    tags=["health"],
    summary="Readiness",
    response_description="The store is reachable and current",
)
def readyz(store: StoreDep) -> dict[str, str]:
    """The store is reachable and its schema is current; 503 otherwise."""
    store.check()
    return {"status": "ready"}


@router.get(
    "/api/v1/coverage/{week}",
    response_model=WeekCoverage,
    responses=PROBLEMS,
    tags=["coverage"],
    dependencies=[Depends(require(*READERS))],
    summary="Weekly coverage table (周覆盖)",
    response_description="Each village's measures, verdict and reasons; the township's verdict",
)
def get_coverage(week: WeekDep, township: TownshipDep, store: StoreDep) -> WeekCoverage:
    """The weekly table (周覆盖): each village's measures, verdict and reasons, and the
    township's verdict. Computed on first request and again whenever its inputs change."""
    return operations.week_coverage(store, township.code, week, layers=township.layers)


@router.get(
    "/api/v1/coverage/daily/{day}",
    response_model=DayCoverage,
    responses=PROBLEMS,
    tags=["coverage"],
    dependencies=[Depends(require(*READERS))],
    summary="Daily view per squad (日巡查)",
    response_description="Each squad's minutes, km, villages entered and daily verdict",
)
def get_daily(
    day: DayPath,
    township: TownshipDep,
    store: StoreDep,
) -> DayCoverage:
    """The daily view (日巡查): per squad, minutes and km on patrol, villages entered, and
    whether it met the daily minimum inside its own village (``no_data`` without uploads)."""
    return operations.day_coverage(store, township.code, parse_day(day), layers=township.layers)


@router.get(
    "/api/v1/coverage/monthly/{month}",
    response_model=MonthReview,
    responses=PROBLEMS,
    tags=["coverage"],
    dependencies=[Depends(require(*READERS))],
    summary="Monthly review data (月调度)",
    response_description="Weekly verdicts per village, trends, persistent gaps, squad effort",
)
def get_monthly(
    month: MonthPath,
    township: TownshipDep,
    store: StoreDep,
) -> MonthReview:
    """The monthly review (月调度): each village's weekly verdicts and coverage trend, gaps
    that persisted two or more weeks, and each squad's effort over the month."""
    return operations.month_coverage(store, township.code, month, layers=township.layers)


@router.get(
    "/api/v1/coverage/{week}/map",
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "A self-contained Folium page (Leaflet inlined; tiles need a network)",
            "content": {"text/html": {"example": "<!DOCTYPE html><html><head>...</head></html>"}},
        },
        **PROBLEMS,
        **PAGE_AUTH_RESPONSES,
    },
    tags=["coverage"],
    dependencies=[Depends(require(*READERS, page=True))],
    summary="Weekly coverage map",
)
def get_coverage_map(
    week: WeekDep,
    township: TownshipDep,
    store: StoreDep,
    settings: SettingsDep,
    collapsed: Annotated[
        bool, Query(description="Fold the layer list into a button.", examples=[True])
    ] = False,
    suggest_cameras: Annotated[
        int,
        Query(
            ge=0,
            le=20,
            description="Also draw this many suggested camera sites over the week's area "
            "gaps, each with the area it adds (0: none).",
            examples=[3],
        ),
    ] = 0,
) -> HTMLResponse:
    """The week's coverage map (Folium HTML): villages by verdict, gaps, tracks, cameras,
    and on request the suggested camera sites. It is a page: without a valid key it sends the
    browser to ``/signin`` (303)."""
    page = operations.week_map(
        store,
        township.code,
        week,
        tianditu_key=settings.output.tianditu_key,
        collapsed_control=collapsed,
        layers=township.layers,
        suggest_cameras=suggest_cameras,
    )
    return HTMLResponse(page.html, headers={"Content-Security-Policy": page.policy})


#: Two of the demo township's gaps in 2026-W47 (geometries shortened).
GAPS_EXAMPLE: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "2026-W47-1",
            "properties": {
                "week": "2026-W47",
                "kind": "area",
                "rank": 1,
                "village_code": "433122207202",
                "area_m2": 11468841.9,
                "length_m": 0.0,
                "road_length_m": 13471.9,
                "checkpoints": 3,
                "distance_to_road_m": 0.0,
                "last_covered": None,
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [109.8421332, 28.1520187],
                        [109.8408454, 28.1529571],
                        [109.8406513, 28.1566986],
                        [109.8424623, 28.1644372],
                        [109.8540911, 28.1601203],
                        [109.8421332, 28.1520187],
                    ]
                ],
            },
        },
        {
            "type": "Feature",
            "id": "2026-W47-2",
            "properties": {
                "week": "2026-W47",
                "kind": "road",
                "rank": 2,
                "village_code": "433122207202",
                "area_m2": 0.0,
                "length_m": 4762.8,
                "road_length_m": 4762.8,
                "checkpoints": 1,
                "distance_to_road_m": 0.0,
                "last_covered": "2026-11-06",
            },
            "geometry": {
                "type": "LineString",
                "coordinates": [[109.8642126, 28.1650462], [109.8668301, 28.1712054]],
            },
        },
    ],
}


@router.get(
    "/api/v1/coverage/{week}/gaps",
    response_class=GeoJSONResponse,
    responses={
        **PROBLEMS,
        200: {
            "description": "The ranked gaps (RFC 7946 FeatureCollection, WGS-84).",
            "content": {"application/geo+json": {"example": GAPS_EXAMPLE}},
        },
    },
    tags=["coverage"],
    dependencies=[Depends(require(*READERS))],
    summary="Weekly coverage gaps (GeoJSON)",
)
def get_coverage_gaps(week: WeekDep, township: TownshipDep, store: StoreDep) -> GeoJSONResponse:
    """The week's gaps, ranked for leaders (uncovered road length and missed checkpoints
    first, then area): area gaps with their area, village, distance to the nearest road and
    the last date a patrol covered them; road gaps with their length."""
    result = operations.week_coverage(store, township.code, week, layers=township.layers)
    return GeoJSONResponse(result.gaps_geojson().model_dump(mode="json"))
