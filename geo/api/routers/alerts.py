"""The alert outbox for admins: ``GET /api/v1/alerts`` lists the township's messages,
``POST /api/v1/alerts/{id}/resend`` puts one back and sends it (as ``geo alerts list`` and
``geo alerts resend``). Each is one call to :mod:`geo.operations`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from geo import operations
from geo.api.auth import AUTH_PROBLEMS, require
from geo.api.dependencies import SettingsDep, StoreDep, TownshipDep
from geo.api.openapi import problem_responses
from geo.dispatch.outbox import OUTBOX_EXAMPLE, OutboxMessage, Status
from geo.keys import Role

router = APIRouter(
    tags=["dispatch"],
    dependencies=[Depends(require(Role.ADMIN))],
    responses={**AUTH_PROBLEMS, **problem_responses(404, 422, 503)},
)


@router.get(
    "/api/v1/alerts",
    response_model=list[OutboxMessage],
    responses={200: {"content": {"application/json": {"example": [OUTBOX_EXAMPLE]}}}},
    summary="The alert outbox",
    response_description="The township's messages, oldest first: status, attempts, next "
    "attempt, last error",
)
async def list_alerts(
    township: TownshipDep,
    store: StoreDep,
    status: Annotated[
        Status | None, Query(description="Only messages with this status.", examples=["failed"])
    ] = None,
) -> list[OutboxMessage]:
    """The mid-week alert messages of the township's outbox: ``pending`` (waiting for their
    next attempt), ``sent``, or ``failed`` (given up after 12 attempts)."""
    return await run_in_threadpool(
        lambda: operations.alert_messages(store, township.code, status=status)
    )


@router.post(
    "/api/v1/alerts/{message_id}/resend",
    response_model=OutboxMessage,
    summary="Send an alert message again",
    response_description="The message as stored after the attempt: sent, or pending with "
    "its last error",
)
async def resend_alert(
    message_id: Annotated[
        int, Path(ge=1, le=2**31 - 1, description="The message's id.", examples=[42])
    ],
    township: TownshipDep,
    store: StoreDep,
    settings: SettingsDep,
) -> OutboxMessage:
    """Put one message back in the outbox (pending, due now, attempts from zero; a sent or
    failed one too) and send what is due at once to the webhooks of ``GEO_ALERT_TARGETS``;
    404 when the township has no such message."""
    return await run_in_threadpool(
        lambda: operations.resend_alert(
            store,
            township.code,
            message_id,
            settings.alerts.alert_targets,
            timeout=settings.alerts.alert_timeout_seconds,
        )
    )
