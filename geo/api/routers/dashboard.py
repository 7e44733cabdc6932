"""The leaders' dashboard at ``/``: the week's verdicts, the ranked gaps and the map.

Server-rendered with Jinja2 (autoescaped), no build step, no external assets; Chinese by
default, English by ``?lang=en`` or the browser's language.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import shapely
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from geo import operations
from geo.api.auth import READERS, require
from geo.api.dependencies import SettingsDep, StoreDep
from geo.i18n import pick_lang, texts
from geo.outputs import csp
from geo.outputs.templating import templates
from geo.weeks import IsoWeek

router = APIRouter(include_in_schema=False)
SHOWN_GAPS = 30
SCRIPT = Path(__file__).resolve().parents[2] / "templates" / "dashboard.js"


@cache
def _script() -> tuple[Markup, str]:
    """The page's one script (our own file, no data: it reads the page) and the policy
    allowing it by hash and the map's frame from this site."""
    code = SCRIPT.read_text(encoding="utf-8")
    return Markup(code), csp.policy([code], frames=True)


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(require(*READERS, page=True))])
def dashboard(
    store: StoreDep,
    settings: SettingsDep,
    week: Annotated[str | None, Query()] = None,
    lang: Annotated[str | None, Query()] = None,
    township: Annotated[str | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The dashboard page."""
    chosen = pick_lang(lang, accept_language)
    script, policy = _script()
    code = operations.resolve_township(store, township or settings.layers.township)
    layers = store.load_layers(code)
    iso = IsoWeek.parse(week) if week else IsoWeek.last_complete(datetime.now(UTC), layers.info.tz)
    result = operations.week_coverage(store, code, iso)
    names = dict(zip(layers.villages["code"], layers.villages["name"], strict=True))
    names_en = dict(zip(layers.villages["code"], layers.villages["name_en"], strict=True))
    gaps = [
        {
            **g.properties(),
            "village": (names if chosen == "zh" else names_en).get(g.village_code)
            or g.village_code,
            "bounds": json.dumps([round(v, 6) for v in shapely.bounds(g.geometry).tolist()]),
        }
        for g in result.gaps[:SHOWN_GAPS]
    ]
    page = (
        templates()
        .get_template("dashboard.html")
        .render(
            lang=chosen,
            t=texts(chosen),
            township=layers.info.name
            if chosen == "zh"
            else (layers.info.name_en or layers.info.name),
            map_query=urlencode({"collapsed": "true", **({"township": code} if township else {})}),
            week=str(iso),
            previous=str(iso.previous()),
            next=str(iso.next()),
            result=result.model_dump(mode="json"),
            gaps=gaps,
            script=script,
        )
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})
