"""OwnTracks in HTTP mode (the OwnTracks booklet: "HTTP" and "JSON" pages).

The app POSTs each message as one JSON object with a ``_type``, authenticated with HTTP Basic
(the password is the device id issued here, or a patrol key), and sends ``X-Limit-U`` /
``X-Limit-D`` (user and device name). Only ``_type: location`` carries a fix:

- ``lat``, ``lon`` (degrees, required), ``tst`` (Unix seconds of the fix, required);
- ``acc`` (m), ``alt`` (m), ``vel`` (**km/h**), ``cog`` (degrees), ``batt`` (%);
- ``tid``, ``t``, ``topic``, ``conn``, ... are read by nobody here.

An ``encrypted`` message is refused (the service holds no key: a fix it cannot read must
not be acknowledged as stored). Every other ``_type`` (``transition``, ``waypoint``,
``lwt``, ``card``, ``status``, ...) and the zero-length body the app posts when a friend is
deleted are accepted and ignored (the booklet asks endpoints to ignore zero-length payloads).
The answer is a JSON array, ``[]``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from geo.errors import InvalidInput
from geo.ingest.trackers.model import (
    FixValues,
    Protocol,
    TrackerBatch,
    TrackerLimits,
    TrackerPosition,
    TrackerRequest,
    answer_stored,
    basic_credential,
    check_body_size,
    checked_position,
    decode_text,
    epoch_time,
    json_number,
)


def parse_owntracks(
    request: TrackerRequest, *, now: datetime | None = None, limits: TrackerLimits | None = None
) -> TrackerBatch:
    """The fix of one OwnTracks HTTP-mode request (none for messages other than locations).

    Parameters
    ----------
    request
        The request's parts; ``Authorization: Basic`` is required.
    now
        The server's clock (the accepted time window).
    limits
        Body size.

    Examples
    --------
    >>> import base64
    >>> auth = "Basic " + base64.b64encode(b"jane:DEVICE-ID").decode()
    >>> batch = parse_owntracks(TrackerRequest(method="POST", headers={"Authorization": auth},
    ...     body=b'{"_type":"location","lat":28.15,"lon":109.9,"tst":1763456405,"vel":18}'))
    >>> batch.credential, batch.positions[0].speed_kmh, batch.reply.body
    ('DEVICE-ID', 18.0, b'[]')
    """
    limits = limits or TrackerLimits()
    now = now or datetime.now(UTC)
    check_body_size(request, limits)
    user, credential = basic_credential(request, "OwnTracks")
    username = request.header("x-limit-u") or user or None

    def batch(positions: list[TrackerPosition], ignored: int = 0) -> TrackerBatch:
        return TrackerBatch(
            protocol=Protocol.OWNTRACKS,
            credential=credential,
            username=username,
            positions=positions,
            ignored=ignored,
            reply=answer_stored(Protocol.OWNTRACKS),
        )

    text = decode_text(request.body, "JSON body").strip()
    if not text:
        return batch([], ignored=1)
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidInput("the body is not valid JSON", place="body") from None
    if not isinstance(message, dict):
        raise InvalidInput("the body must be one JSON object with a _type", place="body")
    if message.get("_type") == "encrypted":
        raise InvalidInput(
            "encrypted OwnTracks payloads cannot be read here: turn encryption off in the app "
            "(the connection itself is HTTPS)",
            place="_type",
        )
    if message.get("_type") != "location":
        return batch([], ignored=1)
    position = checked_position(_values(message), credential, now=now)
    return batch([position])


def _values(message: dict[str, Any]) -> FixValues:
    values = FixValues(
        names={
            "time": "tst",
            "accuracy_m": "acc",
            "speed_kmh": "vel",
            "bearing_deg": "cog",
            "altitude_m": "alt",
            "battery_pct": "batt",
        }
    )
    for key in ("lat", "lon", "tst"):
        if key not in message:
            raise InvalidInput(f"{key} is missing from the location", place=key)
    values.lat = json_number(message["lat"], "lat")
    values.lon = json_number(message["lon"], "lon")
    values.time = epoch_time(json_number(message["tst"], "tst"), "tst")
    values.accuracy_m = _optional(message, "acc")
    values.altitude_m = _optional(message, "alt")
    values.speed_kmh = _optional(message, "vel")
    values.bearing_deg = _optional(message, "cog")
    values.battery_pct = _optional(message, "batt")
    return values


def _optional(message: dict[str, Any], key: str) -> float | None:
    value = message.get(key)
    return None if value is None else json_number(value, key)
