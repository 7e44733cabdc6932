"""What the phone routes and ``geo devices`` do, once: register and revoke phones, and store
what a tracker app sent for the device it came from.

A tracker request is read by its protocol's reader (:mod:`geo.ingest.trackers`), its
credential looked up (a device id by its hash, or a patrol key sent as a Basic password), its
fixes stored by the same path as ``POST /api/v1/positions``
(:func:`geo.operations.import_positions`: converted from the device's coordinate system,
checked for plausibility, stored once per device and batch, joined into the device's track),
and the app answered as it expects (:func:`geo.ingest.trackers.answer_stored`,
:func:`~geo.ingest.trackers.answer_refused`, :func:`~geo.ingest.trackers.answer_retry`).
docs/phones.md describes the protocols and the answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Literal

from geo import access, operations
from geo.audit import CLI_ACTOR, Action, entry
from geo.devices import (
    Device,
    NewDeviceId,
    device_id_sha256,
    is_device_id,
    new_device_id,
    owntracks_configuration,
    owntracks_link,
    patrol_signin_link,
    public_id,
    traccar_client_link,
)
from geo.errors import AuthenticationRequired, GeoError, InvalidInput, NotFound, StoreUnavailable
from geo.ingest.trackers import (
    Protocol,
    Reply,
    TrackerBatch,
    TrackerLimits,
    TrackerRequest,
    answer_refused,
    answer_retry,
    gpslogger_url,
    osmand_protocol,
    parse_gpslogger,
    parse_osmand,
    parse_owntracks,
)
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store, UploadRecord

log = logging.getLogger("geo.phones")

#: The tracker endpoints, by the protocol family their path serves.
Endpoint = Literal["osmand", "owntracks", "gpslogger"]
#: Where each endpoint is served (``geo serve --osmand-port`` also serves OsmAnd at ``/``).
ENDPOINT_PATHS: dict[Endpoint, str] = {
    "osmand": "/api/v1/osmand",
    "owntracks": "/api/v1/owntracks",
    "gpslogger": "/api/v1/gpslogger",
}
#: Seconds an app is asked to wait before sending again when nothing could be stored.
RETRY_AFTER_S = 60


class OncePerMinute:
    """Log a message at most once a minute per key (an unknown device id sending every 30 s
    must not fill the log), with the number of times it happened since it was last logged."""

    def __init__(self, every_s: float = 60.0, max_keys: int = 10_000) -> None:
        self.every_s = every_s
        self.max_keys = max_keys
        self._seen: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def note(self, key: str, message: str, *, now: float | None = None) -> bool:
        """Count one occurrence; log ``message`` when the key was not logged in the last
        minute. Returns whether it was logged."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            last, count = self._seen.get(key, (float("-inf"), 0))
            if moment - last < self.every_s:
                self._seen[key] = (last, count + 1)
                return False
            if len(self._seen) >= self.max_keys:
                self._seen.clear()  # a flood of ids: forget, and log each again once
            self._seen[key] = (moment, 0)
        suffix = f" ({count} more since last logged)" if count else ""
        log.warning("%s%s", message, suffix)
        return True


#: Unknown or revoked device ids, and refused batches, logged at most once a minute per id.
UNKNOWN = OncePerMinute()
REFUSED = OncePerMinute()


@dataclass(frozen=True)
class Sender:
    """Where a tracker request's fixes go: a registered device, or a patrol key's squad."""

    township: str
    squad: str
    device: str
    """The name the fixes are stored under (batches of one device join into one track)."""
    crs: str = "wgs84"
    id_sha256: str | None = None
    """The device's hash (None for a patrol key): its last fix and battery are recorded."""


