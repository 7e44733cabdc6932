"""Simulated demo weeks as fixes and weekly results, through the compute core only."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from geo.coverage.evaluate import evaluate_week
from geo.coverage.result import WeekCoverage
from geo.ingest.cleaning import clean_fixes
from geo.layers import TownshipLayers
from geo.simulate import default_plan, simulate_week
from geo.tracks.fixes import make_fixes
from geo.weeks import IsoWeek

DEMO_WEEK = IsoWeek(2026, 47)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def simulated_fixes(layers: TownshipLayers, week: IsoWeek) -> pd.DataFrame:
    """The default simulated week, each track cleaned as an upload would be (``time``,
    ``lon``, ``lat``, ``squad``, ``device``, ``segment``, unique across tracks)."""
    frames = []
    offset = 0
    for track in simulate_week(layers, week, default_plan(layers)):
        f = track.fixes
        fixes = make_fixes(f["lon"], f["lat"], f["time"], accuracy_m=f["hdop"].to_numpy() * 5)
        cleaned = clean_fixes(
            fixes, rules=layers.info.rules, metric_crs=layers.info.metric_crs, now=NOW
        )
        seg = np.where(cleaned.segment >= 0, cleaned.segment + offset, -1)
        offset = int(seg.max()) + 1 if (seg >= 0).any() else offset
        frames.append(
            fixes[["time", "lon", "lat"]].assign(
                squad=track.squad, device=track.device, segment=seg
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def demo_fixes(demo_layers: TownshipLayers) -> pd.DataFrame:
    return simulated_fixes(demo_layers, DEMO_WEEK)


@pytest.fixture(scope="session")
def demo_week(demo_layers: TownshipLayers, demo_fixes: pd.DataFrame) -> WeekCoverage:
    return evaluate_week(demo_layers, demo_fixes, DEMO_WEEK, computed_at=NOW)
