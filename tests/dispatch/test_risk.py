"""Mid-week risk: a village that must alert on Wednesday and must not on Monday; the demo."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.coverage.result import WeekCoverage
from geo.dispatch.risk import RiskSettings, week_risk
from geo.layers import TownshipLayers
from geo.projection import from_metric
from geo.weeks import IsoWeek
from tests.dispatch.builders import X0, Y0, line, township, week_result

WEEK = IsoWeek(2026, 48)
MONDAY, WEDNESDAY = WEEK.days[0], WEEK.days[2]
# Six spokes of 2 km from the committee: 12 km of road, 80 % is five spokes.
SPOKES = [
    line((0, 0), (2000 * np.sin(a), 2000 * np.cos(a))) for a in np.radians(np.arange(0, 360, 60))
]


def spokes() -> TownshipLayers:
    committee = {"code": "CP-B", "name": "村部", "kind": "village_committee"}
    school = {"code": "CP-S", "name": "小学", "kind": "school", "mandatory": True}
    return township(
        SPOKES,
        shapely.box(X0 - 2500, Y0 - 2500, X0 + 2500, Y0 + 2500),
        checkpoints=[
            ({**committee, "village": "433122207201"}, shapely.Point(X0, Y0)),
            ({**school, "village": "433122207201"}, shapely.Point(X0 + 10, Y0 + 2000)),
        ],
    )


def usual() -> list[WeekCoverage]:
    # Last week: 30 minutes every day, 42 km in 210 minutes (12 km/h): 6 km a day, one spoke
    # there and back (4 km) a day, not two (8 km).
    days = {d.isoformat(): 30.0 for d in WEEK.previous().days}
    return [week_result(str(WEEK.previous()), [], minutes_by_day=days, distance_km=42.0)]


def no_fixes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": pd.Series([], dtype="datetime64[ms, UTC]"),
            "lon": pd.Series([], dtype=float),
            "lat": pd.Series([], dtype=float),
            "squad": pd.Series([], dtype=object),
            "segment": pd.Series([], dtype=np.int64),
        }
    )


def test_a_silent_squad_alerts_on_wednesday_not_on_monday() -> None:
    layers = spokes()
    monday = week_risk(layers, no_fixes(), WEEK, MONDAY, recent=usual())
    (village,) = monday.villages
    # Monday evening: six days left, six spokes possible; one silent day; the school can wait.
    assert monday.days_left == 6 and village.patrol_days_left == 6
    assert village.road_coverage == 0.0 and village.reachable == pytest.approx(1.0)
    assert village.silent_days == 1
    assert not village.at_risk and monday.at_risk == []

    wednesday = week_risk(layers, no_fixes(), WEEK, WEDNESDAY, recent=usual())
    (village,) = wednesday.villages
    # Wednesday evening: four days, four spokes: two thirds of the roads, below 80 %.
    assert wednesday.days_left == 4 and village.patrol_days_left == 4
    assert village.reachable == pytest.approx(4 / 6, abs=0.01)
    assert village.silent_days == 3
    assert [r.code for r in village.reasons] == [
        "road_coverage_at_risk",
        "silent_phone",
        "mandatory_checkpoint_unvisited",
    ]
    assert "67%" in village.reasons[0].en and "小学" in village.reasons[2].zh
    assert wednesday.at_risk == [village]
    assert wednesday.model_dump(mode="json")["villages_at_risk"] == 1


def test_a_village_that_already_passes_is_not_at_risk() -> None:
    layers = spokes()
    # Monday: the squad rides every spoke there and back (48 km at 12 km/h = 4 h) past the school.
    route = np.vstack(
        [np.array(s.coords)[[0, 1, 0]] for s in SPOKES] + [np.array([[X0 + 10, Y0 + 1990]])]
    )
    dense = shapely.line_interpolate_point(
        shapely.LineString(route), np.arange(0, shapely.LineString(route).length, 20.0)
    )
    x, y = shapely.get_x(dense), shapely.get_y(dense)
    lon, lat = from_metric(x, y, "EPSG:4546")
    start = pd.Timestamp("2026-11-23T08:00:00+08:00")
    fixes = pd.DataFrame(
        {
            "time": (start + pd.to_timedelta(np.arange(len(x)) * 6.0, unit="s")).tz_convert("UTC"),
            "lon": lon,
            "lat": lat,
            "squad": "s1",
            "segment": 0,
        }
    )
    risk = week_risk(layers, fixes, WEEK, WEDNESDAY, recent=usual())
    (village,) = risk.villages
    assert village.meets_so_far and not village.at_risk
    assert village.silent_days == 2  # Tuesday and Wednesday: told, but not a risk any more
    with pytest.raises(ValueError, match="not a day of"):
        week_risk(layers, fixes, WEEK, date(2026, 12, 1))


def test_the_demo_week_on_wednesday(demo_layers: TownshipLayers, demo_fixes: pd.DataFrame) -> None:
    week = IsoWeek(2026, 47)
    started = time.perf_counter()
    risk = week_risk(demo_layers, demo_fixes, week, week.days[2], settings=RiskSettings())
    print(f"demo risk: {time.perf_counter() - started:.2f} s")
    by_squad = {v.squad: v for v in risk.villages}
    # squad-07's phone is silent all week; squad-06 has not been to its school.
    assert [r.code for r in by_squad["squad-07"].reasons] == ["silent_phone"]
    assert by_squad["squad-07"].silent_days == 3
    assert "mandatory_checkpoint_unvisited" in {r.code for r in by_squad["squad-06"].reasons}
    for v in risk.villages:
        assert v.at_risk == bool(v.reasons)
        if v.meets_so_far:
            assert not v.at_risk
