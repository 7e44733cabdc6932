"""The daily view (日巡查) on the square township: minutes, km, villages, statuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from geo.coverage.daily import evaluate_day
from geo.layers import TownshipInfo
from tests.coverage.test_known_answer import SIDE, square_township, straight_track


def test_daily_minutes_km_and_statuses() -> None:
    base = square_township(road_ys=[1000.0])
    layers = replace(
        base,
        info=TownshipInfo(
            code="T1",
            name="测试乡",
            metric_crs=base.info.metric_crs,
            squads={"inspection": {"name": "日常巡查中队"}},
        ),
    )
    ride = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=20)
    short = straight_track(500.0, x_from=0, x_to=SIDE / 4, start="2026-11-19 14:00", minutes=5)
    short["squad"], short["segment"] = "inspection", 2
    other_day = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-20 08:00", minutes=20)
    import pandas as pd

    fixes = pd.concat([ride, short, other_day], ignore_index=True)
    days = {d.squad: d for d in evaluate_day(layers, fixes, date(2026, 11, 19))}
    s1 = days["s1"]
    assert s1.status == "pass"
    assert s1.minutes == pytest.approx(20.0, abs=0.01)
    assert s1.distance_km == pytest.approx(2.0, abs=0.01)
    assert s1.minutes_in_own_village == pytest.approx(20.0, abs=0.01)
    assert s1.villages_entered == ["V1"]
    inspection = days["inspection"]
    assert inspection.status == "fail" and inspection.village_code is None
    assert inspection.minutes == pytest.approx(5.0, abs=0.01)
    quiet = {d.squad: d for d in evaluate_day(layers, fixes, date(2026, 11, 21))}
    assert quiet["s1"].status == "no_data" and quiet["inspection"].status == "no_data"
