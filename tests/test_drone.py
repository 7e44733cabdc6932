"""Drone logs become flights: stored once, kept apart from the layers' own flights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo import operations
from geo.errors import InvalidFile
from geo.layers import TownshipLayers
from geo.store import Store
from geo.tracks.gpx_write import write_gpx
from tests.conftest import LAYERS_DIR


def flight_gpx(layers: TownshipLayers) -> bytes:
    """The demo township's first drone flight written as a GPX log with times and heights."""
    row = layers.drone_flights.iloc[0]
    coords = shapely.get_coordinates(row.geometry, include_z=True)
    start = pd.Timestamp(row["started_at"]).tz_convert("UTC")
    times = pd.Series(start + pd.to_timedelta(json.loads(row["times_s"]), unit="s"))
    body = write_gpx(coords[:, 0], coords[:, 1], times).decode()
    heights = iter(coords[:, 2])
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
    data = flight_gpx(demo_layers)
    first = operations.import_flight(store, data, filename="dji.gpx", township="433122207")
    again = operations.import_flight(store, data, filename="dji.gpx", township="433122207")
    assert first.stored and not again.stored and first.flight_id == again.flight_id
    assert first.report["altitude_source"] == "agl"
    assert first.report["first_time"] == demo_layers.drone_flights["started_at"].iloc[0]
    flights = store.load_layers("433122207").drone_flights
    assert len(flights) == len(demo_layers.drone_flights) + 1
    imported = flights[flights["source"] == "import"]
    assert imported.geometry.iloc[0].has_z
    z = shapely.get_coordinates(imported.geometry.iloc[0], include_z=True)[:, 2]
    assert np.nanmin(z) >= 80 and np.nanmax(z) <= 130
    operations.load_layers(store, LAYERS_DIR)
    assert len(store.load_layers("433122207").drone_flights) == len(flights)


def test_drone_log_far_away_is_refused(
    store: Store, demo_layers: TownshipLayers, shared_data: Path
) -> None:
    store.save_layers(demo_layers)
    data = (shared_data / "drone" / "airdata_mini2_flight.gpx").read_bytes()
    with pytest.raises(InvalidFile, match=r"none of the .* points lies within 5 km"):
        operations.import_flight(store, data, filename="mini2.gpx", township="433122207")
