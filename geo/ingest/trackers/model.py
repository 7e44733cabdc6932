"""What every tracker-app protocol shares: the request's parts, the typed positions read from
it, what the app expects back, and the checks of a single fix.

A route hands :class:`TrackerRequest` (method, query string, body bytes, headers) to one of the
protocol readers (:mod:`.osmand`, :mod:`.owntracks`, :mod:`.gpslogger`); each returns a
:class:`TrackerBatch` or raises a :class:`~geo.errors.GeoError`:

- :class:`~geo.errors.InvalidInput` (422) naming the field for data the app should drop
  (no position, 0,0, an unreadable time, a value out of range);
- :class:`~geo.errors.PayloadTooLarge` (413) naming the limit for a batch over it;
- :class:`~geo.errors.AuthenticationRequired` (401) when the request carries no credential.

Nothing else escapes (tests/phones/test_properties_trackers.py). What the route then answers
is :func:`answer_stored`, :func:`answer_refused` or :func:`answer_retry`: the apps differ in
which statuses make them drop or keep a fix (docs/phones.md, "What the service answers").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from geo.errors import AuthenticationRequired, GeoError, InvalidInput, PayloadTooLarge
from geo.ingest.cleaning import fix_time_window
from geo.text import text_problem

#: 1 knot in km/h (the OsmAnd protocol's ``speed``).
KNOT_KMH = 1.852
#: 1 m/s in km/h (Traccar Client's JSON ``coords.speed``, GPSLogger's ``%SPD``).
MPS_KMH = 3.6
#: Altitudes a phone on the ground can report (m above the ellipsoid or sea level).
ALTITUDE_RANGE_M = (-1000.0, 10000.0)
#: Faster than this is no patrol on the ground (km/h); higher values are refused.
MAX_SPEED_KMH = 1000.0
#: The largest accuracy radius taken as a number (m); a larger one is a broken reading.
MAX_ACCURACY_M = 100_000.0

# A decimal number as Java's Double.parseDouble reads the apps' values (no "_", no "inf").
_NUMBER = re.compile(r"\A\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*\Z")


class Protocol(StrEnum):
    """The wire formats the service reads from tracker apps."""

    OSMAND = "osmand"
    """OsmAnd protocol, query string or form body (OsmAnd app, Traccar Client before 9)."""
    TRACCAR_JSON = "traccar-json"
    """The OsmAnd protocol's JSON body (Traccar Client 9 and later)."""
    OWNTRACKS = "owntracks"
    """OwnTracks in HTTP mode."""
    GPSLOGGER = "gpslogger"
    """GPSLogger for Android's custom URL (the template in docs/phones.md)."""


@dataclass(frozen=True)
class TrackerLimits:
    """How much one request may carry.

    Parameters
    ----------
    max_positions
        Fixes in one request (Traccar Client's flushed buffer, a batch); more is refused with
        413 naming this number. The same default as ``GEO_MAX_BATCH_FIXES``.
    max_body_bytes
        Body bytes read at all; a larger body is refused before it is parsed.
    """

    max_positions: int = 1000
    max_body_bytes: int = 2_000_000


@dataclass(frozen=True)
class TrackerRequest:
    """One HTTP request's parts, as a route has them (no web framework types).

    Parameters
    ----------
    method
        ``GET``, ``POST``, ...
    query
        The raw query string, without the ``?``.
    body
        The body bytes (empty for GET).
    headers
        Header names to values; names are compared without case.
    """

    method: str = "GET"
    query: str = ""
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or None."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower case (``""`` when absent)."""
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def basic_auth(self) -> tuple[str, str] | None:
        """``(user, password)`` from an ``Authorization: Basic`` header, or None.

        Examples
        --------
        >>> TrackerRequest(headers={"Authorization": "Basic dXNlcjpzM2NyZXQ="}).basic_auth()
        ('user', 's3cret')
        >>> TrackerRequest().basic_auth() is None
        True
        """
        value = self.header("authorization")
        if not value:
            return None
        scheme, _, encoded = value.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidInput(
                "the Authorization header is not Basic base64 of user:password",
                place="header Authorization",
            ) from None
        user, sep, password = decoded.partition(":")
        if not sep:
            raise InvalidInput(
                "the Basic credentials have no ':' between user and password",
                place="header Authorization",
            )
        return user, password


