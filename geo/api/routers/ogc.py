"""OGC API – Features, Part 1 Core with GeoJSON, under ``/ogc`` (for QGIS and other GIS).

A small implementation of our own on the :class:`geo.store.Store` interface, so it serves the
embedded GeoPackage store as well as PostGIS. Collections: the layers of
:data:`geo.features.LAYER_NAMES` and ``gaps`` (every stored week's uncovered areas and roads,
with a ``week`` property and the week as its time). Patrol tracks and fixes have no items:
they say where each squad was and when, and are served as vector tiles only, to the roles
that read tracks (:mod:`geo.api.routers.ogc_tiles`, OGC API – Tiles); their collection
documents are here, outside the ``/collections`` list. Bad parameters are 400, unknown
collections and features 404, both ``application/problem+json``. See docs/ogc.md.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute

from geo import __version__, operations
from geo.api.auth import AUTH_PROBLEMS, READERS, require
from geo.api.dependencies import OffsetQuery, TownshipDep
from geo.api.feature_models import (
    BASE_URL_EXAMPLE,
    STORED_CAMERA_EXAMPLE,
    CollectionModel,
    CollectionsModel,
    ConformanceModel,
    FeatureCollectionModel,
    LandingPageModel,
    LinkedFeatureModel,
    page_example,
)
from geo.api.geojson import (
    GEOJSON,
    JSON,
    GeoJSONResponse,
    absolute,
    link,
    page_collection,
    page_links,
)
from geo.api.problems import problem_response
from geo.coverage.result import GapFeatureProperties
from geo.errors import InvalidQuery, NotFound
from geo.feature_query import (
    FeatureQuery,
    in_storage_crs,
    offered_crs,
    parse_filter,
    parse_properties,
    parse_sortby,
    read_crs,
    reproject,
    transformer,
)
from geo.features import (
    DEFAULT_LIMIT,
    GAP_COLLECTIONS,
    MAX_LIMIT,
    TEMPORAL_LAYERS,
    Bbox,
    TimeInterval,
    parse_bbox,
    parse_datetime,
    shape_features,
    spatial_extent,
    temporal_extent,
)
from geo.layers import TownshipLayers
from geo.outputs import ogc_html
from geo.store import Store
from geo.store.cql_sql import layer_queryables
from geo.tiles import CRS_3857, TILE_COLLECTIONS, TILE_ONLY
from geo.weeks import IsoWeek

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN: Final = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
#: FastAPI writes OpenAPI 3.1, so the document is announced as 3.1, and the conformance
#: list leaves out Part 1's "oas30" class (it requires a 3.0 document; Part 1 has no 3.1
#: class). GDAL finds the document at /ogc/api, QGIS by the link's relation.
OPENAPI_JSON: Final = "application/vnd.oai.openapi+json;version=3.1"
SCHEMA_JSON: Final = "application/schema+json"
_FILTER: Final = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
_CQL2: Final = "http://www.opengis.net/spec/cql2/1.0/conf"
CONFORMANCE: Final = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    f"{_FILTER}/queryables",
    f"{_FILTER}/filter",
    f"{_FILTER}/features-filter",
    f"{_CQL2}/cql2-text",
    f"{_CQL2}/cql2-json",
    f"{_CQL2}/basic-cql2",
    f"{_CQL2}/advanced-comparison-operators",
    f"{_CQL2}/basic-spatial-functions",
    f"{_CQL2}/basic-spatial-functions-plus",
    f"{_CQL2}/spatial-functions",
    f"{_CQL2}/temporal-functions",
    # OGC API – Tiles Part 1 (geo.api.routers.ogc_tiles): vector tiles of collections
    *(
        f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}"
        for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "datetime")
    ),
]
#: The link relations of OGC API – Tiles.
TILESETS_VECTOR: Final = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES: Final = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
#: Collection id → (title in Chinese and English, description).
COLLECTIONS: Final[dict[str, tuple[str, str]]] = {
    "villages": ("行政村 Villages", "Administrative villages with their patrol squad"),
    "roads": ("道路 Roads", "Roads, tracks and paths the weekly rule measures"),
    "cameras": (
        "监控 Cameras",
        "Surveillance cameras with view direction, field of view, range and current status",
    ),
    "checkpoints": ("必到点位 Checkpoints", "Places patrols visit; mandatory ones must be visited"),
    "drone_flights": (
        "无人机航线 Drone flights",
        "Drone flight tracks (3-D where heights are known); filter by datetime or with "
        "T_INTERSECTS(started_at, ...) and the other temporal functions",
    ),
    "area_gaps": (
        "未覆盖区域 Area gaps",
        "Uncovered areas (polygons) of every computed week, most urgent first (rank); "
        "the week is the property `week` and the feature's time (filter with datetime)",
    ),
    "road_gaps": (
        "未覆盖道路 Road gaps",
        "Uncovered road stretches (lines) of every computed week, most urgent first (rank); "
        "the week is the property `week` and the feature's time (filter with datetime)",
    ),
}

# Examples of answers (OpenAPI), as the demo township's server answers them.
_URL = f"{BASE_URL_EXAMPLE}/ogc"
_CAMERAS = COLLECTIONS["cameras"][0]
LANDING_EXAMPLE: Final[dict[str, Any]] = {
    "title": "geo: 巡查覆盖 Patrol coverage",
    "description": "The township's layers and weekly coverage gaps as OGC API – Features.",
    "links": [
        link(_URL, "self", JSON, "this document"),
        link(f"{_URL}/api", "service-desc", OPENAPI_JSON, "API definition"),
        link(f"{BASE_URL_EXAMPLE}/docs", "service-doc", "text/html", "API documentation"),
        link(f"{_URL}/conformance", "conformance", JSON, "conformance"),
        link(f"{_URL}/collections", "data", JSON, "collections"),
    ],
}
COLLECTION_EXAMPLE: Final[dict[str, Any]] = {
    "id": "cameras",
    "title": _CAMERAS,
    "description": COLLECTIONS["cameras"][1],
    "links": [
        link(f"{_URL}/collections/cameras", "self", JSON, _CAMERAS),
        link(f"{_URL}/collections/cameras/items", "items", GEOJSON, _CAMERAS),
    ],
    "extent": {
        "spatial": {"bbox": [[109.8427562, 28.1187623, 109.9548614, 28.1824291]], "crs": CRS84}
    },
    "itemType": "feature",
    "crs": [CRS84],
    "storageCrs": CRS84,
}
COLLECTIONS_EXAMPLE: Final[dict[str, Any]] = {
    "links": [link(f"{_URL}/collections", "self", JSON, "collections")],
    "collections": [COLLECTION_EXAMPLE],
}
ITEMS_EXAMPLE: Final[dict[str, Any]] = page_example(
    "/ogc/collections/cameras/items",
    link(f"{_URL}/collections/cameras", "collection", JSON, _CAMERAS),
)
ITEM_EXAMPLE: Final[dict[str, Any]] = {
    **STORED_CAMERA_EXAMPLE,
    "links": [
        link(f"{_URL}/collections/cameras/items/CAM-07", "self", GEOJSON, "CAM-07"),
        link(f"{_URL}/collections/cameras", "collection", JSON, _CAMERAS),
    ],
}
API_EXAMPLE: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {"title": "geo", "version": __version__},
    "paths": {"/ogc/collections/{collection}/items": {"get": {"summary": "..."}}},
    "components": {"schemas": {}},
}

OGC_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: problem_response("A malformed parameter (bbox, datetime, limit, offset)"),
    404: problem_response("Unknown collection or feature"),
    503: problem_response("Store unavailable"),
}


def _ok(
    description: str, example: dict[str, Any], media: str = JSON, *, page: bool = False
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route's 200 answer with its example (and its HTML page,
    ``f=html``, when ``page``)."""
    content: dict[str, Any] = {media: {"example": example}}
    if page:
        content["text/html"] = {"example": '<!DOCTYPE html><html lang="zh">…</html>'}
    return {200: {"description": description, "content": content}}


