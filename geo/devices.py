"""Phones registered to a squad: their ids, and what sets each app up in one scan (pure).

The OsmAnd protocol carries no credential but the device id, so the id is a secret: 160 random
bits from :mod:`secrets` (:func:`new_device_id`). Like an API key's secret
(:mod:`geo.keys`), only its SHA-256 is stored: the id is random, so a slow hash would add
nothing, a stolen table gives no ids back, and the hash itself is the lookup key (an index on
``id_sha256``); the stored hash is compared with :func:`hmac.compare_digest`
(:func:`device_id_matches`). A device is listed by :attr:`Device.public_id`, the first 12 hex
digits of that hash, which shows nothing of the id.

Set-up payloads (docs/phones.md, "Set-up"): :func:`traccar_client_link` (what Traccar Client's
QR scanner applies: server URL and ``id``), :func:`owntracks_configuration` and
:func:`owntracks_link` (an ``.otrc`` and its ``owntracks:///config?inline=`` form),
:func:`patrol_signin_link`; :func:`qr_png`, :func:`qr_svg`, :func:`qr_text` draw any of them.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from geo.errors import InvalidInput
from geo.keys import TOKEN_PREFIX, hash_secret, secret_matches
from geo.text import check_text

#: Random bytes in a device id (160 bits; the issue asks for at least 128).
DEVICE_ID_BYTES = 20
#: A device id as issued: URL-safe base64 of :data:`DEVICE_ID_BYTES` bytes, no padding.
_DEVICE_ID = re.compile(r"\A[A-Za-z0-9_-]{27}\Z")
#: The systems a phone's app can report positions in (degrees).
PHONE_CRS = ("wgs84", "cgcs2000", "gcj02", "bd09")
#: Error correction of the set-up codes (M: 15 % of a scratched or glared code).
QR_ERROR = "M"


@dataclass(frozen=True)
class NewDeviceId:
    """A freshly issued device id: shown once (in its set-up codes), only the hash is kept."""

    device_id: str
    id_sha256: str

    @property
    def public_id(self) -> str:
        """What lists and logs show: 12 hex digits of the hash."""
        return public_id(self.id_sha256)


def new_device_id() -> NewDeviceId:
    """A new random device id (27 URL-safe characters, 160 bits) and its SHA-256.

    Examples
    --------
    >>> new = new_device_id()
    >>> len(new.device_id), is_device_id(new.device_id), device_id_matches(new.device_id,
    ...     new.id_sha256)
    (27, True, True)
    """
    device_id = secrets.token_urlsafe(DEVICE_ID_BYTES)
    return NewDeviceId(device_id, device_id_sha256(device_id))


def is_device_id(text: str) -> bool:
    """Whether ``text`` has the form of an issued device id (not whether it is registered).

    A patrol key (``geo_...``) sent as a Basic password is told apart by its prefix.

    Examples
    --------
    >>> is_device_id("geo_0123456789ab_secret"), is_device_id("123456")
    (False, False)
    """
    return bool(_DEVICE_ID.match(text)) and not text.startswith(f"{TOKEN_PREFIX}_")


def device_id_sha256(device_id: str) -> str:
    """The hex SHA-256 stored for (and looked up by) a device id."""
    return hash_secret(device_id)


def device_id_matches(device_id: str, id_sha256: str) -> bool:
    """Whether ``device_id`` hashes to the stored hash (constant-time comparison)."""
    return secret_matches(device_id, id_sha256)


def public_id(id_sha256: str) -> str:
    """The listing id of a device: the first 12 hex digits of its id's hash."""
    return id_sha256[:12]


def tracker_id(name: str) -> str:
    """OwnTracks' two-character tracker id (``tid``) for a device name.

    Examples
    --------
    >>> tracker_id("squad-01 phone 2"), tracker_id("一组"), tracker_id("")
    ('S2', '一组', 'GE')
    """
    words = [w for w in re.split(r"[\s_-]+", name.strip()) if w]
    if not words:
        return "GE"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][-1]).upper()


