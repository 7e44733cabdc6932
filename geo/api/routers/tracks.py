"""Tracks over HTTP: uploads (the same path as ``geo tracks import``), live positions, and
reading uploads back. A patrol key uploads and reads its own squad's tracks only."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.datastructures import UploadFile

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, READERS, require
from geo.api.body_limit import allow_body
from geo.api.dependencies import (
    IngestThreadsDep,
    SettingsDep,
    StoreDep,
    TownshipDep,
)
from geo.api.geojson import GeoJSONResponse
from geo.api.models import PositionBatchModel, TrackCollectionModel
from geo.api.openapi import problem_responses
from geo.api.parse_slots import ParseSlots
from geo.api.routers.coverage import PROBLEMS
from geo.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from geo.features import track_features
from geo.keys import Principal, Role
from geo.store.base import UPLOAD_RECORD_EXAMPLE, UploadRecord
from geo.weeks import IsoWeek

router = APIRouter(tags=["tracks"])
#: Uploads: a squad's phone (its own squad) and admins.
Uploader = Annotated[Principal, Depends(require(Role.PATROL, Role.ADMIN))]
#: Reading tracks: a squad's phone (its own squad) and everyone who reads coverage.
TrackReader = Annotated[Principal, Depends(require(Role.PATROL, *READERS))]


#: The largest upload id the stores hold (``track_uploads.id`` is a 32-bit integer).
MAX_UPLOAD_ID = 2**31 - 1

TRACK_COLLECTION_EXAMPLE: dict[str, Any] = {
    "type": "FeatureCollection",
    "upload": UPLOAD_RECORD_EXAMPLE,
    "features": [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [[109.9004, 28.1512], [109.9011, 28.1496], [109.9029, 28.1496]],
            },
            "properties": {
                "upload_id": 12,
                "squad": "squad-01",
                "device": "phone-01",
                "segment": 0,
                "started_at": "2026-11-18T01:00:00+00:00",
                "ended_at": "2026-11-18T01:59:45+00:00",
                "fixes": 1050,
            },
        }
    ],
}

UPLOAD_EXAMPLE = (
    '<gpx version="1.1"><trk><trkseg><trkpt lat="28.15" lon="109.90">'
    "<time>2026-11-18T01:00:00Z</time></trkpt>...</trkseg></trk></gpx>"
)


#: Content types an upload may declare (a missing one counts as application/octet-stream).
#: Forms (text/plain, application/x-www-form-urlencoded) are refused: a page of another site
#: can make a browser send those, with its cookie, without asking anyone.
UPLOAD_TYPES = frozenset(
    {
        "application/gpx+xml",
        "application/vnd.google-earth.kml+xml",
        "application/vnd.google-earth.kmz",
        "application/geo+json",
        "application/json",
        "text/csv",
        "text/xml",
        "application/xml",
        "application/octet-stream",
        "application/gzip",
        "application/x-gzip",
        "application/zip",
        "application/nmea",
        "multipart/form-data",
    }
)


def check_upload_type(request: Request) -> None:
    """Refuse (415) an upload whose ``Content-Type`` is not a track file type or multipart."""
    declared = request.headers.get("content-type")
    if declared is None:
        return
    kind = declared.split(";", 1)[0].strip().lower()
    if kind not in UPLOAD_TYPES:
        raise UnsupportedMediaType(
            f"an upload is a track file or a multipart form, not {kind or 'an empty type'}; "
            "send e.g. Content-Type: application/gpx+xml (curl: -H 'Content-Type: "
            "application/gpx+xml' --data-binary @track.gpx) or multipart/form-data"
        )


#: Room for the multipart envelope (boundaries, part headers, small fields) around the file.
MULTIPART_ALLOWANCE = 64 * 1024


async def _read_upload(request: Request, limit: int) -> tuple[bytes, str]:
    """The file from a raw body or the first file part of a multipart form, within ``limit``.

    The body is counted while it streams (:mod:`geo.api.body_limit`), chunked or not: 413 as
    soon as it passes the limit, before the rest is received. A multipart form is parsed as it
    arrives (file parts spool to a temporary file past 1 MB).
    """
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    allow_body(request, limit + MULTIPART_ALLOWANCE if multipart else limit)
    if multipart:
        async with request.form(max_files=8, max_fields=32) as form:
            for value in form.values():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    if len(data) > limit:
                        raise PayloadTooLarge(
                            f"the file is {len(data):,} bytes; the limit is {limit:,}"
                        )
                    return data, value.filename or "upload"
        raise InvalidInput("the multipart form has no file part")
    body = io.BytesIO()
    async for chunk in request.stream():
        body.write(chunk)
    return body.getvalue(), "upload"


UPLOAD_PROBLEMS = {**AUTH_PROBLEMS, **problem_responses(404, 409, 413, 422, 503)}


@router.post(
    "/api/v1/tracks",
    response_model=UploadRecord,
    status_code=201,
    summary="Upload a track file",
    response_description="Stored: the upload and its cleaning report",
    responses={
        **UPLOAD_PROBLEMS,
        **problem_responses(415),
        200: {
            "model": UploadRecord,
            "description": "Sent before: the first upload, nothing stored",
        },
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/gpx+xml": {"schema": {"type": "string"}, "example": UPLOAD_EXAMPLE},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    },
                    "example": {"file": UPLOAD_EXAMPLE},
                },
            },
            "required": True,
        }
    },
)
async def post_track(
    principal: Uploader,
    request: Request,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    ingest: IngestThreadsDep,
    township: TownshipDep,
    squad: Annotated[
        str, Query(description="The squad that recorded the track.", examples=["squad-01"])
    ],
    crs: Annotated[
        str | None,
        Query(
            description="Coordinate system: wgs84, cgcs2000, gcj02, bd09, bd09mc, a Chinese "
            "name such as 火星坐标 or 百度, or EPSG:<code>. Default: the system the file names "
            "(a CSV header such as 经度(GCJ-02), a GeoJSON crs member, ...), else wgs84; a file "
            "naming another system than this is refused (422).",
            examples=["gcj02"],
        ),
    ] = None,
    device: Annotated[
        str, Query(description="Phone or recorder name.", examples=["phone-01"])
    ] = "",
    filename: Annotated[
        str | None,
        Query(description="Name to record for a raw body.", examples=["2026-11-18.gpx"]),
    ] = None,
    start: Annotated[
        str | None,
        Query(
            description="When a log without dates (some DJI SRT) started, township local "
            "time unless it has an offset; by default the DJI_YYYYMMDDhhmmss_... file name's.",
            examples=["2024-05-12T15:30:12"],
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="A retry with the same key returns the first answer and stores nothing.",
            max_length=200,
            examples=["phone-01:2026-11-18"],
        ),
    ] = None,
) -> UploadRecord:
    """Upload one track file (GPX) as the body or as multipart. The file is cleaned and stored
    in one transaction; sending the same file again stores nothing and answers 200 with the
    first upload. A patrol key uploads for its own squad only (403 otherwise)."""
    check_upload_type(request)
    principal.check_scope(township.code, squad)
    data, part_name = await _read_upload(request, settings.server.max_upload_bytes)

    def store_upload() -> operations.ImportResult:
        return operations.import_track(
            store,
            data,
            filename=filename or part_name,
            township=township.code,
            squad=squad,
            device=device,
            crs=crs,
            layers=township.layers,
            idempotency_key=idempotency_key,
            limits=settings.server.read_limits(),
            start=start,
        )

    slots: ParseSlots = request.app.state.parse_slots
    async with slots.slot(data):
        result = await ingest.run(store_upload)
    if result.record.duplicate:
        response.status_code = 200
    return result.record


@router.post(
    "/api/v1/positions",
    response_model=UploadRecord,
    status_code=201,
    summary="Send a batch of live positions",
    response_description="Stored: the batch as an upload and its cleaning report",
    responses={
        **UPLOAD_PROBLEMS,
        200: {
            "model": UploadRecord,
            "description": "Sent before: the first answer, nothing stored",
        },
    },
)
async def post_positions(
    principal: Uploader,
    batch: PositionBatchModel,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    township: TownshipDep,
    ingest: IngestThreadsDep,
) -> UploadRecord:
    """A batch of live fixes from a phone. Each batch is stored once per device and batch id
    (a retry answers 200 with the first result); batches of one device join into one track.
    A patrol key sends its own squad's positions only (403 otherwise)."""
    principal.check_scope(township.code, batch.squad)
    limit = settings.server.max_batch_fixes
    if len(batch.fixes) > limit:
        raise PayloadTooLarge(
            f"the batch has {len(batch.fixes):,} fixes; the limit is {limit:,} per batch"
        )
    fixes = [
        operations.LiveFix(time=f.time, lon=f.lon, lat=f.lat, accuracy_m=f.accuracy_m)
        for f in batch.fixes
    ]

    def store_batch() -> operations.ImportResult:
        return operations.import_positions(
            store,
            township=township.code,
            batch_id=batch.batch_id,
            squad=batch.squad,
            device=batch.device,
            crs=batch.crs,
            fixes=fixes,
            layers=township.layers,
        )

    result = await ingest.run(store_batch)
    if result.record.duplicate:
        response.status_code = 200
    return result.record


