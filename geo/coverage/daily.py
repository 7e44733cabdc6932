"""The daily view (日巡查): for each squad and local day, how long and how far it patrolled,
which villages it entered, and whether it met the daily minimum."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import shapely
from pydantic import BaseModel, ConfigDict, Field

from geo.coverage.evaluate import link_segments
from geo.coverage.result import Km, Minutes, with_example
from geo.layers import TownshipLayers

DayStatus = Literal["pass", "fail", "no_data"]


class SquadDay(BaseModel):
    """One squad's patrol on one local day."""

    model_config = ConfigDict(frozen=True)

    squad: str = Field(examples=["squad-01"])
    village_code: str | None = Field(
        description="The squad's own village (none for a township squad)",
        examples=["433122207201"],
    )
    status: DayStatus = Field(examples=["pass"])
    minutes: Annotated[Minutes, Field(examples=[182.5])]
    distance_km: Annotated[Km, Field(examples=[24.1])]
    minutes_in_own_village: Annotated[Minutes | None, Field(examples=[170.0])]
    villages_entered: list[str] = Field(examples=[["433122207201"]])


#: The daily view of the demo township (its OpenAPI example).
_DAY_EXAMPLE: dict[str, Any] = {
    "township_code": "433122207",
    "date": "2026-11-18",
    "time_zone": "Asia/Shanghai",
    "min_minutes": 10.0,
    "squads_passed": 6,
    "squads_total": 8,
    "squads": [
        {
            "squad": "squad-01",
            "village_code": "433122207201",
            "status": "pass",
            "minutes": 182.5,
            "distance_km": 24.1,
            "minutes_in_own_village": 170.0,
            "villages_entered": ["433122207201"],
        }
    ],
}


class DayCoverage(BaseModel):
    """The daily view (日巡查) of a township for one local day (:func:`day_view`)."""

    model_config = with_example(_DAY_EXAMPLE)

    township_code: str
    date: str
    time_zone: str
    min_minutes: float = Field(ge=0)
    squads_passed: int = Field(ge=0)
    squads_total: int = Field(ge=0)
    squads: list[SquadDay]


def day_bounds(day: date, layers: TownshipLayers) -> tuple[datetime, datetime]:
    """Local midnight to midnight of ``day`` in the township's time zone."""
    tz = layers.info.tz
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time(0), tzinfo=tz
    )


def evaluate_day(layers: TownshipLayers, fixes: pd.DataFrame, day: date) -> list[SquadDay]:
    """Judge every squad of the township for one local day.

    A village squad passes with at least ``min_minutes_in_village`` minutes inside its own
    village; a squad without a village (the daily inspection squad) with that many minutes
    anywhere in the township. A squad with no fix that day is ``no_data``.

    Parameters
    ----------
    fixes
        Fixes as for :func:`geo.coverage.evaluate.evaluate_week` (``time``, ``lon``, ``lat``,
        ``squad``, ``segment``, optionally ``device``); rows outside the day are ignored.
    """
    rules = layers.info.rules
    start, end = day_bounds(day, layers)
    today = fixes.loc[(fixes["time"] >= start) & (fixes["time"] < end)]
    with_data = set(today["squad"].astype(str))
    kept = link_segments(today.loc[today["segment"].to_numpy() >= 0], rules, layers.info.metric_crs)
    villages = layers.metric("villages")
    codes = villages["code"].to_numpy()
    own = dict(zip(villages["squad"], villages["code"], strict=True))
    squad = kept["squad"].astype(str).to_numpy()
    seg = kept["segment"].to_numpy()
    x, y = kept["x"].to_numpy(), kept["y"].to_numpy()
    t = kept["time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    pair = (seg[1:] == seg[:-1]) if len(seg) else np.zeros(0, dtype=bool)
    pair_squad = squad[1:] if len(squad) else squad
    minutes = np.where(pair, np.diff(t) / 60_000.0, 0.0)
    metres = np.where(pair, np.hypot(np.diff(x), np.diff(y)), 0.0)
    where = np.full(len(minutes), "", dtype=object)
    if len(minutes):
        mx, my = (x[1:] + x[:-1]) / 2, (y[1:] + y[:-1]) / 2
        for geom, code in zip(villages.geometry.to_numpy(), codes, strict=True):
            where[shapely.contains_xy(geom, mx, my)] = code
    out: list[SquadDay] = []
    for name in layers.squads():
        mine = pair_squad == name
        total = float(minutes[mine].sum())
        village = own.get(name)
        inside = float(minutes[mine & (where == village)].sum()) if village else None
        entered = sorted({str(w) for w in where[mine & (minutes > 0)] if w})
        if name not in with_data:
            status: DayStatus = "no_data"
        else:
            enough = (inside if inside is not None else total) >= rules.min_minutes_in_village
            status = "pass" if enough else "fail"
        out.append(
            SquadDay(
                squad=name,
                village_code=village,
                status=status,
                minutes=total,
                distance_km=float(metres[mine].sum()) / 1000.0,
                minutes_in_own_village=inside,
                villages_entered=entered,
            )
        )
    return out


def day_view(layers: TownshipLayers, fixes: pd.DataFrame, day: date) -> DayCoverage:
    """The daily view of the township for one local day: each squad judged by
    :func:`evaluate_day`, and how many passed."""
    squads = evaluate_day(layers, fixes, day)
    return DayCoverage(
        township_code=layers.info.code,
        date=day.isoformat(),
        time_zone=layers.info.timezone,
        min_minutes=layers.info.rules.min_minutes_in_village,
        squads_passed=sum(s.status == "pass" for s in squads),
        squads_total=len(squads),
        squads=squads,
    )
