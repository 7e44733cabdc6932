"""The embedded store: one GeoPackage file, written with plain sqlite3 in real transactions.

The file is a valid GeoPackage 1.3 (features with R-tree indexes, attribute tables), so QGIS
and GDAL open it directly. The schema is derived from :mod:`geo.store.tables`, the same
metadata PostGIS uses. GeoPackage's R-tree triggers call ``ST_IsEmpty``/``ST_MinX``...; this
module registers those functions on its own connections, as GDAL does on its.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Boolean, DateTime, Float, Integer, String, Table, UniqueConstraint
from sqlalchemy.types import JSON

from geo.audit import AuditEntry
from geo.coverage.camera_status import StatusChange
from geo.coverage.result import WeekCoverage
from geo.errors import Conflict, NotFound, StoreUnavailable
from geo.keys import ApiKey
from geo.layers import TownshipLayers
from geo.store import gpkg_geometry, rows
from geo.store.base import NewUpload, UploadRecord, check_idempotent_retry
from geo.store.tables import LAYER_TABLES, Base

#: Bumped with every change of the schema; tests/storage/test_formats.py checks the
#: schema script against the fingerprint recorded for this version.
SCHEMA_VERSION = "5"
SCHEMA_FINGERPRINTS = {
    "3": "c1feee7fbcadf6b1df3a0ef9f8da7d0e411f74caa1e27981ec2c634e74adebae",
    "4": "67bb4e4d16462b221ed7d4f48c7600843c979dca7c0232ec59350ebf16bbc96a",
    "5": "6c16fb7e058fd8ade502dc94e6b1866bd9e815d1510ba785089e627c28b009f6",
}
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


def upgrade_script(con: sqlite3.Connection) -> str:
    """SQL that brings a store of an older schema version to this one, derived by comparing
    the file with :mod:`geo.store.tables`: new tables, new columns and new unique constraints
    are added; a table holding a unique constraint the schema no longer has (schema 5 scoped
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
    for table in Base.metadata.sorted_tables:
        out.extend(_table_script(table))
    out.append(f"INSERT INTO geo_meta VALUES ('schema_version', {_quote(SCHEMA_VERSION)});")
    return "\n".join(out)


def _register_functions(con: sqlite3.Connection) -> None:
    def bound(i: int) -> Any:
        def f(blob: bytes | None) -> float | None:
            env = gpkg_geometry.envelope(blob)
            return None if env is None else env[i]

        return f

    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(name, 1, bound(i), deterministic=True)
    con.create_function("ST_IsEmpty", 1, gpkg_geometry.is_empty, deterministic=True)


def _add_audit(con: sqlite3.Connection, entry: AuditEntry | None) -> None:
    """Write an audit entry in the caller's transaction (nothing when None)."""
    if entry is None:
        return
    row = rows.audit_row(entry)
    con.execute(
        "INSERT INTO audit_log (at, actor, township, action, target, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            _iso(row["at"]),
            row["actor"],
            row["township"],
            row["action"],
            row["target"],
            json.dumps(row["detail"], ensure_ascii=False),
        ),
    )


def _now() -> str:
    return _iso(datetime.now(UTC))


