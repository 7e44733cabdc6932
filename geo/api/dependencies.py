"""FastAPI dependencies: the store, settings, the township's layers cache and the ingest
threads from the app's state, the request's township (:class:`TownshipContext`), the week, and
the text rule every request's parameters and headers are held to."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from geo import operations
from geo.api.ingest_threads import IngestThreads
from geo.keys import Principal
from geo.layers import TownshipLayers
from geo.layers_cache import LayersCache as LayersCache  # the app holds one
from geo.settings import Settings
from geo.store import Store
from geo.text import check_text
from geo.weeks import IsoWeek


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_layers_cache(request: Request) -> LayersCache:
    cache: LayersCache = request.app.state.layers_cache
    return cache


def get_ingest_threads(request: Request) -> IngestThreads:
    threads: IngestThreads = request.app.state.ingest_threads
    return threads


def refuse_bad_text(request: Request) -> None:
    """Refuse a request whose path or query parameters or headers hold text no store can keep
    (a NUL character; see :mod:`geo.text`): 422 naming the parameter, before any route runs.

    Installed on the whole app (:func:`geo.api.app.create_app`), so every route, and every
    route added later, is held to it; JSON bodies are checked by their models.
    """
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(value, name)
    for name, value in request.query_params.multi_items():
        check_text(name, "a query parameter name")
        check_text(value, name)
    for name, value in request.headers.items():
        check_text(value, f"header {name}")


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
LayersCacheDep = Annotated[LayersCache, Depends(get_layers_cache)]
IngestThreadsDep = Annotated[IngestThreads, Depends(get_ingest_threads)]


@dataclass
class TownshipContext:
    """The township a request works on, resolved and checked once per request.

    Routes take it (``township: TownshipDep``) instead of resolving the township themselves:
    the code is the ``township`` query parameter, else ``GEO_TOWNSHIP``, else the store's only
    township (:func:`geo.operations.resolve_township`: a malformed code is 422, an unknown one
    404). A key of another township (a patrol key, or a leader or planner key made for one
    township) is refused (403) whichever of the key check and this context runs first
    (:meth:`geo.keys.Principal.check_township`); left out, the township is the key's own. The
    layers are loaded on first use, through the app's :class:`LayersCache` (reused while the
    store's layers are unchanged).
    """

    code: str
    store: Store
    #: The code the request named (None when it left the township to the default).
    requested: str | None = None
    cache: LayersCache = field(default_factory=LayersCache, repr=False)

    @cached_property
    def layers(self) -> TownshipLayers:
        """The township's layers (shared: read them, never change them in place)."""
        return self.cache.get(self.store, self.code)


def get_township(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    cache: LayersCacheDep,
    township: Annotated[
        str | None,
        Query(
            description="Township code; may be left out while the store holds one township.",
            examples=["433122207"],
        ),
    ] = None,
) -> TownshipContext:
    principal: Principal | None = getattr(request.state, "principal", None)
    # Left out, the township is the key's own (a township key), else the configured default.
    own = principal.township if principal is not None else None
    code = operations.resolve_township(store, township or own or settings.layers.township)
    if principal is not None:
        principal.check_township(code)
    request.state.township = code  # checked by the key's check when it runs after this
    return TownshipContext(code=code, store=store, requested=township, cache=cache)


def get_township_or_county(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    cache: LayersCacheDep,
    county: Annotated[
        bool,
        Query(
            description="The whole county (every township) instead of one township.",
            examples=[True],
        ),
    ] = False,
    township: Annotated[
        str | None,
        Query(
            description="Township code; may be left out while the store holds one township "
            "(ignored with county=true).",
            examples=["433122207"],
        ),
    ] = None,
) -> TownshipContext | None:
    """The request's township as :func:`get_township` gives it, or None for ``county=true``
    (refused, 403, for a key of one township)."""
    if county:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is not None:
            principal.check_county("the county report")
        return None
    return get_township(request, store, settings, cache, township)


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
#: A local date in a path, e.g. ``2026-11-18`` (checked by :func:`geo.weeks.parse_day`).
DayPath = Annotated[
    str,
    Path(
        description="Local date, YYYY-MM-DD.",
        examples=["2026-11-18"],
        json_schema_extra={"pattern": r"^\d{4}-\d{2}-\d{2}$"},
    ),
]
TownshipDep = Annotated[TownshipContext, Depends(get_township)]
#: The township, or None when the request asks for the whole county (``county=true``).
TownshipOrCountyDep = Annotated[TownshipContext | None, Depends(get_township_or_county)]
WeekDep = Annotated[IsoWeek, Depends(get_week)]

#: The paging offset of the layer and OGC item lists.
OffsetQuery = Annotated[int, Query(ge=0, description="Position of the first feature", examples=[0])]
