"""The leaders' dashboard at ``/``: the week's verdicts, the ranked gaps and the map.

Server-rendered with Jinja2 (autoescaped), no build step, no external assets; Chinese by
default, English by ``?lang=en`` or the browser's language. The view model and the page are
built below the route (:func:`geo.operations.dashboard_view`, :mod:`geo.outputs.dashboard`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from geo import operations
from geo.api.auth import READERS, require
from geo.api.dependencies import LayersCacheDep, SettingsDep, StoreDep, get_township
from geo.i18n import pick_lang
from geo.keys import Principal, Role
from geo.outputs.dashboard import dashboard_page
from geo.weeks import IsoWeek

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    principal: Annotated[Principal, Depends(require(*READERS, page=True))],
    store: StoreDep,
    settings: SettingsDep,
    cache: LayersCacheDep,
    township: Annotated[str | None, Query()] = None,
    week: Annotated[str | None, Query()] = None,
    lang: Annotated[str | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """The dashboard page. A county key of a store holding several townships, naming none,
    is sent to the county view (``/county``)."""
    chosen = pick_lang(lang, accept_language)
    several = len(store.townships()) > 1
    if township is None and principal.county and several and not settings.layers.township:
        return RedirectResponse(f"/county?{urlencode({'lang': chosen})}", status_code=303)
    context = get_township(request, store, settings, cache, township)
    view = operations.dashboard_view(
        context.store,
        context.code,
        IsoWeek.parse(week) if week else None,
        chosen,
        layers=context.layers,
        devices=principal.role is Role.ADMIN,
        county_link=principal.county and several,
    )
    # The map frame keeps the township the page was asked for.
    map_query = urlencode(
        {"collapsed": "true", **({"township": context.code} if context.requested else {})}
    )
    page = dashboard_page(view, map_query=map_query)
    return HTMLResponse(page.html, headers={"Content-Security-Policy": page.policy})
