"""OGC API – Tiles, Part 1, under ``/ogc``: Mapbox Vector Tiles on WebMercatorQuad of patrol
fixes and tracks and of the area and road gaps (:mod:`geo.tiles`), for drawing a month of fixes
in QGIS in seconds.

The tile routes admit the roles that read tracks and patrol keys (the tile matrix sets, the
roles of the rest of ``/ogc``); fixes and tracks are for
leaders, planners and admins (every squad, or ``squad=``) and for a patrol key its own squad
only (another squad is 403); the gaps are not for patrol keys (403), as the rest of ``/ogc``.
A tile is drawn by the store (``ST_AsMVT`` on PostGIS, ``mapbox-vector-tile`` on the GeoPackage);
an empty one is answered 204 No Content, which GDAL and QGIS read as a tile without features.
Malformed tile coordinates are 400, coordinates outside the grid or deeper than the tiles
served 404, both ``application/problem+json`` (the OGC routes' :class:`OgcRoute`). See
docs/ogc.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Path, Query, Request, Response

from geo.api.auth import READERS, require
from geo.api.dependencies import TownshipContext, TownshipDep
from geo.api.geojson import JSON, absolute, link
from geo.api.problems import problem_response
from geo.api.routers.ogc import CRS84, ogc_router, township_query
from geo.errors import Forbidden, InvalidQuery, NotFound
from geo.features import parse_datetime, spatial_extent
from geo.keys import Principal, Role
from geo.tiles import (
    CRS_3857,
    MAX_ZOOM,
    MVT,
    TILE_COLLECTIONS,
    TMS_ID,
    TMS_URI,
    Tile,
    TileRequest,
    matrix_limits,
    tile_matrix_set,
)
from geo.weeks import IsoWeek

TILING_SCHEME: Final = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
GEODATA: Final = "http://www.opengis.net/def/rel/ogc/1.0/geodata"
#: Every route: the roles that read tracks, and patrol keys (their own squad's tracks).
TileReader = require(Role.PATROL, *READERS)

TILES_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: problem_response("A malformed parameter (tile coordinates, datetime, an unknown one)"),
    404: problem_response("Unknown collection or tile matrix set, or a tile outside the grid"),
    503: problem_response("Store unavailable"),
}

router = ogc_router("OGC API – Tiles", TileReader)
#: The tile matrix sets, for the roles of the rest of /ogc (a patrol app asks for tiles by
#: their XYZ URL and needs no definitions).
tms_router = ogc_router("OGC API – Tiles", require(*READERS))
CollectionPath = Annotated[
    str,
    Path(description=f"One of {', '.join(TILE_COLLECTIONS)}", examples=["fixes"]),
]
TmsPath = Annotated[
    str, Path(alias="tileMatrixSetId", description=f"Only {TMS_ID}", examples=[TMS_ID])
]
DatetimeQuery = Annotated[
    str | None,
    Query(
        alias="datetime",
        description="An instant, an interval start/end, or open ../end, start/.. (RFC 3339; a "
        "time without offset or a bare date in the township's time zone): fixes at that time, "
        "tracks overlapping it, gaps of the weeks overlapping it",
        examples=["2026-11-01/2026-11-30"],
    ),
]
FormatQuery = Annotated[str | None, Query(description="Only json", examples=["json"])]
SquadQuery = Annotated[
    str | None,
    Query(
        description="Fixes and tracks of this squad only (a patrol key: its own, the default)",
        examples=["squad-01"],
    ),
]


def _ok(description: str, example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {JSON: {"example": example}}}}


def _check_json(f: str | None) -> None:
    if f is not None and f not in ("json", "application/json"):
        raise InvalidQuery(f"f={f!r} is not offered; these documents are json")


def _check_tms(tms: str) -> None:
    if tms != TMS_ID:
        raise NotFound(f"no tile matrix set {tms!r}; the service has {TMS_ID}")


def _tile_collection(collection: str) -> None:
    if collection not in TILE_COLLECTIONS:
        raise NotFound(
            f"collection {collection!r} has no tiles; tiles are served for "
            f"{', '.join(TILE_COLLECTIONS)}"
        )


def _squad_for(
    principal: Principal, township: str, collection: str, squad: str | None
) -> str | None:
    """The squad a request reads (None: every squad), after its key's scope is checked."""
    personal = TILE_COLLECTIONS[collection].personal
    if principal.role is Role.PATROL:
        if not personal:
            raise Forbidden(
                f"a patrol key reads its own squad's fixes and tracks, not {collection}"
            )
        squad = squad or principal.squad or ""
        principal.check_scope(township, squad)
    elif squad is not None and not personal:
        raise InvalidQuery(f"squad= filters fixes and tracks; {collection} has no squad")
    return squad


