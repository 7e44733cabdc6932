"""The patrol plan: known answers on a star of roads, and the demo township's week."""

from __future__ import annotations

import time
from datetime import time as dt_time

import gpxpy
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.coverage.evaluate import evaluate_week
from geo.coverage.result import WeekCoverage
from geo.dispatch.gpx import day_gpx, plan_gpx
from geo.dispatch.plan import PatrolPlan, PlanSettings, plan_week
from geo.layers import TownshipLayers
from geo.projection import from_metric
from geo.weeks import IsoWeek
from tests.dispatch.builders import line, township, week_result

EAST, NORTH, WEST = line((0, 0), (1000, 0)), line((0, 0), (0, 1000)), line((0, 0), (-1000, 0))
LONE = line((2000, 2000), (2300, 2000))  # no road joins it to the others
MON, TUE = "2026-11-16", "2026-11-17"


def star(**checkpoint_kw: object) -> TownshipLayers:
    village = shapely.box(*line((-1500, -1500), (2500, 2500)).bounds)
    base = {"code": "CP-B", "name": "村部", "kind": "village_committee", "village": "433122207201"}
    school = {"code": "CP-S", "name": "小学", "kind": "school", "village": "433122207201"}
    school |= {"mandatory": True, **checkpoint_kw}
    return township(
        [EAST, NORTH, WEST, LONE],
        village,
        checkpoints=[
            (base, shapely.Point(line((0, 0), (0, 0)).coords[0])),
            (school, shapely.Point(line((0, 1020), (0, 1020)).coords[0])),
        ],
    )


def weeks(days: dict[str, float]) -> list[WeekCoverage]:
    # East stayed uncovered two weeks; north and west one; the school was missed last week.
    older = week_result(
        "2026-W46", [EAST], minutes_by_day=days, distance_km=sum(days.values()) / 10
    )
    last = week_result(
        "2026-W47",
        [EAST, NORTH, WEST, LONE],
        minutes_by_day=days,
        distance_km=sum(days.values()) / 10,
        missed=["小学"],
    )
    return [last, older]  # any order


def test_the_days_take_the_most_valuable_work_first_within_the_minutes() -> None:
    plan = plan_week(star(), weeks({MON: 50.0, TUE: 50.0}), PlanSettings(include_routine=False))
    assert plan.week == "2026-W48" and plan.based_on == ["2026-W46", "2026-W47"]
    (squad,) = plan.squads
    assert squad.base.code == "CP-B"
    assert squad.effort.minutes_per_day == 50.0 and squad.effort.patrol_days == 2
    assert squad.effort.speed_kmh == pytest.approx(6.0)  # 10 km in 100 minutes
    day1, day2 = squad.days
    # Day 1: the school (5 min there), east (2 weeks uncovered) and north (on the way): 4 km.
    assert [c.code for c in day1.checkpoints] == ["CP-S"]
    assert day1.checkpoints[0].road_distance_m == pytest.approx(20.0, abs=0.01)
    assert day1.length_m == pytest.approx(4000.0, abs=1e-6)
    assert day1.minutes == pytest.approx(45.0)
    assert sorted(p.weeks_uncovered for p in day1.pieces) == [1, 2]
    # Day 2: west, there and back.
    assert day2.length_m == pytest.approx(2000.0, abs=1e-6) and day2.minutes == pytest.approx(20)
    assert [p.length_m for p in day2.pieces] == [pytest.approx(1000.0)]
    for day in squad.days:
        coords = shapely.get_coordinates(day.route_m)
        assert np.allclose(coords[0], coords[-1])  # back at the base
        assert day.route_m.length == pytest.approx(day.length_m)
    (lone,) = squad.unplanned
    assert (lone.reason, lone.what, lone.length_m) == ("unreachable", "piece", pytest.approx(300))
    assert plan.length_m == pytest.approx(6000.0)


def test_what_the_days_cannot_hold_is_reported_least_valuable_first() -> None:
    plan = plan_week(star(), weeks({MON: 50.0}), PlanSettings(include_routine=False))
    (squad,) = plan.squads
    assert len(squad.days) == 1 and squad.days[0].minutes <= 50.0
    reasons = sorted((u.reason, round(u.length_m)) for u in squad.unplanned)
    assert reasons == [("no_time", 1000), ("unreachable", 300)]
    west = next(u for u in squad.unplanned if u.reason == "no_time")
    assert west.geometry.distance(plan.squads[0].base.point) < 1e-6  # west starts at the base


def test_a_trip_longer_than_a_day_is_not_planned() -> None:
    plan = plan_week(star(), weeks({MON: 50.0}), PlanSettings(speed_kmh=2.0, include_routine=False))
    (squad,) = plan.squads
    assert squad.days == []
    assert {u.reason for u in squad.unplanned} == {"beyond_day", "unreachable"}
    # East there and back at 2 km/h: 60 minutes, more than the day's 50.
    east = next(u for u in squad.unplanned if u.reason == "beyond_day" and u.what == "piece")
    assert east.minutes_needed == pytest.approx(60.0)


