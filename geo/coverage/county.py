"""The county view (县级总览): every township of the store × a span of ISO weeks, each cell the
township's weekly verdict and how many of its villages passed.

Each township keeps its own rules, time zone and metric CRS: a cell is the township's own
weekly result (:class:`~geo.coverage.result.WeekCoverage`), computed as the township computes
it; this module only lays the results out side by side and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from geo.coverage.result import VillageStatus, WeekCoverage, with_example
from geo.layers import TownshipInfo
from geo.weeks import IsoWeek
from geo.weeks import parse_weeks as parse_week_list

#: The most weeks one county view spans (a year and a week: bounded work per request).
MAX_WEEKS = 53
#: Weeks shown when none are asked for: the last complete week and the ones before it.
DEFAULT_WEEKS = 4


def parse_weeks(text: str) -> list[IsoWeek]:
    """The weeks of a county view (:func:`geo.weeks.parse_weeks`), at most :data:`MAX_WEEKS`."""
    return parse_week_list(text, max_weeks=MAX_WEEKS)


def last_weeks(last: IsoWeek, count: int = DEFAULT_WEEKS) -> list[IsoWeek]:
    """``count`` weeks ending with ``last``, oldest first."""
    weeks = [last]
    while len(weeks) < count:
        weeks.append(weeks[-1].previous())
    return weeks[::-1]


class TownshipWeek(BaseModel):
    """One township's verdict in one week."""

    model_config = ConfigDict(frozen=True)

    status: VillageStatus = Field(
        description="pass (every village passed), fail, or no_data (no upload that week)"
    )
    villages_passed: int = Field(ge=0)
    villages_total: int = Field(ge=0)
    villages_no_data: int = Field(ge=0, description="Villages without any patrol data")


class CountyTownship(BaseModel):
    """One township's row of the county view."""

    model_config = ConfigDict(frozen=True)

    township_code: str = Field(examples=["433122207"])
    name: str = Field(examples=["小章乡"])
    name_en: str = Field(examples=["Xiaozhang Township"])
    timezone: str = Field(examples=["Asia/Shanghai"])
    metric_crs: str = Field(examples=["EPSG:4546"])
    weeks: dict[str, TownshipWeek] = Field(description="By ISO week")
    weeks_passed: int = Field(ge=0, description="Weeks in which every village passed")


class CountyWeek(BaseModel):
    """The county's totals for one week."""

    model_config = ConfigDict(frozen=True)

    townships_passed: int = Field(ge=0)
    townships_no_data: int = Field(ge=0)
    villages_passed: int = Field(ge=0)
    villages_total: int = Field(ge=0)


_COUNTY_EXAMPLE: dict[str, Any] = {
    "weeks": ["2026-W47"],
    "townships": [
        {
            "township_code": "433122207",
            "name": "小章乡",
            "name_en": "Xiaozhang Township",
            "timezone": "Asia/Shanghai",
            "metric_crs": "EPSG:4546",
            "weeks": {
                "2026-W47": {
                    "status": "fail",
                    "villages_passed": 5,
                    "villages_total": 7,
                    "villages_no_data": 0,
                }
            },
            "weeks_passed": 0,
        }
    ],
    "totals": {
        "2026-W47": {
            "townships_passed": 0,
            "townships_no_data": 0,
            "villages_passed": 5,
            "villages_total": 7,
        }
    },
}


class CountyCoverage(BaseModel):
    """The county view (县级总览): townships × weeks."""

    model_config = with_example(_COUNTY_EXAMPLE)

    weeks: list[str] = Field(description="The ISO weeks shown, oldest first")
    townships: list[CountyTownship] = Field(description="By township code")
    totals: dict[str, CountyWeek] = Field(description="The county's totals by ISO week")


def township_week(result: WeekCoverage) -> TownshipWeek:
    """A township's cell of the county view from its weekly result."""
    no_data = sum(v.status == "no_data" for v in result.villages)
    if not result.villages or no_data == len(result.villages):
        status: VillageStatus = "no_data"
    else:
        status = "pass" if result.meets_requirement else "fail"
    return TownshipWeek(
        status=status,
        villages_passed=result.villages_passed,
        villages_total=result.villages_total,
        villages_no_data=no_data,
    )


def county_township(info: TownshipInfo, results: Sequence[WeekCoverage]) -> CountyTownship:
    """A township's row from its weekly results."""
    cells = {r.week: township_week(r) for r in results}
    return CountyTownship(
        township_code=info.code,
        name=info.name,
        name_en=info.name_en,
        timezone=info.timezone,
        metric_crs=info.metric_crs,
        weeks=cells,
        weeks_passed=sum(c.status == "pass" for c in cells.values()),
    )


def county_coverage(weeks: Sequence[IsoWeek], rows: Iterable[CountyTownship]) -> CountyCoverage:
    """Assemble the county view from each township's row."""
    townships = sorted(rows, key=lambda r: r.township_code)
    names = [str(w) for w in weeks]
    totals = {}
    for week in names:
        cells = [t.weeks[week] for t in townships if week in t.weeks]
        totals[week] = CountyWeek(
            townships_passed=sum(c.status == "pass" for c in cells),
            townships_no_data=sum(c.status == "no_data" for c in cells),
            villages_passed=sum(c.villages_passed for c in cells),
            villages_total=sum(c.villages_total for c in cells),
        )
    return CountyCoverage(weeks=names, townships=townships, totals=totals)