class TrackerPosition(BaseModel):
    """One fix from a tracker app, in the service's units (WGS-84 as the app sent it).

    The coordinate system is the device's (``Device.crs``): apps on plain Android send WGS-84,
    and the route converts a device registered as GCJ-02 before storing.
    """

    model_config = ConfigDict(frozen=True)

    device_id: str = Field(description="The credential the app sent (a device id)")
    time: AwareDatetime = Field(description="When the fix was taken, UTC")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)
    speed_kmh: float | None = Field(default=None, ge=0)
    bearing_deg: float | None = Field(default=None, ge=0, le=360)
    altitude_m: float | None = None
    battery_pct: float | None = Field(default=None, ge=0, le=100)


class Reply(BaseModel):
    """What to answer the app: status, headers and body bytes."""

    model_config = ConfigDict(frozen=True)

    status: int
    body: bytes = b""
    media_type: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class TrackerBatch(BaseModel):
    """Everything one request carried.

    ``credential`` is what identifies the sender (a device id, or for Basic auth the password,
    which may also be a patrol key); the route looks it up and refuses an unknown one with 401
    before storing. ``ignored`` counts messages accepted and deliberately not stored (OwnTracks
    messages other than ``_type: location``).
    """

    model_config = ConfigDict(frozen=True)

    protocol: Protocol
    credential: str
    username: str | None = None
    positions: list[TrackerPosition]
    ignored: int = 0
    reply: Reply

    @property
    def batch_id(self) -> str:
        """A key of the fixes themselves, the same however often the app sends them again.

        Apps send no batch id; a route stores each (device, batch_id) once, so a replayed
        request stores nothing new. Reordered fixes give the same key.

        Examples
        --------
        >>> from datetime import datetime, UTC
        >>> fix = TrackerPosition(device_id="d", time=datetime(2025, 1, 1, tzinfo=UTC),
        ...     lat=28.1, lon=109.9)
        >>> a = TrackerBatch(protocol="osmand", credential="d", positions=[fix],
        ...     reply=Reply(status=200))
        >>> a.batch_id == a.model_copy().batch_id, a.batch_id[:4]
        (True, 'trk-')
        """
        fixes = sorted(
            (p.time.isoformat(), repr(p.lat), repr(p.lon), repr(p.accuracy_m))
            for p in self.positions
        )
        digest = hashlib.sha256(json.dumps([self.protocol.value, fixes]).encode()).hexdigest()
        return f"trk-{digest[:40]}"


# ----------------------------------------------------------------------------------------
# What each app expects back


def answer_stored(protocol: Protocol) -> Reply:
    """The answer once the batch is stored (or was stored before).

    OwnTracks wants a JSON array (its Android app re-queues a message whose answer does not
    parse as JSON); the others take an empty 200.
    """
    if protocol is Protocol.OWNTRACKS:
        return Reply(status=200, body=b"[]", media_type="application/json")
    return Reply(status=200)


def answer_refused(protocol: Protocol, error: GeoError) -> Reply:
    """The answer for a request refused for its data, so that the app drops it.

    Traccar Client 9 and later (its background-location SDK) deletes a stored location only
    on a 2xx answer and retries everything else, so its fixes refused for their data
    (:class:`InvalidInput`) are answered 200 with the reason in ``X-Geo-Refused`` (the route
    has counted them; docs/phones.md says why). Every other error keeps its status (401, 413);
    the other apps get the error's status.
    """
    text = error.one_line().encode("utf-8")
    if protocol is Protocol.TRACCAR_JSON and isinstance(error, InvalidInput):
        return Reply(status=200, headers={"X-Geo-Refused": _header_safe(error.one_line())})
    if protocol is Protocol.OWNTRACKS:
        return Reply(status=error.status, body=b"[]", media_type="application/json")
    return Reply(status=error.status, body=text, media_type="text/plain; charset=utf-8")