def sender_for(
    store: Store, credential: str, username: str | None = None, *, keys: bool = True
) -> Sender:
    """The sender behind a tracker request's credential.

    A device id is looked up by its hash; with ``keys``, a patrol key (OwnTracks and
    GPSLogger send it as their Basic password; never in an OsmAnd URL, where it would be
    logged) sends for its own squad, under the Basic user name.

    Raises
    ------
    AuthenticationRequired
        An unknown or revoked device id, or a key that is not a valid patrol key (logged at
        most once a minute per id).
    """
    if keys and not is_device_id(credential) and credential.startswith("geo_"):
        principal = access.authenticate(store, credential)
        if principal.role is not Role.PATROL or not principal.township or not principal.squad:
            raise AuthenticationRequired(
                f"a {principal.role.value} key cannot send positions: use a device id or a "
                "patrol key"
            )
        return Sender(
            township=principal.township,
            squad=principal.squad,
            device=username or f"key-{principal.key_id}",
        )
    digest = device_id_sha256(credential)
    device = store.device_by_hash(digest)
    if device is None or not device.active:
        state = "unknown" if device is None else "revoked"
        UNKNOWN.note(digest, f"tracker request from {state} device id {public_id(digest)}")
        raise AuthenticationRequired(
            f"this device id is {state}: ask the administrator for a new set-up code"
        )
    return Sender(
        township=device.township,
        squad=device.squad,
        device=f"device-{device.public_id}",
        crs=device.crs,
        id_sha256=device.id_sha256,
    )


def store_batch(
    store: Store, batch: TrackerBatch, sender: Sender, layers: TownshipLayers
) -> UploadRecord | None:
    """Store a batch's fixes once per (device, batch id) by the live-positions path; record
    the device's last fix and battery. None when the batch holds no fix (an OwnTracks
    message other than a location)."""
    if not batch.positions:
        return None
    ordered = sorted(
        batch.positions,
        key=lambda p: (p.time, p.lat, p.lon, -1.0 if p.accuracy_m is None else p.accuracy_m),
    )
    fixes = [
        operations.LiveFix(time=p.time, lon=p.lon, lat=p.lat, accuracy_m=p.accuracy_m)
        for p in ordered
    ]
    result = operations.import_positions(
        store,
        township=sender.township,
        batch_id=batch.batch_id,
        squad=sender.squad,
        device=sender.device,
        crs=sender.crs,
        fixes=fixes,
        layers=layers,
    )
    if sender.id_sha256 is not None:
        last = ordered[-1]
        battery = next(
            (p.battery_pct for p in reversed(ordered) if p.battery_pct is not None), None
        )
        store.touch_device(sender.id_sha256, last.time, battery)
    return result.record


def _parse(
    endpoint: Endpoint, request: TrackerRequest, tz: tzinfo, limits: TrackerLimits
) -> TrackerBatch:
    if endpoint == "osmand":
        return parse_osmand(request, tz=tz, limits=limits)
    if endpoint == "owntracks":
        return parse_owntracks(request, limits=limits)
    return parse_gpslogger(request, tz=tz, limits=limits)


def protocol_of(endpoint: Endpoint, request: TrackerRequest) -> Protocol:
    """The protocol an endpoint's request speaks (OsmAnd's path serves the JSON body too)."""
    if endpoint == "osmand":
        return osmand_protocol(request)
    return Protocol.OWNTRACKS if endpoint == "owntracks" else Protocol.GPSLOGGER


def receive(
    store: Store,
    endpoint: Endpoint,
    request: TrackerRequest,
    *,
    layers_for: Callable[[str], TownshipLayers],
    limits: TrackerLimits,
) -> Reply:
    """Read, authenticate and store one tracker request; what to answer the app.

    Parameters
    ----------
    store
        Where the fixes go.
    endpoint
        Which protocol's path the request came to.
    request
        The request's parts.
    layers_for
        The township's layers by code (the API's layers cache).
    limits
        Body size and fixes per request.

    Returns
    -------
    Reply
        ``batch.reply`` once stored (or stored before), the app's refusal for bad data, an
        unknown device or a batch over the limit (nothing stored), or 503 with
        ``Retry-After`` when the store cannot take it now.
    """
    protocol = protocol_of(endpoint, request)
    try:
        batch = _parse(endpoint, request, UTC, limits)
        sender = sender_for(store, batch.credential, batch.username, keys=endpoint != "osmand")
        layers = layers_for(sender.township)
        if endpoint != "owntracks":
            # Times written without an offset are the township's local time.
            batch = _parse(endpoint, request, layers.info.tz, limits)
        store_batch(store, batch, sender, layers)
    except StoreUnavailable:
        return answer_retry(protocol, RETRY_AFTER_S)
    except AuthenticationRequired as error:
        return answer_refused(protocol, error)
    except GeoError as error:
        if isinstance(error, InvalidInput | NotFound):
            REFUSED.note(
                f"{protocol.value}:{error.one_line()[:80]}",
                f"refused {protocol.value} request: {error.one_line()}",
            )
        return answer_refused(protocol, error)
    return batch.reply