class OpenAPIResponse(JSONResponse):
    media_type = OPENAPI_JSON


class SchemaResponse(JSONResponse):
    media_type = SCHEMA_JSON


_KNOWN_PARAMETERS: Final = "geo.ogc.parameters"


def refuse_unknown_parameters(request: Request) -> None:
    """Answer 400 to a query parameter the operation does not declare (OGC API – Features,
    /req/core/query-param-unknown); run after the key is checked, so that a caller without
    one learns nothing of the parameters."""
    known: set[str] = request.scope.get(_KNOWN_PARAMETERS, set())
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidQuery(
            f"unknown query parameter {', '.join(unknown)}; this operation takes "
            f"{', '.join(sorted(known))}"
        )


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters an operation and its dependencies declare."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


class OgcRoute(APIRoute):
    """A route whose request validation errors (``limit=ten``) and unknown query parameters
    are 400 problems, as OGC API – Features requires for bad parameters, instead of the
    API's usual 422 (unknown parameters are ignored elsewhere)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # The parameters this operation declares, and the township every route takes.
        known = _query_names(self.dependant) | {"township"}

        async def route(request: Request) -> Response:
            request.scope[_KNOWN_PARAMETERS] = known  # for refuse_unknown_parameters
            try:
                return await handler(request)
            except RequestValidationError as exc:
                detail = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
                    for e in exc.errors()
                )
                raise InvalidQuery(detail) from None

        return route


def ogc_router(tag: str, reader: Callable[..., Any]) -> APIRouter:
    """An /ogc router: its routes admit the keys ``reader`` admits, refuse unknown query
    parameters and answer a malformed one with a 400 problem (:class:`OgcRoute`).

    Parameters
    ----------
    tag
        The OpenAPI tag of its routes.
    reader
        The dependency admitting the keys (:func:`geo.api.auth.require`).
    """
    return APIRouter(
        prefix="/ogc",
        tags=[tag],
        route_class=OgcRoute,
        dependencies=[Depends(reader), Depends(refuse_unknown_parameters)],
        responses=AUTH_PROBLEMS,
    )


router = ogc_router("OGC API – Features", require(*READERS))
CollectionPath = Annotated[
    str, Path(description=f"One of {', '.join(COLLECTIONS)}", examples=["cameras"])
]
FormatQuery = Annotated[str | None, Query(description="Only json (GeoJSON)", examples=["json"])]
PageFormatQuery = Annotated[
    str | None,
    Query(
        description="json (the default) or html (a page to read in a browser)", examples=["html"]
    ),
]


def township_query(request: Request) -> dict[str, str]:
    """The ``township`` parameter, carried into every link when the request had it."""
    chosen = request.query_params.get("township")
    return {"township": chosen} if chosen else {}


def _check_collection(collection: str) -> None:
    if collection in TILE_ONLY:
        raise NotFound(
            f"collection {collection!r} has vector tiles only, no items: "
            f"/ogc/collections/{collection}/tiles"
        )
    if collection not in COLLECTIONS:
        raise NotFound(
            f"no collection {collection!r}; the collections are {', '.join(COLLECTIONS)}"
        )


@router.get(
    "",
    summary="Landing page",
    response_model=LandingPageModel,
    response_description="Links to the API definition, conformance and collections",
    responses={
        **OGC_PROBLEMS,
        **_ok(
            "Links to the API definition, conformance and collections",
            LANDING_EXAMPLE,
            page=True,
        ),
    },
)
@router.get("/", response_model=LandingPageModel, include_in_schema=False)
def landing_page(request: Request, f: PageFormatQuery = None) -> dict[str, Any] | Response:
    """Links to the API definition, the conformance classes and the collections."""
    _check_format(f, html=True)
    q = township_query(request)
    document = {
        "title": "geo: 巡查覆盖 Patrol coverage",
        "description": "The township's layers and weekly coverage gaps as OGC API – Features.",
        "links": [
            link(absolute(request, "/ogc", **q), "self", JSON, "this document"),
            link(absolute(request, "/ogc/api"), "service-desc", OPENAPI_JSON, "API definition"),
            link(absolute(request, "/docs"), "service-doc", "text/html", "API documentation"),
            link(absolute(request, "/ogc/conformance", **q), "conformance", JSON, "conformance"),
            link(absolute(request, "/ogc/collections", **q), "data", JSON, "collections"),
            link(
                absolute(request, "/ogc/tileMatrixSets"),
                TILING_SCHEMES,
                JSON,
                "tile matrix sets (vector tiles)",
            ),
        ],
    }
    return _html(ogc_html.landing_page(document)) if f == "html" else document


@router.get(
    "/conformance",
    summary="Conformance classes",
    response_model=ConformanceModel,
    response_description="The conformance classes the service implements",
    responses=_ok("The conformance classes the service implements", {"conformsTo": CONFORMANCE}),
)
def conformance() -> dict[str, Any]:
    """Part 1 Core and GeoJSON, Part 2 CRS, Part 3 filtering with the CQL2 classes
    implemented."""
    return {"conformsTo": CONFORMANCE}


@router.get(
    "/api",
    summary="The API definition (OpenAPI)",
    response_class=OpenAPIResponse,
    response_description="The OpenAPI document of the whole API",
    responses=_ok("The OpenAPI document of the whole API", API_EXAMPLE, OPENAPI_JSON),
)
def api_definition(request: Request) -> JSONResponse:
    """The same document as ``/openapi.json``."""
    return JSONResponse(request.app.openapi(), media_type=OPENAPI_JSON)


@router.get(
    "/collections",
    summary="The collections",
    response_model=CollectionsModel,
    response_model_by_alias=True,
    response_model_exclude_none=True,
    response_description="Every collection with its extent and links",
    responses={
        **OGC_PROBLEMS,
        **_ok("Every collection with its extent and links", COLLECTIONS_EXAMPLE, page=True),
    },
)
def collections(
    request: Request, township: TownshipDep, f: PageFormatQuery = None
) -> dict[str, Any] | Response:
    """Every collection with its extent and links."""
    _check_format(f, html=True)
    q = township_query(request)
    document = {
        "links": [link(absolute(request, "/ogc/collections", **q), "self", JSON, "collections")],
        "collections": [
            _collection(request, township.store, township.layers, name) for name in COLLECTIONS
        ],
    }
    return _html(ogc_html.collections_page(document)) if f == "html" else document


@router.get(
    "/collections/{collection}",
    summary="One collection",
    response_model=CollectionModel,
    response_model_by_alias=True,
    response_model_exclude_none=True,
    response_description="The collection's title, extent and links",
    responses={
        **OGC_PROBLEMS,
        **_ok("The collection's title, extent and links", COLLECTION_EXAMPLE, page=True),
    },
)
def collection(
    collection: CollectionPath,
    request: Request,
    township: TownshipDep,
    f: PageFormatQuery = None,
) -> dict[str, Any] | Response:
    """The collection's title, extent (CRS84; time for drone flights and gaps) and links;
    ``fixes`` and ``tracks`` have vector tiles and no items."""
    if collection in TILE_ONLY:
        _check_format(f, html=True)
        document = _tile_collection(request, township.layers, collection)
        return _html(ogc_html.collection_page(document)) if f == "html" else document
    _check_collection(collection)
    _check_format(f, html=True)
    document = _collection(request, township.store, township.layers, collection)
    return _html(ogc_html.collection_page(document)) if f == "html" else document


def _html(page: ogc_html.HtmlPage) -> HTMLResponse:
    return HTMLResponse(page.html, headers={"Content-Security-Policy": page.policy})


def _collection(
    request: Request, store: Store, layers: TownshipLayers, name: str
) -> dict[str, Any]:
    title, description = COLLECTIONS[name]
    q = township_query(request)
    base = f"/ogc/collections/{name}"
    extent: dict[str, Any] = {}
    if name in GAP_COLLECTIONS:
        # The township's box and the stored weeks: no week is computed just to list it.
        bbox = spatial_extent(layers.outline)
        weeks = store.coverage_weeks(layers.info.code)
        interval = (
            TimeInterval(
                IsoWeek.parse(weeks[0]).bounds(layers.info.tz)[0],
                IsoWeek.parse(weeks[-1]).bounds(layers.info.tz)[1],
            )
            if weeks
            else None
        )
    else:
        frame = layers.layer(name)
        bbox = spatial_extent(frame)
        interval = temporal_extent(name, frame, layers.info.tz)
    if bbox is not None:
        extent["spatial"] = {"bbox": [list(bbox)], "crs": CRS84}
    if interval is not None:
        extent["temporal"] = {
            "interval": [[_iso(interval.start), _iso(interval.end)]],
            "trs": GREGORIAN,
        }
    return {
        "id": name,
        "title": title,
        "description": description,
        "links": [
            link(absolute(request, base, **q), "self", JSON, title),
            link(absolute(request, f"{base}/items", **q), "items", GEOJSON, title),
            link(
                absolute(request, f"{base}/queryables", **q),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                f"{title}: queryables",
            ),
            *([tilesets_link(request, name, title)] if name in TILE_COLLECTIONS else []),
        ],
        "extent": extent,
        "itemType": "feature",
        "crs": offered_crs(layers.info.metric_crs),
        "storageCrs": CRS84,
    }


def tilesets_link(request: Request, name: str, title: str) -> dict[str, str]:
    """The link from a collection to its vector tilesets."""
    return link(
        absolute(request, f"/ogc/collections/{name}/tiles", **township_query(request)),
        TILESETS_VECTOR,
        JSON,
        f"{title}: vector tiles",
    )


def _tile_collection(request: Request, layers: TownshipLayers, name: str) -> dict[str, Any]:
    """The collection document of fixes or tracks: vector tiles, no items."""
    held = TILE_COLLECTIONS[name]
    q = township_query(request)
    bbox = spatial_extent(layers.outline)
    return {
        "id": name,
        "title": held.title,
        "description": held.description,
        "links": [
            link(absolute(request, f"/ogc/collections/{name}", **q), "self", JSON, held.title),
            tilesets_link(request, name, held.title),
        ],
        "extent": {"spatial": {"bbox": [list(bbox)], "crs": CRS84}} if bbox else {},
        "itemType": "feature",
        "crs": [CRS_3857],
        "storageCrs": CRS84,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@router.get(
    "/collections/{collection}/items",
    summary="The collection's features (GeoJSON, paged)",
    response_model=FeatureCollectionModel,
    response_model_by_alias=True,
    response_class=GeoJSONResponse,
    response_description="A page of the matching features",
    responses={
        **OGC_PROBLEMS,
        **_ok(
            "A page of the matching features (RFC 7946 FeatureCollection, CRS84) with "
            "numberMatched, numberReturned and paging links",
            ITEMS_EXAMPLE,
            GEOJSON,
            page=True,
        ),
    },
)
def items(
    collection: CollectionPath,
    request: Request,
    township: TownshipDep,
    limit: Annotated[
        int,
        Query(
            ge=1,
            description="Page size; above 1000 the page holds 1000 features",
            # Clients (QGIS) read the largest page from the API definition; larger values
            # are served as the maximum, as OGC API – Features recommends, not refused.
            json_schema_extra={"maximum": MAX_LIMIT},
            examples=[100],
        ),
    ] = DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
    bbox: Annotated[
        str | None,
        Query(description="minx,miny,maxx,maxy in CRS84", examples=["109.8,28.05,110,28.25"]),
    ] = None,
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            description="An instant, an interval start/end, or open ../end, start/.. "
            f"(RFC 3339); for {' and '.join(TEMPORAL_LAYERS)}",
            examples=["2026-11-01T00:00:00Z/.."],
        ),
    ] = None,
    bbox_crs: Annotated[
        str | None,
        Query(
            alias="bbox-crs",
            description="The CRS of bbox: CRS84 (default), EPSG:4326, EPSG:4490 (latitude "
            "first), the township's metric CRS or EPSG:3857",
            examples=[CRS84],
        ),
    ] = None,
    crs: Annotated[
        str | None,
        Query(
            description="The CRS of the answer's coordinates (one of the collection's crs); "
            "the answer's Content-Crs header names it",
            examples=["http://www.opengis.net/def/crs/EPSG/0/4546"],
        ),
    ] = None,
    filter_: Annotated[
        str | None,
        Query(
            alias="filter",
            description="A CQL2 filter over the queryables (comparison, AND/OR/NOT, LIKE, "
            "IN, BETWEEN, IS NULL, S_INTERSECTS and the other spatial functions; T_INTERSECTS "
            "and the other temporal functions on drone flights' started_at and ended_at)",
            examples=["status = 'offline'"],
        ),
    ] = None,
    filter_lang: Annotated[
        str | None,
        Query(
            alias="filter-lang",
            description="cql2-text (default) or cql2-json",
            examples=["cql2-text"],
        ),
    ] = None,
    filter_crs: Annotated[
        str | None,
        Query(
            alias="filter-crs",
            description="The CRS of the filter's geometries (one of the collection's crs)",
            examples=[CRS84],
        ),
    ] = None,
    sortby: Annotated[
        str | None,
        Query(description="Queryables to sort by, each with + or -", examples=["-status,code"]),
    ] = None,
    properties: Annotated[
        str | None,
        Query(description="The properties to return, by name", examples=["code,status"]),
    ] = None,
    f: PageFormatQuery = None,
) -> Response:
    """Features matching ``bbox``, ``datetime`` and ``filter``, sorted by ``sortby``,
    ``limit`` at a time from ``offset``, with ``next`` and ``prev`` links,
    ``numberMatched`` and ``numberReturned``; coordinates in ``crs``."""
    _check_collection(collection)
    _check_format(f, html=True)
    info = township.layers.info
    tz = info.tz
    out_crs = read_crs(crs, info.metric_crs, parameter="crs") if crs else CRS84
    query = FeatureQuery(
        filter=in_storage_crs(
            parse_filter(filter_, filter_lang),
            transformer(
                read_crs(filter_crs, info.metric_crs, parameter="filter-crs")
                if filter_crs
                else CRS84,
                CRS84,
            ),
        )
        if filter_ is not None
        else None,
        sortby=parse_sortby(sortby) if sortby else [],
        properties=parse_properties(properties) if properties is not None else None,
    )
    query.check(queryables_of(collection), collection)
    box_crs = read_crs(bbox_crs, info.metric_crs, parameter="bbox-crs") if bbox_crs else CRS84
    box = None
    if bbox is not None:
        box = _bbox_in(bbox, box_crs)
    page = operations.feature_page(
        township.store,
        township.layers,
        collection,
        bbox=box,
        interval=parse_datetime(datetime_, tz) if datetime_ is not None else None,
        query=query,
        limit=min(limit, MAX_LIMIT),
        offset=offset,
    )
    if query.properties is not None or out_crs != CRS84:
        to_out = transformer(CRS84, out_crs)
        page = replace(
            page,
            features=shape_features(
                page.features,
                query.properties,
                (lambda g: reproject(g, to_out)) if out_crs != CRS84 else None,
            ),
        )
    q = township_query(request)
    links = page_links(request, page)
    title = COLLECTIONS[collection][0]
    links.append(
        link(absolute(request, f"/ogc/collections/{collection}", **q), "collection", JSON, title)
    )
    body = FeatureCollectionModel.model_validate(page_collection(page, links))
    document = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    if f == "html":
        answer: Response = _html(ogc_html.items_page(title, document))
    else:
        answer = GeoJSONResponse(document)
    answer.headers["Content-Crs"] = f"<{out_crs}>"
    return answer


def _bbox_in(text: str, source: str) -> Bbox:
    """A bbox given in ``source`` (an offered CRS), as the CRS84 box around it."""
    if source == CRS84:
        return parse_bbox(text)
    try:
        numbers = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidQuery(f"bbox {text!r} is not a list of numbers") from None
    if len(numbers) != 4:
        raise InvalidQuery(f"bbox {text!r} needs 4 numbers in {source}")
    to84 = transformer(source, CRS84)
    left, bottom, right, top = numbers
    minx, miny, maxx, maxy = to84.transform_bounds(left, bottom, right, top)
    return parse_bbox(f"{minx},{miny},{maxx},{maxy}")


def queryables_of(collection: str) -> dict[str, dict[str, Any]]:
    """The queryable properties of a collection (JSON Schema property schemas)."""
    if collection in GAP_COLLECTIONS:
        schema = GapFeatureProperties.model_json_schema()["properties"]
        props = {name: {"title": name, **_plain(value)} for name, value in schema.items()}
        geometry = "geometry-polygon" if collection == "area_gaps" else "geometry-linestring"
        return {**props, "geometry": {"format": geometry, "title": "geometry"}}
    return layer_queryables(collection)


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic property schema with its type (``anyOf`` with null: the type, nullable)."""
    if "anyOf" in schema:
        kinds = [s.get("type") for s in schema["anyOf"] if s.get("type") != "null"]
        return {"type": kinds[0]} if kinds else {}
    return {k: v for k, v in schema.items() if k in ("type", "enum", "minimum")}