def answer_retry(protocol: Protocol, retry_after: int = 60) -> Reply:
    """The answer when nothing could be stored now (store down, busy): 503, keep and resend."""
    headers = {"Retry-After": str(retry_after)}
    if protocol is Protocol.OWNTRACKS:
        return Reply(status=503, body=b"[]", media_type="application/json", headers=headers)
    return Reply(status=503, headers=headers)


def _header_safe(text: str) -> str:
    return re.sub(r"[^\x20-\x7e]", "?", text)[:200]


# ----------------------------------------------------------------------------------------
# Reading and checking values


def check_body_size(request: TrackerRequest, limits: TrackerLimits) -> None:
    """:class:`PayloadTooLarge` naming the limit for a body over ``limits.max_body_bytes``."""
    if len(request.body) > limits.max_body_bytes:
        raise PayloadTooLarge(
            f"the body has {len(request.body)} bytes; at most {limits.max_body_bytes} are read"
        )


def check_count(count: int, limits: TrackerLimits) -> None:
    """:class:`PayloadTooLarge` naming the limit for more than ``limits.max_positions``."""
    if count > limits.max_positions:
        raise PayloadTooLarge(
            f"the request carries {count} fixes; at most {limits.max_positions} are taken "
            "in one request"
        )


def form_fields(text: str, field_name: str) -> dict[str, str]:
    """Name → last value of a query string or form body (as Traccar's decoder keeps the last).

    Examples
    --------
    >>> form_fields("id=a&lat=1&lat=2&x", "query")
    {'id': 'a', 'lat': '2', 'x': ''}
    """
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=1000)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            f"the {field_name} is not a readable form (name=value&...)", place=field_name
        ) from None
    out: dict[str, str] = {}
    for name, value in pairs:
        for part, what in ((name, "a field name"), (value, f"field {name!r}")):
            problem = text_problem(part)
            if problem:
                raise InvalidInput(f"{what} in the {field_name} {problem}", place=field_name)
        out[name] = value
    return out


def decode_text(body: bytes, what: str) -> str:
    """The body as UTF-8 text (a leading BOM dropped), or :class:`InvalidInput`."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"the {what} is not UTF-8 text", place=what) from None


def parse_number(value: str, name: str) -> float:
    """A finite decimal number from text, or :class:`InvalidInput` naming ``name``.

    Examples
    --------
    >>> parse_number(" 12.5 ", "speed")
    12.5
    >>> parse_number("1_0", "speed")
    Traceback (most recent call last):
    ...
    geo.errors.InvalidInput: speed: speed is not a number: '1_0'
    """
    if not _NUMBER.match(value):
        raise InvalidInput(f"{name} is not a number: {value[:40]!r}", place=name)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{name} is not a finite number: {value[:40]!r}", place=name)
    return number


def json_number(value: Any, name: str) -> float:
    """A finite JSON number (not a boolean, not a string), or :class:`InvalidInput`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number, not {type(value).__name__}", place=name)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{name} is not a finite number", place=name)
    return number


def json_text(value: Any, name: str) -> str:
    """A JSON string that both stores can hold, or :class:`InvalidInput`."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, not {type(value).__name__}", place=name)
    problem = text_problem(value)
    if problem:
        raise InvalidInput(f"{name} {problem}", place=name)
    return value


def epoch_time(seconds: float, name: str) -> datetime:
    """UTC time of Unix ``seconds``; :class:`InvalidInput` naming ``name`` when out of range."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(
            f"{name} {seconds!r} is no Unix time a phone can have", place=name
        ) from None


