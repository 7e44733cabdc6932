"""The GeoPackage schema, derived from :mod:`geo.store.tables` (the metadata PostGIS's
migrations follow), and its upgrade path from files written by older releases.

:func:`schema_script` creates a GeoPackage 1.3 (features with R-tree indexes, attribute tables)
that QGIS and GDAL open directly; :func:`upgrade_script` brings an older file to this schema in
place. ``SCHEMA_VERSION`` is bumped with every change of :func:`schema_script`'s output
(tests/storage/test_formats.py checks its fingerprint).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Table, UniqueConstraint
from sqlalchemy.types import JSON, TypeDecorator

from geo.store.tables import Base

SCHEMA_VERSION = "8"
SCHEMA_FINGERPRINTS = {
    "3": "c1feee7fbcadf6b1df3a0ef9f8da7d0e411f74caa1e27981ec2c634e74adebae",
    "4": "67bb4e4d16462b221ed7d4f48c7600843c979dca7c0232ec59350ebf16bbc96a",
    "5": "6c16fb7e058fd8ade502dc94e6b1866bd9e815d1510ba785089e627c28b009f6",
    "6": "f9985c8c3b6bef1d4738482010d069be08d4171da2935c09485d84720172f8e7",
    "7": "7ae36d4ae7b2f3011fd92f6624be2925d1b9014f057f917ae40e36783c2dc922",
    "8": "d38bf3f25c4bee2a99825c8d6aadc72c2fdc9786072b82a689d1ef3675d0f63c",
}
#: The service's own tables, which are not layers: the schema version, API keys and phones
#: (hashes of their secrets), the alert outbox (webhook targets, whose URLs may carry tokens)
#: and the audit log (an administrator's record). They are registered in ``gpkg_contents``
#: with geo's own data type (GeoPackage 1.2 and later allow implementer-defined data types;
#: the ``geo_internal_tables`` extension says so in ``gpkg_extensions``), so GDAL and QGIS list
#: them nowhere: GDAL lists only ``features`` and ``attributes`` tables, and QGIS, which opens
#: GeoPackages with ``LIST_ALL_TABLES=YES``, also every table missing from ``gpkg_contents``
#: (as a sublayer that then fails to open). Every other non-spatial table is an ``attributes``
#: table a planner may open (docs/storage.md).
INTERNAL_TABLES: tuple[str, ...] = ("geo_meta", "api_keys", "devices", "alert_outbox", "audit_log")
INTERNAL_DATA_TYPE = "geo_internal"
INTERNAL_EXTENSION = "geo_internal_tables"
_INTERNAL_DEFINITION = (
    "geo: a table of the service, not a layer (docs/storage.md, GeoPackage tables)"
)
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
_CORE_DDL = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE geo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_RTREE_DDL = """
CREATE VIRTUAL TABLE rtree_{t}_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_{t}_geom_insert AFTER INSERT ON {t}
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_{t}_geom_update1 AFTER UPDATE OF geom ON {t}
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_{t}_geom_update2 AFTER UPDATE OF geom ON {t}
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_{t}_geom_update3 AFTER UPDATE ON {t}
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_{t}_geom_update4 AFTER UPDATE ON {t}
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_{t}_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_{t}_geom_delete AFTER DELETE ON {t}
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.id; END;
"""


def _sql_type(col: Any) -> str:
    kind = col.type
    if isinstance(kind, TypeDecorator):  # Shape and UtcTime: the type PostGIS stores
        kind = kind.impl_instance
    if hasattr(kind, "geometry_type"):
        return str(kind.geometry_type).removesuffix("Z")
    if isinstance(kind, Boolean):
        return "BOOLEAN"
    if isinstance(kind, Integer):
        return "INTEGER"
    if isinstance(kind, Float):
        return "DOUBLE"
    if isinstance(kind, DateTime):
        return "DATETIME"
    if isinstance(kind, String | JSON):
        return "TEXT"
    raise TypeError(f"no GeoPackage type for {kind!r}")


def _column_ddl(col: Any) -> str:
    ddl = f'"{col.name}" {_sql_type(col)}'
    if col.server_default is not None:
        ddl += f" DEFAULT {_quote(col.server_default.arg)}"
    if not col.nullable and not hasattr(col.type, "geometry_type"):
        ddl += " NOT NULL"
    for fk in col.foreign_keys:
        target = fk.target_fullname.split(".")
        ddl += f' REFERENCES "{target[0]}"("{target[1]}") ON DELETE CASCADE'
    return ddl


def _table_ddl(table: Table) -> list[str]:
    cols: list[str] = []
    if not any(col.primary_key for col in table.columns):
        cols.append('"fid" INTEGER PRIMARY KEY AUTOINCREMENT')  # GeoPackage needs a row key
    for col in table.columns:
        if col.info.get("postgis_only"):
            continue
        if col.primary_key:
            cols.append(f'"{col.name}" INTEGER PRIMARY KEY AUTOINCREMENT')
            continue
        cols.append(_column_ddl(col))
    # Constraints and indexes are sets: sort them so the script is the same in every process.
    uniques = sorted(
        [c.name for c in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    )
    for names_list in uniques:
        names = ", ".join(f'"{n}"' for n in names_list)
        cols.append(f"UNIQUE ({names})")
    out = [f'CREATE TABLE "{table.name}" ({", ".join(cols)})']
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        if index.info.get("postgis_only"):
            continue
        names = ", ".join(f'"{c.name}"' for c in index.columns)
        out.append(f'CREATE INDEX "{index.name}" ON "{table.name}" ({names})')
    return out


def _geometry_column(table: Table) -> Any | None:
    for col in table.columns:
        if hasattr(col.type, "geometry_type") and not col.info.get("postgis_only"):
            return col
    return None


def _quote(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _table_script(table: Table) -> list[str]:
    """SQL that creates one table with its GeoPackage registration and R-tree."""
    out = [f"{statement};" for statement in _table_ddl(table)]
    name = _quote(table.name)
    geom = _geometry_column(table)
    if geom is None:
        if table.name in INTERNAL_TABLES:
            out.extend(_internal_registration(table.name))
        else:
            out.append(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                f"VALUES ({name}, 'attributes', {name});"
            )
        return out
    has_z = 1 if str(geom.type.geometry_type).endswith("Z") else 0
    out.append(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
        f"VALUES ({name}, 'features', {name}, 4326);"
    )
    out.append(
        f"INSERT INTO gpkg_geometry_columns VALUES ({name}, 'geom', "
        f"{_quote(_sql_type(geom))}, 4326, {has_z}, 0);"
    )
    out.append(_RTREE_DDL.format(t=table.name))
    out.append(
        f"INSERT INTO gpkg_extensions VALUES ({name}, 'geom', 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');"
    )
    return out


def _internal_registration(table: str) -> list[str]:
    """SQL that registers one of :data:`INTERNAL_TABLES` with geo's data type and extension
    (idempotent: an older file's ``attributes`` row is changed, a missing one added)."""
    name = _quote(table)
    kind = _quote(INTERNAL_DATA_TYPE)
    return [
        f"UPDATE gpkg_contents SET data_type = {kind} WHERE table_name = {name};",
        "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
        f"SELECT {name}, {kind}, {name} "
        f"WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE table_name = {name});",
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
        f"SELECT {name}, NULL, {_quote(INTERNAL_EXTENSION)}, {_quote(_INTERNAL_DEFINITION)}, "
        "'read-write' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions "
        f"WHERE table_name = {name} AND extension_name = {_quote(INTERNAL_EXTENSION)});",
    ]


def upgrade_script(con: sqlite3.Connection) -> str:
    """SQL that brings a store of an older schema version to this one, derived by comparing
    the file with :mod:`geo.store.tables`: new tables, new columns and new unique constraints
    are added, and the service's own tables (:data:`INTERNAL_TABLES`) registered with geo's data
    type (schema 8); a table holding a unique constraint the schema no longer has (schema 5 scoped
    idempotency keys to the uploader) is rebuilt with its rows, ids and sequence kept.
    Run it with foreign keys off (SQLite's way to rebuild a table others refer to)."""
    out: list[str] = []
    existing = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            out.extend(_table_script(table))
            continue
        wanted = [
            [c.name for c in constraint.columns]
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        ]
        if any(names not in wanted for names in _unique_column_sets(con, table.name)):
            out.extend(_rebuild_script(con, table))
            continue
        have = {r[1] for r in con.execute(f'PRAGMA table_info("{table.name}")')}
        for col in table.columns:
            if col.name not in have and not col.info.get("postgis_only"):
                out.append(f'ALTER TABLE "{table.name}" ADD COLUMN {_column_ddl(col)};')
        for names in wanted:
            index = f"uq_{table.name}_{'_'.join(names)}"
            if index not in indexes and not _inline_unique(con, table.name, names):
                cols = ", ".join(f'"{n}"' for n in names)
                out.append(f'CREATE UNIQUE INDEX "{index}" ON "{table.name}" ({cols});')
    for name in INTERNAL_TABLES:  # schema 8: the service's own tables listed nowhere
        if name in existing:
            out.extend(_internal_registration(name))
    out.append(
        f"UPDATE geo_meta SET value = {_quote(SCHEMA_VERSION)} WHERE key = 'schema_version';"
    )
    return "\n".join(out)


def _unique_column_sets(con: sqlite3.Connection, table: str) -> list[list[str]]:
    """The column lists of a table's unique constraints (inline or unique indexes), the
    primary key excluded."""
    found = []
    for index in con.execute(f'PRAGMA index_list("{table}")').fetchall():
        if index[2] and index[3] != "pk":  # unique, not the primary key
            found.append([r[2] for r in con.execute(f'PRAGMA index_info("{index[1]}")')])
    return found


def _rebuild_script(con: sqlite3.Connection, table: Table) -> list[str]:
    """SQL that rebuilds ``table`` with the schema's DDL, keeping its rows, ids, sequence and
    registration (the 12-step table change of the SQLite manual, as one script)."""
    tmp = f"_geo_rebuild_{table.name}"
    have = {r[1] for r in con.execute(f'PRAGMA table_info("{table.name}")')}
    cols = ", ".join(f'"{c.name}"' for c in table.columns if c.name in have)
    create, *index_ddl = _table_ddl(table)
    seq = con.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)).fetchone()
    out = [
        create.replace(f'CREATE TABLE "{table.name}"', f'CREATE TABLE "{tmp}"', 1) + ";",
        f'INSERT INTO "{tmp}" ({cols}) SELECT {cols} FROM "{table.name}";',
        f'DROP TABLE "{table.name}";',
        f'ALTER TABLE "{tmp}" RENAME TO "{table.name}";',
        *(f"{statement};" for statement in index_ddl),
    ]
    if seq is not None:
        out.append(
            f"UPDATE sqlite_sequence SET seq = max(seq, {int(seq[0])}) "
            f"WHERE name = {_quote(table.name)};"
        )
    return out


def _inline_unique(con: sqlite3.Connection, table: str, names: list[str]) -> bool:
    return names in _unique_column_sets(con, table)


def schema_script() -> str:
    """SQL that creates the GeoPackage core tables and every table of :mod:`geo.store.tables`."""
    out = [
        "PRAGMA application_id = 1196444487;",  # 'GPKG'
        "PRAGMA user_version = 10300;",
        _CORE_DDL,
    ]
    srs = [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, WGS84_WKT, "longitude/latitude WGS 84"),
    ]
    for row in srs:
        out.append(f"INSERT INTO gpkg_spatial_ref_sys VALUES ({', '.join(map(_quote, row))});")
    out.extend(_internal_registration("geo_meta"))
    for table in Base.metadata.sorted_tables:
        out.extend(_table_script(table))
    out.append(f"INSERT INTO geo_meta VALUES ('schema_version', {_quote(SCHEMA_VERSION)});")
    return "\n".join(out)


__all__ = [
    "INTERNAL_DATA_TYPE",
    "INTERNAL_TABLES",
    "SCHEMA_FINGERPRINTS",
    "SCHEMA_VERSION",
    "schema_script",
    "upgrade_script",
]