# ----------------------------------------------------------------------------------------
# Devices: register, revoke, set-up codes


def register_device(
    store: Store,
    *,
    squad: str,
    name: str = "",
    crs: str = "wgs84",
    township: str | None = None,
    actor: str = CLI_ACTOR,
    now: datetime | None = None,
) -> tuple[NewDeviceId, Device]:
    """Issue a device id for a phone of ``squad`` and store its hash (with an audit entry).

    The id is returned once (for its set-up codes) and never stored.
    """
    code = operations.resolve_township(store, township)
    squads = store.load_layers(code).squads()
    if squad not in squads:
        raise InvalidInput(
            f"squad {squad!r} is not in the layers of township {code} "
            f"(its squads: {', '.join(squads)})",
            place="squad",
        )
    created = now or datetime.now(UTC)
    created = created.replace(microsecond=created.microsecond // 1000 * 1000)  # as stored
    new = new_device_id()
    device = Device.register(
        new, township=code, squad=squad, name=name, crs=crs, created_at=created
    )
    audit = entry(
        Action.DEVICE_CREATE,
        actor=actor,
        township=code,
        target=device.public_id,
        detail={"squad": squad, "name": name, "crs": device.crs},
        at=created,
    )
    store.add_device(device, audit=audit)
    return new, device


def revoke_device(
    store: Store, wanted: str, *, actor: str = CLI_ACTOR, now: datetime | None = None
) -> Device:
    """Revoke a device by its public id (12 hex digits, as lists show it) or by its id; its
    app is refused (401) from then on."""
    text = wanted.strip()
    if is_device_id(text):
        text = public_id(device_id_sha256(text))
    at = now or datetime.now(UTC)
    audit = entry(Action.DEVICE_REVOKE, actor=actor, target=text, at=at)
    return store.revoke_device(text, at, audit=audit)


def active_device(store: Store, device_id: str) -> Device:
    """The registered, active device of an issued id; :class:`NotFound` otherwise."""
    device = store.device_by_hash(device_id_sha256(device_id)) if is_device_id(device_id) else None
    if device is None or not device.active:
        raise NotFound("no active device has this id; see geo devices list")
    return device


SetupApp = Literal["traccar", "owntracks", "gpslogger", "patrol"]


def setup_payload(store: Store, app: SetupApp, secret: str, base_url: str) -> str:
    """What one set-up code carries for ``app``.

    ``secret`` is the credential the code hands to the phone: the device id (Traccar Client,
    OwnTracks, GPSLogger) or a patrol key (the patrol page). ``base_url`` is the server's
    address as the phone reaches it (``https://geo.example.cn``).
    """
    base = base_url.rstrip("/")
    if app == "patrol":
        try:
            principal = access.authenticate(store, secret)
        except AuthenticationRequired:
            raise NotFound("the patrol page's code needs a valid patrol key") from None
        if principal.role is not Role.PATROL:
            raise InvalidInput("the patrol page's code carries a patrol key", place="id")
        return patrol_signin_link(base, secret)
    device = active_device(store, secret)
    if app == "traccar":
        return traccar_client_link(base + ENDPOINT_PATHS["osmand"], secret)
    if app == "gpslogger":
        return gpslogger_url(base + ENDPOINT_PATHS["gpslogger"])
    configuration = owntracks_configuration(
        base + ENDPOINT_PATHS["owntracks"],
        secret,
        username=device.squad,
        device_name=device.name or device.public_id,
    )
    return owntracks_link(configuration)


__all__ = [
    "ENDPOINT_PATHS",
    "OncePerMinute",
    "Sender",
    "active_device",
    "protocol_of",
    "receive",
    "register_device",
    "revoke_device",
    "sender_for",
    "setup_payload",
    "store_batch",
]