@router.get(
    "/collections/{collection}/queryables",
    summary="The collection's queryable properties (JSON Schema)",
    response_class=SchemaResponse,
    response_description="A JSON Schema of the properties filter and sortby may name",
    responses={
        **OGC_PROBLEMS,
        **_ok(
            "A JSON Schema of the properties filter and sortby may name",
            {"type": "object", "properties": {"status": {"type": "string"}}},
            SCHEMA_JSON,
        ),
    },
)
def queryables(
    collection: CollectionPath, request: Request, f: FormatQuery = None
) -> SchemaResponse:
    """The properties ``filter``, ``sortby`` and ``properties`` may name, with their types."""
    _check_collection(collection)
    _check_format(f)
    url = absolute(request, f"/ogc/collections/{collection}/queryables", **township_query(request))
    return SchemaResponse(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": url,
            "type": "object",
            "title": COLLECTIONS[collection][0],
            "properties": queryables_of(collection),
            "additionalProperties": False,
        }
    )


@router.get(
    "/collections/{collection}/items/{fid}",
    summary="One feature",
    response_model=LinkedFeatureModel,
    response_class=GeoJSONResponse,
    response_description="The feature with links to itself and its collection",
    responses={
        **OGC_PROBLEMS,
        **_ok(
            "The feature (RFC 7946 Feature, CRS84) with links to itself and its collection",
            ITEM_EXAMPLE,
            GEOJSON,
        ),
    },
)
def item(
    collection: CollectionPath,
    fid: Annotated[str, Path(description="The feature's id", examples=["CAM-07"])],
    request: Request,
    township: TownshipDep,
    f: FormatQuery = None,
) -> dict[str, Any]:
    """One feature by id: a layer's code (``flight_id`` of drone flights), or
    ``<week>-<rank>`` of an area or road gap."""
    _check_collection(collection)
    _check_format(f)
    feature = operations.collection_feature(township.store, township.layers, collection, fid)
    q = township_query(request)
    base = f"/ogc/collections/{collection}"
    feature["links"] = [
        link(absolute(request, f"{base}/items/{fid}", **q), "self", GEOJSON, fid),
        link(absolute(request, base, **q), "collection", JSON, COLLECTIONS[collection][0]),
    ]
    return feature


def _check_format(f: str | None, *, html: bool = False) -> None:
    offered = ("json", "geojson", "html") if html else ("json", "geojson")
    if f is not None and f not in offered:
        raise InvalidQuery(f"f={f!r} is not offered; use {' or '.join(offered)}")
