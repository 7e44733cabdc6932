"""Drone logs become flights: heights with their meaning, dates for date-less logs, stored once
and kept apart from the layers' own flights."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from geo import operations
from geo.coverage.surveillance import drone_footprints
from geo.errors import InvalidFile, InvalidInput
from geo.ingest.drone import prepare_flight
from geo.layers import TownshipLayers
from geo.store import Store
from geo.tracks.gpx_write import write_gpx
from tests import drone_samples as samples
from tests.api.test_tracks_api import client  # noqa: F401  (the fixture)
from tests.conftest import LAYERS_DIR
from tests.test_cli import run

TOWNSHIP = "433122207"
SWATH_AT_CRUISE = 2 * samples.CRUISE_M * math.tan(math.radians(84.0 / 2))  # 45.0 m


def demo_flight(layers: TownshipLayers) -> tuple[np.ndarray, pd.Series]:
    """The demo township's first drone flight: (x, y, height) and UTC times."""
    row = layers.drone_flights.iloc[0]
    coords = shapely.get_coordinates(row.geometry, include_z=True)
    start = pd.Timestamp(row["started_at"]).tz_convert("UTC")
    times = pd.Series(start + pd.to_timedelta(json.loads(row["times_s"]), unit="s"))
    return coords, times


def flight_srt(layers: TownshipLayers) -> bytes:
    """That flight as a Mavic 3 SRT: ``rel_alt`` (its heights) and ``abs_alt`` (+ 400 m)."""
    coords, times = demo_flight(layers)
    cues = []
    for i, ((lon, lat, h), t) in enumerate(zip(coords, times, strict=True)):
        local = t.tz_convert("Asia/Shanghai")
        cues.append(
            f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i + 1:02d},000\n"
            f"{local:%Y-%m-%d %H:%M:%S}.000\n"
            f"[latitude: {lat:.6f}] [longitude: {lon:.6f}] [rel_alt: {h:.3f} abs_alt: "
            f"{h + 400:.3f}]\n\n"
        )
    return "".join(cues).encode()


def flight_gpx(layers: TownshipLayers, ground_asl: float) -> bytes:
    """That flight as a GPX log whose ``ele`` is above sea level (ground + height)."""
    coords, times = demo_flight(layers)
    body = write_gpx(coords[:, 0], coords[:, 1], times).decode()
    heights = iter(coords[:, 2] + ground_asl)
    parts = body.split("</time>")
    body = "".join(
        p + (f"</time><ele>{next(heights):.1f}</ele>" if i < len(coords) else "")
        for i, p in enumerate(parts)
    )
    return body.encode()


