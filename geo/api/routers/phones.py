"""Phones over HTTP: the tracker apps' endpoints (OsmAnd / Traccar Client, OwnTracks,
GPSLogger) and the admin routes that register phones and draw their set-up codes.

The tracker endpoints speak each app's own protocol (docs/phones.md), not the problem+json
API: the device id (or a patrol key sent as the Basic password) is the credential, answers are
what each app expects, and they are left out of the OpenAPI document. Each route hands the
request's parts to :func:`geo.phones.receive`, which stores the fixes by the same path as
``POST /api/v1/positions``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from geo import phones
from geo.api.auth import AUTH_PROBLEMS, require
from geo.api.body_limit import BodyTooLarge, allow_body
from geo.api.dependencies import (
    IngestThreadsDep,
    LayersCacheDep,
    SettingsDep,
    StoreDep,
    TownshipDep,
)
from geo.api.models import Text
from geo.api.openapi import problem_responses
from geo.devices import qr_png, qr_svg
from geo.errors import NotFound
from geo.ingest.trackers import Reply, TrackerLimits, TrackerRequest, answer_refused
from geo.keys import Principal, Role

#: The tracker apps' endpoints (the device id is their credential).
trackers = APIRouter(include_in_schema=False)
#: Registering phones and drawing their set-up codes: admins.
router = APIRouter(tags=["devices"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def _reply(reply: Reply) -> Response:
    return Response(
        content=reply.body,
        status_code=reply.status,
        media_type=reply.media_type,
        headers=reply.headers,
    )


async def _receive(
    endpoint: phones.Endpoint,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    cache: LayersCacheDep,
    ingest: IngestThreadsDep,
) -> Response:
    limits = TrackerLimits(max_positions=settings.server.max_batch_fixes)
    head = TrackerRequest(request.method, request.url.query, b"", dict(request.headers))
    allow_body(request, limits.max_body_bytes)
    try:
        body = await request.body()
    except BodyTooLarge as exc:
        return _reply(answer_refused(phones.protocol_of(endpoint, head), exc.error))
    parts = TrackerRequest(request.method, request.url.query, body, dict(request.headers))
    reply = await ingest.run(
        phones.receive,
        store,
        endpoint,
        parts,
        layers_for=partial(cache.get, store),
        limits=limits,
    )
    return _reply(reply)


@trackers.api_route(phones.ENDPOINT_PATHS["osmand"], methods=["GET", "POST"])
async def osmand(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    cache: LayersCacheDep,
    ingest: IngestThreadsDep,
) -> Response:
    """OsmAnd protocol: OsmAnd, Traccar Client (query or form; JSON from version 9)."""
    return await _receive("osmand", request, store, settings, cache, ingest)


@trackers.post(phones.ENDPOINT_PATHS["owntracks"])
async def owntracks(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    cache: LayersCacheDep,
    ingest: IngestThreadsDep,
) -> Response:
    """OwnTracks in HTTP mode (Basic auth: the device id or a patrol key as the password)."""
    return await _receive("owntracks", request, store, settings, cache, ingest)


@trackers.api_route(phones.ENDPOINT_PATHS["gpslogger"], methods=["GET", "POST"])
async def gpslogger(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    cache: LayersCacheDep,
    ingest: IngestThreadsDep,
) -> Response:
    """GPSLogger for Android's custom URL (Basic auth: the device id as the password)."""
    return await _receive("gpslogger", request, store, settings, cache, ingest)


class OsmAndPort:
    """The OsmAnd endpoint at ``/`` on its own port (``geo serve --osmand-port 5055``, the
    port Traccar's own server uses for this protocol).

    A small ASGI wrapper around the app: a request that came in on ``port`` reaches the
    OsmAnd route whatever its path is ``/``; any other path on that port is 404, so the port
    serves nothing else of the API.
    """

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app = app
        self.port = port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if scope["type"] == "http" and server and server[1] == self.port:
            if scope["path"] not in ("", "/"):
                response = Response(
                    "this port serves the OsmAnd protocol at / only\n",
                    status_code=404,
                    media_type="text/plain; charset=utf-8",
                )
                await response(scope, receive, send)
                return
            path = phones.ENDPOINT_PATHS["osmand"]
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


# ----------------------------------------------------------------------------------------
# Admin: devices

DEVICE_EXAMPLE: dict[str, Any] = {
    "id": "3f9a1c0b7e21",
    "township": "433122207",
    "squad": "squad-01",
    "name": "一组 张三",
    "crs": "wgs84",
    "created_at": "2026-11-30T08:00:00+00:00",
    "revoked_at": None,
    "last_fix_at": "2026-11-30T09:41:05+00:00",
    "last_battery": 81.0,
}


class DeviceModel(BaseModel):
    """A registered phone as lists show it (never its id, only the public id)."""

    model_config = ConfigDict(json_schema_extra={"examples": [DEVICE_EXAMPLE]})

    id: str = Field(description="12 hex digits of the id's hash", examples=["3f9a1c0b7e21"])
    township: str
    squad: str
    name: str
    crs: str
    created_at: str
    revoked_at: str | None
    last_fix_at: str | None = Field(description="Its latest fix (UTC)")
    last_battery: float | None = Field(description="Battery % at that fix")


