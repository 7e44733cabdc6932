"""Request bodies counted while they stream (uploads, multipart, JSON routes), and heavy
parses capped: 413 / 503 problems naming the limit, nothing stored."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import ServerSettings
from geo.store import Store
from geo.store.geopackage import GeoPackageStore
from tests.api.test_coverage_api import bearer, settings_for
from tests.storage.test_store import village_track_gpx

SERVER = ServerSettings(max_upload_bytes=200_000, max_body_bytes=20_000, parse_wait_seconds=0.1)


def make_client(
    store: Store, layers: TownshipLayers, tmp_path: Path, server: ServerSettings
) -> TestClient:
    store.save_layers(layers)
    settings = replace(settings_for(store, tmp_path), server=server)
    return TestClient(create_app(settings), headers=bearer(store, Role.ADMIN))


@pytest.fixture
def gpkg(tmp_path: Path) -> Iterator[Store]:
    store = GeoPackageStore(tmp_path / "test.gpkg")
    yield store
    store.close()


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(store, demo_layers, tmp_path, SERVER) as c:
        yield c


def chunks(size: int, total: int) -> Iterator[bytes]:
    """A body without Content-Length (sent chunked)."""
    for _ in range(total // size):
        yield b" " * size


def assert_problem(done: Any, status: int, words: str) -> None:
    assert done.status_code == status, done.text
    assert done.headers["content-type"] == "application/problem+json"
    assert words in done.json()["detail"], done.json()


def test_chunked_raw_upload_past_the_limit_is_413(client: TestClient) -> None:
    done = client.post("/api/v1/tracks?squad=squad-01", content=chunks(10_000, 1_000_000))
    assert_problem(done, 413, "over the limit of 200,000 bytes")
    assert client.get("/api/v1/tracks").json() == []


def test_multipart_past_the_limit_is_413(client: TestClient) -> None:
    done = client.post("/api/v1/tracks?squad=squad-01", files={"file": ("big.gpx", b" " * 400_000)})
    assert_problem(done, 413, "limit")
    assert client.get("/api/v1/tracks").json() == []


def test_json_bodies_past_their_limit_are_413(client: TestClient) -> None:
    fix = {"time": "2026-11-18T09:00:00+08:00", "lon": 109.9, "lat": 28.15}
    batch = {"batch_id": "b1", "squad": "squad-01", "device": "p1", "fixes": [fix] * 400}
    done = client.post("/api/v1/positions", json=batch)
    assert_problem(done, 413, "the request body is")
    assert "the limit is 20,000" in done.json()["detail"]
    chunked = client.put(
        "/api/v1/layers/cameras/CAM-07",
        content=chunks(1_000, 100_000),
        headers={"Content-Type": "application/json"},
    )
    assert_problem(chunked, 413, "over the limit of 20,000 bytes")


def test_the_body_is_refused_as_it_streams(
    gpkg: Store, demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    """Straight through ASGI: a chunked multipart body of 64 MB is not read past its limit."""
    pulled = 0

    async def run(app: Any, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
        async def receive() -> dict[str, Any]:
            nonlocal pulled
            pulled += 1
            if pulled == 1:
                body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
                return {"type": "http.request", "body": body, "more_body": True}
            return {"type": "http.request", "body": b" " * 65_536, "more_body": pulled < 1_000}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/v1/tracks",
            "raw_path": b"/api/v1/tracks",
            "query_string": b"squad=squad-01",
            "root_path": "",
            "server": ("test", 80),
            "client": ("127.0.0.1", 1),
            "state": {},
            "app": app,
            "headers": [(b"content-type", b"multipart/form-data; boundary=b"), *headers],
        }
        await app(scope, receive, send)
        return sent

    with make_client(gpkg, demo_layers, tmp_path, SERVER) as client:
        auth = [(k.lower().encode(), v.encode()) for k, v in client.headers.items()]
        auth = [h for h in auth if h[0] == b"authorization"]
        sent = client.portal.call(run, client.app, auth)  # type: ignore[union-attr]
    assert sent[0]["status"] == 413
    # 200,000 bytes plus the multipart allowance is four 64 KB chunks: not the 1,000 sent.
    assert pulled <= 6


def test_heavy_uploads_wait_then_503_with_retry_after(
    gpkg: Store, demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    busy = SERVER.model_copy(update={"max_heavy_parses": 0})  # every heavy slot taken
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    with make_client(gpkg, demo_layers, tmp_path, busy) as client:
        heavy = client.post("/api/v1/tracks?squad=squad-01", content=gzip.compress(data))
        assert_problem(heavy, 503, "send it again in 1 s")
        assert heavy.headers["Retry-After"] == "1"
        assert client.get("/api/v1/tracks").json() == []
        light = client.post("/api/v1/tracks?squad=squad-01", content=data)
        assert light.status_code == 201, light.text
