"""A squad's usual patrol effort, read from its recent weekly results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from geo.coverage.result import Minutes, WeekCoverage, rounded
from geo.rules import Rules


class Effort(BaseModel):
    """How a squad usually patrols: minutes on a patrol day, patrol days a week and its pace
    (distance over minutes in its villages, stops included).

    ``measured`` is False when no recent week held a patrol day of the squad (the defaults
    were taken).
    """

    model_config = ConfigDict(frozen=True)

    minutes_per_day: Minutes
    patrol_days: int = Field(ge=0, le=7)
    speed_kmh: Annotated[float, Field(gt=0), rounded(2)]
    measured: bool


def squad_effort(
    recent: Sequence[WeekCoverage],
    squad: str,
    rules: Rules,
    *,
    default_minutes: float,
    default_days: int,
    default_speed_kmh: float,
) -> Effort:
    """The squad's usual minutes per patrol day (the median over the recent weeks' patrol days,
    minutes summed over its villages) and its usual patrol days per week (the mean count over
    the weeks it had data, rounded, 1 to 7) and its pace (kilometres over hours in its
    villages in those weeks; the default when it has no distance).

    A patrol day is a day with at least ``rules.min_minutes_in_village`` minutes, as in the
    weekly rule.

    Examples
    --------
    >>> from geo.coverage.result import VillageCoverage
    >>> v = VillageCoverage(village_code="1", name="a", squad="s1", status="pass",
    ...     meets_requirement=True, patrol_days=2, minutes=100.0, distance_km=5.0,
    ...     area_coverage=0.9, surveillance_coverage=0.9,
    ...     minutes_by_day={"2026-11-23": 40.0, "2026-11-24": 60.0, "2026-11-25": 5.0})
    >>> w = WeekCoverage(township_code="433122207", week="2026-W48", computed_at="", villages=[v])
    >>> squad_effort([w], "s1", Rules(), default_minutes=120, default_days=5,
    ...     default_speed_kmh=15)
    Effort(minutes_per_day=50.0, patrol_days=2, speed_kmh=3.0, measured=True)
    """
    day_minutes: list[float] = []
    days_per_week: list[int] = []
    km = hours = 0.0
    for week in recent:
        own = [v for v in week.villages if v.squad == squad]
        if not own or all(v.status == "no_data" for v in own):
            continue
        totals: dict[str, float] = {}
        km += sum(v.distance_km for v in own)
        hours += sum(v.minutes for v in own) / 60.0
        for v in own:
            for day, minutes in v.minutes_by_day.items():
                totals[day] = totals.get(day, 0.0) + minutes
        patrol = [m for m in totals.values() if m >= rules.min_minutes_in_village]
        day_minutes.extend(patrol)
        days_per_week.append(len(patrol))
    if not day_minutes:
        return Effort(
            minutes_per_day=float(default_minutes),
            patrol_days=int(default_days),
            speed_kmh=default_speed_kmh,
            measured=False,
        )
    days = int(np.clip(round(float(np.mean(days_per_week))), 1, 7))
    speed = km / hours if km > 0 and hours > 0 else default_speed_kmh
    return Effort(
        minutes_per_day=float(np.median(day_minutes)),
        patrol_days=days,
        speed_kmh=float(speed),
        measured=True,
    )
