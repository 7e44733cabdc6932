"""Printable reports: the monthly review (月调度) as HTML or PDF."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, PAGE_AUTH_RESPONSES, READERS, require
from geo.api.dependencies import MonthPath, StoreDep, TownshipDep
from geo.api.openapi import problem_responses
from geo.api.routers.coverage import PROBLEMS
from geo.i18n import pick_lang
from geo.outputs.monthly_report import monthly_report_pdf, report_filename

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
    responses={
        200: {
            "description": "The report: a self-contained HTML page that prints on A4, or a PDF "
            "with `?format=pdf`.",
            "content": {
                "text/html": {"example": '<!doctype html><html lang="zh-CN">...</html>'},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **PROBLEMS,
        **problem_responses(501),
        **PAGE_AUTH_RESPONSES,
    },
)
async def get_monthly_report(
    month: MonthPath,
    township: TownshipDep,
    store: StoreDep,
    lang: Annotated[
        Literal["zh", "en"] | None,
        Query(
            description="Language; Chinese by default (or the browser's language).",
            examples=["en"],
        ),
    ] = None,
    fmt: Annotated[
        Literal["html", "pdf"],
        Query(alias="format", description="html (default) or pdf (A4).", examples=["pdf"]),
    ] = "html",
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The monthly review for the township's monthly meeting: a grid of villages by ISO week
    with each verdict, coverage trend charts per village, gaps that persisted two or more weeks,
    each squad's minutes, km and days, and the cameras not online. The page carries its own
    styles and charts (inline SVG, no scripts), so it works offline and prints well."""
    chosen = pick_lang(lang, accept_language)
    # In a worker thread: the layers (loaded once, on first use) and the month's weeks.
    html = await run_in_threadpool(
        lambda: operations.month_report(
            store, township.code, month, lang=chosen, layers=township.layers
        )
    )
    if fmt == "pdf":
        pdf = await run_in_threadpool(monthly_report_pdf, html)
        name = report_filename(township.code, month, pdf=True)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    return HTMLResponse(html)
