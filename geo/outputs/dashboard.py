"""The leaders' dashboard page: its view model (the week's verdicts, the ranked gaps) and the
page rendered from it (template ``geo/templates/dashboard.html``, text in :mod:`geo.i18n`).

The route at ``/`` (:mod:`geo.api.routers.dashboard`) only translates the request into
:func:`geo.operations.dashboard_view` and this module's :func:`dashboard_page`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from markupsafe import Markup

from geo.coverage.result import WeekCoverage
from geo.devices import Device
from geo.i18n import Lang, texts
from geo.layers import TownshipLayers
from geo.outputs import csp
from geo.outputs.templating import templates
from geo.weeks import IsoWeek

#: The gaps listed on the page (the most urgent first); the map shows them all.
SHOWN_GAPS = 30
SCRIPT = Path(__file__).resolve().parents[1] / "templates" / "dashboard.js"


@dataclass(frozen=True)
class GapItem:
    """One gap in the dashboard's list: where, what, and the box the map zooms to."""

    village: str
    kind: str
    length_m: float
    area_m2: float
    last_covered: str | None
    #: ``[minx, miny, maxx, maxy]`` in WGS-84 as JSON (the button's ``data-bounds``).
    bounds: str


@dataclass(frozen=True)
class DeviceItem:
    """One phone in the admin's list: who, and when it last sent a fix (township time)."""

    public_id: str
    name: str
    squad: str
    last_fix: str | None
    battery: float | None
    revoked: bool


@dataclass(frozen=True)
class DashboardView:
    """What the dashboard shows for one township, week and language."""

    lang: Lang
    #: The township's name in the page's language.
    township: str
    week: str
    previous: str
    next: str
    #: The week's table as JSON (:class:`geo.coverage.result.WeekCoverage` dumped).
    result: dict[str, Any]
    gaps: list[GapItem]
    #: The township's phones (admins only; None for other roles).
    devices: list[DeviceItem] | None = None
    #: The township's code (kept in the page's links: a store may hold several townships).
    township_code: str = ""
    #: Whether the page links to the county view (a county key, several townships).
    county_link: bool = False


def dashboard_view(
    layers: TownshipLayers,
    result: WeekCoverage,
    week: IsoWeek,
    lang: Lang,
    devices: list[Device] | None = None,
    *,
    county_link: bool = False,
) -> DashboardView:
    """The dashboard's view model from the township's layers and the week's result.

    Parameters
    ----------
    layers
        The township's layers (its names and the villages' names).
    result
        The week's coverage.
    week
        The week shown (its neighbours are linked).
    lang
        ``"zh"`` or ``"en"``: the names shown.
    devices
        The township's phones, listed for admins (None: no list).
    county_link
        Link the county view (a county key of a store holding several townships).
    """
    column = "name" if lang == "zh" else "name_en"
    names = dict(zip(layers.villages["code"], layers.villages[column], strict=True))
    gaps = []
    for gap in result.gaps[:SHOWN_GAPS]:
        shown = gap.properties()
        gaps.append(
            GapItem(
                village=names.get(gap.village_code) or gap.village_code,
                kind=shown["kind"],
                length_m=shown["length_m"],
                area_m2=shown["area_m2"],
                last_covered=shown["last_covered"],
                bounds=json.dumps([round(v, 6) for v in shapely.bounds(gap.geometry).tolist()]),
            )
        )
    info = layers.info
    return DashboardView(
        lang=lang,
        township=info.name if lang == "zh" else (info.name_en or info.name),
        week=str(week),
        previous=str(week.previous()),
        next=str(week.next()),
        result=result.model_dump(mode="json"),
        gaps=gaps,
        devices=None if devices is None else [_device_item(d, layers) for d in devices],
        township_code=info.code,
        county_link=county_link,
    )


def _device_item(device: Device, layers: TownshipLayers) -> DeviceItem:
    last = device.last_fix_at
    return DeviceItem(
        public_id=device.public_id,
        name=device.name,
        squad=device.squad,
        last_fix=None if last is None else f"{last.astimezone(layers.info.tz):%Y-%m-%d %H:%M}",
        battery=device.last_battery,
        revoked=not device.active,
    )


@cache
def _script() -> tuple[Markup, str]:
    """The page's one script (our own file, no data: it reads the page) and the policy
    allowing it by hash and the map's frame from this site."""
    code = SCRIPT.read_text(encoding="utf-8")
    return Markup(code), csp.policy([code], frames=True)


@dataclass(frozen=True)
class DashboardPage:
    """The rendered page and the Content-Security-Policy to send with it."""

    html: str
    policy: str


def dashboard_page(view: DashboardView, *, map_query: str) -> DashboardPage:
    """Render the dashboard (autoescaped); ``map_query`` is the map frame's query string."""
    script, policy = _script()
    html = (
        templates()
        .get_template("dashboard.html")
        .render(
            **{f.name: getattr(view, f.name) for f in fields(view)},
            t=texts(view.lang),
            map_query=map_query,
            script=script,
        )
    )
    return DashboardPage(html=html, policy=policy)
