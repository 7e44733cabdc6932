"""The monthly review (月调度): each village's weekly verdicts in a month, the trend of its
coverage, the gaps that persisted two or more weeks, and each squad's effort."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import shapely
from pydantic import BaseModel, ConfigDict, Field

from geo.coverage.daily import SquadDay
from geo.coverage.result import (
    Gap,
    GapProperties,
    Share,
    VillageStatus,
    WeekCoverage,
    with_example,
)
from geo.errors import InvalidInput
from geo.weeks import IsoWeek, check_year

#: Two gaps of consecutive weeks are the same gap when this share of the smaller one overlaps.
SAME_GAP_SHARE = 0.5


@dataclass(frozen=True)
class Month:
    """A calendar month, written ``2026-11``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read ``YYYY-MM`` (``2026-11``) within the supported years (:mod:`geo.weeks`); raise
        :class:`InvalidInput` otherwise."""
        try:
            year, month = (int(p) for p in text.strip().split("-"))
            date(year, month, 1)
        except ValueError:
            raise InvalidInput(f"month {text!r} is not a month; write it like 2026-11") from None
        check_year(year, f"month {text!r}")
        return cls(year, month)

    @property
    def days(self) -> list[date]:
        last = calendar.monthrange(self.year, self.month)[1]
        return [date(self.year, self.month, d) for d in range(1, last + 1)]

    def weeks(self) -> list[IsoWeek]:
        """The ISO weeks whose Thursday falls in the month (so each week belongs to one month)."""
        weeks = []
        for day in self.days:
            if day.isoweekday() == 4:
                weeks.append(IsoWeek.of(day))
        return weeks

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


def _same(a: Gap, b: Gap, crs: str) -> bool:
    if a.kind != b.kind or a.village_code != b.village_code:
        return False
    ga, gb = gpd.GeoSeries([a.geometry, b.geometry], crs="EPSG:4326").to_crs(crs).to_numpy()
    if a.kind == "area":
        overlap = shapely.intersection(ga, gb).area
        return bool(overlap >= SAME_GAP_SHARE * min(ga.area, gb.area))
    overlap = shapely.intersection(ga, shapely.buffer(gb, 1.0)).length
    return bool(overlap >= SAME_GAP_SHARE * min(ga.length, gb.length))


class VillageWeek(BaseModel):
    """One village's verdict and coverage in one week of the month."""

    model_config = ConfigDict(frozen=True)

    status: VillageStatus
    road_coverage: Share | None
    area_coverage: Share
    surveillance_coverage: Share
    patrol_days: int = Field(ge=0, le=7)


class VillageMonth(BaseModel):
    """One village over the month."""

    model_config = ConfigDict(frozen=True)

    village_code: str
    name: str
    name_en: str
    squad: str
    weeks: dict[str, VillageWeek] = Field(description="By ISO week")
    weeks_passed: int = Field(ge=0)
    trend: float | None = Field(
        description="Last week's coverage minus the first week's (road, else area)"
    )


class PersistentGap(GapProperties):
    """A gap of the month's last week that was a gap in the weeks before too."""

    weeks: int = Field(ge=2, description="Consecutive weeks it has lasted")
    since: str = Field(description="The ISO week it started")


class SquadEffort(BaseModel):
    """A squad's effort over the month."""

    model_config = ConfigDict(frozen=True)

    days_patrolled: int = Field(ge=0)
    days_passed: int = Field(ge=0)
    minutes: float = Field(ge=0)
    km: float = Field(ge=0)


#: The monthly review of the demo township (its OpenAPI example, shortened).
_MONTH_EXAMPLE: dict[str, Any] = {
    "township_code": "433122207",
    "month": "2026-11",
    "weeks": ["2026-W45", "2026-W46", "2026-W47", "2026-W48"],
    "township_weeks_passed": 0,
    "villages": [],
    "persistent_gaps": [],
    "squad_effort": {
        "squad-01": {"days_patrolled": 14, "days_passed": 14, "minutes": 2520.0, "km": 352.4}
    },
}