class Device(BaseModel):
    """A registered phone (never its id: only the id's hash).

    Parameters
    ----------
    public_id
        12 hex digits of ``id_sha256``: what lists, logs and ``geo devices revoke`` use.
    id_sha256
        SHA-256 of the device id, the lookup key.
    township, squad
        Where the device's fixes go; a device belongs to one squad of one township.
    name
        A label for people ("一组 张三").
    crs
        What the app's coordinates are in (``wgs84`` for the three apps on plain Android;
        ``gcj02`` for a phone whose location comes from an Amap-based ROM or SDK).
    """

    model_config = ConfigDict(frozen=True)

    public_id: str = Field(pattern=r"^[0-9a-f]{12}$")
    id_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    township: str = Field(min_length=1, max_length=200)
    squad: str = Field(min_length=1, max_length=200)
    name: str = Field(default="", max_length=200)
    crs: str = "wgs84"
    created_at: datetime
    revoked_at: datetime | None = None
    last_fix_at: datetime | None = None
    """The latest fix time the device sent (UTC), None before its first."""
    last_battery: float | None = None
    """Its battery (%) at that fix, when the app reports it."""

    @field_validator("township", "squad", "name")
    @classmethod
    def _storable(cls, value: str) -> str:
        return check_text(value, "device field")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        from geo.ingest.chinacrs import canonical_crs

        crs = canonical_crs(value)
        if crs not in PHONE_CRS:
            raise InvalidInput(
                f"a phone reports degrees: crs {value!r} must be one of {', '.join(PHONE_CRS)}",
                place="crs",
            )
        return crs

    @property
    def active(self) -> bool:
        """Whether the device may still send (not revoked)."""
        return self.revoked_at is None

    @classmethod
    def register(
        cls,
        new: NewDeviceId,
        *,
        township: str,
        squad: str,
        name: str = "",
        crs: str = "wgs84",
        created_at: datetime,
    ) -> Device:
        """The stored record of a freshly issued id."""
        return cls(
            public_id=new.public_id,
            id_sha256=new.id_sha256,
            township=township,
            squad=squad,
            name=name,
            crs=crs,
            created_at=created_at,
        )

    def listing(self) -> dict[str, str | float | None]:
        """What ``geo devices list`` and ``GET /api/v1/devices`` show (never the hash)."""
        return {
            "id": self.public_id,
            "township": self.township,
            "squad": self.squad,
            "name": self.name,
            "crs": self.crs,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "revoked_at": self.revoked_at.isoformat(timespec="seconds")
            if self.revoked_at
            else None,
            "last_fix_at": self.last_fix_at.isoformat(timespec="seconds")
            if self.last_fix_at
            else None,
            "last_battery": self.last_battery,
        }


# ----------------------------------------------------------------------------------------
# Set-up payloads


def _check_base_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{what} must be an http(s) URL with a host: {url!r}", place=what)
    return url


def traccar_client_link(
    server_url: str,
    device_id: str,
    *,
    accuracy: Literal["highest", "high", "medium", "low"] = "high",
    interval_s: int = 30,
    distance_m: int = 20,
    buffer: bool = True,
) -> str:
    """What Traccar Client's QR scanner applies: the server URL with ``id`` and settings.

    Traccar Client (``ConfigurationService.applyUri``) takes an ``http(s)`` link's origin and
    path as its server URL and reads ``id``, ``accuracy``, ``interval``, ``distance``,
    ``buffer``, ... from its query.

    Parameters
    ----------
    server_url
        Where the app sends its fixes (the OsmAnd endpoint).
    device_id
        The secret id issued for this phone.
    accuracy, interval_s, distance_m, buffer
        The app's location settings: a fix every ``interval_s`` or ``distance_m``; ``buffer``
        keeps fixes on the phone while offline.

    Examples
    --------
    >>> traccar_client_link("https://geo.example.cn:5055", "ID")
    'https://geo.example.cn:5055/?id=ID&accuracy=high&interval=30&distance=20&buffer=true'
    """
    _check_base_url(server_url, "server URL")
    parts = urlsplit(server_url)
    path = parts.path or "/"
    query = urlencode(
        {
            "id": device_id,
            "accuracy": accuracy,
            "interval": interval_s,
            "distance": distance_m,
            "buffer": "true" if buffer else "false",
        }
    )
    return f"{parts.scheme}://{parts.netloc}{path}?{query}"


