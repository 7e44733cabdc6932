"""The leaders' dashboard at ``/``: the week's verdicts, the ranked gaps and the map.

Server-rendered with Jinja2 (autoescaped), no build step, no external assets; Chinese by
default, English by ``?lang=en`` or the browser's language. The view model and the page are
built below the route (:func:`geo.operations.dashboard_view`, :mod:`geo.outputs.dashboard`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse

from geo import operations
from geo.api.auth import READERS, require
from geo.api.dependencies import TownshipDep
from geo.i18n import pick_lang
from geo.keys import Principal, Role
from geo.outputs.dashboard import dashboard_page
from geo.weeks import IsoWeek

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(
    principal: Annotated[Principal, Depends(require(*READERS, page=True))],
    township: TownshipDep,
    week: Annotated[str | None, Query()] = None,
    lang: Annotated[str | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The dashboard page."""
    view = operations.dashboard_view(
        township.store,
        township.code,
        IsoWeek.parse(week) if week else None,
        pick_lang(lang, accept_language),
        layers=township.layers,
        devices=principal.role is Role.ADMIN,
    )
    # The map frame keeps the township the page was asked for.
    map_query = urlencode(
        {"collapsed": "true", **({"township": township.code} if township.requested else {})}
    )
    page = dashboard_page(view, map_query=map_query)
    return HTMLResponse(page.html, headers={"Content-Security-Policy": page.policy})