class NewDeviceRequest(BaseModel):
    """A phone to register."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"squad": "squad-01", "name": "一组 张三"}]},
    )

    squad: Text = Field(min_length=1, max_length=200, examples=["squad-01"])
    name: Text = Field(default="", max_length=200, examples=["一组 张三"])
    crs: Text = Field(
        default="wgs84",
        description="What the phone's app reports: wgs84 (plain Android), gcj02 or bd09",
        examples=["gcj02"],
    )


class NewDeviceModel(BaseModel):
    """A registered phone, its id (shown this once) and its set-up links."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "device": DEVICE_EXAMPLE,
                    "device_id": "Zq3X0cQ2bH1f8rT5mN7kL9pV4sW",
                    "setup": {
                        "traccar": "https://geo.example.cn/api/v1/osmand?id=Zq3X0c...",
                        "owntracks": "owntracks:///config?inline=eyJfdHlwZSI6...",
                        "gpslogger": "https://geo.example.cn/api/v1/gpslogger?lat=%LAT&...",
                    },
                }
            ]
        }
    )

    device: DeviceModel
    device_id: str = Field(description="The secret id: only its hash is kept")
    setup: dict[str, str] = Field(description="Each app's set-up link (put in its QR code)")


DeviceIdPath = Annotated[
    str,
    Path(
        description="The device's public id (as lists show it) or its id; for the set-up "
        "codes, the id as issued (the codes carry it; only its hash is stored), or a patrol "
        "key for app=patrol",
        examples=["3f9a1c0b7e21"],
        max_length=200,
    ),
]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.post(
    "/api/v1/devices",
    response_model=NewDeviceModel,
    status_code=201,
    summary="Register a phone",
    response_description="The phone, its id (shown this once) and its set-up links",
    responses={**AUTH_PROBLEMS, **problem_responses(404, 409, 422, 503)},
)
def post_device(
    principal: Admin,
    body: NewDeviceRequest,
    request: Request,
    store: StoreDep,
    township: TownshipDep,
) -> NewDeviceModel:
    """Register a phone of a squad and issue its device id (160 random bits; only its hash is
    stored, so the id and its set-up links are shown this once)."""
    new, device = phones.register_device(
        store,
        squad=body.squad,
        name=body.name,
        crs=body.crs,
        township=township.code,
        actor=principal.key_id,
    )
    base = _base_url(request)
    setup = {
        app: phones.setup_payload(store, app, new.device_id, base)
        for app in ("traccar", "owntracks", "gpslogger")
    }
    return NewDeviceModel(
        device=DeviceModel.model_validate(device.listing()), device_id=new.device_id, setup=setup
    )


@router.get(
    "/api/v1/devices",
    response_model=list[DeviceModel],
    summary="List the phones",
    response_description="The township's phones, revoked ones included, oldest first",
    responses={
        **AUTH_PROBLEMS,
        **problem_responses(404, 422, 503),
        200: {
            "description": "The township's phones, oldest first",
            "content": {"application/json": {"example": [DEVICE_EXAMPLE]}},
        },
    },
)
def list_devices(principal: Admin, store: StoreDep, township: TownshipDep) -> list[DeviceModel]:
    """The township's registered phones with their last fix and battery."""
    return [DeviceModel.model_validate(d.listing()) for d in store.devices(township.code)]


@router.delete(
    "/api/v1/devices/{id}",
    response_model=DeviceModel,
    summary="Revoke a phone",
    response_description="The phone, revoked: its app is refused from now on",
    responses={**AUTH_PROBLEMS, **problem_responses(404, 422, 503)},
)
def delete_device(principal: Admin, store: StoreDep, id: DeviceIdPath) -> DeviceModel:
    """Revoke a phone's device id (a lost phone): its fixes are refused (401) from now on;
    what it sent before stays."""
    device = phones.revoke_device(store, id, actor=principal.key_id)
    return DeviceModel.model_validate(device.listing())


@router.get(
    "/api/v1/devices/{id}/setup",
    summary="A phone's set-up QR code",
    response_description="The QR code the app scans",
    response_class=Response,
    responses={
        **AUTH_PROBLEMS,
        **problem_responses(404, 422, 503),
        200: {
            "description": "The QR code (PNG or SVG) or its text",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}, "example": ""},
                "image/svg+xml": {"schema": {"type": "string"}, "example": "<svg ...>"},
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": "https://geo.example.cn/api/v1/osmand?id=...",
                },
            },
        },
    },
)
def device_setup(
    principal: Admin,
    request: Request,
    store: StoreDep,
    id: DeviceIdPath,
    app: Annotated[
        Literal["traccar", "owntracks", "gpslogger", "patrol"],
        Query(description="Which app the code sets up", examples=["traccar"]),
    ] = "traccar",
    format: Annotated[
        Literal["png", "svg", "text"],
        Query(description="A PNG or SVG image, or the link as text", examples=["svg"]),
    ] = "png",
) -> Response:
    """The set-up code of one app for a phone: Traccar Client and OwnTracks scan it;
    GPSLogger's is its custom-URL template; the patrol page's is its sign-in link (for a
    patrol key). The codes carry the device id, which the service does not keep: name the
    device by its id as issued (404 for an unknown or revoked one)."""
    try:
        payload = phones.setup_payload(store, app, id, _base_url(request))
    except NotFound:
        raise NotFound(
            "no active device has this id: the set-up codes need the id as issued "
            "(POST /api/v1/devices, geo devices add), not the public id"
        ) from None
    if format == "png":
        return Response(qr_png(payload), media_type="image/png")
    if format == "svg":
        return Response(qr_svg(payload), media_type="image/svg+xml")
    return Response(payload, media_type="text/plain; charset=utf-8")
