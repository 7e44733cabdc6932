"""The county view (县级总览) as a page: townships × weeks, each cell the township's verdict and
villages passed, linking to that township's dashboard for that week; and the same grid as the
printable county monthly report (template ``geo/templates/county.html``, no scripts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geo.coverage.county import CountyCoverage
from geo.i18n import Lang, texts
from geo.outputs import csp
from geo.outputs.templating import templates
from geo.weeks import IsoWeek


@dataclass(frozen=True)
class CountyPage:
    """The rendered page and the Content-Security-Policy to send with it."""

    html: str
    policy: str


def _shifted(weeks: list[str], by: int) -> str:
    """The span of as many weeks as ``weeks``, moved ``by`` weeks (``2026-W41..2026-W44``)."""
    first, last = IsoWeek.parse(weeks[0]), IsoWeek.parse(weeks[-1])
    for _ in range(abs(by)):
        first, last = (first.next(), last.next()) if by > 0 else (first.previous(), last.previous())
    return f"{first}..{last}"


def county_page(view: CountyCoverage, lang: Lang) -> CountyPage:
    """The county view page for the dashboard (links to each township-week; no scripts)."""
    t = texts(lang)
    count = len(view.weeks)
    html = (
        templates()
        .get_template("county.html")
        .render(
            lang=lang,
            t=t,
            title=t["county_title"],
            month=None,
            printable=False,
            meta_policy=None,
            weeks=view.weeks,
            townships=view.townships,
            totals=view.totals,
            span=_shifted(view.weeks, 0),
            earlier=_shifted(view.weeks, -count),
            later=_shifted(view.weeks, count),
            generated=None,
        )
    )
    return CountyPage(html=html, policy=csp.policy())


def county_report_html(
    view: CountyCoverage, month: str, *, lang: Lang = "zh", generated_at: datetime
) -> str:
    """The county monthly report (全县月调度): the month's weeks × townships, printable on A4
    (self-contained, no scripts, its policy in a ``<meta>`` tag)."""
    t = texts(lang)
    return (
        templates()
        .get_template("county.html")
        .render(
            lang=lang,
            t=t,
            title=t["county_report_title"],
            month=month,
            printable=True,
            meta_policy=csp.policy(header=False),
            weeks=view.weeks,
            townships=view.townships,
            totals=view.totals,
            generated=f"{t['computed']} {generated_at:%Y-%m-%d %H:%M} UTC",
        )
    )