def iso_time(value: str, name: str, tz: tzinfo) -> datetime:
    """An ISO 8601 time; a time without an offset is read in ``tz``."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} is not an ISO 8601 time: {text[:40]!r}", place=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(
            f"{name} is out of the supported years: {text[:40]!r}", place=name
        ) from None


def basic_credential(request: TrackerRequest, app: str) -> tuple[str, str]:
    """``(user, credential)`` of a request an app authenticates with HTTP Basic: the user
    name as sent, the password checked by :func:`credential_text` (a device id or a patrol
    key); :class:`AuthenticationRequired` naming ``app`` when the request has no Basic auth.

    Examples
    --------
    >>> basic_credential(TrackerRequest(headers={"Authorization": "Basic dXNlcjpzM2NyZXQ="}), "X")
    ('user', 's3cret')
    """
    auth = request.basic_auth()
    if auth is None:
        raise AuthenticationRequired(
            f"{app} must send HTTP Basic auth: user any name, password the device id"
        )
    user, password = auth
    return user, credential_text(password, "password")


def credential_text(value: str, name: str) -> str:
    """A credential (device id, Basic password) that can be looked up, or an error."""
    cleaned = value.strip()
    if not cleaned:
        raise AuthenticationRequired(f"{name} is empty: send the device id set up for this phone")
    if len(cleaned) > 200:
        raise InvalidInput(f"{name} is longer than 200 characters", place=name)
    problem = text_problem(cleaned)
    if problem:
        raise InvalidInput(f"{name} {problem}", place=name)
    return cleaned


@dataclass
class FixValues:
    """The values of one fix before checks, in the service's units."""

    lat: float | None = None
    lon: float | None = None
    time: datetime | None = None
    accuracy_m: float | None = None
    speed_kmh: float | None = None
    bearing_deg: float | None = None
    altitude_m: float | None = None
    battery_pct: float | None = None
    names: dict[str, str] = field(default_factory=dict)
    """The app's field name behind each value (``lat`` → ``location`` ...), for messages."""

    def name(self, key: str) -> str:
        return self.names.get(key, key)


def checked_position(
    values: FixValues, device_id: str, *, now: datetime | None = None
) -> TrackerPosition:
    """One :class:`TrackerPosition`, or :class:`InvalidInput` naming the app's field.

    Refused: no position, 0,0 (a phone without a fix), latitude or longitude out of range, a
    time before 2000 or more than a day ahead of ``now``, negative or absurd speed, accuracy,
    bearing, altitude or battery values.
    """
    if values.lat is None or values.lon is None:
        missing = values.name("lat") if values.lat is None else values.name("lon")
        raise InvalidInput(f"no position: {missing} is missing", place=missing)
    if not -90 <= values.lat <= 90:
        raise InvalidInput(
            f"{values.name('lat')} {values.lat} is outside -90..90", place=values.name("lat")
        )
    if not -180 <= values.lon <= 180:
        raise InvalidInput(
            f"{values.name('lon')} {values.lon} is outside -180..180", place=values.name("lon")
        )
    if values.lat == 0 and values.lon == 0:
        lat, lon = values.name("lat"), values.name("lon")
        where = lat if lat == lon else f"{lat}, {lon}"
        raise InvalidInput(f"the position ({where}) is 0,0: the phone had no fix", place=lat)
    if values.time is None:
        raise InvalidInput("the fix has no time", place=values.name("time"))
    earliest, latest = fix_time_window(now)
    if not earliest <= values.time <= latest:
        raise InvalidInput(
            f"{values.name('time')} {values.time.isoformat()} is before 2000 or more than a "
            "day ahead of the server's clock",
            place=values.name("time"),
        )
    _check_range(values.accuracy_m, 0, MAX_ACCURACY_M, values.name("accuracy_m"))
    _check_range(values.speed_kmh, 0, MAX_SPEED_KMH, values.name("speed_kmh"))
    _check_range(values.bearing_deg, 0, 360, values.name("bearing_deg"))
    _check_range(values.altitude_m, *ALTITUDE_RANGE_M, values.name("altitude_m"))
    _check_range(values.battery_pct, 0, 100, values.name("battery_pct"))
    return TrackerPosition(
        device_id=device_id,
        time=values.time.astimezone(UTC),
        lat=values.lat,
        lon=values.lon,
        accuracy_m=values.accuracy_m,
        speed_kmh=values.speed_kmh,
        bearing_deg=values.bearing_deg,
        altitude_m=values.altitude_m,
        battery_pct=values.battery_pct,
    )


def _check_range(value: float | None, low: float, high: float, name: str) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{name} {value:g} is outside {low:g}..{high:g}", place=name)
