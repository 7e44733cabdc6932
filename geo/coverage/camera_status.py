"""Which cameras count as online in a week, from their recorded status changes.

A camera's status holds from a change's ``changed_at`` until its next change. The rule
(docs/coverage.md): a camera counts as online for a week when it was online for at least half
of the week ``[start, end)``; otherwise it counts with the status other than online it had
longest in the week (offline or maintenance).
Before a camera's first recorded change (or when it has none) its status is the one in the
cameras layer. The store keeps that layer status as the first row of a camera's history when
its first change is recorded (``changed_at`` 1970-01-01), since the change overwrites it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass

from geo.coverage.result import IsoTime

#: ``changed_at`` of the row keeping a camera's layer status before its first recorded change.
SINCE_EVER: Final[datetime] = datetime(1970, 1, 1, tzinfo=UTC)
#: Share of the week a camera must be online to count as online for the week.
ONLINE_SHARE: Final[float] = 0.5


@dataclass(frozen=True)
class StatusChange:
    """One recorded status of a camera, valid from ``changed_at`` (time-zone aware)."""

    camera_code: Annotated[str, Field(examples=["CAM-07"])]
    status: Annotated[str, Field(examples=["offline"])]
    changed_at: Annotated[IsoTime, Field(examples=["2026-11-18T04:00:00+00:00"])]
    note: str = ""
    changed_by: str = ""


class CameraStatus(BaseModel):
    """A camera's current status and its recorded changes, oldest first (the first row keeps
    the status the layers gave before the first recorded change)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["CAM-07"])
    status: str = Field(examples=["offline"])
    history: list[StatusChange]


def current_status(changes: list[StatusChange], layer_status: str) -> str:
    """The status in force after the last change (by time; the later row on a tie)."""
    if not changes:
        return layer_status
    return sorted(enumerate(changes), key=lambda p: (p[1].changed_at, p[0]))[-1][1].status


def online_share(
    changes: list[StatusChange], layer_status: str, start: datetime, end: datetime
) -> tuple[float, str]:
    """Share of ``[start, end)`` one camera was online, and the status other than online it
    had longest (``offline`` when it had no other).

    ``changes`` are the camera's recorded changes in the order they were recorded; a change
    at the same time as an earlier one replaces it.
    """
    ordered = [c for _, c in sorted(enumerate(changes), key=lambda p: (p[1].changed_at, p[0]))]
    status = layer_status
    for change in ordered:
        if change.changed_at <= start:
            status = change.status
    durations: dict[str, float] = {}
    cursor = start
    for change in ordered:
        if start < change.changed_at < end:
            seconds = (change.changed_at - cursor).total_seconds()
            durations[status] = durations.get(status, 0.0) + seconds
            status, cursor = change.status, change.changed_at
    durations[status] = durations.get(status, 0.0) + (end - cursor).total_seconds()
    total = (end - start).total_seconds()
    others = {k: v for k, v in durations.items() if k != "online" and v > 0}
    longest = max(others.items(), key=lambda item: item[1])[0] if others else "offline"
    return durations.get("online", 0.0) / total, longest


def week_statuses(
    cameras: pd.DataFrame, changes: list[StatusChange], start: datetime, end: datetime
) -> pd.Series:
    """Each camera's status for the week ``[start, end)``, indexed like ``cameras``.

    Parameters
    ----------
    cameras
        The cameras layer with ``code`` and ``status`` (the layer's current status).
    changes
        Recorded status changes of the township (any cameras, any times, as recorded).
    start, end
        The week's bounds, time-zone aware.

    Returns
    -------
    pandas.Series of str
        ``online`` for a camera online at least half of the week, otherwise the status it
        had longest (``offline`` or ``maintenance``).

    Examples
    --------
    >>> from datetime import timedelta
    >>> cams = pd.DataFrame({"code": ["C1", "C2"], "status": ["offline", "online"]})
    >>> monday = datetime(2026, 11, 16, tzinfo=UTC)
    >>> late = [StatusChange("C1", "online", SINCE_EVER),
    ...     StatusChange("C1", "offline", monday + timedelta(days=3, hours=12))]
    >>> week_statuses(cams, late, monday, monday + timedelta(days=7)).tolist()
    ['online', 'online']
    """
    by_camera: dict[str, list[StatusChange]] = {}
    for change in changes:
        by_camera.setdefault(change.camera_code, []).append(change)
    out = []
    for code, status in zip(cameras["code"], cameras["status"], strict=True):
        own = by_camera.get(str(code))
        if not own:
            out.append(str(status))
            continue
        share, longest = online_share(own, str(status), start, end)
        out.append("online" if share >= ONLINE_SHARE else longest)
    return pd.Series(out, index=cameras.index, dtype="object")
