"""Device ids, the stored record, the set-up payloads and their QR codes.

The QR codes are read back with zxing-cpp (a decoder that runs offline, a dev dependency):
the PNG as an image, the terminal text by turning its half blocks back into modules.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from geo.devices import (
    Device,
    decode_owntracks_link,
    device_id_matches,
    device_id_sha256,
    is_device_id,
    new_device_id,
    otrc_bytes,
    owntracks_configuration,
    owntracks_link,
    patrol_signin_link,
    qr_matrix,
    qr_png,
    qr_svg,
    qr_text,
    traccar_client_link,
)
from geo.errors import InvalidInput
from geo.keys import generate_token

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

CREATED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def decode(image: object) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_device_ids_are_random_secrets_of_160_bits() -> None:
    ids = {new_device_id().device_id for _ in range(200)}
    assert len(ids) == 200
    for device_id in ids:
        assert is_device_id(device_id)
        # 27 url-safe base64 characters carry 162 bits; token_urlsafe(20) fills 160 of them.
        assert len(device_id) == 27
    assert not is_device_id(generate_token().token)


def test_only_the_hash_is_kept_and_compared_in_constant_time() -> None:
    new = new_device_id()
    device = Device.register(new, township="433122207", squad="squad-01", created_at=CREATED)
    assert new.device_id not in device.model_dump_json()
    assert device.id_sha256 == device_id_sha256(new.device_id)
    assert device.public_id == device.id_sha256[:12]
    assert device_id_matches(new.device_id, device.id_sha256)
    assert not device_id_matches(new.device_id[:-1] + "x", device.id_sha256)
    assert device.listing()["id"] == device.public_id and device.active


def test_device_crs_is_canonical_and_text_checked() -> None:
    new = new_device_id()
    device = Device.register(
        new, township="433122207", squad="squad-01", crs="GCJ-02", created_at=CREATED
    )
    assert device.crs == "gcj02"
    with pytest.raises(InvalidInput):
        Device.register(new, township="433122207", squad="a\x00b", created_at=CREATED)
    with pytest.raises(InvalidInput):
        Device.register(new, township="433122207", squad="s", crs="foo", created_at=CREATED)
    with pytest.raises(InvalidInput, match="degrees"):
        Device.register(new, township="4331", squad="s", crs="EPSG:32649", created_at=CREATED)


def test_traccar_client_link_is_what_its_scanner_applies() -> None:
    """ConfigurationService.applyUri: url = origin + path, id and settings from the query."""
    link = traccar_client_link("https://geo.example.cn/api/v1/phones/osmand", "SECRET-ID")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://geo.example.cn/api/v1/phones/osmand"
    )
    query = parse_qs(parts.query)
    assert query["id"] == ["SECRET-ID"] and query["buffer"] == ["true"]
    assert query["interval"] == ["30"] and query["accuracy"] == ["high"]
    with pytest.raises(InvalidInput):
        traccar_client_link("geo.example.cn:5055", "x")


def test_owntracks_configuration_and_link() -> None:
    config = owntracks_configuration(
        "https://geo.example.cn/api/v1/phones/owntracks",
        "SECRET-ID",
        username="squad-01",
        device_name="一组 张三",
    )
    assert config["_type"] == "configuration" and config["mode"] == 3  # HTTP
    assert config["auth"] is True and config["password"] == "SECRET-ID"
    assert config["deviceId"] == "一组 张三" and config["tid"] == "一三"
    assert json.loads(otrc_bytes(config).decode("utf-8")) == config
    link = owntracks_link(config)
    assert link.startswith("owntracks:///config?inline=")
    assert decode_owntracks_link(link) == config


def test_patrol_link_keeps_the_key_out_of_the_request() -> None:
    token = generate_token().token
    link = patrol_signin_link("https://geo.example.cn", token)
    parts = urlsplit(link)
    assert parts.path == "/patrol" and parts.query == "" and parts.fragment == f"key={token}"


PAYLOADS = [
    traccar_client_link("https://geo.example.cn:5055", new_device_id().device_id),
    owntracks_link(
        owntracks_configuration(
            "https://geo.example.cn/api/v1/phones/owntracks",
            new_device_id().device_id,
            username="squad-01",
            device_name="一组 张三",
        )
    ),
    patrol_signin_link("https://geo.example.cn", generate_token().token),
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_png_decodes_back(payload: str) -> None:
    png = qr_png(payload)
    assert png.startswith(b"\x89PNG")
    assert decode(Image.open(io.BytesIO(png))) == [payload]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_terminal_text_decodes_back(payload: str) -> None:
    text = qr_text(payload)
    rows: list[list[bool]] = []
    for line in text.splitlines():
        top = [ch in " ▄" for ch in line]  # dark modules print as blanks
        bottom = [ch in " ▀" for ch in line]
        rows += [top, bottom]
    matrix = qr_matrix(payload, border=2)
    assert rows[: len(matrix)] == matrix
    pixels = np.kron(np.where(np.array(rows), 0, 255).astype(np.uint8), np.ones((6, 6), np.uint8))
    assert decode(pixels) == [payload]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_svg_draws_the_same_code(payload: str) -> None:
    """No SVG rasteriser is installed here: the SVG is checked for size and against the
    matrix that the PNG (decoded above) is drawn from."""
    svg = ET.fromstring(qr_svg(payload, scale=4, border=4))
    side = len(qr_matrix(payload, border=4)) * 4
    assert svg.get("width") == str(side) and svg.get("height") == str(side)
    matrix = np.array(qr_matrix(payload, border=4))
    pixels = np.kron(np.where(matrix, 0, 255).astype(np.uint8), np.ones((4, 4), np.uint8))
    png = np.array(Image.open(io.BytesIO(qr_png(payload, scale=4))).convert("L"))
    assert np.array_equal(pixels, png)
