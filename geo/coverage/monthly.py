"""The monthly review (月调度): each village's weekly verdicts in a month, the trend of its
coverage, the gaps that persisted two or more weeks, and each squad's effort."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import shapely

from geo.coverage.result import Gap, WeekCoverage
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


def persistent_gaps(weeks: list[WeekCoverage], crs: str) -> list[dict[str, Any]]:
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
            out.append({**gap.properties(), "weeks": run, "since": weeks[-run].week})
    return sorted(out, key=lambda g: (-g["weeks"], g["rank"]))


def month_review(
    month: Month, weeks: list[WeekCoverage], effort: dict[str, dict[str, float]], crs: str
) -> dict[str, Any]:
    """Assemble the monthly review from the month's weekly results and squad effort."""
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
            entry["weeks"][week.week] = {
                "status": v.status,
                "road_coverage": v.road_coverage,
                "area_coverage": v.area_coverage,
                "surveillance_coverage": v.surveillance_coverage,
                "patrol_days": v.patrol_days,
            }
    for entry in villages.values():
        # Weeks without uploads say nothing about coverage: the trend runs over the others.
        series = [
            w["road_coverage"] if w["road_coverage"] is not None else w["area_coverage"]
            for w in entry["weeks"].values()
            if w["status"] != "no_data"
        ]
        entry["weeks_passed"] = sum(w["status"] == "pass" for w in entry["weeks"].values())
        entry["trend"] = round(series[-1] - series[0], 6) if len(series) >= 2 else None
    return {
        "month": str(month),
        "weeks": [w.week for w in weeks],
        "township_weeks_passed": sum(w.meets_requirement for w in weeks),
        "villages": list(villages.values()),
        # A week without a single fix (still to come, or every phone silent) says nothing
        # about gaps: persistence is judged over the weeks that had patrol data.
        "persistent_gaps": persistent_gaps([w for w in weeks if w.fixes_used > 0], crs),
        "squad_effort": effort,
    }
