"""Mid-week risk: the villages that may fail the week by Sunday, each with its reasons.

The week so far (the fixes up to the end of a day) is judged by the weekly rule; a village that
already meets it cannot fail any more. For the others, three reasons are looked at:

- **road coverage**: the roads still uncovered, planned over the days left at the squad's
  usual pace and minutes (:func:`geo.dispatch.plan.plan_week`, rural-postman routes from its
  base), cannot bring the village's road coverage to ``rules.min_road_coverage``;
- **silent phone**: the squad's phones sent no position for ``silent_days`` days or more;
- **mandatory checkpoint**: a mandatory checkpoint not yet visited when ``checkpoint_days_left``
  days or fewer are left.

Sending the alerts (outbox, webhooks) is not done here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, computed_field

from geo.coverage.evaluate import evaluate_week
from geo.coverage.result import Reason, VillageCoverage, WeekCoverage
from geo.dispatch.effort import squad_effort
from geo.dispatch.plan import Coverage, PlanSettings, plan_week
from geo.layers import TownshipLayers
from geo.weeks import IsoWeek


class RiskSettings(BaseModel):
    """When a village counts as at risk.

    Examples
    --------
    >>> RiskSettings().silent_days
    2
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    silent_days: int = Field(2, ge=1, description="Days without any fix that make a phone silent.")
    checkpoint_days_left: int = Field(
        4, ge=0, description="An unvisited mandatory checkpoint alerts from this many days left."
    )
    plan: PlanSettings = Field(
        default_factory=PlanSettings,
        description="How the days left are planned (speeds, defaults, bases).",
    )


class VillageRisk(BaseModel):
    """One village's outlook for the rest of the week.

    ``road_coverage`` is the coverage so far; ``reachable`` the most the days left can bring
    it to at the squad's usual pace (``None`` without roads); ``silent_days`` the whole days,
    up to the day judged, without a fix of the squad.
    """

    model_config = ConfigDict(frozen=True)

    village_code: str = Field(examples=["433122207201"])
    name: str = Field(examples=["小章村"])
    squad: str = Field(examples=["squad-01"])
    at_risk: bool
    reasons: list[Reason]
    meets_so_far: bool
    road_coverage: Coverage | None
    reachable: Coverage | None
    patrol_days_left: int = Field(ge=0, le=7)
    silent_days: int = Field(ge=0)
    missed_mandatory: list[str]


class WeekRisk(BaseModel):
    """The township's outlook on ``as_of`` (the last day counted) for ``week``."""

    model_config = ConfigDict(frozen=True)

    township_code: str = Field(examples=["433122207"])
    week: str = Field(examples=["2026-W48"])
    as_of: date
    days_left: int = Field(ge=0, le=7)
    villages: list[VillageRisk]

    @property
    def at_risk(self) -> list[VillageRisk]:
        """The villages at risk."""
        return [v for v in self.villages if v.at_risk]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def villages_at_risk(self) -> int:
        """How many villages are at risk."""
        return len(self.at_risk)


def week_risk(
    layers: TownshipLayers,
    fixes: pd.DataFrame,
    week: IsoWeek,
    as_of: date,
    *,
    recent: Sequence[WeekCoverage] = (),
    settings: RiskSettings | None = None,
) -> WeekRisk:
    """Judge the week so far (fixes up to the end of ``as_of``, local time) and tell which
    villages are at risk of failing by Sunday.

    Parameters
    ----------
    fixes
        The fixes frame :func:`geo.coverage.evaluate.evaluate_week` takes; later ones are
        ignored.
    as_of
        The last day counted, within ``week``.
    recent
        The squads' recent weekly results (their usual minutes, pace and patrol days).
    """
    if as_of not in week.days:
        raise ValueError(f"{as_of} is not a day of {week}")
    tz = layers.info.tz
    end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=tz)
    upto = fixes.loc[(fixes["time"] < end).to_numpy()]
    so_far = evaluate_week(layers, upto, week)
    start = week.bounds(tz)[0]
    in_week = upto.loc[(upto["time"] >= start).to_numpy()]
    last_fix: dict[str, date] = {}
    if len(in_week):
        local_day = in_week["time"].dt.tz_convert(tz).dt.date
        for squad, day in local_day.groupby(in_week["squad"].astype(str)).max().items():
            last_fix[str(squad)] = day
    return assess_risk(layers, so_far, as_of, last_fix, recent=recent, settings=settings)


