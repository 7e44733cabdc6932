"""What the printable pages (the monthly report, a squad's plan sheet) share: their language and
format parameters, their documented answers, and the answer itself (HTML, or the same page
printed to an A4 PDF in a worker thread)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Header, Query
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from geo.api.auth import PAGE_AUTH_RESPONSES
from geo.api.openapi import problem_responses
from geo.outputs.monthly_report import monthly_report_pdf

PageLang = Annotated[
    Literal["zh", "en"] | None,
    Query(
        description="Language; Chinese by default (or the browser's language).",
        examples=["en"],
    ),
]
PageFormat = Annotated[
    Literal["html", "pdf"],
    Query(alias="format", description="html (default) or pdf (A4).", examples=["pdf"]),
]
AcceptLanguage = Annotated[str | None, Header(include_in_schema=False)]


def printable_responses(what: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of a printable page: ``what`` as HTML or PDF, 501 when PDF printing
    is not installed, and the page's sign-in answers."""
    return {
        200: {
            "description": f"{what}: a self-contained HTML page that prints on A4, or a PDF "
            "with `?format=pdf`.",
            "content": {
                "text/html": {"example": '<!doctype html><html lang="zh-CN">...</html>'},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problem_responses(501),
        **PAGE_AUTH_RESPONSES,
    }


async def printable_answer(html: str, fmt: Literal["html", "pdf"], pdf_name: str) -> Response:
    """The page as HTML, or printed to PDF (named ``pdf_name``, shown inline)."""
    if fmt == "html":
        return HTMLResponse(html)
    pdf = await run_in_threadpool(monthly_report_pdf, html)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf_name}"'},
    )
