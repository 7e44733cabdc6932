"""The OsmAnd protocol as Traccar defines it: the OsmAnd app, Traccar Client (query or form
fields before version 9, a JSON body from version 9 on).

Read as Traccar's ``OsmAndProtocolDecoder`` reads it (docs/phones.md cites the sources):

- **fields** in the query string, or, when the query string has none, in the body as a form;
  any HTTP method; the last value of a repeated field counts;
- ``id`` or ``deviceid``: the device id (the only credential this protocol carries);
- ``lat`` + ``lon``, or ``location=lat,lon``;
- ``timestamp``: whole Unix seconds, or milliseconds when the number is at least 2**31 - 1,
  ISO 8601 when it contains ``T``, else ``yyyy-MM-dd HH:mm:ss`` (local time: ``tz``); without a
  timestamp the fix is dated when it arrives, as Traccar does;
- ``speed`` in **knots**, ``bearing`` or ``heading`` in degrees, ``altitude`` in m,
  ``accuracy`` in m (``hdop`` stands in when there is no ``accuracy``: the OsmAnd app sends
  its horizontal accuracy there), ``batt`` in %; ``valid=false`` (or ``0``) refuses the fix;
- **JSON** (``Content-Type: application/json``, or a body starting with ``{`` or ``[`` and no
  query fields): ``{"location": {"timestamp", "coords": {"latitude", "longitude", "accuracy",
  "speed" (m/s), "heading", "altitude"}, "battery": {"level" (0..1)}, ...}, "device_id"}``;
  ``location`` may be an array (the SDK's batch sync), and the body an array of such objects
  (a flushed buffer). Negative ``speed``, ``heading`` and ``battery.level`` mean "unknown", as
  the SDK writes them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from geo.errors import AuthenticationRequired, InvalidInput
from geo.ingest.trackers.model import (
    KNOT_KMH,
    MPS_KMH,
    FixValues,
    Protocol,
    TrackerBatch,
    TrackerLimits,
    TrackerPosition,
    TrackerRequest,
    answer_stored,
    check_body_size,
    check_count,
    checked_position,
    credential_text,
    decode_text,
    epoch_time,
    form_fields,
    iso_time,
    json_number,
    json_text,
    parse_number,
)

#: Java's Integer.MAX_VALUE: the decoder reads a smaller integer timestamp as seconds.
_SECONDS_BELOW = 2**31 - 1
_INTEGER = re.compile(r"\A[+-]?\d{1,19}\Z")
_LOCAL = re.compile(r"\A(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\Z")


def parse_osmand(
    request: TrackerRequest,
    *,
    tz: tzinfo = UTC,
    now: datetime | None = None,
    limits: TrackerLimits | None = None,
) -> TrackerBatch:
    """The fixes of one OsmAnd-protocol request (query, form or Traccar Client JSON).

    Parameters
    ----------
    request
        The request's parts.
    tz
        The time zone of times written without an offset (the device's township).
    now
        The server's clock (for the time window and for fixes without a timestamp).
    limits
        Body size and fixes per request.

    Raises
    ------
    InvalidInput
        Naming the field: no position, 0,0, an unreadable or out-of-range value.
    PayloadTooLarge
        More fixes or body bytes than ``limits`` allow.
    AuthenticationRequired
        No ``id`` / ``deviceid`` / ``device_id``.

    Examples
    --------
    >>> batch = parse_osmand(TrackerRequest(
    ...     query="id=123456&lat=28.15&lon=109.90&timestamp=1763456405&speed=10"))
    >>> p = batch.positions[0]
    >>> p.time.isoformat(), p.speed_kmh, batch.credential, batch.reply.status
    ('2025-11-18T09:00:05+00:00', 18.52, '123456', 200)
    """
    limits = limits or TrackerLimits()
    now = now or datetime.now(UTC)
    check_body_size(request, limits)
    fields = form_fields(request.query, "query string") if request.query else {}
    if not fields and _looks_like_json(request):
        return _parse_json(request, now=now, tz=tz, limits=limits)
    if not fields and request.body:
        fields = form_fields(decode_text(request.body, "form body"), "form body")
    return _parse_fields(fields, tz=tz, now=now)


def osmand_protocol(request: TrackerRequest) -> Protocol:
    """Which form of the protocol a request is in, even one that will not parse.

    A route needs it to answer a refused request as the sending app expects
    (:func:`~geo.ingest.trackers.model.answer_refused`).

    Examples
    --------
    >>> osmand_protocol(TrackerRequest(query="id=1&lat=2"))
    <Protocol.OSMAND: 'osmand'>
    >>> osmand_protocol(TrackerRequest(method="POST", body=b'{"location": []}'))
    <Protocol.TRACCAR_JSON: 'traccar-json'>
    """
    has_query_fields = any(part.strip() for part in request.query.split("&"))
    if not has_query_fields and _looks_like_json(request):
        return Protocol.TRACCAR_JSON
    return Protocol.OSMAND


def _looks_like_json(request: TrackerRequest) -> bool:
    if request.media_type == "application/json":
        return True
    return request.body.lstrip()[:1] in (b"{", b"[")


def _parse_fields(fields: dict[str, str], *, tz: tzinfo, now: datetime) -> TrackerBatch:
    device = fields.get("id", fields.get("deviceid"))
    if device is None:
        raise AuthenticationRequired("no device id: send id=<the device id set up for this phone>")
    device_id = credential_text(device, "id")
    valid = fields.get("valid")
    if valid is not None and not (valid.lower() == "true" or valid == "1"):
        raise InvalidInput(f"valid={valid}: the app marks this fix as invalid", place="valid")
    values = FixValues(
        names={
            "time": "timestamp",
            "accuracy_m": "accuracy",
            "speed_kmh": "speed",
            "bearing_deg": "bearing",
            "altitude_m": "altitude",
            "battery_pct": "batt",
        }
    )
    if "location" in fields:
        parts = fields["location"].split(",")
        if len(parts) < 2:
            raise InvalidInput("location must be lat,lon", place="location")
        values.lat = parse_number(parts[0], "location")
        values.lon = parse_number(parts[1], "location")
        values.names.update(lat="location", lon="location")
    if "lat" in fields:
        values.lat = parse_number(fields["lat"], "lat")
    if "lon" in fields:
        values.lon = parse_number(fields["lon"], "lon")
    values.time = parse_timestamp(fields["timestamp"], tz=tz) if "timestamp" in fields else now
    if "speed" in fields:
        values.speed_kmh = parse_number(fields["speed"], "speed") * KNOT_KMH
    for name in ("bearing", "heading"):
        if name in fields:
            values.bearing_deg = parse_number(fields[name], name)
            values.names["bearing_deg"] = name
    if "altitude" in fields:
        values.altitude_m = parse_number(fields["altitude"], "altitude")
    if "accuracy" in fields:
        values.accuracy_m = parse_number(fields["accuracy"], "accuracy")
    elif "hdop" in fields:
        values.accuracy_m = parse_number(fields["hdop"], "hdop")
        values.names["accuracy_m"] = "hdop"
    if "batt" in fields:
        values.battery_pct = parse_number(fields["batt"], "batt")
    position = checked_position(values, device_id, now=now)
    return TrackerBatch(
        protocol=Protocol.OSMAND,
        credential=device_id,
        positions=[position],
        reply=answer_stored(Protocol.OSMAND),
    )


def parse_timestamp(value: str, *, tz: tzinfo = UTC) -> datetime:
    """An OsmAnd ``timestamp`` in any form Traccar's decoder reads.

    Examples
    --------
    >>> parse_timestamp("1763456405").isoformat()
    '2025-11-18T09:00:05+00:00'
    >>> parse_timestamp("1763456405123").isoformat()
    '2025-11-18T09:00:05.123000+00:00'
    >>> parse_timestamp("2025-11-18T17:00:05+08:00").isoformat()
    '2025-11-18T09:00:05+00:00'
    >>> from zoneinfo import ZoneInfo
    >>> parse_timestamp("2025-11-18 17:00:05", tz=ZoneInfo("Asia/Shanghai")).isoformat()
    '2025-11-18T09:00:05+00:00'
    """
    text = value.strip()
    if _INTEGER.match(text):
        number = int(text)
        if number < _SECONDS_BELOW:
            return epoch_time(float(number), "timestamp")
        return epoch_time(number / 1000, "timestamp")
    if "T" in text:
        return iso_time(text, "timestamp", tz)
    match = _LOCAL.match(text)
    if not match:
        raise InvalidInput(
            f"timestamp {text[:40]!r} is neither Unix seconds or milliseconds, ISO 8601, nor "
            "yyyy-MM-dd HH:mm:ss",
            place="timestamp",
        )
    try:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        local = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        raise InvalidInput(f"timestamp {text!r} is no calendar time", place="timestamp") from None
    return local.astimezone(UTC)


# ----------------------------------------------------------------------------------------
# Traccar Client 9+ JSON


def _parse_json(
    request: TrackerRequest, *, now: datetime, tz: tzinfo, limits: TrackerLimits
) -> TrackerBatch:
    try:
        root = json.loads(decode_text(request.body, "JSON body"))
    except (json.JSONDecodeError, RecursionError):
        raise InvalidInput("the body is not valid JSON", place="body") from None
    items: list[tuple[Any, Any]] = []  # (device_id, location)
    for index, entry in enumerate(root if isinstance(root, list) else [root]):
        where = f"[{index}]" if isinstance(root, list) else ""
        if not isinstance(entry, dict):
            raise InvalidInput(
                f"body{where} must be an object with location and device_id", place="body"
            )
        location = entry.get("location")
        if isinstance(location, list):
            items.extend((entry.get("device_id"), loc) for loc in location)
        else:
            items.append((entry.get("device_id"), location))
        check_count(len(items), limits)
    if not items:
        raise InvalidInput("the body holds no location", place="location")
    device_ids = {d for d, _ in items}
    if len(device_ids) > 1:
        raise InvalidInput("one request must come from one device_id", place="device_id")
    (device,) = device_ids
    if device is None:
        raise AuthenticationRequired("no device_id: set the device id in Traccar Client")
    device_id = credential_text(_id_text(device), "device_id")
    positions = [
        _json_position(location, device_id, now=now, tz=tz, place=f"location[{i}]")
        for i, (_, location) in enumerate(items)
    ]
    return TrackerBatch(
        protocol=Protocol.TRACCAR_JSON,
        credential=device_id,
        positions=positions,
        reply=answer_stored(Protocol.TRACCAR_JSON),
    )


def _id_text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json_text(value, "device_id")


def _json_position(
    location: Any, device_id: str, *, now: datetime, tz: tzinfo, place: str
) -> TrackerPosition:
    if not isinstance(location, dict):
        raise InvalidInput(f"{place} must be an object", place="location")
    if "timestamp" not in location:
        raise InvalidInput("location.timestamp is missing", place="location.timestamp")
    values = FixValues(
        time=iso_time(
            json_text(location["timestamp"], "location.timestamp"), "location.timestamp", tz
        ),
        names={
            "lat": "location.coords.latitude",
            "lon": "location.coords.longitude",
            "time": "location.timestamp",
            "accuracy_m": "location.coords.accuracy",
            "speed_kmh": "location.coords.speed",
            "bearing_deg": "location.coords.heading",
            "altitude_m": "location.coords.altitude",
            "battery_pct": "location.battery.level",
        },
    )
    coords = location.get("coords")
    if coords is None:
        raise InvalidInput("no position: location.coords is missing", place="location.coords")
    if not isinstance(coords, dict):
        raise InvalidInput("location.coords must be an object", place="location.coords")
    for key, attr in (("latitude", "lat"), ("longitude", "lon")):
        if key in coords:
            setattr(values, attr, json_number(coords[key], f"location.coords.{key}"))
    speed = _optional(coords, "speed", "location.coords")
    if speed is not None and speed >= 0:
        values.speed_kmh = speed * MPS_KMH
    heading = _optional(coords, "heading", "location.coords")
    if heading is not None and heading >= 0:
        values.bearing_deg = heading
    values.accuracy_m = _optional(coords, "accuracy", "location.coords")
    values.altitude_m = _optional(coords, "altitude", "location.coords")
    battery = location.get("battery")
    if isinstance(battery, dict):
        level = _optional(battery, "level", "location.battery")
        if level is not None and level >= 0:
            if level > 1:
                raise InvalidInput(
                    f"location.battery.level {level:g} is outside 0..1",
                    place="location.battery.level",
                )
            values.battery_pct = level * 100
    elif battery is not None:
        raise InvalidInput("location.battery must be an object", place="location.battery")
    return checked_position(values, device_id, now=now)


def _optional(obj: dict[str, Any], key: str, prefix: str) -> float | None:
    value = obj.get(key)
    return None if value is None else json_number(value, f"{prefix}.{key}")