def assess_risk(
    layers: TownshipLayers,
    so_far: WeekCoverage,
    as_of: date,
    last_fix: Mapping[str, date],
    *,
    recent: Sequence[WeekCoverage] = (),
    settings: RiskSettings | None = None,
) -> WeekRisk:
    """The risk of each village from an already computed result of the week so far.

    Parameters
    ----------
    so_far
        The week judged on the fixes up to the end of ``as_of``.
    last_fix
        Squad → local date of its latest fix in the week (absent: none this week).
    """
    settings = settings or RiskSettings()
    week = IsoWeek.parse(so_far.week)
    if as_of not in week.days:
        raise ValueError(f"{as_of} is not a day of {week}")
    rules = layers.info.rules
    days_left = (week.days[-1] - as_of).days
    plan_settings = settings.plan
    squads = sorted({v.squad for v in so_far.villages if v.squad})
    days_for: dict[str, int] = {}
    for squad in squads:
        usual = squad_effort(
            recent,
            squad,
            rules,
            default_minutes=plan_settings.default_minutes_per_day,
            default_days=plan_settings.default_patrol_days,
            default_speed_kmh=plan_settings.default_speed_kmh,
        )
        done = max((v.patrol_days for v in so_far.villages if v.squad == squad), default=0)
        days_for[squad] = max(0, min(days_left, usual.patrol_days - done))
    pending = [v for v in so_far.villages if not v.meets_requirement and v.squad]
    planned_m: dict[str, float] = {}
    if pending and len(layers.roads):
        plan = plan_week(
            layers,
            [*recent, so_far] if recent else [so_far],
            plan_settings.model_copy(
                update={
                    "include_routine": False,
                    "squads": sorted({v.squad for v in pending}),
                    "patrol_days": days_for,
                }
            ),
        )
        for squad_plan in plan.squads:
            for day in squad_plan.days:
                for piece in day.pieces:
                    key = piece.village_code
                    planned_m[key] = planned_m.get(key, 0.0) + piece.length_m
    out = []
    for v in so_far.villages:
        silent = (
            (as_of - last_fix[v.squad]).days if v.squad in last_fix else days_since(week, as_of)
        )
        out.append(
            _village_risk(
                v,
                rules.min_road_coverage,
                days_for.get(v.squad, 0),
                days_left,
                silent,
                planned_m.get(v.village_code, 0.0),
                settings,
            )
        )
    return WeekRisk(
        township_code=so_far.township_code,
        week=so_far.week,
        as_of=as_of,
        days_left=days_left,
        villages=out,
    )


def days_since(week: IsoWeek, as_of: date) -> int:
    """Whole days of ``week`` up to ``as_of`` (a squad without a fix this week was silent on
    each of them).

    Examples
    --------
    >>> days_since(IsoWeek(2026, 48), date(2026, 11, 25))  # Monday to Wednesday
    3
    """
    return (as_of - week.monday).days + 1


def _village_risk(
    v: VillageCoverage,
    min_road: float,
    patrol_days_left: int,
    days_left: int,
    silent: int,
    planned_m: float,
    settings: RiskSettings,
) -> VillageRisk:
    reasons: list[Reason] = []
    reachable: float | None = None
    if v.road_coverage is not None and v.road_length_km > 0:
        reachable = min(1.0, v.road_coverage + planned_m / 1000.0 / v.road_length_km)
    if not v.meets_requirement:
        if reachable is not None and reachable < min_road:
            reasons.append(
                _road_reason(v.road_coverage or 0.0, reachable, min_road, patrol_days_left)
            )
        if silent >= settings.silent_days:
            reasons.append(
                Reason(
                    code="silent_phone",
                    zh=f"巡查手机已{silent}天无定位数据",
                    en=f"the squad's phone has sent no position for {silent} day(s)",
                )
            )
        if v.missed_mandatory and days_left <= settings.checkpoint_days_left:
            names = "、".join(v.missed_mandatory)
            reasons.append(
                Reason(
                    code="mandatory_checkpoint_unvisited",
                    zh=f"必到点位尚未到达：{names}（本周还剩{days_left}天）",
                    en=f"mandatory checkpoint(s) not yet visited with {days_left} day(s) left: "
                    + ", ".join(v.missed_mandatory),
                )
            )
    return VillageRisk(
        village_code=v.village_code,
        name=v.name,
        squad=v.squad,
        at_risk=bool(reasons),
        reasons=reasons,
        meets_so_far=v.meets_requirement,
        road_coverage=v.road_coverage,
        reachable=reachable,
        patrol_days_left=patrol_days_left,
        silent_days=silent,
        missed_mandatory=list(v.missed_mandatory),
    )


def _road_reason(so_far: float, reachable: float, needed: float, days: int) -> Reason:
    return Reason(
        code="road_coverage_at_risk",
        zh=f"道路覆盖率目前{so_far:.0%}，按常规进度剩余{days}个巡查日最多可达{reachable:.0%}，"
        f"低于要求的{needed:.0%}",
        en=f"road coverage is {so_far:.0%}; at the usual pace the {days} patrol day(s) left reach "
        f"at most {reachable:.0%}, below the {needed:.0%} required",
    )
