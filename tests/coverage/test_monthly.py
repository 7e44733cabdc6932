"""The monthly review: weeks of a month, persistent gaps, trend."""

from __future__ import annotations

import pytest

from geo.coverage import evaluate_week
from geo.coverage.monthly import Month, month_review, persistent_gaps
from geo.errors import InvalidInput
from geo.weeks import IsoWeek
from tests.coverage.test_known_answer import SIDE, square_township, straight_track


def test_weeks_of_a_month_are_those_whose_thursday_is_in_it() -> None:
    assert [str(w) for w in Month.parse("2026-11").weeks()] == [
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
    ]
    assert str(Month.parse("2026-12").weeks()[0]) == "2026-W49"
    with pytest.raises(InvalidInput, match="write it like 2026-11"):
        Month.parse("November")


def test_a_gap_left_two_weeks_running_persists() -> None:
    layers = square_township(road_ys=[1000.0])
    w46 = straight_track(1000.0, x_from=0, x_to=SIDE / 2, start="2026-11-11 08:00", minutes=20)
    w47 = straight_track(1000.0, x_from=0, x_to=SIDE / 2, start="2026-11-18 08:00", minutes=20)
    w48 = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-25 08:00", minutes=20)
    import pandas as pd

    fixes = pd.concat([w46, w47, w48], ignore_index=True)
    weeks = [evaluate_week(layers, fixes, IsoWeek(2026, n)) for n in (46, 47, 48)]
    crs = layers.info.metric_crs
    two = persistent_gaps(weeks[:2], crs)
    road = [g for g in two if g.kind == "road"]
    assert len(road) == 1 and road[0].weeks == 2 and road[0].since == "2026-W46"
    assert road[0].length_m == pytest.approx(SIDE / 2 - 50, abs=1.0)
    # Ridden in full in week 48: the road gap is gone.
    assert [g for g in persistent_gaps(weeks, crs) if g.kind == "road"] == []
    review = month_review(Month(2026, 11), weeks, {}, crs)
    village = review.villages[0]
    assert village.weeks_passed == 1
    assert village.trend == pytest.approx(1.0 - (SIDE / 2 + 50) / SIDE, abs=1e-3)


def test_gaps_carry_the_last_date_a_patrol_reached_them() -> None:
    import pandas as pd

    layers = square_township(road_ys=[1000.0])
    before = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-11 08:00", minutes=20)
    half = straight_track(1000.0, x_from=0, x_to=SIDE / 2, start="2026-11-18 08:00", minutes=20)
    result = evaluate_week(layers, pd.concat([before, half], ignore_index=True), IsoWeek(2026, 47))
    road = [g for g in result.gaps if g.kind == "road"]
    assert len(road) == 1 and road[0].last_covered == "2026-11-11"
    alone = evaluate_week(layers, half, IsoWeek(2026, 47))
    assert [g.last_covered for g in alone.gaps if g.kind == "road"] == [None]


def test_the_trend_leaves_out_weeks_without_data() -> None:
    import pandas as pd

    layers = square_township(road_ys=[1000.0])
    half = straight_track(1000.0, x_from=0, x_to=SIDE / 2, start="2026-11-11 08:00", minutes=20)
    full = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-18 08:00", minutes=20)
    fixes = pd.concat([half, full], ignore_index=True)
    weeks = [evaluate_week(layers, fixes, IsoWeek(2026, n)) for n in (45, 46, 47, 48)]
    village = month_review(Month(2026, 11), weeks, {}, layers.info.metric_crs).villages[0]
    assert [w.status for w in village.weeks.values()][::3] == ["no_data", "no_data"]
    assert village.trend == pytest.approx(1.0 - (SIDE / 2 + 50) / SIDE, abs=1e-3)
    one_week_of_data = month_review(Month(2026, 11), weeks[:2], {}, layers.info.metric_crs)
    assert one_week_of_data.villages[0].trend is None


def test_weeks_without_any_fix_do_not_make_gaps_persist() -> None:
    import pandas as pd

    layers = square_township(road_ys=[1000.0])
    fixes = pd.concat(
        [
            straight_track(1000.0, x_from=0, x_to=SIDE / 2, start=f"2026-11-{d} 08:00", minutes=20)
            for d in (11, 18)
        ],
        ignore_index=True,
    )
    weeks = [evaluate_week(layers, fixes, IsoWeek(2026, n)) for n in (45, 46, 47, 48)]
    assert [w.fixes_used > 0 for w in weeks] == [False, True, True, False]
    review = month_review(Month(2026, 11), weeks, {}, layers.info.metric_crs)
    road = [g for g in review.persistent_gaps if g.kind == "road"]
    assert [(g.weeks, g.since) for g in road] == [(2, "2026-W46")]
