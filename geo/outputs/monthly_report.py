"""The monthly review report (月调度) as one printable, self-contained HTML page, and as PDF.

The page is built from the monthly review (:func:`geo.coverage.monthly.month_review`, as
returned by :func:`geo.operations.month_coverage`) and the township's layers: a grid of villages
by ISO week with each verdict in colour and in words, a coverage trend chart per village (inline
SVG drawn here, no JavaScript), the gaps that persisted two weeks or more, each squad's effort
and the cameras that are not online. Text from data is escaped by the template engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from geo.coverage.monthly import Month, MonthReview
from geo.dispatch.cameras import CameraSuggestions
from geo.errors import FeatureUnavailable
from geo.i18n import Lang, texts
from geo.layers import TownshipLayers
from geo.outputs import csp
from geo.outputs.svg_charts import Series, trend_chart
from geo.outputs.templating import templates
from geo.weeks import IsoWeek

#: Persistent gaps listed in the report (the longest-running first); the rest are counted.
SHOWN_GAPS = 40
ROAD_COLOUR = "#1565c0"
AREA_COLOUR = "#6a1b9a"


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _week_columns(weeks: list[str]) -> list[dict[str, str]]:
    columns = []
    for text in weeks:
        week = IsoWeek.parse(text)
        days = week.days
        columns.append(
            {
                "week": text,
                "label": f"W{week.week:02d}",
                "dates": f"{days[0]:%m-%d}–{days[-1]:%m-%d}",
            }
        )
    return columns


def _village_rows(review: MonthReview, layers: TownshipLayers, lang: Lang) -> list[dict[str, Any]]:
    t = texts(lang)
    rules = layers.info.rules
    labels = [f"W{IsoWeek.parse(w).week:02d}" for w in review.weeks]
    rows = []
    for v in review.villages:
        name = v.name if lang == "zh" else (v.name_en or v.name)
        weeks = [v.weeks.get(w) for w in review.weeks]
        cells = []
        for week in weeks:
            if week is None:
                cells.append({"status": "no_data", "text": t["no_data"], "detail": ""})
                continue
            shown = week.road_coverage if week.road_coverage is not None else week.area_coverage
            idle = week.status == "no_data" and week.patrol_days == 0
            cells.append(
                {
                    "status": week.status,
                    "text": t[week.status],
                    "detail": "—"
                    if idle
                    else f"{_percent(shown)} · {week.patrol_days}{t['days_unit']}",
                }
            )
        has_roads = any(w is not None and w.road_coverage is not None for w in weeks)
        # A week without a single patrol day and without uploads has no measure to draw:
        # no point, rather than a point at 0 that reads as a failure.
        idle_weeks = [w is None or (w.status == "no_data" and w.patrol_days == 0) for w in weeks]
        measured = [None if idle else w for w, idle in zip(weeks, idle_weeks, strict=True)]
        series = [
            Series(
                t["roads"] if has_roads else t["area"],
                [
                    None if w is None else (w.road_coverage if has_roads else w.area_coverage)
                    for w in measured
                ],
                ROAD_COLOUR,
            )
        ]
        if has_roads:
            series.append(
                Series(
                    t["area"],
                    [None if w is None else w.area_coverage for w in measured],
                    AREA_COLOUR,
                    dash="5 3",
                )
            )
        required = rules.min_road_coverage if has_roads else rules.min_area_coverage
        chart = trend_chart(
            labels,
            series,
            title=f"{name}: {t['trends']}",
            threshold=required,
            threshold_label=_percent(required),
            hollow=[w is None or w.status == "no_data" for w in weeks],
        )
        trend = v.trend
        rows.append(
            {
                "code": v.village_code,
                "name": name,
                "squad": v.squad,
                "cells": cells,
                "weeks_passed": v.weeks_passed,
                "chart": chart,
                "change": None if trend is None else f"{trend * 100:+.0f}",
            }
        )
    return rows


def _village_names(layers: TownshipLayers, lang: Lang) -> dict[str, str]:
    column = "name" if lang == "zh" else "name_en"
    names = {}
    for code, zh, other in zip(
        layers.villages["code"], layers.villages["name"], layers.villages[column], strict=True
    ):
        names[str(code)] = str(other or zh)
    return names


def _gap_rows(review: MonthReview, layers: TownshipLayers, lang: Lang) -> list[dict[str, Any]]:
    t = texts(lang)
    names = _village_names(layers, lang)
    rows = []
    for gap in review.persistent_gaps[:SHOWN_GAPS]:
        if gap.kind == "road":
            kind, size = t["gap_road"], f"{gap.length_m:,.0f} {t['metres']}"
        else:
            kind, size = t["gap_area"], f"{gap.area_m2 / 10_000:,.1f} {t['hectares']}"
        rows.append(
            {
                "village": names.get(gap.village_code, gap.village_code),
                "kind": kind,
                "size": size,
                "weeks": gap.weeks,
                "since": gap.since,
                "last_covered": gap.last_covered or t["never"],
            }
        )
    return rows


def _squad_rows(review: MonthReview, layers: TownshipLayers, lang: Lang) -> list[dict[str, Any]]:
    names = _village_names(layers, lang)
    village_of = {
        str(squad): names.get(str(code), str(code))
        for squad, code in zip(layers.villages["squad"], layers.villages["code"], strict=True)
        if squad
    }
    rows = []
    for squad, effort in sorted(review.squad_effort.items()):
        own = layers.info.squads.get(squad, {})
        label = village_of.get(squad) or (
            own.get("name", "") if lang == "zh" else own.get("name_en") or own.get("name", "")
        )
        rows.append(
            {
                "squad": squad,
                "label": label,
                "days_patrolled": int(effort.days_patrolled),
                "days_passed": int(effort.days_passed),
                "minutes": f"{effort.minutes:,.0f}",
                "hours": f"{effort.minutes / 60:,.1f}",
                "km": f"{effort.km:,.1f}",
            }
        )
    return rows


def _camera_site_rows(
    suggestions: CameraSuggestions | None, layers: TownshipLayers, lang: Lang
) -> list[dict[str, str]]:
    """The suggested camera sites as table rows: rank, village, road, facing, area added."""
    if suggestions is None:
        return []
    names = _village_names(layers, lang)
    roads = {
        str(c): str(n) for c, n in zip(layers.roads["code"], layers.roads["name"], strict=True)
    }
    return [
        {
            "rank": str(site.rank),
            "village": names.get(site.village_code, site.village_code),
            "road": f"{roads.get(site.road_code, '')} {site.road_code}".strip(),
            "facing": f"{site.bearing_deg:.0f}",
            "added_ha": f"{site.added_m2 / 10_000:,.2f}",
        }
        for site in suggestions.sites
    ]


def _camera_rows(
    layers: TownshipLayers, camera_weeks: dict[str, list[str]], weeks: list[str], lang: Lang
) -> list[dict[str, str]]:
    """Cameras not online in at least one week of the month (status history), with the
    weeks and the status they had then."""
    t = texts(lang)
    names = _village_names(layers, lang)
    rows = []
    for _, row in layers.cameras.sort_values("code").iterrows():
        statuses = camera_weeks.get(str(row["code"]), [str(row["status"])] * len(weeks))
        down = [(w, st) for w, st in zip(weeks, statuses, strict=True) if st != "online"]
        if not down:
            continue
        kinds = sorted({st for _, st in down})
        rows.append(
            {
                "code": str(row["code"]),
                "name": str(row["name"]),
                "village": ""
                if pd.isna(row["village"])
                else names.get(row["village"], row["village"]),
                "status": "、".join(t.get(k, k) for k in kinds)
                if lang == "zh"
                else ", ".join(t.get(k, k) for k in kinds),
                "weeks": ", ".join(f"W{IsoWeek.parse(w).week:02d}" for w, _ in down),
                "installed_on": "" if pd.isna(row["installed_on"]) else str(row["installed_on"]),
            }
        )
    return rows


def monthly_report_html(
    review: MonthReview,
    layers: TownshipLayers,
    *,
    lang: Lang = "zh",
    generated_at: datetime,
    camera_weeks: dict[str, list[str]] | None = None,
    camera_sites: CameraSuggestions | None = None,
    camera_sites_week: str | None = None,
) -> str:
    """The monthly review as a self-contained HTML page (A4 print styles, no scripts).

    Parameters
    ----------
    review
        The month's review, as :func:`geo.operations.month_coverage` returns it.
    layers
        The township's layers: names, rules, squads and the cameras' current status.
    lang
        ``"zh"`` (default) or ``"en"``.
    generated_at
        When the report is made (shown on it, in the township's time zone).
    camera_weeks
        Camera code → its status in each week of ``review.weeks`` (from the status
        history, as coverage counted it); the layer's current status for cameras left out.
    camera_sites
        Suggested sites for new cameras (:func:`geo.operations.camera_suggestions`), shown
        after the cameras offline; ``camera_sites_week`` is the week whose uncovered area they
        were computed from (None: the villages outside the cameras online now).

    Returns
    -------
    str
        The HTML document.
    """
    info = layers.info
    t = texts(lang)
    persistent = review.persistent_gaps
    return (
        templates()
        .get_template("monthly_report.html")
        .render(
            lang=lang,
            t=t,
            township=info.name if lang == "zh" else (info.name_en or info.name),
            township_code=info.code,
            month=review.month,
            generated=generated_at.astimezone(info.tz).strftime("%Y-%m-%d %H:%M"),
            weeks=_week_columns(review.weeks),
            township_weeks_passed=review.township_weeks_passed,
            villages=_village_rows(review, layers, lang),
            gaps=_gap_rows(review, layers, lang),
            gaps_total=len(persistent),
            more_gaps=t["more_gaps"].format(n=max(len(persistent) - SHOWN_GAPS, 0)),
            squads=_squad_rows(review, layers, lang),
            cameras=_camera_rows(layers, camera_weeks or {}, review.weeks, lang),
            cameras_total=len(layers.cameras),
            camera_sites=_camera_site_rows(camera_sites, layers, lang),
            camera_sites_shown=camera_sites is not None,
            camera_sites_note=t["camera_sites_note"].format(week=camera_sites_week)
            if camera_sites_week
            else t["camera_sites_note_now"],
            # No scripts at all, also when the page is opened from a file.
            policy=csp.policy(header=False),
        )
    )


def report_filename(township: str, month: str, *, pdf: bool = False) -> str:
    """The report's file name (CLI default and the PDF's ``Content-Disposition``).

    Examples
    --------
    >>> report_filename("433122207", "2026-11", pdf=True)
    '433122207-2026-11-report.pdf'
    """
    return f"{township}-{Month.parse(month)}-report.{'pdf' if pdf else 'html'}"


def monthly_report_pdf(html: str) -> bytes:
    """Print the report's HTML to PDF (A4) with WeasyPrint; nothing is fetched from outside.

    Raises
    ------
    FeatureUnavailable
        When WeasyPrint or its system libraries (Pango) are not installed.
    """
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:
        raise FeatureUnavailable(
            "PDF output needs WeasyPrint and Pango: pip install 'geo[pdf]' and apt-get install "
            f"libpango-1.0-0 fonts-noto-cjk ({type(exc).__name__})"
        ) from None
    # Only data: URIs load; anything else (there is nothing else) is refused with a warning.
    fetcher = URLFetcher(allowed_protocols=["data"])
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
