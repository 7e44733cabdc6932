"""docs/storage.md stays true to the schema: its table of tables and columns is compared with
the metadata (geo/store/tables.py), with a new GeoPackage file and with the PostGIS database the
migrations build, and every `table.column` the page names exists."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from geo.audit import Action
from geo.store.geopackage import GeoPackageStore
from geo.store.tables import Base
from tests.conftest import ROOT

DOC = ROOT / "docs" / "storage.md"
#: GeoPackage-only tables, and the columns the GeoPackage adds (its integer row key).
GPKG_ONLY = {"geo_meta"}
GPKG_ADDED = {"fixes": ["fid"]}


def documented() -> dict[str, list[str]]:
    """Table → columns, from the rows of the table under "## Tables" in docs/storage.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Tables", 1)[1].split("\n## ", 1)[0]
    out: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not re.fullmatch(r"`\w+`", cells[0]):
            continue
        out[cells[0].strip("`")] = re.findall(r"`(\w+)`", cells[1])
    return out


def test_the_page_documents_every_table_of_the_metadata_with_its_columns() -> None:
    doc = documented()
    schema = {t.name: [c.name for c in t.columns] for t in Base.metadata.sorted_tables}
    assert len(doc) >= len(schema)
    assert {k: v for k, v in doc.items() if k not in GPKG_ONLY} == schema


def test_the_geopackage_holds_the_documented_tables_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "geo.gpkg"
    GeoPackageStore(path).close()
    con = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'gpkg_%' "
                "AND name NOT LIKE 'rtree_%' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        actual = {n: [r[1] for r in con.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        con.close()
    want = {n: GPKG_ADDED.get(n, []) + cols for n, cols in documented().items()}
    assert actual == want


@pytest.mark.postgis
def test_postgis_holds_the_documented_tables_and_columns(postgis_url: str) -> None:
    engine = create_engine(postgis_url)
    try:
        seen = inspect(engine)
        with engine.connect() as con:  # fixes' monthly partitions are part of `fixes`
            partitions = set(
                con.execute(text("SELECT relname FROM pg_class WHERE relispartition")).scalars()
            )
        names = set(seen.get_table_names()) - {"alembic_version", "spatial_ref_sys"} - partitions
        actual = {n: [c["name"] for c in seen.get_columns(n)] for n in names}
        views = set(seen.get_view_names())
    finally:
        engine.dispose()
    want = {n: cols for n, cols in documented().items() if n not in GPKG_ONLY}
    assert actual == want
    assert "fixes_points" in views  # named on the page as PostGIS's view of fixes


def test_every_table_column_the_page_names_exists() -> None:
    doc = documented()
    text = DOC.read_text(encoding="utf-8")
    named = re.findall(r"`(\w+)\.(\w+)`", text)
    actions = {str(a) for a in Action}  # audit actions (`fixes.prune`) are not columns
    for table, column in named:
        if table in doc and f"{table}.{column}" not in actions:
            assert column in doc[table], f"docs/storage.md names {table}.{column}"
    # and no table is described by a column it lacks, e.g. a `fixes.geom`
    assert "geom" not in doc["fixes"]
