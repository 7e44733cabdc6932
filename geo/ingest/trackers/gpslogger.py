"""GPSLogger for Android's "Log to custom URL", with the one template the service documents.

GPSLogger replaces ``%NAME`` placeholders in the URL, body and headers it is given and sends
the request with HTTP Basic auth (its CustomUrlManager; docs/phones.md lists the sources).
The service's template (:data:`GPSLOGGER_QUERY`) asks for the fields by the names GPSLogger
itself uses in its ``%ALL`` form body, so both the template and a POST with body ``%ALL`` are
read the same way. Fields come from the query string and from a form body (the body wins):

- ``lat``, ``lon`` (degrees, required);
- ``timestamp`` (``%TIMESTAMP``, Unix seconds) or else ``time`` (``%TIME``, ISO 8601 UTC);
- ``acc`` (``%ACC``, m), ``alt`` (``%ALT``, m), ``dir`` (``%DIR``, degrees), ``batt``
  (``%BATT``, %), ``spd`` (``%SPD``, **m/s**) or ``spd_kph`` (``%SPD_KPH``, km/h);
- ``aid`` (``%AID``, Android id), ``ser`` (``%SER``), ``prov`` (``%PROV``): not stored.

An empty value (GPSLogger writes ``hdop=`` when it has none) counts as absent. The device id
is the Basic-auth password.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from geo.errors import InvalidInput
from geo.ingest.trackers.model import (
    MPS_KMH,
    FixValues,
    Protocol,
    TrackerBatch,
    TrackerLimits,
    TrackerRequest,
    answer_stored,
    basic_credential,
    check_body_size,
    checked_position,
    decode_text,
    epoch_time,
    form_fields,
    iso_time,
    parse_number,
)

#: The query string of the custom URL, with GPSLogger's placeholders (docs/phones.md).
GPSLOGGER_QUERY = (
    "lat=%LAT&lon=%LON&timestamp=%TIMESTAMP&time=%TIME&acc=%ACC&alt=%ALT"
    "&spd=%SPD&dir=%DIR&batt=%BATT&aid=%AID&ser=%SER&prov=%PROV"
)


def gpslogger_url(endpoint: str) -> str:
    """The URL to paste into GPSLogger's "Log to custom URL" for ``endpoint``.

    Examples
    --------
    >>> gpslogger_url("https://geo.example.cn/api/v1/gpslogger")[:58]
    'https://geo.example.cn/api/v1/gpslogger?lat=%LAT&lon=%LON&'
    """
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{GPSLOGGER_QUERY}"


def parse_gpslogger(
    request: TrackerRequest,
    *,
    tz: tzinfo = UTC,
    now: datetime | None = None,
    limits: TrackerLimits | None = None,
) -> TrackerBatch:
    """The fix of one GPSLogger custom-URL request.

    Parameters
    ----------
    request
        The request's parts; ``Authorization: Basic`` carries the device id as password.
    tz
        The time zone of a ``time`` without an offset (GPSLogger's ``%TIME`` has ``Z``).
    now
        The server's clock (the accepted time window).
    limits
        Body size.

    Examples
    --------
    >>> import base64
    >>> auth = "Basic " + base64.b64encode(b"phone:DEVICE-ID").decode()
    >>> batch = parse_gpslogger(TrackerRequest(headers={"Authorization": auth},
    ...     query="lat=28.15&lon=109.9&timestamp=1763456405&spd=5.0&batt=87.0"))
    >>> batch.positions[0].speed_kmh, batch.positions[0].battery_pct
    (18.0, 87.0)
    """
    limits = limits or TrackerLimits()
    now = now or datetime.now(UTC)
    check_body_size(request, limits)
    user, credential = basic_credential(request, "GPSLogger")
    fields = form_fields(request.query, "query string") if request.query else {}
    if request.body and request.media_type != "application/json":
        fields.update(form_fields(decode_text(request.body, "form body"), "form body"))
    elif request.body:
        raise InvalidInput(
            "a JSON body is not the documented template: put the fields in the URL (or send "
            "%ALL as a form body)",
            place="body",
        )
    fields = {k: v for k, v in fields.items() if v.strip() != ""}
    values = FixValues(
        names={
            "time": "timestamp" if "timestamp" in fields else "time",
            "accuracy_m": "acc",
            "speed_kmh": "spd" if "spd" in fields else "spd_kph",
            "bearing_deg": "dir",
            "altitude_m": "alt",
            "battery_pct": "batt",
        }
    )
    if "lat" in fields:
        values.lat = parse_number(fields["lat"], "lat")
    if "lon" in fields:
        values.lon = parse_number(fields["lon"], "lon")
    if "timestamp" in fields:
        values.time = epoch_time(parse_number(fields["timestamp"], "timestamp"), "timestamp")
    elif "time" in fields:
        values.time = iso_time(fields["time"], "time", tz)
    if "spd" in fields:
        values.speed_kmh = parse_number(fields["spd"], "spd") * MPS_KMH
    elif "spd_kph" in fields:
        values.speed_kmh = parse_number(fields["spd_kph"], "spd_kph")
    for key, attr in (
        ("acc", "accuracy_m"),
        ("alt", "altitude_m"),
        ("dir", "bearing_deg"),
        ("batt", "battery_pct"),
    ):
        if key in fields:
            setattr(values, attr, parse_number(fields[key], key))
    position = checked_position(values, credential, now=now)
    return TrackerBatch(
        protocol=Protocol.GPSLOGGER,
        credential=credential,
        username=user or None,
        positions=[position],
        reply=answer_stored(Protocol.GPSLOGGER),
    )
