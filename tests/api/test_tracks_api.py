"""POST /api/v1/tracks on both stores: raw and multipart, once only, clear refusals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.errors import NotFound
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import ServerSettings
from geo.store import Store, UploadRecord
from tests.api.test_coverage_api import bearer, settings_for
from tests.storage.test_store import village_track_gpx


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    settings = replace(
        settings_for(store, tmp_path),
        server=ServerSettings(max_upload_bytes=200_000, max_upload_fixes=1000),
    )
    with TestClient(create_app(settings), headers=bearer(store, Role.ADMIN)) as c:
        yield c


def test_raw_upload_is_stored_once(client: TestClient, demo_layers: TownshipLayers) -> None:
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    first = client.post("/api/v1/tracks?squad=squad-01&device=p1&filename=a.gpx", content=data)
    assert first.status_code == 201, first.text
    body = UploadRecord.model_validate(first.json())
    assert body.report["fixes_read"] == 240 and body.report["segments"] == 1
    assert body.filename == "a.gpx" and not body.duplicate
    again = client.post("/api/v1/tracks?squad=squad-01&device=p1", content=data)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["id"] == body.id
    week = client.get("/api/v1/coverage/2026-W47").json()
    assert week["fixes_used"] == body.report["fixes_kept"]


def test_multipart_upload(client: TestClient, demo_layers: TownshipLayers) -> None:
    data = village_track_gpx(demo_layers, start="2026-11-19 09:00")
    done = client.post(
        "/api/v1/tracks?squad=squad-02", files={"file": ("phone.gpx", data, "application/gpx+xml")}
    )
    assert done.status_code == 201, done.text
    assert done.json()["filename"] == "phone.gpx"


@pytest.mark.parametrize(
    ("query", "content", "status", "words"),
    [
        (
            "squad=squad-01",
            b'<gpx><trk><trkseg><trkpt lat="x" lon="1"/></trkseg></trk></gpx>',
            422,
            "are not numbers",
        ),
        ("squad=squad-01", b"", 422, "empty"),
        ("squad=nobody", b"<gpx/>", 422, "unknown squad"),
        ("squad=squad-01&crs=utm", b"<gpx/>", 422, "unknown coordinate system 'utm'"),
        ("squad=squad-01", b"<gpx>" + b" " * 300_000 + b"</gpx>", 413, "limit"),
        ("", b"<gpx/>", 422, "squad"),
    ],
)
def test_refusals_are_problem_details_and_store_nothing(
    client: TestClient, query: str, content: bytes, status: int, words: str
) -> None:
    done = client.post(f"/api/v1/tracks?{query}", content=content)
    assert done.status_code == status, done.text
    assert done.headers["content-type"] == "application/problem+json"
    assert words in done.json()["detail"]
    assert client.get("/api/v1/coverage/2026-W47").json()["fixes_used"] == 0


def test_too_many_fixes_is_413_with_the_limit(
    client: TestClient, demo_layers: TownshipLayers
) -> None:
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00", minutes=100)  # 1,200 fixes
    done = client.post("/api/v1/tracks?squad=squad-01", content=data)
    assert done.status_code == 413
    assert "more than 1,000 fixes; the limit is 1,000" in done.json()["detail"]


def test_idempotency_key_returns_the_first_answer(
    client: TestClient, demo_layers: TownshipLayers
) -> None:
    data = village_track_gpx(demo_layers, start="2026-11-20 09:00")
    headers = {"Idempotency-Key": "phone-7:batch-0001"}
    first = client.post("/api/v1/tracks?squad=squad-03", content=data, headers=headers)
    retry = client.post("/api/v1/tracks?squad=squad-03", content=data, headers=headers)
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"] and retry.json()["duplicate"]
    other = village_track_gpx(demo_layers, start="2026-11-21 09:00")
    clash = client.post("/api/v1/tracks?squad=squad-03", content=other, headers=headers)
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert "already used" in clash.json()["detail"]


def live_batch(layers: TownshipLayers, batch: int, *, per_batch: int = 6) -> dict[str, object]:
    """Batch ``batch`` of a phone riding the first road, one fix every 5 s, local times."""
    line = layers.roads.geometry.iloc[0]
    start = pd.Timestamp("2026-11-18 09:00")
    fixes = []
    for k in range(batch * per_batch, (batch + 1) * per_batch):
        p = line.interpolate(k / 200, normalized=True)
        fixes.append(
            {"time": (start + pd.Timedelta(seconds=5 * k)).isoformat(), "lon": p.x, "lat": p.y}
        )
    return {"batch_id": f"b{batch}", "squad": "squad-04", "device": "phone-4", "fixes": fixes}


def test_live_batches_are_stored_once_and_join_into_one_track(
    client: TestClient, demo_layers: TownshipLayers
) -> None:
    for b in range(4):
        first = client.post("/api/v1/positions", json=live_batch(demo_layers, b))
        assert first.status_code == 201, first.text
        assert first.json()["report"]["fixes_kept"] == 6
        assert first.json()["report"]["naive_times_read_as_local"] == 6
    retry = client.post("/api/v1/positions", json=live_batch(demo_layers, 3))
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    week = client.get("/api/v1/coverage/2026-W47").json()
    assert week["fixes_used"] == 24
    minutes = sum(sum(v["minutes_by_day"].values()) for v in week["villages"])
    assert minutes == pytest.approx(23 * 5 / 60, abs=0.01)  # 24 fixes, 23 gaps of 5 s, one track


def test_live_batch_problems(client: TestClient, demo_layers: TownshipLayers) -> None:
    batch = live_batch(demo_layers, 0)
    no_fixes = client.post("/api/v1/positions", json={**batch, "fixes": []})
    assert no_fixes.status_code == 422
    assert no_fixes.headers["content-type"] == "application/problem+json"
    far = {**batch, "fixes": [{"time": "2026-11-18T09:00:00", "lon": 2.35, "lat": 48.85}]}
    refused = client.post("/api/v1/positions", json=far)
    assert refused.status_code == 422 and "none of the 1 points" in refused.json()["detail"]
    big = live_batch(demo_layers, 0, per_batch=1001)
    too_many = client.post("/api/v1/positions", json=big)
    assert too_many.status_code == 413
    assert "the limit is 1,000 per batch" in too_many.json()["detail"]


def test_a_batch_of_one_position_is_stored(client: TestClient, demo_layers: TownshipLayers) -> None:
    """Found by schemathesis: a one-fix batch made a one-point line and answered 500."""
    for b in range(3):
        done = client.post("/api/v1/positions", json=live_batch(demo_layers, b, per_batch=1))
        assert done.status_code == 201, done.text
        assert done.json()["report"]["fixes_kept"] == 1
    week = client.get("/api/v1/coverage/2026-W47").json()
    assert week["fixes_used"] == 3
    minutes = sum(sum(v["minutes_by_day"].values()) for v in week["villages"])
    assert minutes == pytest.approx(2 * 5 / 60, abs=0.01)  # three batches, one track


def test_an_unparsable_batch_is_a_400_problem(client: TestClient) -> None:
    """Found by schemathesis: a body that is not JSON was a 400 missing from the document."""
    done = client.post(
        "/api/v1/positions", content=b"\xff", headers={"Content-Type": "application/json"}
    )
    assert done.status_code == 400
    assert done.headers["content-type"] == "application/problem+json"
    assert done.json()["title"] == "Bad request"
    documented = client.get("/openapi.json").json()["paths"]["/api/v1/positions"]["post"]
    assert "400" in documented["responses"]


def test_an_upload_id_the_store_cannot_hold_is_a_problem_not_a_500(
    client: TestClient, store: Store
) -> None:
    """Found by schemathesis on PostGIS: an upload id above the 32-bit ``integer`` range
    reached PostgreSQL ("integer out of range") and answered 500."""
    documented = client.get("/openapi.json").json()["paths"]["/api/v1/tracks/{upload_id}"]["get"]
    (param,) = [p for p in documented["parameters"] if p["name"] == "upload_id"]
    assert param["schema"]["maximum"] == 2**31 - 1
    for upload_id, status in ((2**31 - 1, 404), (2**31, 422), (380_129_329_914, 422)):
        done = client.get(f"/api/v1/tracks/{upload_id}")
        assert done.status_code == status, done.text
        assert done.headers["content-type"] == "application/problem+json"
    # The store itself answers "not there" for ids it cannot hold (the CLI and other callers).
    for upload_id in (2**31, -(2**31) - 1):
        with pytest.raises(NotFound):
            store.upload(upload_id)
        assert store.upload_segments(upload_id).empty


def test_a_file_naming_its_system_is_converted_and_a_conflicting_crs_refused(
    client: TestClient, demo_layers: TownshipLayers
) -> None:
    from tests.tracks.exports import FOREST_ROUND, csv_named_header, forest_patrol

    truth = forest_patrol(demo_layers, FOREST_ROUND)
    data = csv_named_header(truth, "时间,经度(GCJ-02),纬度(GCJ-02)", "gcj02")
    refused = client.post("/api/v1/tracks?squad=squad-04&crs=WGS-84", content=data)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    detail = refused.json()["detail"]
    assert "the file says its coordinates are gcj02 but the upload says crs=WGS-84" in detail
    assert client.get("/api/v1/coverage/2026-W47").json()["fixes_used"] == 0
    done = client.post("/api/v1/tracks?squad=squad-04&filename=gcj.csv", content=data)
    assert done.status_code == 201, done.text
    body = UploadRecord.model_validate(done.json())
    assert body.source_crs == "gcj02" and body.report["warnings"] == []