def test_a_configured_base_and_routine_roads() -> None:
    settings = PlanSettings(bases={"s1": "CP-S"}, include_routine=True)
    last_only = [weeks({MON: 50.0, TUE: 50.0})[0]]
    plan = plan_week(star(), last_only, settings)
    (squad,) = plan.squads
    assert squad.base.code == "CP-S"
    assert {p.kind for d in squad.days for p in d.pieces} == {"gap"}  # every road was a gap
    with pytest.raises(ValueError, match="not a checkpoint"):
        plan_week(star(), last_only, PlanSettings(bases={"s1": "nowhere"}))
    with pytest.raises(ValueError, match="at least last week"):
        plan_week(star(), [])


def test_the_demo_week_plan(demo_layers: TownshipLayers, demo_week: WeekCoverage) -> None:
    started = time.perf_counter()
    plan = plan_week(demo_layers, [demo_week])
    took = time.perf_counter() - started
    print(f"demo plan: {took:.2f} s, {plan.length_m / 1000:.1f} km")
    assert took < 30
    by_village = {v.village_code: v for v in demo_week.villages}
    assert {s.squad for s in plan.squads} == {v.squad for v in demo_week.villages}
    for squad in plan.squads:
        for day in squad.days:
            assert day.minutes <= squad.effort.minutes_per_day + 1e-6
            coords = shapely.get_coordinates(day.route)
            assert np.allclose(coords[0], coords[-1])
            assert np.allclose(coords[0], shapely.get_coordinates(squad.base.point)[0], atol=1e-6)
            gpx = gpxpy.parse(day_gpx(day, squad=squad.squad, base=squad.base).decode())
            assert len(gpx.tracks[0].segments[0].points) == len(coords)
        assert len(squad.days) <= squad.effort.patrol_days
    # The missed mandatory school of 瓦槽村 is on squad-06's plan.
    missed = {n for v in demo_week.villages for n in v.missed_mandatory}
    planned = {c.name for s in plan.squads for d in s.days for c in d.checkpoints}
    assert missed and missed <= planned
    # Every stretch left uncovered is planned or reported.
    gap_length = sum(g.length_m for g in demo_week.gaps if g.kind == "road")
    covered = sum(
        p.length_m for s in plan.squads for d in s.days for p in d.pieces if p.kind == "gap"
    )
    left = sum(u.length_m for s in plan.squads for u in s.unplanned if u.kind == "gap")
    assert covered + left == pytest.approx(gap_length, rel=0.02)
    # The plan reaches at least last week's road coverage: in every village it planned whole,
    # and over the township.
    whole = {v.village_code for v in plan.villages} - {
        u.village_code for s in plan.squads for u in s.unplanned if u.kind != "checkpoint"
    }
    assert whole
    for reach in plan.villages:
        assert reach.planned is not None and reach.last_week is not None
        if reach.village_code in whole:
            assert reach.planned >= reach.last_week - 0.01, reach
    assert _km(plan, "planned") >= _km(plan, "last_week")
    assert by_village["433122207207"].status == "no_data"  # the silent village gets a plan
    assert next(v for v in plan.villages if v.village_code == "433122207207").planned > 0.8
    assert plan.model_dump(mode="json")["squads"][0]["days"][0]["route"]["type"] == "LineString"
    # The dump (what the CLI prints and the API answers) reads back as the same plan.
    dumped = plan.model_dump(mode="json")
    assert "route_m" not in dumped["squads"][0]["days"][0]
    assert PatrolPlan.model_validate(dumped).model_dump(mode="json") == dumped
    rows = plan.rows()
    assert len(rows) == sum(len(s.days) for s in plan.squads)
    assert sum(r["km"] for r in rows) == pytest.approx(plan.length_m / 1000, abs=0.05)
    assert ["瓦槽村小学"] in [r["checkpoints"] for r in rows if r["squad"] == "squad-06"]
    files = plan_gpx(plan)
    assert len(files) == sum(len(s.days) for s in plan.squads)
    assert "squad-06_2026-W48_day1.gpx" in files


def _km(plan: PatrolPlan, which: str) -> float:
    return sum(v.road_length_km * (getattr(v, which) or 0.0) for v in plan.villages)


def test_walking_the_demo_plan_reaches_the_coverage_it_promises(
    demo_layers: TownshipLayers, demo_week: WeekCoverage
) -> None:
    """Fixes every 10 m along each squad's planned days, judged by the weekly rule itself."""
    plan = plan_week(demo_layers, [demo_week])
    week = IsoWeek.parse(plan.week)
    frames = []
    for squad in plan.squads:
        for day in squad.days:
            along = np.arange(0.0, day.route_m.length, 10.0)
            points = shapely.line_interpolate_point(day.route_m, along)
            lon, lat = from_metric(
                shapely.get_x(points), shapely.get_y(points), demo_layers.info.metric_crs
            )
            start = pd.Timestamp.combine(week.days[day.day - 1], dt_time(8)).tz_localize(
                demo_layers.info.tz
            )
            frames.append(
                pd.DataFrame(
                    {
                        "time": (start + pd.to_timedelta(along / 4.0, unit="s")).tz_convert("UTC"),
                        "lon": lon,
                        "lat": lat,
                        "squad": squad.squad,
                        "segment": len(frames),
                    }
                )
            )
    walked = evaluate_week(demo_layers, pd.concat(frames, ignore_index=True), week)
    measured = {v.village_code: v.road_coverage for v in walked.villages}
    for reach in plan.villages:
        assert reach.planned is not None
        assert measured[reach.village_code] == pytest.approx(reach.planned, abs=0.03), reach
