"""FastAPI dependencies: the store and settings from the app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from geo import operations
from geo.settings import Settings
from geo.store import Store
from geo.weeks import IsoWeek


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_township(
    store: StoreDep,
    settings: SettingsDep,
    township: Annotated[
        str | None,
        Query(
            description="Township code; may be left out while the store holds one township.",
            examples=["433122207"],
        ),
    ] = None,
) -> str:
    return operations.resolve_township(store, township or settings.layers.township)


def get_week(
    week: Annotated[
        str,
        Path(
            description="ISO week, YYYY-Www.",
            examples=["2026-W47"],
            json_schema_extra={"pattern": r"^\d{4}-W\d{2}$"},
        ),
    ],
) -> IsoWeek:
    return IsoWeek.parse(week)


#: A calendar month in a path, e.g. ``2026-11`` (checked by :class:`geo.coverage.monthly.Month`).
MonthPath = Annotated[
    str,
    Path(
        description="Calendar month, YYYY-MM.",
        examples=["2026-11"],
        json_schema_extra={"pattern": r"^\d{4}-\d{2}$"},
    ),
]
#: A local date in a path, e.g. ``2026-11-18`` (checked by :func:`geo.operations.parse_day`).
DayPath = Annotated[
    str,
    Path(
        description="Local date, YYYY-MM-DD.",
        examples=["2026-11-18"],
        json_schema_extra={"pattern": r"^\d{4}-\d{2}-\d{2}$"},
    ),
]
TownshipDep = Annotated[str, Depends(get_township)]
WeekDep = Annotated[IsoWeek, Depends(get_week)]

#: The paging offset of the layer and OGC item lists.
OffsetQuery = Annotated[int, Query(ge=0, description="Position of the first feature", examples=[0])]
