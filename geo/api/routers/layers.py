"""Layer endpoints: read and edit villages, roads, cameras, checkpoints and drone flights as
GeoJSON, and record camera status changes.

Reads and writes are on separate routers (``read_router``, ``write_router``) so each can get
its own access rule. Every write loads the township's layers, applies the change, validates
the whole township as ``geo layers load`` does (422 naming each problem) and stores the
layers in one transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, READERS, require
from geo.api.dependencies import OffsetQuery, StoreDep, TownshipDep
from geo.api.feature_models import (
    ADDED_CAMERA_EXAMPLE,
    CAMERA_STATUS_EXAMPLE,
    STORED_CAMERA_EXAMPLE,
    CameraStatusIn,
    FeatureCollectionModel,
    FeatureIn,
    FeatureModel,
    page_example,
)
from geo.api.geojson import GeoJSONResponse, absolute, page_collection, page_links
from geo.api.problems import problem_response
from geo.coverage.camera_status import CameraStatus
from geo.features import DEFAULT_LIMIT, LAYER_NAMES, MAX_LIMIT, parse_bbox
from geo.keys import Principal, Role
from geo.layer_edits import check_layer_name

READ_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: problem_response("A malformed bbox"),
    404: problem_response("Unknown layer, feature or township"),
    422: problem_response("Invalid request"),
    503: problem_response("Store unavailable"),
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: problem_response("Unknown layer, feature or township"),
    409: problem_response("A feature with this id exists already"),
    422: problem_response("The change breaks a layer rule; `problems` names each"),
    503: problem_response("Store unavailable"),
}

#: Roles that may edit layers and record camera status.
EDITORS = (Role.PLANNER, Role.ADMIN)
_EDITOR = require(*EDITORS)
#: The key making an edit (the router's own dependency, so it is checked once per request).
Editor = Annotated[Principal, Depends(_EDITOR)]
read_router = APIRouter(
    tags=["layers"], dependencies=[Depends(require(*READERS))], responses=AUTH_PROBLEMS
)
write_router = APIRouter(tags=["layers"], dependencies=[Depends(_EDITOR)], responses=AUTH_PROBLEMS)

LayerPath = Annotated[
    str,
    Path(
        description=f"The layer: {', '.join(LAYER_NAMES)}",
        examples=["cameras"],
    ),
]
FeatureIdPath = Annotated[
    str,
    Path(description="The feature's code (flight_id for drone flights)", examples=["CAM-07"]),
]
CameraCodePath = Annotated[str, Path(description="The camera's code", examples=["CAM-07"])]
GEOJSON = "application/geo+json"


@read_router.get(
    "/api/v1/layers/{layer}",
    summary="A layer's features (GeoJSON, paged)",
    response_model=FeatureCollectionModel,
    response_class=GeoJSONResponse,
    response_description="A page of the layer's features",
    responses={
        **READ_PROBLEMS,
        200: {
            "description": "A page of the layer (RFC 7946 FeatureCollection, WGS-84) with "
            "numberMatched, numberReturned and paging links",
            "content": {GEOJSON: {"example": page_example("/api/v1/layers/cameras")}},
        },
    },
)
def get_layer(
    layer: LayerPath,
    request: Request,
    township: TownshipDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Page size", examples=[100])
    ] = DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy in WGS-84 degrees", examples=["109.8,28.05,110,28.25"]
        ),
    ] = None,
) -> dict[str, Any]:
    """The layer as a GeoJSON FeatureCollection in WGS-84, in stored order, with a ``next``
    link while more features match."""
    check_layer_name(layer)
    page = operations.feature_page(
        township.store,
        township.layers,
        layer,
        bbox=parse_bbox(bbox) if bbox else None,
        limit=limit,
        offset=offset,
    )
    return page_collection(page, page_links(request, page))


@read_router.get(
    "/api/v1/layers/{layer}/{fid}",
    summary="One feature of a layer",
    response_model=FeatureModel,
    response_class=GeoJSONResponse,
    response_description="The feature",
    responses={
        **READ_PROBLEMS,
        200: {
            "description": "The feature (RFC 7946 Feature, WGS-84)",
            "content": {GEOJSON: {"example": STORED_CAMERA_EXAMPLE}},
        },
    },
)
def get_layer_feature(
    layer: LayerPath, fid: FeatureIdPath, township: TownshipDep
) -> dict[str, Any]:
    """One feature by its code (``flight_id`` for drone flights)."""
    return operations.layer_feature(township.layers, layer, fid)


@read_router.get(
    "/api/v1/cameras/{code}/status",
    summary="A camera's status and its history",
    response_model=CameraStatus,
    response_description="The camera's current status and its recorded changes",
    responses={
        **READ_PROBLEMS,
        200: {
            "description": "The camera's current status and its recorded changes, oldest first",
            "content": {"application/json": {"example": CAMERA_STATUS_EXAMPLE}},
        },
    },
    tags=["cameras"],
)
def get_camera_status(code: CameraCodePath, store: StoreDep, township: TownshipDep) -> CameraStatus:
    """The camera's current status and every recorded change, oldest first."""
    return operations.camera_status_history(store, township.code, code)


