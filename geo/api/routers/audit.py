"""``GET /api/v1/audit``: the audit log (layer edits, camera status changes, API key use),
newest first, for admin keys only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, require
from geo.api.dependencies import StoreDep
from geo.api.openapi import problem_responses
from geo.keys import Role

router = APIRouter(
    tags=["audit"],
    dependencies=[Depends(require(Role.ADMIN))],
    responses={**AUTH_PROBLEMS, **problem_responses(422, 503)},
)

#: The most entries one page holds.
MAX_PAGE = 1000
#: The furthest a page may start (a bound for the store's OFFSET).
MAX_OFFSET = 10_000_000

_EXAMPLE_ENTRY: dict[str, Any] = {
    "id": 42,
    "at": "2026-11-20T08:01:00.000+00:00",
    "actor": "3f9a1c0b7e21",
    "township": "433122207",
    "action": "camera.status",
    "target": "cameras/CAM-07",
    "detail": {"status": "offline", "changed_at": "2026-11-20T08:00:00+00:00", "note": ""},
}


class AuditEntryModel(BaseModel):
    """One audit entry."""

    id: int = Field(examples=[42])
    at: datetime = Field(description="When the change was stored (UTC)")
    actor: str = Field(description="The API key id that acted, or cli", examples=["3f9a1c0b7e21"])
    township: str | None = Field(description="The township concerned", examples=["433122207"])
    action: str = Field(
        description="layers.load, feature.create, feature.replace, feature.delete, "
        "camera.status, key.create, key.revoke or key.use",
        examples=["camera.status"],
    )
    target: str = Field(description="What was changed", examples=["cameras/CAM-07"])
    detail: dict[str, Any] = Field(description="A few facts of the change")


class AuditPageModel(BaseModel):
    """A page of audit entries, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"entries": [_EXAMPLE_ENTRY], "limit": 100, "offset": 0, "next_offset": None}
            ]
        }
    )

    entries: list[AuditEntryModel]
    limit: int = Field(examples=[100])
    offset: int = Field(examples=[0])
    next_offset: int | None = Field(
        description="The offset of the next page, or null on the last page", examples=[None]
    )


@router.get(
    "/api/v1/audit",
    summary="The audit log",
    response_model=AuditPageModel,
    response_description="Audit entries, newest first",
)
def get_audit(
    store: StoreDep,
    since: Annotated[
        datetime | None,
        Query(
            description="Only entries at or after this time (ISO 8601; without an offset: UTC)",
            examples=["2026-11-20T00:00:00+08:00"],
        ),
    ] = None,
    township: Annotated[
        str | None,
        Query(description="Only entries of this township", examples=["433122207"]),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="Entries per page", examples=[100])
    ] = 100,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Entries to skip", examples=[0])
    ] = 0,
) -> dict[str, Any]:
    """Who changed which layer feature, camera status or API key, and when (each entry is
    written in the transaction of its change); a key's use is recorded once a minute at
    most. Admin keys only."""
    found = operations.audit_entries(
        store, since=since, township=township, limit=limit + 1, offset=offset
    )
    return {
        "entries": [e.to_dict() for e in found[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(found) > limit else None,
    }