class MonthReview(BaseModel):
    """The monthly review (月调度) of a township."""

    model_config = with_example(_MONTH_EXAMPLE)

    township_code: str
    month: str = Field(examples=["2026-11"])
    weeks: list[str] = Field(description="ISO weeks whose Thursday is in the month")
    township_weeks_passed: int = Field(ge=0)
    villages: list[VillageMonth]
    persistent_gaps: list[PersistentGap]
    squad_effort: dict[str, SquadEffort]


def persistent_gaps(weeks: list[WeekCoverage], crs: str) -> list[PersistentGap]:
    """Gaps of the month's last week that were already gaps in the week(s) before, with how
    many consecutive weeks each has lasted (two or more)."""
    if len(weeks) < 2:
        return []
    out = []
    for gap in weeks[-1].gaps:
        run = 1
        current = gap
        for earlier in reversed(weeks[:-1]):
            match = next((g for g in earlier.gaps if _same(current, g, crs)), None)
            if match is None:
                break
            run += 1
            current = match
        if run >= 2:
            out.append(PersistentGap(**gap.properties(), weeks=run, since=weeks[-run].week))
    return sorted(out, key=lambda g: (-g.weeks, g.rank))


def squad_effort(days: Iterable[list[SquadDay]]) -> dict[str, SquadEffort]:
    """Each squad's effort over some days (each day as :func:`geo.coverage.daily.evaluate_day`
    judged it): days with patrol, days passed, minutes and km (summed as rounded)."""
    sums: dict[str, tuple[int, int, float, float]] = {}
    for day in days:
        for squad in day:
            patrolled, passed, minutes, km = sums.get(squad.squad, (0, 0, 0.0, 0.0))
            sums[squad.squad] = (
                patrolled + (squad.minutes > 0),
                passed + (squad.status == "pass"),
                round(minutes + squad.minutes, 2),
                round(km + squad.distance_km, 3),
            )
    return {
        name: SquadEffort(days_patrolled=p, days_passed=d, minutes=m, km=k)
        for name, (p, d, m, k) in sums.items()
    }


def month_review(
    month: Month, weeks: list[WeekCoverage], effort: dict[str, SquadEffort], crs: str
) -> MonthReview:
    """Assemble the monthly review from the month's weekly results (of one township) and
    squad effort."""
    villages: dict[str, dict[str, Any]] = {}
    for week in weeks:
        for v in week.villages:
            entry = villages.setdefault(
                v.village_code,
                {
                    "village_code": v.village_code,
                    "name": v.name,
                    "name_en": v.name_en,
                    "squad": v.squad,
                    "weeks": {},
                },
            )
            entry["weeks"][week.week] = VillageWeek(
                status=v.status,
                road_coverage=v.road_coverage,
                area_coverage=v.area_coverage,
                surveillance_coverage=v.surveillance_coverage,
                patrol_days=v.patrol_days,
            )
    for entry in villages.values():
        judged = [w for w in entry["weeks"].values() if w.status != "no_data"]
        # Weeks without uploads say nothing about coverage: the trend runs over the others.
        series = [
            w.road_coverage if w.road_coverage is not None else w.area_coverage for w in judged
        ]
        entry["weeks_passed"] = sum(w.status == "pass" for w in entry["weeks"].values())
        entry["trend"] = round(series[-1] - series[0], 6) if len(series) >= 2 else None
    return MonthReview(
        township_code=weeks[0].township_code if weeks else "",
        month=str(month),
        weeks=[w.week for w in weeks],
        township_weeks_passed=sum(w.meets_requirement for w in weeks),
        villages=[VillageMonth(**entry) for entry in villages.values()],
        # A week without a single fix (still to come, or every phone silent) says nothing
        # about gaps: persistence is judged over the weeks that had patrol data.
        persistent_gaps=persistent_gaps([w for w in weeks if w.fixes_used > 0], crs),
        squad_effort=effort,
    )