def owntracks_configuration(
    endpoint_url: str,
    device_id: str,
    *,
    username: str,
    device_name: str,
    tid: str | None = None,
    monitoring: Literal[-1, 0, 1, 2] = 2,
    locator_interval_s: int = 30,
    locator_displacement_m: int = 20,
) -> dict[str, Any]:
    """An OwnTracks ``_type: configuration`` message for HTTP mode (an ``.otrc``'s content).

    Parameters
    ----------
    endpoint_url
        The OwnTracks endpoint the app POSTs to.
    device_id
        The secret id issued for this phone: the Basic-auth password.
    username
        The Basic-auth user (any name; the squad's, say).
    device_name
        OwnTracks' ``deviceId`` (a name, not the secret).
    tid
        Two-character tracker id; from ``device_name`` when None.
    monitoring
        2 = "Move" (continuous fixes, for patrols), 1 = significant changes.
    locator_interval_s, locator_displacement_m
        How often the app takes a fix.
    """
    _check_base_url(endpoint_url, "OwnTracks URL")
    return {
        "_type": "configuration",
        "mode": 3,
        "url": endpoint_url,
        "auth": True,
        "username": username,
        "password": device_id,
        "deviceId": device_name,
        "tid": tid or tracker_id(device_name),
        "monitoring": monitoring,
        "locatorInterval": locator_interval_s,
        "locatorDisplacement": locator_displacement_m,
    }


def otrc_bytes(configuration: dict[str, Any]) -> bytes:
    """An ``.otrc`` file: the configuration as UTF-8 JSON."""
    return json.dumps(configuration, ensure_ascii=False, indent=2).encode("utf-8")


def owntracks_link(configuration: dict[str, Any]) -> str:
    """``owntracks:///config?inline=<base64 of the .otrc>`` (the booklet's "URL config").

    Examples
    --------
    >>> link = owntracks_link({"_type": "configuration", "mode": 3})
    >>> link
    'owntracks:///config?inline=eyJfdHlwZSI6ImNvbmZpZ3VyYXRpb24iLCJtb2RlIjozfQ%3D%3D'
    >>> decode_owntracks_link(link)
    {'_type': 'configuration', 'mode': 3}
    """
    compact = json.dumps(configuration, ensure_ascii=False, separators=(",", ":"))
    encoded = base64.b64encode(compact.encode("utf-8")).decode("ascii")
    return f"owntracks:///config?inline={quote(encoded, safe='')}"


def decode_owntracks_link(link: str) -> dict[str, Any]:
    """The configuration inside an ``owntracks:///config?inline=`` link (as the app reads it)."""
    from urllib.parse import parse_qs

    inline = parse_qs(urlsplit(link).query)["inline"][0]
    decoded: dict[str, Any] = json.loads(base64.b64decode(inline))
    return decoded


def patrol_signin_link(base_url: str, patrol_key: str) -> str:
    """The patrol page's sign-in link: the key rides in the fragment, never sent to a server
    (the page ``/patrol`` reads ``#key=``, removes it from the address bar and signs in).

    Examples
    --------
    >>> patrol_signin_link("https://geo.example.cn/", "geo_0123456789ab_S3CRET")
    'https://geo.example.cn/patrol#key=geo_0123456789ab_S3CRET'
    """
    _check_base_url(base_url, "base URL")
    return f"{base_url.rstrip('/')}/patrol#key={quote(patrol_key, safe='')}"


# ----------------------------------------------------------------------------------------
# QR codes (segno)


def _qr(data: str) -> Any:
    import segno

    return segno.make_qr(data, error=QR_ERROR, boost_error=False)


def qr_png(data: str, *, scale: int = 8, border: int = 4) -> bytes:
    """A PNG QR code of ``data`` (``scale`` pixels a module, ``border`` modules quiet zone)."""
    out = io.BytesIO()
    _qr(data).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def qr_svg(data: str, *, scale: int = 8, border: int = 4) -> bytes:
    """An SVG QR code of ``data`` (no XML declaration: it can be inlined in a page)."""
    out = io.BytesIO()
    _qr(data).save(out, kind="svg", scale=scale, border=border, xmldecl=False)
    return out.getvalue()


def qr_text(data: str, *, border: int = 2) -> str:
    """The QR code as text for a terminal: two rows a line in half blocks (▀ ▄ █).

    Made for a terminal with light text on a dark background: a dark module prints as a
    blank and a light one as a block, so the code shows dark on light with its quiet zone.
    On a light terminal it shows inverted, which scanners that try the inverse (zxing) read.
    """
    matrix = qr_matrix(data, border=border)
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    glyph = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    lines = [
        "".join(glyph[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(matrix[0::2], matrix[1::2], strict=True)
    ]
    return "\n".join(lines) + "\n"


def qr_matrix(data: str, *, border: int = 4) -> list[list[bool]]:
    """The code's modules, True for dark, with a ``border`` of light modules around."""
    return [[bool(cell) for cell in row] for row in _qr(data).matrix_iter(scale=1, border=border)]
