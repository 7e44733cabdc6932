"""A squad's week of the patrol plan (月调度) as a printable A4 sheet (HTML, and PDF).

One page per squad: its base, usual minutes and pace; for each day the route drawn as an inline
SVG sketch (:mod:`geo.outputs.route_sketch`) with the checkpoints to visit numbered on it, the
length and minutes, the required pieces (last week's uncovered roads) and the routine
kilometres, and a line to sign; then the required work left unplanned and the road coverage the
plan would reach. Chinese by default, English with ``lang="en"``. No scripts; text from data is
escaped by the template engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geo.dispatch.plan import PatrolPlan, SquadPlan
from geo.i18n import Lang
from geo.layers import TownshipLayers
from geo.outputs import csp
from geo.outputs.route_sketch import route_sketch
from geo.outputs.templating import templates

#: The sheet's words in each language.
SHEET_TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "巡查计划单", "en": "Patrol plan sheet"},
    "week": {"zh": "周次", "en": "Week"},
    "squad": {"zh": "中队", "en": "Squad"},
    "base": {"zh": "出发点", "en": "Base"},
    "centroid": {"zh": "村中心附近道路", "en": "road near the village centre"},
    "effort": {"zh": "常规巡查", "en": "Usual effort"},
    "effort_text": {
        "zh": "每个巡查日约 {minutes} 分钟，每周 {days} 天，速度 {speed} 公里/小时",
        "en": "about {minutes} min a patrol day, {days} days a week, {speed} km/h",
    },
    "default_effort": {
        "zh": "（近期无巡查记录，按默认值）",
        "en": "(no recent patrols: the defaults)",
    },
    "total": {"zh": "本周合计", "en": "Week total"},
    "days": {"zh": "天", "en": "days"},
    "day": {"zh": "第 {n} 天", "en": "Day {n}"},
    "km": {"zh": "公里", "en": "km"},
    "minutes": {"zh": "分钟", "en": "min"},
    "checkpoints": {"zh": "必到点位", "en": "Checkpoints to visit"},
    "none": {"zh": "无", "en": "none"},
    "required": {"zh": "上周未覆盖道路（必巡）", "en": "Roads left uncovered (required)"},
    "road": {"zh": "道路", "en": "Road"},
    "length": {"zh": "长度（米）", "en": "Length (m)"},
    "weeks_uncovered": {"zh": "连续未覆盖周数", "en": "Weeks uncovered"},
    "routine": {"zh": "其余道路（常规）", "en": "Other roads (routine)"},
    "legend": {
        "zh": "蓝线：路线；红线：必巡路段；黑方块：出发点；橙圆：必到点位（编号）",
        "en": "Blue: the route; red: required roads; dark square: base; orange: checkpoints",
    },
    "sign": {
        "zh": "巡查人签字：__________　日期：__________",
        "en": "Patrolled by: ________ Date: ________",
    },
    "unplanned": {"zh": "未能安排的必做项", "en": "Required work not planned"},
    "reason_unreachable": {"zh": "无道路可达", "en": "no road reaches it"},
    "reason_beyond_day": {"zh": "单程往返超过一天的时间", "en": "the round trip exceeds a day"},
    "reason_no_time": {"zh": "本周巡查日已排满", "en": "the week's patrol days are full"},
    "reach": {"zh": "道路覆盖率", "en": "Road coverage"},
    "village": {"zh": "村", "en": "Village"},
    "last_week": {"zh": "上周", "en": "Last week"},
    "planned": {"zh": "按计划巡查后", "en": "If the plan is walked"},
    "no_days": {"zh": "本周无计划巡查日。", "en": "No patrol day is planned this week."},
    "generated": {"zh": "生成于", "en": "Generated"},
    "based_on": {"zh": "依据", "en": "From"},
}


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _days(squad: SquadPlan, t: dict[str, str], lang: Lang) -> list[dict[str, Any]]:
    days = []
    for day in squad.days:
        gaps = [p for p in day.pieces if p.kind == "gap"]
        routine = [p for p in day.pieces if p.kind == "routine"]
        title = t["day"].format(n=day.day)
        days.append(
            {
                "title": title,
                "km": f"{day.length_m / 1000:.1f}",
                "minutes": f"{day.minutes:.0f}",
                "sketch": route_sketch(
                    day.route,
                    base=squad.base.point,
                    checkpoints=[c.road_point for c in day.checkpoints],
                    required=[p.geometry for p in gaps],
                    title=f"{squad.squad} · {title}",
                ),
                "checkpoints": [
                    {
                        "name": c.name or c.code,
                        "code": c.code,
                        "off_road": f"{c.road_distance_m:.0f}",
                    }
                    for c in day.checkpoints
                ],
                "required": [
                    {
                        "road": p.road_name or p.road_code,
                        "code": p.road_code,
                        "length": f"{p.length_m:,.0f}",
                        "weeks": p.weeks_uncovered,
                    }
                    for p in gaps
                ],
                "routine_km": f"{sum(p.length_m for p in routine) / 1000:.1f}",
                "routine_pieces": len(routine),
            }
        )
    return days


def plan_sheet_html(
    plan: PatrolPlan,
    squad: str,
    layers: TownshipLayers,
    *,
    lang: Lang = "zh",
    generated_at: datetime | None = None,
) -> str:
    """The A4 sheet of one squad's week of ``plan`` (self-contained HTML, no scripts).

    Parameters
    ----------
    plan
        The week's plan (:func:`geo.operations.patrol_plan`).
    squad
        The squad whose sheet it is (:class:`KeyError` when the plan has none).
    layers
        The township's layers: its names and the villages' names.
    lang
        ``"zh"`` (default) or ``"en"``.
    generated_at
        When the sheet is made (shown on it in the township's time zone); not shown if None.
    """
    t = {key: value[lang] for key, value in SHEET_TEXT.items()}
    info = layers.info
    own = plan.squad(squad)
    names = {
        str(code): str((en if lang == "en" and en else zh) or code)
        for code, zh, en in zip(
            layers.villages["code"],
            layers.villages["name"],
            layers.villages["name_en"],
            strict=True,
        )
    }
    effort = own.effort
    reasons = {r: t[f"reason_{r}"] for r in ("unreachable", "beyond_day", "no_time")}
    unplanned = [
        {
            "what": names.get(u.village_code, u.village_code)
            + " · "
            + (u.ref if u.what == "checkpoint" else f"{u.length_m:,.0f} m"),
            "reason": reasons[u.reason],
            "minutes": "" if u.minutes_needed is None else f"{u.minutes_needed:.0f}",
        }
        for u in own.unplanned
        if u.kind != "routine"
    ]
    return (
        templates()
        .get_template("plan_sheet.html")
        .render(
            lang=lang,
            t=t,
            township=info.name if lang == "zh" else (info.name_en or info.name),
            township_code=info.code,
            week=plan.week,
            based_on=", ".join(plan.based_on),
            squad=own.squad,
            base=own.base.name or own.base.code or t["centroid"],
            effort=t["effort_text"].format(
                minutes=f"{effort.minutes_per_day:.0f}",
                days=effort.patrol_days,
                speed=f"{effort.speed_kmh:.1f}",
            )
            + ("" if effort.measured else " " + t["default_effort"]),
            total_km=f"{own.length_m / 1000:.1f}",
            total_days=len(own.days),
            days=_days(own, t, lang),
            unplanned=unplanned,
            reach=[
                {
                    "village": names.get(v.village_code, v.name),
                    "last_week": _percent(v.last_week),
                    "planned": _percent(v.planned),
                }
                for v in plan.villages
                if v.squad == squad
            ],
            generated=""
            if generated_at is None
            else generated_at.astimezone(info.tz).strftime("%Y-%m-%d %H:%M"),
            # No scripts at all, also when the page is opened from a file.
            policy=csp.policy(header=False),
        )
    )


def sheet_filename(township: str, week: str, squad: str, *, pdf: bool = False) -> str:
    """The sheet's file name (``geo plan --sheet`` and the PDF's ``Content-Disposition``).

    Examples
    --------
    >>> sheet_filename("433122207", "2026-W48", "squad-06")
    '433122207-2026-W48-squad-06-sheet.html'
    """
    return f"{township}-{week}-{squad}-sheet.{'pdf' if pdf else 'html'}"