def _iso(moment: datetime) -> str:
    """A time as GeoPackage DATETIME text in UTC (``2026-11-23T01:02:03.000Z``), so text
    order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class GeoPackageStore:
    """A :class:`geo.store.base.Store` in one GeoPackage file (created on first use).

    Parameters
    ----------
    path
        The ``.gpkg`` file; its folder is created when missing.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists() or self.path.stat().st_size == 0:
                self._create()
            else:
                self._upgrade()
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open GeoPackage store {self.path}: {exc}") from None
        self.check()

    def _create(self) -> None:
        """Write the schema into a temporary file and move it in place, so a half-created
        store never exists."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            _register_functions(con)
            con.executescript("BEGIN;\n" + schema_script() + "\nCOMMIT;")
        finally:
            con.close()
        os.replace(tmp, self.path)
        with self._read() as con:
            con.execute("PRAGMA journal_mode = WAL")

    def _upgrade(self) -> None:
        """Bring a store written by an older geo to this schema (one transaction)."""
        with self._read() as con:
            row = con.execute("SELECT value FROM geo_meta WHERE key='schema_version'").fetchone()
            if row is None or row[0] == SCHEMA_VERSION or not row[0].isdigit():
                return
            if int(row[0]) > int(SCHEMA_VERSION):
                return  # check() reports a store newer than this geo
            script = upgrade_script(con)
            # Foreign keys are off while tables are rebuilt (dropping a table others refer
            # to would otherwise cascade); the check after the commit proves none broke.
            con.execute("PRAGMA foreign_keys = OFF")
            try:
                con.executescript("BEGIN;\n" + script)
                broken = con.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise sqlite3.IntegrityError(f"{len(broken)} rows would lose their parent")
                con.execute("COMMIT")
            except sqlite3.Error as exc:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise StoreUnavailable(
                    f"{self.path} has schema version {row[0]} and cannot be upgraded to "
                    f"{SCHEMA_VERSION} in place ({exc}); export what you need with an older "
                    "geo, then move the file away: a new store is created on the next run"
                ) from None

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        _register_functions(con)
        con.execute("PRAGMA foreign_keys = ON")
        return con

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise self._unavailable(exc) from None
            raise
        finally:
            con.close()

    def _unavailable(self, exc: sqlite3.Error) -> StoreUnavailable:
        """Driver errors (a locked or damaged file, a schema this geo does not know) become a
        domain error here, at the storage boundary."""
        return StoreUnavailable(f"the GeoPackage store {self.path} cannot be used: {exc}")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from None
        finally:
            con.close()

    def check(self) -> None:
        try:
            with self._read() as con:
                row = con.execute(
                    "SELECT value FROM geo_meta WHERE key='schema_version'"
                ).fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.path} is not a geo GeoPackage store ({exc})") from None
        if row is None or row[0] != SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self.path} has schema version {row[0] if row else 'none'}, "
                f"this version of geo needs {SCHEMA_VERSION}"
            )

    def townships(self) -> list[str]:
        with self._read() as con:
            return [r[0] for r in con.execute("SELECT code FROM township ORDER BY code")]

    def save_layers(
        self,
        layers: TownshipLayers,
        *,
        imported_flights: rows.ImportedFlights = "keep",
        audit: AuditEntry | None = None,
    ) -> None:
        with self._transaction() as con:
            self._save_layers(con, layers, imported_flights)
            _add_audit(con, audit)

    def edit_layers(
        self,
        township: str,
        change: Callable[[TownshipLayers], TownshipLayers],
        *,
        audit: Callable[[TownshipLayers], AuditEntry] | None = None,
    ) -> TownshipLayers:
        # BEGIN IMMEDIATE holds the file's write lock from the read to the write.
        with self._transaction() as con:
            edited = change(self._load_layers(con, township))
            self._save_layers(con, edited, "replace")
            _add_audit(con, None if audit is None else audit(edited))
        return edited

    @staticmethod
    def _save_layers(
        con: sqlite3.Connection, layers: TownshipLayers, imported_flights: rows.ImportedFlights
    ) -> None:
        info = layers.info
        outline = layers.outline.geometry.to_numpy()
        con.execute("DELETE FROM township WHERE code = ?", (info.code,))
        con.execute(
            "INSERT INTO township (code, name, name_en, settings, updated_at, geom) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                info.code,
                info.name,
                info.name_en,
                json.dumps(info.to_dict(), ensure_ascii=False),
                _now(),
                gpkg_geometry.encode(outline)[0],
            ),
        )
        for name, table in LAYER_TABLES.items():
            only = rows.LAYER_ROW_FILTER.get(name) if imported_flights == "keep" else None
            condition = f" AND {only}" if only else ""
            con.execute(f'DELETE FROM "{table.name}" WHERE township = ?{condition}', (info.code,))
            cols, values = rows.layer_rows(layers, name, imported_flights=imported_flights)
            if not values:
                continue
            blobs = gpkg_geometry.encode(np.asarray([v[-1] for v in values], dtype=object))
            quoted = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join("?" * len(cols))
            con.executemany(
                f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})',
                [[*v[:-1], b] for v, b in zip(values, blobs, strict=True)],
            )

    def load_layers(self, township: str) -> TownshipLayers:
        with self._read() as con:
            return self._load_layers(con, township)

    def layers_version(self, township: str) -> str | None:
        flights = LAYER_TABLES["drone_flights"].name
        with self._read() as con:
            row = con.execute(
                "SELECT updated_at, (SELECT max(id) FROM camera_status_changes "
                f'WHERE township = ?), (SELECT max(id) FROM "{flights}" WHERE township = ?) '
                "FROM township WHERE code = ?",
                (township, township, township),
            ).fetchone()
        return None if row is None else f"{row[0]}|{row[1]}|{row[2]}"

    @staticmethod
    def _load_layers(con: sqlite3.Connection, township: str) -> TownshipLayers:
        row = con.execute(
            "SELECT settings, geom FROM township WHERE code = ?", (township,)
        ).fetchone()
        if row is None:
            raise NotFound(f"township {township} has no layers in the store; run geo layers load")
        frames = {}
        for name, table in LAYER_TABLES.items():
            cols = rows.LAYER_COLUMNS_OF[name]
            quoted = ", ".join(f'"{c}"' for c in cols)
            records = con.execute(
                f'SELECT {quoted}, geom FROM "{table.name}" WHERE township = ? ORDER BY id',
                (township,),
            ).fetchall()
            geoms = gpkg_geometry.decode([r["geom"] for r in records])
            frames[name] = rows.layer_frame(name, [tuple(r)[:-1] for r in records], geoms)
        outline = gpkg_geometry.decode([row["geom"]])[0]
        return rows.township_layers(row["settings"], outline, frames)

    def add_upload(self, upload: NewUpload) -> UploadRecord:
        with self._transaction() as con:
            if upload.idempotency_key:
                keyed = con.execute(
                    "SELECT * FROM track_uploads WHERE township = ? AND squad = ? "
                    "AND idempotency_key = ?",
                    (upload.township, upload.squad, upload.idempotency_key),
                ).fetchone()
                if keyed is not None:
                    return check_idempotent_retry(rows.upload_record(dict(keyed)), upload)
            existing = con.execute(
                "SELECT * FROM track_uploads WHERE township = ? AND squad = ? AND sha256 = ?",
                (upload.township, upload.squad, upload.sha256),
            ).fetchone()
            if existing is not None:
                return rows.upload_record(dict(existing), duplicate=True)
            fixes = upload.fixes
            first_fix_at, last_fix_at = rows.fix_time_range(fixes)
            uploaded_at = upload.uploaded_at.astimezone(UTC)
            cur = con.execute(
                "INSERT INTO track_uploads (township, squad, device, filename, source_format, "
                "source_crs, sha256, uploaded_at, first_fix_at, last_fix_at, report, "
                "idempotency_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    upload.township,
                    upload.squad,
                    upload.device,
                    upload.filename,
                    upload.source_format,
                    upload.source_crs,
                    upload.sha256,
                    uploaded_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    None if first_fix_at is None else _iso(first_fix_at),
                    None if last_fix_at is None else _iso(last_fix_at),
                    json.dumps(upload.report, ensure_ascii=False),
                    upload.idempotency_key,
                ),
            )
            upload_id = int(cur.lastrowid or 0)
            seg = upload.segments
            if len(seg):
                blobs = gpkg_geometry.encode(seg.geometry.to_numpy())
                con.executemany(
                    "INSERT INTO patrol_tracks (township, upload_id, squad, device, segment, "
                    "started_at, ended_at, fixes, geom) VALUES (?,?,?,?,?,?,?,?,?)",
                    zip(
                        [upload.township] * len(seg),
                        [upload_id] * len(seg),
                        [upload.squad] * len(seg),
                        [upload.device] * len(seg),
                        seg["segment"].astype(int).tolist(),
                        rows.iso_ms(seg["started_at"]),
                        rows.iso_ms(seg["ended_at"]),
                        seg["fixes"].astype(int).tolist(),
                        blobs,
                        strict=True,
                    ),
                )
            n = len(fixes)
            acc = fixes["accuracy_m"].to_numpy(dtype=np.float64)
            con.executemany(
                "INSERT INTO fixes (township, upload_id, seq, squad, device, t, lon, lat, "
                "accuracy_m, segment, drop_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                zip(
                    [upload.township] * n,
                    [upload_id] * n,
                    range(n),
                    [upload.squad] * n,
                    [upload.device] * n,
                    rows.iso_ms(fixes["time"]),
                    fixes["lon"].tolist(),
                    fixes["lat"].tolist(),
                    [None if np.isnan(a) else float(a) for a in acc],
                    fixes["segment"].astype(int).tolist(),
                    fixes["drop"].astype(int).tolist(),
                    strict=True,
                ),
            )
            row = con.execute("SELECT * FROM track_uploads WHERE id = ?", (upload_id,)).fetchone()
            return rows.upload_record(dict(row))

    def add_drone_flight(self, row: dict[str, Any]) -> bool:
        with self._transaction() as con:
            found = con.execute(
                "SELECT 1 FROM drone_flights WHERE township = ? AND flight_id = ?",
                (row["township"], row["flight_id"]),
            ).fetchone()
            if found:
                return False
            values = {**row, "geom": gpkg_geometry.encode(np.asarray([row["geom"]]))[0]}
            cols = ", ".join(f'"{c}"' for c in values)
            marks = ", ".join(f":{c}" for c in values)
            con.execute(f"INSERT INTO drone_flights ({cols}) VALUES ({marks})", values)
            return True

    def uploads(
        self,
        township: str,
        *,
        squad: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[UploadRecord]:
        sql = "SELECT * FROM track_uploads WHERE township = ?"
        params: list[Any] = [township]
        if squad is not None:
            sql += " AND squad = ?"
            params.append(squad)
        if start is not None and end is not None:
            lo, hi = rows.iso_ms(pd.Series(pd.to_datetime([start, end], utc=True)))
            sql += " AND last_fix_at >= ? AND first_fix_at < ?"
            params += [lo, hi]
        with self._read() as con:
            found = con.execute(sql + " ORDER BY id", params).fetchall()
        return [rows.upload_record(dict(r)) for r in found]

    def upload(self, upload_id: int) -> UploadRecord:
        with self._read() as con:
            row = con.execute("SELECT * FROM track_uploads WHERE id = ?", (upload_id,)).fetchone()
        if row is None:
            raise NotFound(f"upload {upload_id} is not in the store")
        return rows.upload_record(dict(row))

    def upload_segments(self, upload_id: int) -> gpd.GeoDataFrame:
        with self._read() as con:
            found = con.execute(
                "SELECT squad, device, upload_id, segment, started_at, ended_at, fixes, geom "
                "FROM patrol_tracks WHERE upload_id = ? ORDER BY segment",
                (upload_id,),
            ).fetchall()
        geoms = gpkg_geometry.decode([r["geom"] for r in found])
        return rows.track_frame([dict(r) for r in found], geoms, extra=("segment",))

    def week_fixes(self, township: str, start: datetime, end: datetime) -> pd.DataFrame:
        lo, hi = rows.iso_ms(pd.Series(pd.to_datetime([start, end], utc=True)))
        with self._read() as con:
            frame = pd.read_sql_query(
                "SELECT t AS time, lon, lat, squad, device, upload_id, segment FROM fixes "
                "WHERE township = ? AND t >= ? AND t < ? ORDER BY upload_id, seq",
                con,
                params=(township, lo, hi),
            )
        return rows.week_fix_frame(frame)

    def week_tracks(self, township: str, start: datetime, end: datetime) -> gpd.GeoDataFrame:
        lo, hi = rows.iso_ms(pd.Series(pd.to_datetime([start, end], utc=True)))
        with self._read() as con:
            found = con.execute(
                "SELECT squad, device, upload_id, started_at, ended_at, fixes, geom "
                "FROM patrol_tracks WHERE township = ? AND ended_at >= ? AND started_at < ? "
                "ORDER BY squad, started_at",
                (township, lo, hi),
            ).fetchall()
        geoms = gpkg_geometry.decode([r["geom"] for r in found])
        return rows.track_frame([dict(r) for r in found], geoms)

    def inputs_fingerprint(self, township: str, start: datetime, end: datetime) -> str:
        lo, hi = rows.iso_ms(pd.Series(pd.to_datetime([start, end], utc=True)))
        with self._read() as con:
            updated = con.execute(
                "SELECT updated_at FROM township WHERE code = ?", (township,)
            ).fetchone()
            count, last = con.execute(
                "SELECT count(*), max(id) FROM track_uploads WHERE township = ? "
                "AND last_fix_at >= ? AND first_fix_at < ?",
                (township, lo, hi),
            ).fetchone()
            changes, last_change = con.execute(
                "SELECT count(*), max(id) FROM camera_status_changes WHERE township = ? "
                "AND changed_at < ?",
                (township, hi),
            ).fetchone()
        return rows.fingerprint(updated[0] if updated else "", count, last, changes, last_change)

    def add_camera_status(
        self, township: str, change: StatusChange, *, audit: AuditEntry | None = None
    ) -> str:
        with self._transaction() as con:
            camera = con.execute(
                "SELECT status FROM cameras WHERE township = ? AND code = ?",
                (township, change.camera_code),
            ).fetchone()
            if camera is None:
                raise NotFound(f"township {township} has no camera {change.camera_code!r}")
            insert = (
                "INSERT INTO camera_status_changes (township, camera_code, status, changed_at, "
                "note, changed_by) VALUES (?, ?, ?, ?, ?, ?)"
            )
            known = con.execute(
                "SELECT count(*) FROM camera_status_changes WHERE township = ? AND camera_code = ?",
                (township, change.camera_code),
            ).fetchone()[0]
            new = (
                [change] if known else [rows.baseline_change(change.camera_code, camera[0]), change]
            )
            con.executemany(
                insert,
                [
                    (
                        township,
                        c.camera_code,
                        c.status,
                        _iso(c.changed_at),
                        c.note,
                        c.changed_by,
                    )
                    for c in new
                ],
            )
            current = con.execute(
                "SELECT status FROM camera_status_changes WHERE township = ? AND camera_code = ? "
                "ORDER BY changed_at DESC, id DESC LIMIT 1",
                (township, change.camera_code),
            ).fetchone()[0]
            con.execute(
                "UPDATE cameras SET status = ? WHERE township = ? AND code = ?",
                (current, township, change.camera_code),
            )
            _add_audit(con, audit)
            return str(current)

    def camera_status_changes(
        self, township: str, *, camera: str | None = None, before: datetime | None = None
    ) -> list[StatusChange]:
        sql = "SELECT * FROM camera_status_changes WHERE township = ?"
        params: list[Any] = [township]
        if camera is not None:
            sql += " AND camera_code = ?"
            params.append(camera)
        if before is not None:
            sql += " AND changed_at < ?"
            params.append(_iso(before))
        with self._read() as con:
            found = con.execute(sql + " ORDER BY id", params).fetchall()
        return [rows.status_change(dict(r)) for r in found]

    def coverage_weeks(self, township: str) -> list[str]:
        with self._read() as con:
            found = con.execute(
                "SELECT DISTINCT week FROM coverage_results WHERE township = ? ORDER BY week",
                (township,),
            ).fetchall()
        return [str(r[0]) for r in found]

    def save_coverage(self, result: WeekCoverage, fingerprint: str) -> None:
        with self._transaction() as con:
            key = (result.township_code, result.week)
            con.execute("DELETE FROM coverage_results WHERE township = ? AND week = ?", key)
            con.execute("DELETE FROM coverage_gaps WHERE township = ? AND week = ?", key)
            records = rows.coverage_rows(result, fingerprint)
            con.executemany(
                "INSERT INTO coverage_results (township, week, village_code, status, "
                "meets_requirement, result, computed_at, fingerprint, fixes_used, method, "
                "cameras_online, drone_flights) "
                "VALUES (:township, :week, :village_code, :status, :meets_requirement, :result, "
                ":computed_at, :fingerprint, :fixes_used, :method, :cameras_online, "
                ":drone_flights)",
                [{**r, "result": json.dumps(r["result"], ensure_ascii=False)} for r in records],
            )
            gaps = rows.gap_rows(result)
            blobs = gpkg_geometry.encode(np.asarray([g["geom"] for g in gaps], dtype=object))
            con.executemany(
                "INSERT INTO coverage_gaps (township, week, rank, kind, village_code, area_m2, "
                "length_m, properties, geom) VALUES (:township, :week, :rank, :kind, "
                ":village_code, :area_m2, :length_m, :properties, :geom)",
                [
                    {**g, "properties": json.dumps(g["properties"]), "geom": b}
                    for g, b in zip(gaps, blobs, strict=True)
                ],
            )

    def load_coverage(self, township: str, week: str) -> tuple[WeekCoverage, str] | None:
        with self._read() as con:
            results = con.execute(
                "SELECT * FROM coverage_results WHERE township = ? AND week = ? ORDER BY id",
                (township, week),
            ).fetchall()
            if not results:
                return None
            gaps = con.execute(
                "SELECT properties, geom FROM coverage_gaps WHERE township = ? AND week = ? "
                "ORDER BY rank",
                (township, week),
            ).fetchall()
        geoms = gpkg_geometry.decode([g["geom"] for g in gaps])
        return rows.week_coverage(
            township,
            week,
            [dict(r) for r in results],
            [(g["properties"], geom) for g, geom in zip(gaps, geoms, strict=True)],
        )

    def add_api_key(self, key: ApiKey, *, audit: AuditEntry | None = None) -> None:
        row = rows.api_key_row(key)
        row["created_at"] = _iso(row["created_at"])
        cols = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join(f":{c}" for c in row)
        with self._transaction() as con:
            if con.execute("SELECT 1 FROM api_keys WHERE key_id = ?", (key.key_id,)).fetchone():
                raise Conflict(f"an API key with id {key.key_id} exists already")
            con.execute(f"INSERT INTO api_keys ({cols}) VALUES ({marks})", row)
            _add_audit(con, audit)

    def api_keys(self) -> list[ApiKey]:
        with self._read() as con:
            found = con.execute("SELECT * FROM api_keys ORDER BY id").fetchall()
        return [rows.api_key(dict(r)) for r in found]

    def api_key(self, key_id: str) -> ApiKey | None:
        with self._read() as con:
            row = con.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return None if row is None else rows.api_key(dict(row))

    def revoke_api_key(
        self, key_id: str, at: datetime, *, audit: AuditEntry | None = None
    ) -> ApiKey:
        with self._transaction() as con:
            revoked = con.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (_iso(at), key_id),
            ).rowcount
            if revoked:
                _add_audit(con, audit)
            row = con.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        if row is None:
            raise NotFound(f"no API key with id {key_id}; see geo keys list")
        return rows.api_key(dict(row))

    def touch_api_key(self, key_id: str, at: datetime, *, audit: AuditEntry | None = None) -> None:
        with self._transaction() as con:
            con.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (_iso(at), key_id))
            _add_audit(con, audit)

    def audit_entries(
        self,
        *,
        since: datetime | None = None,
        township: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        sql = "SELECT * FROM audit_log WHERE 1 = 1"
        params: list[Any] = []
        if since is not None:
            sql += " AND at >= ?"
            params.append(_iso(since))
        if township is not None:
            sql += " AND township = ?"
            params.append(township)
        sql += " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?"
        params += [max(0, limit), max(0, offset)]
        with self._read() as con:
            found = con.execute(sql, params).fetchall()
        return [rows.audit_entry(dict(r)) for r in found]

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""


__all__ = ["GeoPackageStore", "schema_script"]
