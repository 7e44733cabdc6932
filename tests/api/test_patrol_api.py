"""The patrol page's routes on both stores: ``GET /api/v1/patrol`` (a squad's villages, today's
track, this week's uncovered roads and checkpoints) before and after a live batch near a
checkpoint; who may read which squad; the page, its service worker, manifest and icons."""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from tests.api.test_coverage_api import bearer, settings_for

SQUAD = "squad-01"


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    with TestClient(create_app(settings_for(store, tmp_path))) as c:
        yield c


def walk_to_checkpoint(layers: TownshipLayers, code: str, n: int = 24) -> list[dict[str, Any]]:
    """``n`` fixes of the last two minutes, ending at checkpoint ``code`` (5 s apart, 7 m a
    step: a walk along a straight line from the west)."""
    point = layers.checkpoints[layers.checkpoints["code"] == code].geometry.iloc[0]
    now = datetime.now(UTC).replace(microsecond=0)
    fixes = []
    for k in range(n):
        back = n - 1 - k
        fixes.append(
            {
                "time": (now - timedelta(seconds=5 * back)).isoformat(),
                "lon": round(point.x - back * 0.00007, 7),
                "lat": round(point.y, 7),
                "accuracy_m": 5.0,
            }
        )
    return fixes


def view(client: TestClient, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    answer = client.get(f"/api/v1/patrol{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_squads_day_and_week_follow_its_fixes(
    client: TestClient, store: Store, demo_layers: TownshipLayers
) -> None:
    patrol = bearer(store, Role.PATROL, SQUAD)
    before = view(client, patrol)
    assert before["squad"] == SQUAD and before["squads"] == [SQUAD] and before["role"] == "patrol"
    own = demo_layers.villages[demo_layers.villages["squad"] == SQUAD]
    assert [f["properties"]["code"] for f in before["villages"]["features"]] == list(own["code"])
    cps = before["checkpoints"]["features"]
    assert {f["properties"]["village_code"] for f in cps} == set(own["code"])
    assert not any(f["properties"]["visited"] for f in cps)
    assert before["today"]["status"] == "no_data" and before["today_track"]["features"] == []
    gap_m = sum(f["properties"]["length_m"] for f in before["road_gaps"]["features"])
    assert gap_m > 0
    west, south, east, north = before["bounds"]
    centre = shapely.Point((west + east) / 2, (south + north) / 2)
    assert shapely.box(west, south, east, north).contains(centre)

    batch = {
        "batch_id": "web-test-1",
        "squad": SQUAD,
        "device": "web-test",
        "fixes": walk_to_checkpoint(demo_layers, "CP-01"),
    }
    sent = client.post("/api/v1/positions", json=batch, headers=patrol)
    assert sent.status_code == 201, sent.text
    after = view(client, patrol)
    visited = {
        f["properties"]["code"]
        for f in after["checkpoints"]["features"]
        if f["properties"]["visited"]
    }
    assert visited == {"CP-01"}
    assert after["today"]["minutes"] > 0 and after["today"]["distance_km"] > 0
    assert [f["properties"]["device"] for f in after["today_track"]["features"]] == ["web-test"]
    assert sum(f["properties"]["length_m"] for f in after["road_gaps"]["features"]) < gap_m


def test_who_reads_which_squad(client: TestClient, store: Store) -> None:
    patrol = bearer(store, Role.PATROL, SQUAD)
    other = client.get("/api/v1/patrol?squad=squad-02", headers=patrol)
    assert other.status_code == 403 and "belongs to squad-01" in other.json()["detail"]
    leader = bearer(store, Role.LEADER)
    first = view(client, leader)
    assert first["squad"] == SQUAD and "squad-02" in first["squads"] and first["role"] == "leader"
    assert view(client, leader, "?squad=squad-02")["squad"] == "squad-02"
    # The township squad has no village: the township's bounds, no villages.
    inspection = view(client, leader, "?squad=inspection")
    assert inspection["villages"]["features"] == [] and inspection["checkpoints"]["features"] == []
    missing = client.get("/api/v1/patrol?squad=squad-99", headers=leader)
    assert missing.status_code == 404 and "squad-99" in missing.json()["detail"]
    assert client.get("/api/v1/patrol").status_code == 401


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG whose chunks all check out."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, size = 8, (0, 0)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
            size = (width, height)
        at += 12 + length
    return size


def test_the_page_and_its_files_need_no_key_and_load_nothing_from_elsewhere(
    client: TestClient,
) -> None:
    page = client.get("/patrol")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert "connect-src 'self'" in policy and "img-src 'self' data:;" in policy
    assert "geolocation=(self)" in page.headers["permissions-policy"]
    # What the markup and styles load is this site's or inline (the policy refuses the rest).
    loads = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="([^"]*)"', page.text)
    assert loads and all(u.startswith("/") for u in loads), loads
    styles = "".join(re.findall(r"<style>(.*?)</style>", page.text, flags=re.S))
    assert "@import" not in styles
    assert all(u.startswith(("data:", "#")) for u in re.findall(r"url\(['\"]?([^'\")]*)", styles))
    assert '<link rel="manifest" href="/patrol.webmanifest">' in page.text
    assert "巡逻记录" in page.text and "Patrol" in client.get("/patrol?lang=en").text
    # Geolocation stays denied on every other answer.
    assert "geolocation=()" in client.get("/signin").headers["permissions-policy"]

    worker = client.get("/patrol-sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "__VERSION__" not in worker.text and "geo-patrol-" in worker.text
    manifest = json.loads(client.get("/patrol.webmanifest").text)
    assert manifest["start_url"] == "/patrol" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        answer = client.get(icon["src"])
        assert answer.status_code == 200 and answer.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            side = int(icon["sizes"].split("x")[0])
            assert png_size(answer.content) == (side, side)
