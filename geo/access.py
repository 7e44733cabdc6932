"""API keys through the store: create, revoke, and turn a presented token into a
:class:`geo.keys.Principal` (used by the CLI, the HTTP API and the sign-in page)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from geo import operations
from geo.audit import CLI_ACTOR, Action, entry
from geo.errors import AuthenticationRequired, InvalidInput
from geo.keys import (
    SCOPABLE_ROLES,
    ApiKey,
    Principal,
    Role,
    generate_token,
    hash_secret,
    parse_token,
    secret_matches,
)
from geo.paths import output_path
from geo.store import Store

#: ``last_used_at`` is written at most this often per key, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=1)
_NO_SUCH_SECRET = hash_secret("no such key")


def create_key(
    store: Store,
    *,
    role: Role | str,
    name: str = "",
    squad: str | None = None,
    township: str | None = None,
    now: datetime | None = None,
    actor: str = CLI_ACTOR,
) -> tuple[str, ApiKey]:
    """Create and store a key (with its audit entry); the token is returned once and never
    stored.

    Parameters
    ----------
    role
        ``patrol``, ``planner``, ``leader`` or ``admin``.
    squad, township
        A patrol key's squad (one of the township's layers) and township (default: the store's
        only township). A leader or planner key with a ``township`` acts for that township
        only; without one it is a county key and acts for every township. Admin keys act for
        the county and take neither.

    Returns
    -------
    tuple
        The token (``geo_<key_id>_<secret>``) and the stored key.
    """
    role = Role.parse(role) if isinstance(role, str) else role
    code: str | None = None
    if role is Role.PATROL:
        if not squad:
            raise InvalidInput("a patrol key needs --squad: the squad whose phone will use it")
        code = operations.resolve_township(store, township)
        squads = store.load_layers(code).squads()
        if squad not in squads:
            raise InvalidInput(
                f"squad {squad!r} is not in the layers of township {code} "
                f"(its squads: {', '.join(squads)})"
            )
    elif squad:
        raise InvalidInput(f"--squad is for patrol keys only; a {role.value} key has no squad")
    elif township:
        if role not in SCOPABLE_ROLES:
            raise InvalidInput(
                f"--township is for patrol, planner and leader keys; a {role.value} key acts "
                "for the whole county"
            )
        code = operations.resolve_township(store, township)
    made = generate_token()
    created = now or datetime.now(UTC)
    key = ApiKey(
        key_id=made.key_id,
        secret_sha256=made.secret_sha256,
        name=name,
        role=role,
        township=code,
        squad=squad if role is Role.PATROL else None,
        created_at=created.replace(microsecond=created.microsecond // 1000 * 1000),  # as stored
    )
    audit = entry(
        Action.KEY_CREATE,
        actor=actor,
        township=key.township,
        target=key.key_id,
        detail={"role": key.role.value, "name": key.name, "squad": key.squad},
        at=created,
    )
    store.add_api_key(key, audit=audit)
    return made.token, key


def revoke_key(
    store: Store, key_id: str, now: datetime | None = None, *, actor: str = CLI_ACTOR
) -> ApiKey:
    """Revoke a key by its id (a whole token is accepted too); it stops working at once. The
    audit log records the revocation (not a second revocation of the same key)."""
    parsed = parse_token(key_id)
    wanted = parsed[0] if parsed else key_id.strip()
    at = now or datetime.now(UTC)
    known = store.api_key(wanted)
    audit = entry(
        Action.KEY_REVOKE,
        actor=actor,
        township=known.township if known else None,
        target=wanted,
        detail={"role": known.role.value, "name": known.name} if known else {},
        at=at,
    )
    return store.revoke_api_key(wanted, at, audit=audit)


def authenticate(store: Store, token: str | None, now: datetime | None = None) -> Principal:
    """The caller behind ``token``.

    Raises
    ------
    AuthenticationRequired
        No token, or one that is malformed, unknown, wrong or revoked.
    """
    if not token:
        raise AuthenticationRequired(
            "no API key: send the header 'Authorization: Bearer <key>' (or the key as the "
            "password of HTTP Basic), or sign in at /signin"
        )
    parsed = parse_token(token)
    if parsed is None:
        raise AuthenticationRequired("the API key is malformed; keys look like geo_<id>_<secret>")
    key_id, secret = parsed
    key = store.api_key(key_id)
    if not secret_matches(secret, key.secret_sha256 if key else _NO_SUCH_SECRET) or key is None:
        raise AuthenticationRequired("the API key is not valid")
    now = now or datetime.now(UTC)
    if key.revoked_at is not None and key.revoked_at <= now:
        raise AuthenticationRequired(
            f"the API key {key_id} was revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC"
        )
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        # The first use in each minute is also the audit log's record of the key's use.
        audit = entry(Action.KEY_USE, actor=key_id, township=key.township, target=key_id, at=now)
        store.touch_api_key(key_id, now, audit=audit)
    return Principal(
        key_id=key.key_id, name=key.name, role=key.role, township=key.township, squad=key.squad
    )


def demo_key(store: Store, path: Path) -> tuple[str, bool]:
    """The demo's admin key: the one whose token is kept in ``path`` while it still works,
    else a new one (written to ``path``, readable by its owner only).

    Returns
    -------
    tuple
        The token and whether it was created now.
    """
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        try:
            if authenticate(store, token).role is Role.ADMIN:
                return token, False
        except AuthenticationRequired:
            pass
    token, _ = create_key(store, role=Role.ADMIN, name="demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path(path.parent, f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    os.replace(tmp, path)
    return token, True