def test_drone_log_is_stored_once_and_survives_a_layers_reload(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    data = flight_srt(demo_layers)
    first = operations.import_flight(store, data, filename="dji.SRT", township=TOWNSHIP)
    again = operations.import_flight(store, data, filename="dji.SRT", township=TOWNSHIP)
    assert first.stored and not again.stored and first.flight_id == again.flight_id
    assert first.report["altitude_source"] == "takeoff_rel"  # rel_alt, not abs_alt
    assert first.report["first_time"] == demo_layers.drone_flights["started_at"].iloc[0]
    flights = store.load_layers(TOWNSHIP).drone_flights
    assert len(flights) == len(demo_layers.drone_flights) + 1
    imported = flights[flights["source"] == "import"]
    assert imported["altitude_source"].iloc[0] == "takeoff_rel"
    z = shapely.get_coordinates(imported.geometry.iloc[0], include_z=True)[:, 2]
    expected = shapely.get_coordinates(demo_layers.drone_flights.geometry.iloc[0], include_z=True)
    np.testing.assert_allclose(z, expected[:, 2], atol=0.01)
    operations.import_layers_dir(store, LAYERS_DIR)
    assert len(store.load_layers(TOWNSHIP).drone_flights) == len(flights)


def test_drone_log_far_away_is_refused(
    store: Store, demo_layers: TownshipLayers, shared_data: Path
) -> None:
    store.save_layers(demo_layers)
    data = (shared_data / "drone" / "airdata_mini2_flight.gpx").read_bytes()
    with pytest.raises(InvalidFile, match=r"none of the .* points lies within 5 km"):
        operations.import_flight(store, data, filename="mini2.gpx", township=TOWNSHIP)


SAMPLES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    # name: (builder, file name, height source)
    "mavic2_zoom_altitude_only": (samples.mavic2_zoom_srt, "m2z.SRT", "asl_minus_takeoff"),
    "mavic_pro_hb": (samples.mavic_pro_hb_srt, "mavic_pro.SRT", "barometer"),
    "avata2_barometer": (samples.avata2_srt, "avata2.SRT", "barometer"),
    "mavic3_rel_alt": (samples.mavic3_srt, "m3.SRT", "takeoff_rel"),
    "csvview": (samples.csvview_csv, "DJIFlightRecord.csv", "takeoff_rel"),
    "airdata_metric": (samples.airdata_metric_csv, "airdata.csv", "takeoff_rel"),
    "airdata_sea_level_only": (
        lambda: samples.airdata_metric_csv(with_height=False),
        "airdata_asl.csv",
        "asl_minus_takeoff",
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_heights_keep_their_meaning(name: str, demo_layers: TownshipLayers) -> None:
    build, filename, source = SAMPLES[name]
    flight = prepare_flight(build(), filename=filename, layers=demo_layers)
    report = flight.report
    assert report["altitude_source"] == source == flight.altitude_source
    # Every sample takes off on the ground and cruises 25 m above it.
    assert report["altitude_m"] == pytest.approx([0.0, samples.CRUISE_M], abs=0.06)
    assert report["swath_m"][1] == pytest.approx(SWATH_AT_CRUISE, abs=0.2)
    z = shapely.get_coordinates(flight.geometry, include_z=True)[:, 2]
    assert z.max() == pytest.approx(samples.CRUISE_M, abs=0.06)
    if source == "asl_minus_takeoff":
        assert report["takeoff_altitude_m"] == samples.GROUND_ASL_M
        assert "first fix's altitude" in report["height_note"]
    else:
        assert report["takeoff_altitude_m"] is None
    assert report["speed_spikes"] == 0 and report["fixes_kept"] == report["fixes_read"]
    assert report["first_time"] == "2026-11-04T09:30:00+08:00"


def test_an_altitude_above_sea_level_is_not_a_height(
    store: Store, demo_layers: TownshipLayers
) -> None:
    """The Mavic 2 Zoom case: ``altitude:`` 214-239 m above sea level, 25 m above take-off."""
    store.save_layers(demo_layers)
    data = samples.mavic2_zoom_srt()
    result = operations.import_flight(store, data, filename="m2z.SRT", township=TOWNSHIP)
    flights = store.load_layers(TOWNSHIP).drone_flights
    row = flights[flights["flight_id"] == result.flight_id]
    assert row["altitude_source"].iloc[0] == "asl_minus_takeoff"
    metric = gpd.GeoDataFrame(row, geometry="geometry", crs="EPSG:4326").to_crs("EPSG:4546")
    area_ha = drone_footprints(metric)[0].area / 10_000
    # Independently: 34 s at 15 m/s level at 25 m, a 45 m swath with round ends.
    length = (40.0 - samples.CLIMB_S) * samples.SPEED_MS
    band_ha = (length * SWATH_AT_CRUISE + math.pi * (SWATH_AT_CRUISE / 2) ** 2) / 10_000
    assert area_ha == pytest.approx(band_ha, rel=0.05)


def test_gpx_elevation_is_above_sea_level(demo_layers: TownshipLayers) -> None:
    flight = prepare_flight(flight_gpx(demo_layers, 400.0), filename="f.gpx", layers=demo_layers)
    coords, _ = demo_flight(demo_layers)
    assert flight.altitude_source == "asl_minus_takeoff"
    assert flight.report["takeoff_altitude_m"] == pytest.approx(400 + coords[0, 2], abs=0.06)
    z = shapely.get_coordinates(flight.geometry, include_z=True)[:, 2]
    np.testing.assert_allclose(z, coords[:, 2] - coords[0, 2], atol=0.06)


def test_a_log_without_heights_says_so(demo_layers: TownshipLayers) -> None:
    coords, times = demo_flight(demo_layers)
    data = write_gpx(coords[:, 0], coords[:, 1], times)
    flight = prepare_flight(data, filename="f.gpx", layers=demo_layers)
    assert flight.altitude_source == "default"
    assert flight.report["altitude_m"] == [120.0, 120.0]


def test_a_date_less_srt_is_dated_by_its_dji_file_name(demo_layers: TownshipLayers) -> None:
    data = samples.mavic_mini_srt()
    flight = prepare_flight(data, filename="DJI_20261104093000_0001_D.SRT", layers=demo_layers)
    assert flight.started_at == "2026-11-04T09:30:00+08:00"
    assert flight.ended_at == "2026-11-04T09:31:00+08:00"  # the last cue's timecode, 60 s
    assert flight.altitude_source == "takeoff_rel"  # H, height above home
    assert any("DJI file name" in n for n in flight.report["notes"])


def test_a_date_less_srt_takes_the_start_given(demo_layers: TownshipLayers) -> None:
    data = samples.mavic_mini_srt()
    with pytest.raises(InvalidFile, match="--start") as caught:
        prepare_flight(data, filename="clip.SRT", layers=demo_layers)
    assert "\n" not in caught.value.one_line()
    local = prepare_flight(
        data, filename="clip.SRT", layers=demo_layers, start="2026-11-05 14:00:00"
    )
    assert local.started_at == "2026-11-05T14:00:00+08:00"
    utc = prepare_flight(data, filename="clip.SRT", layers=demo_layers, start="2026-11-05T06:00Z")
    assert utc.started_at == "2026-11-05T14:00:00+08:00"
    with pytest.raises(InvalidInput, match="no time of day"):
        prepare_flight(data, filename="clip.SRT", layers=demo_layers, start="2026-11-05")
    # A given start wins over the file name's.
    named = prepare_flight(
        data, filename="DJI_20261104093000_0001_D.SRT", layers=demo_layers, start="2026-11-05 14:00"
    )
    assert named.started_at == "2026-11-05T14:00:00+08:00"


def test_drone_import_start_on_the_command_line(tmp_path: Path) -> None:
    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    log = tmp_path / "clip.SRT"
    log.write_bytes(samples.mavic_mini_srt())
    refused = run(["drone", "import", str(log)], tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    errors = [line for line in refused.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "--start" in errors[0] and str(log) in errors[0]
    done = run(
        ["drone", "import", str(log), "--date", "2026-11-05 14:00", "--format", "json"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["first_time"] == "2026-11-05T14:00:00+08:00"
    assert report["altitude_source"] == "takeoff_rel"
    # The same option on a patrol track import.
    track = run(
        [
            "tracks",
            "import",
            str(log),
            "--squad",
            "squad-01",
            "--start",
            "2026-11-06T08:00:00",
            "--dry-run",
            "--format",
            "json",
        ],
        tmp_path,
    )
    assert track.returncode == 0, track.stderr
    assert json.loads(track.stdout)["first_time"] == "2026-11-06T08:00:00+08:00"


def test_track_upload_takes_start_over_http(client: TestClient) -> None:  # noqa: F811
    data = samples.mavic_mini_srt()
    refused = client.post("/api/v1/tracks?squad=squad-01&filename=clip.SRT", content=data)
    assert refused.status_code == 422, refused.text
    assert "start" in refused.json()["detail"]
    done = client.post(
        "/api/v1/tracks?squad=squad-01&filename=clip.SRT&start=2026-11-18T09:00:00", content=data
    )
    assert done.status_code == 201, done.text
    assert done.json()["report"]["first_time"] == "2026-11-18T09:00:00+08:00"
