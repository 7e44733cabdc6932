"""Printable reports: the monthly review (月调度) as HTML or PDF."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, READERS, require
from geo.api.dependencies import MonthPath, StoreDep, TownshipOrCountyDep
from geo.api.printable import (
    AcceptLanguage,
    PageFormat,
    PageLang,
    printable_answer,
    printable_responses,
)
from geo.api.routers.coverage import PROBLEMS
from geo.i18n import pick_lang
from geo.outputs.monthly_report import report_filename

router = APIRouter(
    tags=["reports"],
    # An HTML page: a browser without a valid key is sent to the sign-in page.
    dependencies=[Depends(require(*READERS, page=True))],
    responses=AUTH_PROBLEMS,
)


@router.get(
    "/api/v1/reports/monthly/{month}",
    summary="Monthly review report (月调度)",
    response_class=HTMLResponse,
    responses={**PROBLEMS, **printable_responses("The report")},
)
async def get_monthly_report(
    month: MonthPath,
    township: TownshipOrCountyDep,
    store: StoreDep,
    lang: PageLang = None,
    fmt: PageFormat = "html",
    accept_language: AcceptLanguage = None,
) -> Response:
    """The monthly review for the township's monthly meeting: a grid of villages by ISO week
    with each verdict, coverage trend charts per village, gaps that persisted two or more weeks,
    each squad's minutes, km and days, and the cameras not online. The page carries its own
    styles and charts (inline SVG, no scripts), so it works offline and prints well.

    With ``county=true`` (county keys only), the county's report instead: every township by
    ISO week with its verdict and villages passed."""
    chosen = pick_lang(lang, accept_language)
    if township is None:
        html = await run_in_threadpool(lambda: operations.county_report(store, month, lang=chosen))
        return await printable_answer(html, fmt, report_filename("county", month, pdf=True))
    # In a worker thread: the layers (loaded once, on first use) and the month's weeks.
    html = await run_in_threadpool(
        lambda: operations.month_report(
            store, township.code, month, lang=chosen, layers=township.layers
        )
    )
    return await printable_answer(html, fmt, report_filename(township.code, month, pdf=True))