@router.get(
    "/api/v1/tracks",
    response_model=list[UploadRecord],
    summary="List stored uploads",
    response_description="The uploads with their cleaning reports, oldest first",
    responses={
        **PROBLEMS,
        200: {
            "description": "The uploads with their cleaning reports, oldest first",
            "content": {"application/json": {"example": [UPLOAD_RECORD_EXAMPLE]}},
        },
    },
)
def list_uploads(
    principal: TrackReader,
    store: StoreDep,
    township: TownshipDep,
    squad: Annotated[
        str | None,
        Query(
            description="Only this squad's uploads (a patrol key: its own, the default).",
            examples=["squad-01"],
        ),
    ] = None,
    week: Annotated[
        str | None,
        Query(description="Only uploads with fixes in this ISO week.", examples=["2026-W47"]),
    ] = None,
) -> list[UploadRecord]:
    """Stored uploads with their cleaning reports, oldest first."""
    if principal.role is Role.PATROL:
        squad = squad or principal.squad
        principal.check_scope(township.code, squad or "")
    start = end = None
    if week:
        start, end = IsoWeek.parse(week).bounds(township.layers.info.tz)
    return store.uploads(township.code, squad=squad, start=start, end=end)


@router.get(
    "/api/v1/tracks/{upload_id}",
    response_model=TrackCollectionModel,
    response_class=GeoJSONResponse,
    summary="One upload's cleaned track (GeoJSON)",
    response_description="The upload's cleaned segments and the upload itself",
    responses={
        **PROBLEMS,
        200: {
            "description": "The upload's cleaned segments (RFC 7946 FeatureCollection, WGS-84) "
            "and the upload itself",
            "content": {"application/geo+json": {"example": TRACK_COLLECTION_EXAMPLE}},
        },
    },
)
def get_upload_tracks(
    principal: TrackReader,
    store: StoreDep,
    upload_id: Annotated[
        int,
        Path(
            description="The upload's id (as POST /api/v1/tracks answered it)",
            ge=1,
            # Upload ids are 32-bit integers in the store: a larger id is refused (422)
            # instead of being sent to the database.
            le=MAX_UPLOAD_ID,
            examples=[12],
        ),
    ],
) -> GeoJSONResponse:
    """One upload's cleaned segments as a GeoJSON FeatureCollection (WGS-84 lon/lat)."""
    record = store.upload(upload_id)
    principal.check_scope(record.township, record.squad)
    features = track_features(upload_id, store.upload_segments(upload_id))
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "upload": record.model_dump(mode="json"),
            "features": features,
        }
    )
