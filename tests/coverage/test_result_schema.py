"""One schema per result: what the engine returns is what is dumped (JSON for the CLI and
the API, rows for the stores) and what is read back from that dump."""

from __future__ import annotations

from datetime import date

import pytest

from geo.coverage import WeekCoverage, evaluate_week
from geo.coverage.daily import DayCoverage, day_view
from geo.coverage.monthly import Month, MonthReview, month_review, squad_effort
from geo.coverage.result import Gap
from geo.weeks import IsoWeek
from tests.coverage.test_known_answer import SIDE, square_township, straight_track


@pytest.fixture(scope="module")
def result() -> WeekCoverage:
    layers = square_township(road_ys=[1000.0])
    track = straight_track(1000.0, x_from=0, x_to=SIDE / 2, start="2026-11-18 08:00", minutes=20)
    return evaluate_week(layers, track, IsoWeek(2026, 47))


def test_a_weekly_result_reads_back_from_its_dump(result: WeekCoverage) -> None:
    table = result.model_dump(mode="json")
    assert list(table)[:5] == [
        "township_code",
        "week",
        "computed_at",
        "method",
        "meets_requirement",
    ]
    assert table["villages_total"] == len(result.villages) and "gaps" not in table
    village = table["villages"][0]
    # Rounded when dumped, full precision in memory.
    assert village["minutes"] == round(result.villages[0].minutes, 2)
    assert village["area_coverage"] == round(result.villages[0].area_coverage, 6)
    again = WeekCoverage.model_validate({**table, "gaps": [dict(g) for g in result.gaps]})
    assert again.model_dump(mode="json") == table
    assert again.gaps_geojson().model_dump(mode="json") == result.gaps_geojson().model_dump(
        mode="json"
    )


def test_gaps_are_geojson_features_read_back_as_shapely(result: WeekCoverage) -> None:
    collection = result.gaps_geojson().model_dump(mode="json")
    assert collection["type"] == "FeatureCollection" and collection["features"]
    feature = collection["features"][0]
    assert feature["id"] == f"2026-W47-{feature['properties']['rank']}"
    assert list(feature["properties"])[:2] == ["week", "kind"]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon", "LineString")
    gap = Gap.model_validate({**feature["properties"], "geometry": feature["geometry"]})
    assert gap.geometry.equals(result.gaps[0].geometry)


def test_a_result_stored_before_surveillance_counted_reads_back() -> None:
    old = {"village_code": "1", "name": "村", "status": "pass", "meets_requirement": True}
    old |= {"patrol_days": 1, "minutes": 10.0, "distance_km": 1.0, "area_coverage": 0.5}
    week = WeekCoverage.model_validate(
        {"township_code": "1", "week": "2026-W47", "computed_at": "", "villages": [old]}
    )
    assert week.villages[0].surveillance_coverage == 0.5 and week.villages[0].name_en == ""


def test_daily_and_monthly_views_read_back_from_their_dumps(result: WeekCoverage) -> None:
    layers = square_township(road_ys=[1000.0])
    track = straight_track(1000.0, x_from=0, x_to=SIDE / 2, start="2026-11-18 08:00", minutes=20)
    day = day_view(layers, track, date(2026, 11, 18))
    assert day.squads_total == len(day.squads) and day.squads_passed <= day.squads_total
    dumped_day = day.model_dump(mode="json")
    assert DayCoverage.model_validate(dumped_day).model_dump(mode="json") == dumped_day
    assert [s["status"] for s in dumped_day["squads"]] == [s.status for s in day.squads]
    effort = squad_effort([day.squads])
    review = month_review(Month(2026, 11), [result], effort, layers.info.metric_crs)
    dumped = review.model_dump(mode="json")
    assert dumped["township_code"] == result.township_code and dumped["weeks"] == ["2026-W47"]
    assert MonthReview.model_validate(dumped).model_dump(mode="json") == dumped
