"""The OsmAnd protocol (query, form and Traccar Client JSON) read from published requests.

The request samples are copied from Traccar's own decoder tests
(traccar/traccar, src/test/java/org/traccar/protocol/OsmAndProtocolDecoderTest.java), the
protocol page (traccar.org/osmand) and Traccar Client's location template
(traccar/traccar-client, lib/preferences.dart); docs/phones.md cites each.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from geo.errors import AuthenticationRequired, InvalidInput, PayloadTooLarge
from geo.ingest.trackers import (
    Protocol,
    TrackerLimits,
    TrackerRequest,
    answer_refused,
    answer_retry,
    osmand_protocol,
    parse_osmand,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
JSON = {"Content-Type": "application/json"}


def query(url: str, **kwargs: object) -> TrackerRequest:
    """A GET of a path-and-query as the decoder tests write it (``/?id=...``)."""
    return TrackerRequest(method="GET", query=url.split("?", 1)[1], **kwargs)  # type: ignore[arg-type]


# From OsmAndProtocolDecoderTest.testDecodeQuery, copied as written there.
DECODER_QUERIES = {
    "iso": "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z"
    "&hdop=6.0&altitude=224.0&speed=0.0",
    "millis": "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579&hdop=6.0"
    "&altitude=224.0&speed=0.0",
    "local": "/?lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7"
    "&speed=0.0&id=353861053849681",
    "bearing": "/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0"
    "&altitude=0&hdop=0.0",
    "plain": "/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0",
    "deviceid": "/?lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0"
    "&deviceid=123456",
    "batt": "/?id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479"
    "&speed=0.000000&batt=87",
    "location": "/?id=123456&timestamp=1377177267&location=60.0,30.0",
    "extras": "/?id=123456789012345&timestamp=1504763810&lat=40.7232948571"
    "&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24",
}


def test_seconds_timestamp_and_plain_fields() -> None:
    batch = parse_osmand(query(DECODER_QUERIES["plain"]), now=NOW)
    (p,) = batch.positions
    assert batch.protocol is Protocol.OSMAND and batch.credential == "123456"
    assert p.device_id == "123456"
    assert p.time == datetime(2013, 8, 22, 13, 14, 27, tzinfo=UTC)
    assert (p.lat, p.lon) == (60.0, 30.0)
    assert p.speed_kmh is None and p.accuracy_m is None and p.battery_pct is None
    assert batch.reply.status == 200 and batch.reply.body == b""


def test_iso_timestamp_hdop_altitude() -> None:
    (p,) = parse_osmand(query(DECODER_QUERIES["iso"]), now=NOW).positions
    assert p.time == datetime(2016, 1, 27, 18, 55, 47, tzinfo=UTC)
    assert (p.lat, p.lon) == (42.06288, -88.23412)
    assert p.accuracy_m == 6.0  # hdop stands in for accuracy
    assert p.altitude_m == 224.0 and p.speed_kmh == 0.0


def test_millisecond_timestamp() -> None:
    (p,) = parse_osmand(query(DECODER_QUERIES["millis"]), now=NOW).positions
    assert p.time == datetime(2015, 9, 12, 14, 38, 6, 579000, tzinfo=UTC)


def test_local_timestamp_is_read_in_the_devices_time_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    (p,) = parse_osmand(query(DECODER_QUERIES["local"]), tz=shanghai, now=NOW).positions
    assert p.time == datetime(2014, 6, 4, 1, 10, 11, tzinfo=UTC)
    assert p.device_id == "353861053849681" and p.altitude_m == 384.7


def test_deviceid_heading_and_no_timestamp_is_dated_on_arrival() -> None:
    (p,) = parse_osmand(query(DECODER_QUERIES["deviceid"]), now=NOW).positions
    assert p.device_id == "123456" and p.bearing_deg == 0.0
    assert p.time == NOW


def test_location_pair_and_battery() -> None:
    (p,) = parse_osmand(query(DECODER_QUERIES["location"]), now=NOW).positions
    assert (p.lat, p.lon) == (60.0, 30.0)
    (b,) = parse_osmand(query(DECODER_QUERIES["batt"]), now=NOW).positions
    assert b.battery_pct == 87.0 and b.time == NOW


def test_speed_is_knots_converted_to_kmh_and_unknown_fields_are_ignored() -> None:
    (p,) = parse_osmand(query(DECODER_QUERIES["extras"]), now=NOW).positions
    assert p.speed_kmh == pytest.approx(40 * 1.852)
    assert p.bearing_deg == pytest.approx(7.19889788244)
    assert p.time == datetime(2017, 9, 7, 5, 56, 50, tzinfo=UTC)


def test_page_example_with_osmand_placeholders_filled() -> None:
    """traccar.org/osmand: ``?id=123456&lat={0}&lon={1}&timestamp={2}&hdop={3}&altitude={4}
    &speed={5}``, filled as OsmAnd fills it (degrees, epoch seconds, m, m, knots)."""
    url = (
        "/?id=123456&lat=28.150300&lon=109.901200&timestamp=1763456405&hdop=8.0"
        "&altitude=412.3&speed=2.7"
    )
    (p,) = parse_osmand(query(url), now=NOW).positions
    assert p.time == datetime(2025, 11, 18, 9, 0, 5, tzinfo=UTC)
    assert (p.accuracy_m, p.altitude_m) == (8.0, 412.3)
    assert p.speed_kmh == pytest.approx(2.7 * 1.852)


def test_form_body_when_the_query_string_is_empty() -> None:
    """Traccar Client before 9 POSTs the same fields as a form body."""
    body = b"id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=1.0&accuracy=12&batt=55"
    request = TrackerRequest(
        method="POST",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    (p,) = parse_osmand(request, now=NOW).positions
    assert (p.lat, p.lon, p.accuracy_m, p.battery_pct) == (60.0, 30.0, 12.0, 55.0)
    assert p.speed_kmh == pytest.approx(1.852)


# From OsmAndProtocolDecoderTest.testDecodeJson (Traccar Client 9's body), as written there.
JSON_SAMPLES = [
    '{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,'
    '"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,'
    '"odometer":0,"event":"motionchange","battery":{"level":1,"is_charging":false},'
    '"activity":{"type":"still"},"extras":{},"_":"&id=48241179&lat=37.4219983&lon=-122.084'
    '&timestamp=2025-06-15T13:45:12.862Z&"},"device_id":"48241179"}',
    '{"location":{"extras":{},"mock":true,"coords":{"speed_accuracy":-1,"speed":-1,'
    '"longitude":-122.406417,"ellipsoidal_altitude":0,"floor":null,"heading_accuracy":-1,'
    '"latitude":37.785834000000001,"accuracy":5,"altitude_accuracy":-1,"altitude":0,'
    '"heading":-1},"is_moving":false,"age":188,"odometer":0,'
    '"uuid":"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8","event":"motionchange",'
    '"battery":{"level":-1,"is_charging":false},"activity":{"type":"unknown","confidence":100},'
    '"timestamp":"2025-05-09T04:11:30.579Z"},"device_id":"658765"}',
    '{"location":{"event":"motionchange","is_moving":false,'
    '"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75","timestamp":"2021-07-21T08:06:34.444Z",'
    '"odometer":0,"coords":{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,'
    '"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,'
    '"altitude":35.7,"altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},'
    '"battery":{"is_charging":false,"level":0.79},"extras":{}},"device_id":"8737767034"}',
]


def post_json(body: str | bytes, headers: dict[str, str] | None = None) -> TrackerRequest:
    data = body.encode() if isinstance(body, str) else body
    return TrackerRequest(method="POST", body=data, headers=JSON if headers is None else headers)


def test_traccar_client_json_sample() -> None:
    batch = parse_osmand(post_json(JSON_SAMPLES[0]), now=NOW)
    (p,) = batch.positions
    assert batch.protocol is Protocol.TRACCAR_JSON and batch.credential == "48241179"
    assert p.time == datetime(2025, 6, 15, 13, 45, 12, 862000, tzinfo=UTC)
    assert (p.lat, p.lon, p.accuracy_m, p.altitude_m) == (37.4219983, -122.084, 5.0, 5.0)
    assert p.speed_kmh == 0.0
    assert p.bearing_deg is None  # heading -1: unknown
    assert p.battery_pct == 100.0  # level 1 of 0..1
    assert batch.reply.status == 200


def test_json_unknown_values_are_none() -> None:
    (p,) = parse_osmand(post_json(JSON_SAMPLES[1]), now=NOW).positions
    assert p.speed_kmh is None and p.bearing_deg is None and p.battery_pct is None
    assert p.lat == pytest.approx(37.785834) and p.device_id == "658765"


def test_json_speed_is_mps_converted_to_kmh() -> None:
    (p,) = parse_osmand(post_json(JSON_SAMPLES[2]), now=NOW).positions
    assert p.speed_kmh == pytest.approx(18.67 * 3.6)
    assert p.bearing_deg == 63.0 and p.battery_pct == pytest.approx(79.0)
    assert p.time == datetime(2021, 7, 21, 8, 6, 34, 444000, tzinfo=UTC)


def test_json_recognised_without_content_type() -> None:
    (p,) = parse_osmand(post_json(JSON_SAMPLES[2], headers={}), now=NOW).positions
    assert p.device_id == "8737767034"


def test_flushed_buffer_as_array_and_as_location_list() -> None:
    """A buffer flushed at once: an array of bodies, or (the SDK's batch sync) one body whose
    ``location`` is an array."""
    bodies = [json.loads(s) for s in JSON_SAMPLES]
    for body in bodies:
        body["device_id"] = "48241179"
    as_array = parse_osmand(post_json(json.dumps(bodies)), now=NOW)
    as_list = parse_osmand(
        post_json(
            json.dumps({"location": [b["location"] for b in bodies], "device_id": "48241179"})
        ),
        now=NOW,
    )
    assert len(as_array.positions) == 3
    assert as_array.positions == as_list.positions
    assert [p.time.year for p in as_array.positions] == [2025, 2025, 2021]


def test_batch_over_the_limit_is_refused_naming_it() -> None:
    body = json.loads(JSON_SAMPLES[0])
    with pytest.raises(PayloadTooLarge, match="at most 2 are taken"):
        parse_osmand(post_json(json.dumps([body] * 3)), now=NOW, limits=TrackerLimits(2))
    with pytest.raises(PayloadTooLarge, match="at most 10 are read"):
        parse_osmand(post_json(JSON_SAMPLES[0]), now=NOW, limits=TrackerLimits(max_body_bytes=10))


def test_one_request_one_device() -> None:
    bodies = [json.loads(s) for s in JSON_SAMPLES[:2]]
    with pytest.raises(InvalidInput) as caught:
        parse_osmand(post_json(json.dumps(bodies)), now=NOW)
    assert caught.value.place == "device_id"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        # Traccar answers this one from the last known position; a patrol needs a fix.
        ("/?id=123456&timestamp=1377177267&cell=257,02,16,2224", "lat"),
        ("/?id=1&lat=60.0&timestamp=1377177267", "lon"),
        ("/?id=1&lat=0&lon=0&timestamp=1763456405", "lat"),
        ("/?id=1&lat=91&lon=30&timestamp=1763456405", "lat"),
        ("/?id=1&location=60.0&timestamp=1763456405", "location"),
        ("/?id=1&lat=60&lon=30&timestamp=yesterday", "timestamp"),
        ("/?id=1&lat=60&lon=30&timestamp=2025-13-01+10%3A00%3A00", "timestamp"),
        ("/?id=1&lat=60&lon=30&timestamp=946684799", "timestamp"),  # 1999-12-31
        ("/?id=1&lat=60&lon=30&timestamp=4102444800", "timestamp"),  # 2100, in the future
        ("/?id=1&lat=60&lon=30&timestamp=1763456405&speed=-3", "speed"),
        ("/?id=1&lat=60&lon=30&timestamp=1763456405&speed=NaN", "speed"),
        ("/?id=1&lat=60&lon=30&timestamp=1763456405&batt=120", "batt"),
        ("/?id=1&lat=60&lon=30&timestamp=1763456405&heading=400", "heading"),
        ("/?id=1&lat=60&lon=30&timestamp=1763456405&altitude=1e9", "altitude"),
        ("/?id=1&lat=60&lon=30&timestamp=1763456405&accuracy=-1", "accuracy"),
        ("/?id=1&lat=60&lon=30&timestamp=1763456405&valid=false", "valid"),
        ("/?id=1&lat=6_0&lon=30&timestamp=1763456405", "lat"),
    ],
)
def test_bad_data_names_the_field(url: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_osmand(query(url), now=NOW)
    assert caught.value.place == field
    assert field in caught.value.detail


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"location":{"timestamp":"2025-06-15T13:45:12Z"},"device_id":"1"}', "location.coords"),
        (
            '{"location":{"timestamp":"x","coords":{"latitude":1,"longitude":2}},"device_id":"1"}',
            "location.timestamp",
        ),
        (
            '{"location":{"timestamp":"2025-06-15T13:45:12Z","coords":{"latitude":"1",'
            '"longitude":2}},"device_id":"1"}',
            "location.coords.latitude",
        ),
        (
            '{"location":{"timestamp":"2025-06-15T13:45:12Z","coords":{"latitude":1,'
            '"longitude":2},"battery":{"level":7}},"device_id":"1"}',
            "location.battery.level",
        ),
        ("{not json", "body"),
        ("[]", "location"),
    ],
)
def test_bad_json_names_the_field(body: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_osmand(post_json(body), now=NOW)
    assert caught.value.place == field


def test_no_device_id_is_an_authentication_error() -> None:
    with pytest.raises(AuthenticationRequired):
        parse_osmand(query("/?timestamp=1377177267&lat=60.0&lon=30.0"), now=NOW)
    body = json.loads(JSON_SAMPLES[0])
    del body["device_id"]
    with pytest.raises(AuthenticationRequired):
        parse_osmand(post_json(json.dumps(body)), now=NOW)


def test_protocol_of_a_request_that_will_not_parse() -> None:
    assert osmand_protocol(post_json("{broken")) is Protocol.TRACCAR_JSON
    assert osmand_protocol(query("/?id=1&lat=x")) is Protocol.OSMAND


def test_replayed_and_reordered_requests_have_one_batch_id() -> None:
    bodies = [json.loads(s) for s in JSON_SAMPLES]
    for body in bodies:
        body["device_id"] = "48241179"
    first = parse_osmand(post_json(json.dumps(bodies)), now=NOW)
    again = parse_osmand(post_json(json.dumps(bodies[::-1])), now=NOW)
    fewer = parse_osmand(post_json(json.dumps(bodies[:2])), now=NOW)
    assert first.batch_id == again.batch_id != fewer.batch_id


def test_answers_make_each_app_drop_or_keep() -> None:
    error = InvalidInput("lat is missing", place="lat")
    refused = answer_refused(Protocol.OSMAND, error)
    assert refused.status == 422 and b"lat is missing" in refused.body
    # Traccar Client 9 retries any non-2xx: its refused fixes are acknowledged.
    json_refused = answer_refused(Protocol.TRACCAR_JSON, error)
    assert json_refused.status == 200 and "lat" in json_refused.headers["X-Geo-Refused"]
    assert answer_refused(Protocol.TRACCAR_JSON, AuthenticationRequired("unknown")).status == 401
    assert answer_refused(Protocol.TRACCAR_JSON, PayloadTooLarge("over 1000")).status == 413
    retry = answer_retry(Protocol.TRACCAR_JSON, 30)
    assert retry.status == 503 and retry.headers == {"Retry-After": "30"}
