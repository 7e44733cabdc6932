"""Track uploads over HTTP: the same path as ``geo tracks import``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from geo import operations
from geo.api.dependencies import SettingsDep, StoreDep, TownshipDep
from geo.api.models import PositionBatchModel, UploadModel
from geo.api.openapi import problem_responses
from geo.errors import InvalidInput, PayloadTooLarge

router = APIRouter(tags=["tracks"])

UPLOAD_EXAMPLE = (
    '<gpx version="1.1"><trk><trkseg><trkpt lat="28.15" lon="109.90">'
    "<time>2026-11-18T01:00:00Z</time></trkpt>...</trkseg></trk></gpx>"
)


async def _read_upload(request: Request, limit: int) -> tuple[bytes, str]:
    """The file from a raw body or the first file part of a multipart form, within ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"the upload is {int(declared):,} bytes; the limit is {limit:,} bytes"
        )
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        for value in form.values():
            if hasattr(value, "read"):
                data = await value.read()
                if len(data) > limit:
                    raise PayloadTooLarge(
                        f"the file is {len(data):,} bytes; the limit is {limit:,}"
                    )
                return data, str(getattr(value, "filename", "") or "upload")
        raise InvalidInput("the multipart form has no file part")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the upload is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks), "upload"


UPLOAD_PROBLEMS = problem_responses(404, 409, 413, 422, 503)


@router.post(
    "/api/v1/tracks",
    response_model=UploadModel,
    status_code=201,
    summary="Upload a track file",
    response_description="Stored: the upload and its cleaning report",
    responses={
        **UPLOAD_PROBLEMS,
        200: {"model": UploadModel, "description": "Sent before: the first upload, nothing stored"},
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
    request: Request,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    township: TownshipDep,
    squad: Annotated[
        str, Query(description="The squad that recorded the track.", examples=["squad-01"])
    ],
    crs: Annotated[
        str,
        Query(
            description="Coordinate system: wgs84, cgcs2000, gcj02, bd09 or EPSG:<code>.",
            examples=["gcj02"],
        ),
    ] = "wgs84",
    device: Annotated[
        str, Query(description="Phone or recorder name.", examples=["phone-01"])
    ] = "",
    filename: Annotated[
        str | None,
        Query(description="Name to record for a raw body.", examples=["2026-11-18.gpx"]),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="A retry with the same key returns the first answer and stores nothing.",
            max_length=200,
            examples=["phone-01:2026-11-18"],
        ),
    ] = None,
) -> dict[str, Any]:
    """Upload one track file (GPX) as the body or as multipart. The file is cleaned and stored
    in one transaction; sending the same file again stores nothing and answers 200 with the
    first upload."""
    data, part_name = await _read_upload(request, settings.server.max_upload_bytes)
    result = await run_in_threadpool(
        operations.import_track,
        store,
        data,
        filename=filename or part_name,
        township=township,
        squad=squad,
        device=device,
        crs=crs,
        idempotency_key=idempotency_key,
        max_fixes=settings.server.max_upload_fixes,
    )
    if result.record.duplicate:
        response.status_code = 200
    return result.record.to_dict()


@router.post(
    "/api/v1/positions",
    response_model=UploadModel,
    status_code=201,
    summary="Send a batch of live positions",
    response_description="Stored: the batch as an upload and its cleaning report",
    responses={
        **UPLOAD_PROBLEMS,
        200: {"model": UploadModel, "description": "Sent before: the first answer, nothing stored"},
    },
)
def post_positions(
    batch: PositionBatchModel,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    township: TownshipDep,
) -> dict[str, Any]:
    """A batch of live fixes from a phone. Each batch is stored once per device and batch id
    (a retry answers 200 with the first result); batches of one device join into one track."""
    limit = settings.server.max_batch_fixes
    if len(batch.fixes) > limit:
        raise PayloadTooLarge(
            f"the batch has {len(batch.fixes):,} fixes; the limit is {limit:,} per batch"
        )
    result = operations.import_positions(
        store,
        township=township,
        batch_id=batch.batch_id,
        squad=batch.squad,
        device=batch.device,
        crs=batch.crs,
        fixes=[
            operations.LiveFix(time=f.time, lon=f.lon, lat=f.lat, accuracy_m=f.accuracy_m)
            for f in batch.fixes
        ],
    )
    if result.record.duplicate:
        response.status_code = 200
    return result.record.to_dict()
