"""What each store looks like from outside: GDAL/QGIS for the GeoPackage, SQL for PostGIS."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
from sqlalchemy import create_engine, text

from geo import operations
from geo.layers import TownshipLayers
from geo.store.geopackage import GeoPackageStore
from tests.conftest import LAYERS_DIR


def test_geopackage_opens_in_gdal_with_every_layer(
    tmp_path: Path, demo_layers: TownshipLayers
) -> None:
    path = tmp_path / "geo.gpkg"
    store = GeoPackageStore(path)
    store.save_layers(demo_layers)
    layers = dict(pyogrio.list_layers(path))
    for name in (
        "township",
        "villages",
        "roads",
        "cameras",
        "checkpoints",
        "drone_flights",
        "patrol_tracks",
        "coverage_gaps",
    ):
        assert name in layers, name
    assert layers["villages"] == "MultiPolygon"
    assert layers["fixes"] is None  # an attribute table
    villages = pyogrio.read_dataframe(path, layer="villages")
    assert len(villages) == 7 and villages.crs.to_epsg() == 4326
    assert set(villages["name"]) == set(demo_layers.villages["name"])
    cameras = pyogrio.read_dataframe(
        path, layer="cameras", bbox=tuple(demo_layers.villages.total_bounds)
    )
    assert len(cameras) == 34
    info = pyogrio.read_info(path, layer="cameras")
    assert info["crs"] == "EPSG:4326"
    assert info["capabilities"]["fast_spatial_filter"]  # the R-tree index is seen by GDAL


@pytest.mark.postgis
def test_layers_load_into_postgis_with_srid_4326(postgis_url: str) -> None:
    from geo.store.postgis import PostGISStore
    from tests.conftest import _truncate

    _truncate(postgis_url)
    store = PostGISStore(postgis_url)
    operations.import_layers_dir(store, LAYERS_DIR)
    store.close()
    engine = create_engine(postgis_url)
    with engine.connect() as conn:
        villages = conn.execute(
            text("SELECT count(*), min(ST_SRID(geom)), max(ST_SRID(geom)) FROM villages")
        ).one()
        cameras = conn.execute(text("SELECT count(*), min(ST_SRID(geom)) FROM cameras")).one()
        gist = conn.execute(
            text("SELECT count(*) FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
        ).scalar()
        fix_index = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_fixes_t'")
        ).scalar()
    engine.dispose()
    assert tuple(villages) == (7, 4326, 4326)
    assert tuple(cameras) == (34, 4326)
    assert gist >= 8
    assert fix_index is not None and "brin (t)" in fix_index


@pytest.mark.postgis
def test_postgis_store_refuses_an_old_schema(postgis_url: str, tmp_path: Path) -> None:
    from geo.errors import StoreUnavailable
    from geo.store.migrate import head_revision
    from geo.store.postgis import PostGISStore

    engine = create_engine(postgis_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        with pytest.raises(StoreUnavailable, match="geo db upgrade"):
            PostGISStore(postgis_url)
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
        engine.dispose()


def test_an_older_geopackage_store_is_upgraded_in_place(
    tmp_path: Path, demo_layers: TownshipLayers
) -> None:
    import sqlite3

    from geo.store.gpkg_schema import SCHEMA_VERSION

    path = tmp_path / "old.gpkg"
    GeoPackageStore(path).save_layers(demo_layers)
    con = sqlite3.connect(path)
    con.executescript(
        """
        DROP TRIGGER rtree_coverage_gaps_geom_insert;
        DROP TRIGGER rtree_coverage_gaps_geom_delete;
        DROP TRIGGER rtree_coverage_gaps_geom_update1;
        DROP TRIGGER rtree_coverage_gaps_geom_update2;
        DROP TRIGGER rtree_coverage_gaps_geom_update3;
        DROP TRIGGER rtree_coverage_gaps_geom_update4;
        DROP TABLE rtree_coverage_gaps_geom; DROP TABLE coverage_gaps;
        DELETE FROM gpkg_extensions WHERE table_name = 'coverage_gaps';
        DELETE FROM gpkg_geometry_columns WHERE table_name = 'coverage_gaps';
        DELETE FROM gpkg_contents WHERE table_name = 'coverage_gaps';
        ALTER TABLE drone_flights DROP COLUMN source;
        UPDATE geo_meta SET value = '1';
        """
    )
    con.close()
    store = GeoPackageStore(path)
    assert len(store.load_layers("433122207").drone_flights) == len(demo_layers.drone_flights)
    assert "coverage_gaps" in dict(pyogrio.list_layers(path))
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM geo_meta").fetchone()[0] == SCHEMA_VERSION
    assert {r[0] for r in con.execute("SELECT source FROM drone_flights")} == {"layers"}
    con.close()


def test_schema_changes_bump_the_geopackage_schema_version() -> None:
    import hashlib

    from geo.store.gpkg_schema import SCHEMA_FINGERPRINTS, SCHEMA_VERSION, schema_script

    fingerprint = hashlib.sha256(schema_script().encode()).hexdigest()
    assert SCHEMA_FINGERPRINTS.get(SCHEMA_VERSION) == fingerprint, (
        "the GeoPackage schema changed: bump SCHEMA_VERSION, record "
        f"{fingerprint} for it, and check that upgrade_script() brings older files up"
    )


def test_a_damaged_store_is_unavailable_not_an_internal_error(
    tmp_path: Path, demo_layers: TownshipLayers
) -> None:
    import sqlite3

    from geo.errors import StoreUnavailable

    path = tmp_path / "geo.gpkg"
    store = GeoPackageStore(path)
    store.save_layers(demo_layers)
    con = sqlite3.connect(path)
    con.execute("DROP TABLE coverage_results")
    con.close()
    from geo import operations
    from geo.weeks import IsoWeek

    with pytest.raises(StoreUnavailable, match="cannot be used"):
        operations.week_coverage(store, "433122207", IsoWeek(2026, 47))