@write_router.post(
    "/api/v1/layers/{layer}",
    summary="Add a feature to a layer",
    status_code=201,
    response_model=FeatureModel,
    response_class=GeoJSONResponse,
    response_description="Stored: the feature as stored",
    responses={
        **WRITE_PROBLEMS,
        201: {
            "description": "Stored: the feature as stored (its village found from its place); "
            "Location is its address",
            "content": {GEOJSON: {"example": ADDED_CAMERA_EXAMPLE}},
            "headers": {
                "Location": {
                    "description": "The new feature's URL",
                    "schema": {"type": "string", "format": "uri"},
                    "example": "http://127.0.0.1:8000/api/v1/layers/cameras/CAM-35",
                }
            },
        },
    },
)
def post_layer_feature(
    layer: LayerPath,
    feature: FeatureIn,
    request: Request,
    response: Response,
    store: StoreDep,
    township: TownshipDep,
    principal: Editor,
) -> dict[str, Any]:
    """Add one feature; the whole township is checked as ``geo layers load`` checks it
    (422 lists every problem, 409 when the code is taken). Every week's coverage is
    computed again on its next read."""
    check_layer_name(layer)
    stored = operations.add_layer_feature(
        store, township.code, layer, feature.model_dump(), actor=principal.key_id
    )
    response.headers["Location"] = absolute(request, f"/api/v1/layers/{layer}/{stored['id']}")
    return stored


@write_router.put(
    "/api/v1/layers/{layer}/{fid}",
    summary="Replace a feature of a layer",
    response_model=FeatureModel,
    response_class=GeoJSONResponse,
    response_description="Stored: the feature as stored",
    responses={
        **WRITE_PROBLEMS,
        200: {
            "description": "Stored: the feature as stored",
            "content": {GEOJSON: {"example": STORED_CAMERA_EXAMPLE}},
        },
    },
)
def put_layer_feature(
    layer: LayerPath,
    fid: FeatureIdPath,
    feature: FeatureIn,
    store: StoreDep,
    township: TownshipDep,
    principal: Editor,
) -> dict[str, Any]:
    """Replace one feature (its code stays the one in the path); checked like a POST. A
    camera's status is changed with ``PATCH /api/v1/cameras/{code}`` instead."""
    return operations.replace_layer_feature(
        store, township.code, layer, fid, feature.model_dump(), actor=principal.key_id
    )


@write_router.delete(
    "/api/v1/layers/{layer}/{fid}",
    summary="Delete a feature of a layer",
    status_code=204,
    response_class=Response,
    response_description="Deleted (no content)",
    responses=WRITE_PROBLEMS,
)
def delete_layer_feature(
    layer: LayerPath, fid: FeatureIdPath, store: StoreDep, township: TownshipDep, principal: Editor
) -> Response:
    """Delete one feature; refused (422) when the township would break a rule, e.g. a
    village that still holds cameras."""
    operations.delete_layer_feature(store, township.code, layer, fid, actor=principal.key_id)
    return Response(status_code=204)


@write_router.patch(
    "/api/v1/cameras/{code}",
    summary="Record a camera's status change",
    response_model=CameraStatus,
    response_description="Recorded: the camera's status and its recorded changes",
    responses={
        **WRITE_PROBLEMS,
        200: {
            "description": "Recorded: the camera's current status and its recorded changes, "
            "oldest first",
            "content": {"application/json": {"example": CAMERA_STATUS_EXAMPLE}},
        },
    },
    tags=["cameras"],
)
def patch_camera_status(
    code: CameraCodePath,
    change: CameraStatusIn,
    store: StoreDep,
    township: TownshipDep,
    principal: Editor,
) -> CameraStatus:
    """Record that the camera has ``status`` from ``changed_at`` (default now) on. Weekly
    coverage counts a camera as online when it was online at least half of the week, so the
    weeks this change touches are computed again on their next read. The change is recorded
    with the name (or id) of the key that made it."""
    return operations.set_camera_status(
        store,
        township.code,
        code,
        change.status,
        changed_at=change.changed_at,
        note=change.note,
        changed_by=principal.name or principal.key_id,
        actor=principal.key_id,
    )
