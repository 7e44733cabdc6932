"""A store that cannot be reached: 503 problem details with Retry-After, one CLI line."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.errors import StoreUnavailable
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from tests.api.test_coverage_api import bearer, settings_for
from tests.cli_runner import run_geo
from tests.storage.test_store import village_track_gpx

ROOT = Path(__file__).resolve().parents[2]


def _down(*_: object, **__: object) -> None:
    raise StoreUnavailable("PostGIS is unreachable: connection refused")


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    with TestClient(create_app(settings_for(store, tmp_path))) as c:
        c.headers.update(bearer(c.app.state.store, Role.ADMIN))  # type: ignore[attr-defined]
        yield c


def _assert_retry_after(answer: object) -> None:
    assert answer.status_code == 503, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert int(answer.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    assert answer.json()["type"] == "/problems/store-unavailable"  # type: ignore[attr-defined]


def test_readyz_503_carries_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client.app.state.store, "check", _down)  # type: ignore[attr-defined]
    _assert_retry_after(client.get("/readyz"))


@pytest.mark.parametrize(
    "failing", ["api_key", "townships", "layers_version", "load_layers", "add_upload"]
)
def test_upload_503_carries_retry_after(
    client: TestClient,
    demo_layers: TownshipLayers,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    """Wherever the store fails on the upload path (key, township, layers, the write)."""
    monkeypatch.setattr(client.app.state.store, failing, _down)  # type: ignore[attr-defined]
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    answer = client.post(
        "/api/v1/tracks?squad=squad-01", content=data, headers={"Idempotency-Key": "k1"}
    )
    _assert_retry_after(answer)


def test_cli_store_unreachable_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "GEO_DATABASE_URL": f"postgresql+psycopg://geo@127.0.0.1:{port}/nothing",
        "COLUMNS": "200",
    }
    done = run_geo(["coverage", "2026-W47"], env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("geo: error: PostGIS is unreachable")
    assert "Traceback" not in done.stderr
