"""The alert outbox's message: one message to one webhook target, kept until it is sent.

Stored in the table ``alert_outbox`` (:class:`geo.store.tables.AlertOutbox`); made by
:mod:`geo.dispatch.alerts` and sent by ``geo alerts run`` (:func:`geo.operations.run_alerts`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: How a message is sent: a WeCom (企业微信) or DingTalk (钉钉) group robot, or plain JSON.
Channel = Literal["wecom", "dingtalk", "json"]
Status = Literal["pending", "sent", "failed"]

#: Attempts after which a message is marked ``failed`` and no longer retried.
MAX_ATTEMPTS = 12
#: First retry delay; each later failure doubles it, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)


#: A message of the outbox whose WeCom robot was down (the OpenAPI example).
OUTBOX_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "key": "5d0f3c7e9a1b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d",
    "township": "433122207",
    "week": "2026-W48",
    "as_of": "2026-11-25",
    "channel": "wecom",
    "target": "小章镇巡查群",
    "payload": {
        "msgtype": "markdown",
        "markdown": {"content": "### 巡查预警 433122207 2026-W48：1 个村有风险\n..."},
    },
    "status": "pending",
    "attempts": 2,
    "next_attempt_at": "2026-11-25T10:04:00Z",
    "last_error": "ConnectError: [Errno 111] Connection refused",
    "created_at": "2026-11-25T10:00:00Z",
    "sent_at": None,
}


class OutboxMessage(BaseModel):
    """One alert message for one target (a row of ``alert_outbox``; ``id`` is None until
    stored)."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [OUTBOX_EXAMPLE]})

    id: int | None = None
    key: str = Field(description="Unique per township, channel, target, day and village set.")
    township: str
    week: str
    as_of: str = Field(description="The last day counted, YYYY-MM-DD.")
    channel: Channel
    target: str
    payload: dict[str, object]
    status: Status = "pending"
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str = ""
    created_at: datetime
    sent_at: datetime | None = None


class AlertTarget(BaseModel):
    """A webhook alerts go to (``GEO_ALERT_TARGETS``, a JSON list of these).

    ``secret`` is a DingTalk robot's signing secret (加签, ``SEC...``): when set, each send
    adds ``timestamp`` and ``sign`` to the URL.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, examples=["小章镇 巡查群"])
    kind: Channel
    url: str = Field(examples=["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."])
    secret: str | None = None
    townships: list[str] | None = Field(
        None, description="Only these townships' alerts (all when unset)."
    )


def backoff(attempts: int) -> timedelta:
    """The delay before the next attempt after ``attempts`` failed ones (exponential).

    Examples
    --------
    >>> [int(backoff(n).total_seconds()) for n in (1, 2, 3)]
    [60, 120, 240]
    >>> backoff(30) == MAX_BACKOFF
    True
    """
    factor: int = 2 ** max(0, min(attempts - 1, 20))
    return min(FIRST_BACKOFF * factor, MAX_BACKOFF)


__all__ = [
    "FIRST_BACKOFF",
    "MAX_ATTEMPTS",
    "MAX_BACKOFF",
    "OUTBOX_EXAMPLE",
    "AlertTarget",
    "Channel",
    "OutboxMessage",
    "Status",
    "backoff",
]
