"""The audit log's entries: who changed which layer, camera status or API key, and when.

The store writes an entry in the same transaction as the change it records (a change that is
refused leaves no entry, an entry never describes a change that was not stored). Entries are
read by ``geo audit list`` and ``GET /api/v1/audit`` (admin keys only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

#: The actor of changes made on the command line (on the server itself).
CLI_ACTOR = "cli"


class Action(StrEnum):
    """What an audit entry records."""

    LAYERS_LOAD = "layers.load"
    """``geo layers load``: every layer of a township replaced from a folder."""
    FEATURE_CREATE = "feature.create"
    """A feature added to a layer (``POST /api/v1/layers/{layer}``)."""
    FEATURE_REPLACE = "feature.replace"
    """A feature replaced (``PUT /api/v1/layers/{layer}/{id}``)."""
    FEATURE_DELETE = "feature.delete"
    """A feature deleted (``DELETE /api/v1/layers/{layer}/{id}``)."""
    CAMERA_STATUS = "camera.status"
    """A camera status change (``PATCH /api/v1/cameras/{code}``)."""
    KEY_CREATE = "key.create"
    """An API key created (``geo keys create``)."""
    KEY_REVOKE = "key.revoke"
    """An API key revoked (``geo keys revoke``)."""
    KEY_USE = "key.use"
    """An API key used: the first use in each minute (when ``last_used_at`` is written)."""
    DEVICE_CREATE = "device.create"
    """A phone registered (``geo devices add``, ``POST /api/v1/devices``)."""
    DEVICE_REVOKE = "device.revoke"
    """A phone's device id revoked (``geo devices revoke``, ``DELETE /api/v1/devices/{id}``)."""
    FIXES_PRUNE = "fixes.prune"
    """Stored fixes before a month removed (``geo db prune --before YYYY-MM --yes``)."""


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log.

    Parameters
    ----------
    at
        When the change was made (UTC).
    actor
        The API key id that made it, or :data:`CLI_ACTOR`.
    action
        What was done.
    township
        The township it concerns (None for keys that act for every township).
    target
        What it was done to: ``cameras/C-001``, a key id, a layers folder's township.
    detail
        A small JSON-ready dict (the new status, the layer counts, a key's role...).
    id
        The stored entry's id (None before it is stored).
    """

    at: datetime
    actor: str
    action: Action
    township: str | None = None
    target: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data (what the CLI prints and the API returns)."""
        return {
            "id": self.id,
            "at": self.at.astimezone(UTC).isoformat(timespec="milliseconds"),
            "actor": self.actor,
            "township": self.township,
            "action": self.action.value,
            "target": self.target,
            "detail": self.detail,
        }


def entry(
    action: Action,
    *,
    actor: str,
    township: str | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """An entry made now (or ``at``), times kept to the millisecond as both stores keep them."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return AuditEntry(
        at=moment,
        actor=actor or CLI_ACTOR,
        action=action,
        township=township,
        target=target,
        detail=dict(detail or {}),
    )
