"""QGIS itself (Debian's python3-qgis, offscreen) opens PostGIS's ``fixes_points`` view as the
Browser does (its first key candidate, unicity checked): valid, keyed by ``fid``, every fix a
feature with its own id (scripts/qgis_pg_check.py). Runs when QGIS's bindings are installed."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from sqlalchemy import make_url, text

from geo.layers import TownshipLayers
from geo.store.sql import SqlStore
from tests.api.test_qgis import SYSTEM_PYTHON, qgis_installed
from tests.conftest import ROOT
from tests.storage.test_partitions import _import

pytestmark = [
    pytest.mark.postgis,
    pytest.mark.skipif(not qgis_installed(), reason="QGIS's Python bindings are not installed"),
]


def test_qgis_opens_fixes_points_keyed_by_fid(
    pg_store: SqlStore, demo_layers: TownshipLayers, postgis_url: str
) -> None:
    pg_store.save_layers(demo_layers)
    # Two uploads in two months: two partitions behind the view.
    n = _import(pg_store, demo_layers, "2026-10-14 09:00", "october.gpx")
    n += _import(pg_store, demo_layers, "2026-11-18 09:00", "november.gpx")
    with pg_store.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM fixes_points")) == n
    url = make_url(postgis_url)
    conninfo = (
        f"dbname='{url.database}' host={url.host or '127.0.0.1'} port={url.port or 5432} "
        f"user='{url.username}'" + (f" password='{url.password}'" if url.password else "")
    )
    done = subprocess.run(
        [
            SYSTEM_PYTHON,
            str(ROOT / "scripts" / "qgis_pg_check.py"),
            "--conninfo",
            conninfo,
            "--expected",
            str(n),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    print(done.stdout)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, (report, done.stderr[-2000:])
    assert report["key"] == "fid" and report["valid"] and report["ids"] == n
