"""API keys and roles: the pure part (no database, no web).

A key is the token ``geo_<key_id>_<secret>``. ``key_id`` is a public prefix (shown in lists and
logs); the secret is 256 random bits from :func:`secrets.token_urlsafe`. Only the SHA-256 of
the secret is stored: the secret is random, so a slow password hash would add nothing, and a
stolen table cannot be turned back into keys. Secrets are compared with
:func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from geo.errors import Forbidden, InvalidInput

TOKEN_PREFIX = "geo"
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{20,200}$")


class Role(StrEnum):
    """What a key may do (docs/security.md has the route × role table)."""

    PATROL = "patrol"
    """A squad's phone: uploads and reads its own squad's tracks, nothing else."""
    PLANNER = "planner"
    """Plans patrols: reads coverage, maps and every squad's tracks."""
    LEADER = "leader"
    """Township leaders: read coverage, maps and tracks (the dashboard)."""
    ADMIN = "admin"
    """Everything the HTTP API offers, including uploads for any squad."""

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named ``text``; :class:`InvalidInput` naming the choices otherwise."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(r.value for r in cls)
            raise InvalidInput(f"unknown role {text!r}: choose one of {choices}") from None


@dataclass(frozen=True)
class NewToken:
    """A freshly generated key: the token is shown once, only its hash is kept."""

    token: str
    key_id: str
    secret_sha256: str


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never its secret)."""

    key_id: str
    secret_sha256: str
    name: str
    role: Role
    township: str | None
    squad: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def listing(self) -> dict[str, str | None]:
        """What ``geo keys list`` shows: everything but the hash."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "role": self.role.value,
            "township": self.township,
            "squad": self.squad,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "last_used_at": self.last_used_at.isoformat(timespec="seconds")
            if self.last_used_at
            else None,
            "revoked_at": self.revoked_at.isoformat(timespec="seconds")
            if self.revoked_at
            else None,
        }


#: The roles a key may hold for one township instead of the county (``--township``).
SCOPABLE_ROLES = frozenset({Role.PATROL, Role.PLANNER, Role.LEADER})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role of the key and its scope.

    ``township`` None is a county key: it acts for every township of the store. A township key
    (a patrol key always, a leader or planner key when created with ``--township``) acts for
    that township only; a patrol key also for its ``squad`` only.
    """

    key_id: str
    name: str
    role: Role
    township: str | None = None
    squad: str | None = None

    @property
    def county(self) -> bool:
        """Whether the key acts for every township (no township of its own)."""
        return self.township is None

    def check_township(self, township: str) -> None:
        """Raise :class:`Forbidden` when a township key acts for another township."""
        if self.township is not None and township != self.township:
            raise Forbidden(
                f"this {self.role.value} key belongs to township {self.township}; "
                f"it may not act for township {township}"
            )

    def check_county(self, what: str) -> None:
        """Raise :class:`Forbidden` when a township key asks for ``what`` (a view of the
        whole county)."""
        if self.township is not None:
            raise Forbidden(
                f"{what} covers every township; this {self.role.value} key belongs to township "
                f"{self.township} only"
            )

    def check_scope(self, township: str, squad: str) -> None:
        """Raise :class:`Forbidden` when a township key acts for another township, or a patrol
        key for another squad.

        Parameters
        ----------
        township, squad
            The township and squad the request reads or writes.
        """
        self.check_township(township)
        if self.role is not Role.PATROL:
            return
        if township != self.township or squad != self.squad:
            raise Forbidden(
                f"this patrol key belongs to {self.squad} of township {self.township}; "
                f"it may not act for {squad} of township {township}"
            )


def hash_secret(secret: str) -> str:
    """The hex SHA-256 of a key's secret, as stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_token() -> NewToken:
    """A new random key: ``geo_<12 hex>_<43 url-safe characters>``."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewToken(f"{TOKEN_PREFIX}_{key_id}_{secret}", key_id, hash_secret(secret))


def parse_token(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed token, else None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    key_id, secret = parts[1], parts[2]
    if not _KEY_ID.match(key_id) or not _SECRET.match(secret):
        return None
    return key_id, secret


def secret_matches(secret: str, secret_sha256: str) -> bool:
    """Whether ``secret`` hashes to the stored hash (constant-time comparison)."""
    return hmac.compare_digest(hash_secret(secret), secret_sha256)
