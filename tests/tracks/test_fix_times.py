"""Fixes dated before 2000 or more than a day ahead are not patrol evidence (issue 10, item 9):
counted as ``out_of_time`` when some are, the upload refused (422) when all are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo import operations
from geo.api.app import create_app
from geo.errors import InvalidFile
from geo.ingest.cleaning import EARLIEST_FIX, Drop
from geo.ingest.pipeline import prepare_upload
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from geo.tracks.gpx_write import write_gpx
from tests.api.test_coverage_api import bearer, settings_for

TOWNSHIP = "433122207"


def gpx_at(layers: TownshipLayers, times: list[str]) -> bytes:
    """A GPX riding the first road, one fix per given UTC time (ISO text)."""
    line = layers.roads.geometry.iloc[0]
    points = [line.interpolate(k / len(times), normalized=True) for k in range(len(times))]
    stamps = pd.Series(
        np.array([t.removesuffix("Z") for t in times], dtype="datetime64[ms]")
    ).dt.tz_localize("UTC")
    return write_gpx(np.array([p.x for p in points]), np.array([p.y for p in points]), stamps)


def minutes(day: str, n: int) -> list[str]:
    start = datetime.fromisoformat(day)
    return [(start + timedelta(seconds=5 * k)).isoformat() for k in range(n)]


def test_some_fixes_out_of_time_are_counted(demo_layers: TownshipLayers) -> None:
    times = ["0001-01-01T00:00:00", *minutes("2026-11-18T01:00:00", 30), "9999-12-31T23:59:00"]
    prepared = prepare_upload(
        gpx_at(demo_layers, times), filename="a.gpx", layers=demo_layers, squad="squad-01"
    )
    report = prepared.upload.report
    assert report["out_of_time"] == 2 and report["dropped"]["out_of_time"] == 2
    assert report["fixes_kept"] == 30
    drops = prepared.upload.fixes["drop"].to_numpy()
    assert drops[0] == Drop.OUT_OF_TIME and drops[-1] == Drop.OUT_OF_TIME


@pytest.mark.parametrize(
    ("times", "words"),
    [
        (minutes("0001-01-01T00:00:00", 20), ["0001-01-01T00:00:00", "before 2000-01-01"]),
        (minutes("9999-12-31T00:00:00", 20), ["9999-12-31T00:00:00", "after "]),
        (minutes("1999-12-31T23:00:00", 20), ["1999-12-31T23:00:00", "before 2000-01-01"]),
    ],
    ids=["year-1", "year-9999", "1999"],
)
def test_an_upload_entirely_out_of_time_is_refused(
    demo_layers: TownshipLayers, times: list[str], words: list[str]
) -> None:
    with pytest.raises(InvalidFile) as refused:
        prepare_upload(
            gpx_at(demo_layers, times), filename="clock.gpx", layers=demo_layers, squad="squad-01"
        )
    detail = refused.value.detail
    for word in words:
        assert word in detail
    assert "fixes may be dated from 2000-01-01" in detail and refused.value.source == "clock.gpx"


def test_a_day_ahead_is_tolerated(demo_layers: TownshipLayers) -> None:
    now = datetime.now(UTC)
    ahead = [(now + timedelta(hours=20, seconds=5 * k)).isoformat() for k in range(20)]
    prepared = prepare_upload(
        gpx_at(demo_layers, [t.removesuffix("+00:00") for t in ahead]),
        filename="tz.gpx",
        layers=demo_layers,
        squad="squad-01",
    )
    assert prepared.upload.report["out_of_time"] == 0
    assert datetime(2000, 1, 1, tzinfo=UTC) == EARLIEST_FIX


def test_the_stored_range_leaves_out_of_time_fixes_out(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    times = ["0001-01-01T00:00:00", *minutes("2026-11-18T01:00:00", 30)]
    operations.import_track(
        store, gpx_at(demo_layers, times), filename="a.gpx", township=TOWNSHIP, squad="squad-01"
    )
    early = store.uploads(
        TOWNSHIP, start=datetime(1, 1, 2, tzinfo=UTC), end=datetime(1999, 1, 1, tzinfo=UTC)
    )
    assert early == []
    assert len(store.uploads(TOWNSHIP)) == 1


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    with TestClient(
        create_app(settings_for(store, tmp_path)), headers=bearer(store, Role.ADMIN)
    ) as c:
        yield c


def test_the_api_refuses_tracks_and_batches_out_of_time(
    client: TestClient, demo_layers: TownshipLayers, store: Store
) -> None:
    track = gpx_at(demo_layers, minutes("0001-01-01T00:00:00", 20))
    done = client.post("/api/v1/tracks?squad=squad-01", content=track)
    assert done.status_code == 422, done.text
    assert done.headers["content-type"] == "application/problem+json"
    assert "0001-01-01" in done.json()["detail"] and "2000-01-01" in done.json()["detail"]

    p = demo_layers.roads.geometry.iloc[0].interpolate(0.5, normalized=True)
    batch = {
        "batch_id": "b1",
        "squad": "squad-01",
        "device": "phone-1",
        "fixes": [
            {"time": "0001-01-01T00:00:00+14:00", "lon": p.x, "lat": p.y},
            {"time": "9999-12-31T23:59:59-14:00", "lon": p.x, "lat": p.y},
        ],
    }
    refused = client.post("/api/v1/positions", json=batch)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "accepted times" in refused.json()["detail"]
    mixed = {
        **batch,
        "batch_id": "b2",
        "fixes": [
            *batch["fixes"],  # type: ignore[list-item]
            {"time": "2026-11-18T09:00:00", "lon": p.x, "lat": p.y},
        ],
    }
    stored = client.post("/api/v1/positions", json=mixed)
    assert stored.status_code == 201, stored.text
    assert stored.json()["report"]["out_of_time"] == 2
    assert stored.json()["report"]["fixes_kept"] == 1
    assert [u.filename for u in store.uploads(TOWNSHIP)] == ["positions:b2"]
