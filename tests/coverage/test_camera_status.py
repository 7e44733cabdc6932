"""Which cameras count as online in a week (known answers on 2026-W47, Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.coverage.camera_status import (
    SINCE_EVER,
    StatusChange,
    current_status,
    online_share,
    week_statuses,
)
from geo.weeks import IsoWeek

TZ = ZoneInfo("Asia/Shanghai")
START, END = IsoWeek(2026, 47).bounds(TZ)  # Monday 2026-11-16 00:00 to Monday 2026-11-23 00:00


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=TZ)


def history(*changes: tuple[str, datetime]) -> list[StatusChange]:
    """A camera CAM-01 loaded online, then the given changes."""
    return [StatusChange("CAM-01", "online", SINCE_EVER)] + [
        StatusChange("CAM-01", status, when) for status, when in changes
    ]


def status_for_week(changes: list[StatusChange], layer_status: str = "online") -> str:
    cameras = pd.DataFrame({"code": ["CAM-01"], "status": [layer_status]})
    return str(week_statuses(cameras, changes, START, END).iloc[0])


@pytest.mark.parametrize(
    ("changes", "expected", "share"),
    [
        # offline from Thursday noon: online Monday 00:00 to Thursday 12:00 = 3.5 of 7 days
        ([("offline", at(19, 12))], "online", 0.5),
        # offline from Wednesday noon: online 2.5 of 7 days, less than half
        ([("offline", at(18, 12))], "offline", 2.5 / 7),
        # offline from Monday morning: not counted
        ([("offline", at(16, 0))], "offline", 0.0),
        # offline since the week before: not counted
        ([("offline", at(10, 9))], "offline", 0.0),
        # in maintenance Monday to Wednesday noon, then online: 4.5 days online
        ([("maintenance", at(16, 0)), ("online", at(18, 12))], "online", 4.5 / 7),
        # in maintenance from Tuesday, offline from Saturday: maintenance was longest
        ([("maintenance", at(17, 0)), ("offline", at(21, 0))], "maintenance", 1 / 7),
        # a change after the week does not reach back
        ([("offline", at(25, 0))], "online", 1.0),
    ],
)
def test_a_camera_counts_as_online_when_online_half_the_week(
    changes: list[tuple[str, datetime]], expected: str, share: float
) -> None:
    recorded = history(*changes)
    assert status_for_week(recorded) == expected
    assert online_share(recorded, "online", START, END)[0] == pytest.approx(share)


def test_without_changes_the_layer_status_holds() -> None:
    assert status_for_week([], "maintenance") == "maintenance"
    assert status_for_week([], "online") == "online"
    # changes of another camera do not matter
    other = [StatusChange("CAM-99", "offline", at(16, 0))]
    assert status_for_week(other, "online") == "online"


def test_a_later_record_at_the_same_time_wins() -> None:
    recorded = history(("offline", at(16, 0)), ("online", at(16, 0)))
    assert status_for_week(recorded) == "online"
    assert current_status(recorded, "offline") == "online"


def test_changes_recorded_out_of_order_are_taken_by_time() -> None:
    # recorded: offline from Friday, then (late) back online from Saturday and a
    # forgotten offline from Monday
    recorded = history(("offline", at(20, 0)), ("online", at(21, 0)), ("offline", at(16, 0)))
    # offline Monday to Saturday 00:00 (5 days), online Saturday and Sunday
    assert online_share(recorded, "online", START, END)[0] == pytest.approx(2 / 7)
    assert current_status(recorded, "x") == "online"
