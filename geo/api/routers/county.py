"""The county view (县级总览): every township × a span of weeks, as JSON for programs
(``/api/v1/county``) and as a page for county leaders (``/county``). County keys only: a key
made for one township is refused (403); it reads its own township's dashboard instead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, READERS, require
from geo.api.dependencies import LayersCache, LayersCacheDep, StoreDep
from geo.api.openapi import problem_responses
from geo.coverage.county import CountyCoverage, parse_weeks
from geo.i18n import pick_lang
from geo.keys import Principal
from geo.outputs.county_page import county_page
from geo.store import Store

router = APIRouter(tags=["coverage"])
page_router = APIRouter(include_in_schema=False)
PROBLEMS: dict[int | str, dict[str, Any]] = {**AUTH_PROBLEMS, **problem_responses(404, 422, 503)}

WeeksQuery = Annotated[
    str | None,
    Query(
        max_length=400,
        description="ISO weeks: one (2026-W47), a span (2026-W44..2026-W47) or a comma list; "
        "at most 53. Default: the last 4 complete weeks.",
        examples=["2026-W44..2026-W47"],
    ),
]


def _county(store: Store, cache: LayersCache, weeks: str | None) -> CountyCoverage:
    return operations.county_coverage(
        store,
        parse_weeks(weeks) if weeks else None,
        now=datetime.now(UTC),
        load_layers=lambda code: cache.get(store, code),
    )


@router.get(
    "/api/v1/county",
    response_model=CountyCoverage,
    responses=PROBLEMS,
    summary="County view: townships × weeks (县级总览)",
    response_description="Each township's verdict and villages passed in each week",
)
async def get_county(
    principal: Annotated[Principal, Depends(require(*READERS))],
    store: StoreDep,
    cache: LayersCacheDep,
    weeks: WeeksQuery = None,
) -> CountyCoverage:
    """Every township of the store × the weeks asked for: each township-week's verdict
    (pass, fail, no_data) and villages passed of total, judged by the township's own rules,
    time zone and CRS, with the county's totals per week. For county keys (a key made for one
    township gets 403)."""
    principal.check_county("the county view")
    return await run_in_threadpool(_county, store, cache, weeks)


@page_router.get("/county", response_class=HTMLResponse)
async def county_dashboard(
    principal: Annotated[Principal, Depends(require(*READERS, page=True))],
    store: StoreDep,
    cache: LayersCacheDep,
    weeks: WeeksQuery = None,
    lang: Annotated[str | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """The county view page; each cell links to the township's dashboard for that week. A
    key of one township is sent to its township's dashboard."""
    chosen = pick_lang(lang, accept_language)
    if principal.township is not None:
        query = urlencode({"township": principal.township, "lang": chosen})
        return RedirectResponse(f"/?{query}", status_code=303)
    view = await run_in_threadpool(_county, store, cache, weeks)
    page = county_page(view, chosen)
    return HTMLResponse(page.html, headers={"Content-Security-Policy": page.policy})