def _check_metadata_request(
    collection: str,
    tms: str | None,
    township: TownshipContext,
    principal: Principal,
    datetime_: str | None,
    squad: str | None,
    f: str | None,
) -> None:
    """The checks a tileset document's request passes, as its tiles' would: a collection with
    tiles, the tile matrix set (when the path names one), json, the key's squad scope and a
    datetime that parses."""
    _tile_collection(collection)
    if tms is not None:
        _check_tms(tms)
    _check_json(f)
    _squad_for(principal, township.code, collection, squad)
    if datetime_ is not None:
        parse_datetime(datetime_, township.layers.info.tz)


def _query(request: Request) -> dict[str, str]:
    """The request's township, datetime and squad, carried into the links."""
    kept = ("township", "datetime", "squad")
    return {k: v for k, v in request.query_params.items() if k in kept}


@tms_router.get(
    "/tileMatrixSets",
    summary="The tile matrix sets",
    response_description="The tile matrix sets tiles are served in (WebMercatorQuad)",
    responses={**TILES_PROBLEMS, **_ok("The tile matrix sets", {"tileMatrixSets": []})},
)
def tile_matrix_sets(request: Request, f: FormatQuery = None) -> dict[str, Any]:
    """The one tile matrix set tiles are served in: WebMercatorQuad."""
    _check_json(f)
    return {
        "links": [link(absolute(request, "/ogc/tileMatrixSets"), "self", JSON, "tile matrix sets")],
        "tileMatrixSets": [
            {
                "id": TMS_ID,
                "title": "Google Maps Compatible for the World",
                "uri": TMS_URI,
                "crs": CRS_3857,
                "links": [
                    link(
                        absolute(request, f"/ogc/tileMatrixSets/{TMS_ID}"),
                        "self",
                        JSON,
                        TMS_ID,
                    )
                ],
            }
        ],
    }


@tms_router.get(
    "/tileMatrixSets/{tileMatrixSetId}",
    summary="A tile matrix set's definition",
    response_description="The definition in OGC 17-083r4's JSON (TMS 2.0)",
    responses={
        **TILES_PROBLEMS,
        **_ok("The definition in OGC 17-083r4's JSON (TMS 2.0)", {"id": TMS_ID, "uri": TMS_URI}),
    },
)
def tile_matrix_set_definition(tms: TmsPath, f: FormatQuery = None) -> dict[str, Any]:
    """WebMercatorQuad: EPSG:3857, tile matrices 0 to 24 of 256-pixel tiles."""
    _check_json(f)
    _check_tms(tms)
    return tile_matrix_set()


def _tileset_summary(request: Request, collection: str) -> dict[str, Any]:
    q = _query(request)
    return {
        "title": f"{TILE_COLLECTIONS[collection].title}: {TMS_ID}",
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link(
                absolute(request, f"/ogc/collections/{collection}/tiles/{TMS_ID}", **q),
                "self",
                JSON,
                f"{collection} tileset",
            ),
            link(absolute(request, f"/ogc/tileMatrixSets/{TMS_ID}"), TILING_SCHEME, JSON, TMS_ID),
        ],
    }


@router.get(
    "/collections/{collection}/tiles",
    summary="A collection's tilesets",
    response_description="The collection's vector tilesets (one: WebMercatorQuad)",
    responses={**TILES_PROBLEMS, **_ok("The collection's tilesets", {"tilesets": []})},
)
def tilesets(
    collection: CollectionPath,
    request: Request,
    township: TownshipDep,
    principal: Annotated[Principal, Depends(TileReader)],
    datetime_: DatetimeQuery = None,
    squad: SquadQuery = None,
    f: FormatQuery = None,
) -> dict[str, Any]:
    """The collection's vector tilesets: Mapbox Vector Tiles on WebMercatorQuad."""
    _check_metadata_request(collection, None, township, principal, datetime_, squad, f)
    q = _query(request)
    return {
        "links": [
            link(
                absolute(request, f"/ogc/collections/{collection}/tiles", **q),
                "self",
                JSON,
                f"{collection} tilesets",
            )
        ],
        "tilesets": [_tileset_summary(request, collection)],
    }


