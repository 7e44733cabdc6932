"""What GDAL and QGIS list in the embedded store's file, fresh and upgraded from schema 7:
the layers and the attribute tables a planner may open, every one of them opening without a
warning, and none of the service's own tables (schema version, API keys, phones, alert
outbox, audit log), which GeoPackage schema 8 registers with geo's own data type.

The schema-7 file is built from a frozen copy of that release's schema script
(tests/storage/data/geopackage_schema_v7.sql) and the rows of the schema-5 release, as
tests/storage/test_gpkg_v5.py does.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from geo.store.geopackage import GeoPackageStore, register_functions
from geo.store.gpkg_schema import INTERNAL_DATA_TYPE, INTERNAL_TABLES, SCHEMA_VERSION
from tests.api.test_qgis import SYSTEM_PYTHON, qgis_installed
from tests.conftest import ROOT

DATA = Path(__file__).with_name("data")
#: What a planner sees: the spatial tables and the attribute tables.
LISTED = {
    "township",
    "villages",
    "roads",
    "cameras",
    "checkpoints",
    "drone_flights",
    "patrol_tracks",
    "coverage_gaps",
    "coverage_results",
    "camera_status_changes",
    "track_uploads",
    "fixes",
}


def _v7_file(path: Path) -> Path:
    con = sqlite3.connect(path, isolation_level=None)
    register_functions(con)
    script = (DATA / "geopackage_schema_v7.sql").read_text(encoding="utf-8")
    rows = (DATA / "geopackage_v5_rows.sql").read_text(encoding="utf-8")
    con.executescript(f"BEGIN;\n{script}\n{rows}\nCOMMIT;")
    con.execute("PRAGMA journal_mode = WAL")
    con.close()
    return path


@pytest.fixture(params=["fresh", "upgraded from 7"])
def store_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "geo.gpkg"
    if request.param != "fresh":
        _v7_file(path)
    GeoPackageStore(path).close()
    return path


def _ogrinfo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ogrinfo", *args], capture_output=True, text=True, check=False, timeout=120
    )


def _listed(stdout: str) -> set[str]:
    # "1: cameras (Point)" lines
    return {
        line.split(":", 1)[1].strip().split(" (")[0]
        for line in stdout.splitlines()
        if line.split(":", 1)[0].strip().isdigit()
    }


def test_gdal_lists_the_layers_and_attribute_tables_and_opens_each_without_warning(
    store_file: Path,
) -> None:
    listed = _ogrinfo("-ro", str(store_file))
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    assert _listed(listed.stdout) == LISTED
    for mode in (["-ro"], []):  # read-only and update mode (as QGIS edits)
        every = _ogrinfo(*mode, "-al", "-so", str(store_file))
        assert every.returncode == 0, every.stderr
        assert every.stderr == "", every.stderr
        assert every.stdout.count("Layer name:") == len(LISTED)
    # Even when asked for every table, the service's own are not listed.
    everything = _ogrinfo("-ro", "-oo", "LIST_ALL_TABLES=YES", str(store_file))
    assert everything.stderr == "" and _listed(everything.stdout) == LISTED


def test_the_services_own_tables_are_registered_with_geos_data_type(store_file: Path) -> None:
    con = sqlite3.connect(store_file)
    try:
        kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
        extensions = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM gpkg_extensions WHERE extension_name = "
                "'geo_internal_tables'"
            )
        }
        tables = {
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'gpkg_%' "
                "AND name NOT LIKE 'rtree_%' AND name NOT LIKE 'sqlite_%'"
            )
        }
        version = con.execute("SELECT value FROM geo_meta").fetchone()[0]
    finally:
        con.close()
    assert version == SCHEMA_VERSION == "8"
    assert tables == LISTED | set(INTERNAL_TABLES)  # every table is registered one way
    assert {t for t, k in kinds.items() if k == INTERNAL_DATA_TYPE} == set(INTERNAL_TABLES)
    assert extensions == set(INTERNAL_TABLES)
    assert set(kinds) == tables


def test_an_upgraded_schema_7_file_keeps_its_rows(tmp_path: Path) -> None:
    path = _v7_file(tmp_path / "geo.gpkg")
    store = GeoPackageStore(path)
    try:
        key = store.api_key("gk_v5test")
        assert key is not None and key.name == "片区 key"
        assert len(store.audit_entries()) == 1
        assert len(store.load_layers("433122207").cameras) == 3
    finally:
        store.close()
    # A second open finds nothing to upgrade and registers nothing twice.
    GeoPackageStore(path).close()
    con = sqlite3.connect(path)
    try:
        assert con.execute(
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'geo_internal_tables'"
        ).fetchone() == (len(INTERNAL_TABLES),)
    finally:
        con.close()


@pytest.mark.skipif(
    not qgis_installed(), reason="QGIS's Python bindings are not installed (make test-qgis)"
)
def test_qgis_lists_only_sublayers_that_open(store_file: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [SYSTEM_PYTHON, str(ROOT / "scripts" / "qgis_check.py"), "--gpkg", str(store_file)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    assert set(report["sublayers"]) == LISTED
    assert all(s["valid"] for s in report["sublayers"].values())