@router.get(
    "/collections/{collection}/tiles/{tileMatrixSetId}",
    summary="A collection's tileset",
    response_description="The tileset's metadata: its tile matrix set, limits, layer and the "
    "tile URL template",
    responses={
        **TILES_PROBLEMS,
        **_ok("The tileset's metadata", {"dataType": "vector", "tileMatrixSetURI": TMS_URI}),
    },
)
def tileset(
    collection: CollectionPath,
    tms: TmsPath,
    request: Request,
    township: TownshipDep,
    principal: Annotated[Principal, Depends(TileReader)],
    datetime_: DatetimeQuery = None,
    squad: SquadQuery = None,
    f: FormatQuery = None,
) -> dict[str, Any]:
    """The tileset's metadata (OGC 17-083r4 tileset metadata): the tile matrix set, the
    limits covering the township at zoom 0 to 18, the one MVT layer with its properties, and
    links to the tiles (a URL template) and the tiling scheme."""
    _check_metadata_request(collection, tms, township, principal, datetime_, squad, f)
    held = TILE_COLLECTIONS[collection]
    bbox = spatial_extent(township.layers.outline)
    q = _query(request)
    base = f"/ogc/collections/{collection}/tiles/{TMS_ID}"
    template = absolute(request, f"{base}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", **q)
    summary = _tileset_summary(request, collection)
    item = link(template, "item", MVT, f"{held.title}: Mapbox Vector Tiles")
    return {
        **{k: v for k, v in summary.items() if k != "links"},
        "tileMatrixSetLimits": matrix_limits(bbox),
        **(
            {"boundingBox": {"lowerLeft": bbox[:2], "upperRight": bbox[2:], "crs": CRS84}}
            if bbox
            else {}
        ),
        "layers": [
            {
                "id": collection,
                "title": held.title,
                "description": held.description,
                "dataType": "vector",
                "geometryDimension": {"Point": 0, "LineString": 1, "Polygon": 2}[held.geometry],
                "minTileMatrix": "0",
                "maxTileMatrix": str(MAX_ZOOM),
                "propertiesSchema": {
                    "type": "object",
                    "properties": {name: {"type": kind} for name, kind in held.properties.items()},
                },
            }
        ],
        "links": [
            *summary["links"],
            {**item, "templated": True},
            link(
                absolute(request, f"/ogc/collections/{collection}", **township_query(request)),
                GEODATA,
                JSON,
                held.title,
            ),
        ],
    }


@router.get(
    "/collections/{collection}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="One vector tile",
    response_class=Response,
    response_description="The tile as a Mapbox Vector Tile",
    responses={
        **TILES_PROBLEMS,
        200: {
            "description": "The tile as a Mapbox Vector Tile, one layer named as the collection",
            "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
        },
        204: {"description": "An empty tile: no feature in it"},
    },
)
def tile(
    collection: CollectionPath,
    tms: TmsPath,
    z: Annotated[
        int, Path(alias="tileMatrix", ge=0, description=f"Zoom, 0 to {MAX_ZOOM}", examples=[13])
    ],
    y: Annotated[
        int, Path(alias="tileRow", ge=0, description="Row, 0 at the top", examples=[3427])
    ],
    x: Annotated[int, Path(alias="tileCol", ge=0, description="Column", examples=[6597])],
    request: Request,
    township: TownshipDep,
    principal: Annotated[Principal, Depends(TileReader)],
    datetime_: DatetimeQuery = None,
    squad: SquadQuery = None,
) -> Response:
    """The tile's features in one MVT layer named as the collection (204 when there are
    none): at most 20,000, the newest; below zoom 17 one fix per squad and screen pixel;
    lines and polygons simplified by half a pixel."""
    _tile_collection(collection)
    _check_tms(tms)
    address = Tile.checked(z, y, x)
    chosen = _squad_for(principal, township.code, collection, squad)
    info = township.layers.info
    interval = parse_datetime(datetime_, info.tz) if datetime_ is not None else None
    weeks: tuple[str, ...] | None = None
    if interval is not None and not TILE_COLLECTIONS[collection].personal:
        weeks = tuple(
            w
            for w in township.store.coverage_weeks(township.code)
            if _overlaps(IsoWeek.parse(w).bounds(info.tz), interval.start, interval.end)
        )
    data = township.store.vector_tile(
        TileRequest(
            township=township.code,
            collection=collection,
            tile=address,
            start=interval.start if interval else None,
            end=interval.end if interval else None,
            squad=chosen,
            weeks=weeks,
        )
    )
    if not data:
        return Response(status_code=204)
    return Response(data, media_type=MVT)


def _overlaps(week: tuple[Any, Any], start: Any, end: Any) -> bool:
    """Whether a week (start inclusive, end exclusive) meets a closed interval."""
    return (end is None or week[0] <= end) and (start is None or week[1] > start)
