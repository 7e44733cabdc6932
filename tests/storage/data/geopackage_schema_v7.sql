PRAGMA application_id = 1196444487;
PRAGMA user_version = 10300;

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

INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian');
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic');
INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude WGS 84');
CREATE TABLE "alert_outbox" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "key" TEXT NOT NULL, "township" TEXT NOT NULL, "week" TEXT NOT NULL, "as_of" TEXT NOT NULL, "channel" TEXT NOT NULL, "target" TEXT NOT NULL, "payload" TEXT NOT NULL, "status" TEXT NOT NULL, "attempts" INTEGER NOT NULL, "next_attempt_at" DATETIME NOT NULL, "last_error" TEXT NOT NULL, "created_at" DATETIME NOT NULL, "sent_at" DATETIME, UNIQUE ("key"));
CREATE INDEX "ix_alert_outbox_status_next_attempt_at" ON "alert_outbox" ("status", "next_attempt_at");
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('alert_outbox', 'attributes', 'alert_outbox');
CREATE TABLE "api_keys" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "key_id" TEXT NOT NULL, "secret_sha256" TEXT NOT NULL, "name" TEXT NOT NULL, "role" TEXT NOT NULL, "township" TEXT, "squad" TEXT, "created_at" DATETIME NOT NULL, "revoked_at" DATETIME, "last_used_at" DATETIME, UNIQUE ("key_id"));
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('api_keys', 'attributes', 'api_keys');
CREATE TABLE "audit_log" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "at" DATETIME NOT NULL, "actor" TEXT NOT NULL, "township" TEXT, "action" TEXT NOT NULL, "target" TEXT NOT NULL, "detail" TEXT NOT NULL);
CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at");
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('audit_log', 'attributes', 'audit_log');
CREATE TABLE "camera_status_changes" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "camera_code" TEXT NOT NULL, "status" TEXT NOT NULL, "changed_at" DATETIME NOT NULL, "note" TEXT NOT NULL, "changed_by" TEXT NOT NULL);
CREATE INDEX "ix_camera_status_changes_township_camera" ON "camera_status_changes" ("township", "camera_code");
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('camera_status_changes', 'attributes', 'camera_status_changes');
CREATE TABLE "cameras" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "code" TEXT NOT NULL, "name" TEXT NOT NULL, "village" TEXT NOT NULL, "bearing_deg" DOUBLE, "fov_deg" DOUBLE, "range_m" DOUBLE, "ptz" BOOLEAN NOT NULL, "height_m" DOUBLE, "status" TEXT NOT NULL, "installed_on" TEXT NOT NULL, "geom" POINT, UNIQUE ("township", "code"));
CREATE INDEX "idx_cameras_geom" ON "cameras" ("geom");
CREATE INDEX "ix_cameras_township" ON "cameras" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('cameras', 'features', 'cameras', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('cameras', 'geom', 'POINT', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_cameras_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_cameras_geom_insert AFTER INSERT ON cameras
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_cameras_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_cameras_geom_update1 AFTER UPDATE OF geom ON cameras
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_cameras_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_cameras_geom_update2 AFTER UPDATE OF geom ON cameras
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_cameras_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_cameras_geom_update3 AFTER UPDATE ON cameras
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_cameras_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_cameras_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_cameras_geom_update4 AFTER UPDATE ON cameras
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_cameras_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_cameras_geom_delete AFTER DELETE ON cameras
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_cameras_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('cameras', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TABLE "checkpoints" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "code" TEXT NOT NULL, "name" TEXT NOT NULL, "kind" TEXT NOT NULL, "village" TEXT NOT NULL, "mandatory" BOOLEAN NOT NULL, "geom" POINT);
CREATE INDEX "idx_checkpoints_geom" ON "checkpoints" ("geom");
CREATE INDEX "ix_checkpoints_township" ON "checkpoints" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('checkpoints', 'features', 'checkpoints', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('checkpoints', 'geom', 'POINT', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_checkpoints_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_checkpoints_geom_insert AFTER INSERT ON checkpoints
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_checkpoints_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_checkpoints_geom_update1 AFTER UPDATE OF geom ON checkpoints
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_checkpoints_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_checkpoints_geom_update2 AFTER UPDATE OF geom ON checkpoints
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_checkpoints_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_checkpoints_geom_update3 AFTER UPDATE ON checkpoints
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_checkpoints_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_checkpoints_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_checkpoints_geom_update4 AFTER UPDATE ON checkpoints
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_checkpoints_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_checkpoints_geom_delete AFTER DELETE ON checkpoints
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_checkpoints_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('checkpoints', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TABLE "coverage_gaps" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "week" TEXT NOT NULL, "rank" INTEGER NOT NULL, "kind" TEXT NOT NULL, "village_code" TEXT NOT NULL, "area_m2" DOUBLE NOT NULL, "length_m" DOUBLE NOT NULL, "properties" TEXT NOT NULL, "geom" GEOMETRY, UNIQUE ("township", "week", "rank"));
CREATE INDEX "idx_coverage_gaps_geom" ON "coverage_gaps" ("geom");
CREATE INDEX "ix_coverage_gaps_township_week" ON "coverage_gaps" ("township", "week");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('coverage_gaps', 'features', 'coverage_gaps', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('coverage_gaps', 'geom', 'GEOMETRY', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_coverage_gaps_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_coverage_gaps_geom_insert AFTER INSERT ON coverage_gaps
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_coverage_gaps_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_coverage_gaps_geom_update1 AFTER UPDATE OF geom ON coverage_gaps
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_coverage_gaps_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_coverage_gaps_geom_update2 AFTER UPDATE OF geom ON coverage_gaps
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_coverage_gaps_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_coverage_gaps_geom_update3 AFTER UPDATE ON coverage_gaps
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_coverage_gaps_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_coverage_gaps_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_coverage_gaps_geom_update4 AFTER UPDATE ON coverage_gaps
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_coverage_gaps_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_coverage_gaps_geom_delete AFTER DELETE ON coverage_gaps
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_coverage_gaps_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('coverage_gaps', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TABLE "coverage_results" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "week" TEXT NOT NULL, "village_code" TEXT NOT NULL, "status" TEXT NOT NULL, "meets_requirement" BOOLEAN NOT NULL, "result" TEXT NOT NULL, "computed_at" TEXT NOT NULL, "fingerprint" TEXT NOT NULL, "fixes_used" INTEGER NOT NULL, "method" TEXT NOT NULL, "cameras_online" INTEGER DEFAULT '0' NOT NULL, "drone_flights" INTEGER DEFAULT '0' NOT NULL, UNIQUE ("township", "week", "village_code"));
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('coverage_results', 'attributes', 'coverage_results');
CREATE TABLE "devices" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "public_id" TEXT NOT NULL, "id_sha256" TEXT NOT NULL, "township" TEXT NOT NULL, "squad" TEXT NOT NULL, "name" TEXT NOT NULL, "crs" TEXT NOT NULL, "created_at" DATETIME NOT NULL, "revoked_at" DATETIME, "last_fix_at" DATETIME, "last_battery" DOUBLE, UNIQUE ("id_sha256"), UNIQUE ("public_id"));
CREATE INDEX "ix_devices_township" ON "devices" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('devices', 'attributes', 'devices');
CREATE TABLE "drone_flights" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "flight_id" TEXT NOT NULL, "started_at" TEXT NOT NULL, "ended_at" TEXT NOT NULL, "altitude_source" TEXT NOT NULL, "hfov_deg" DOUBLE, "drone" TEXT NOT NULL, "times_s" TEXT NOT NULL, "source" TEXT DEFAULT 'layers' NOT NULL, "geom" LINESTRING, UNIQUE ("township", "flight_id"));
CREATE INDEX "idx_drone_flights_geom" ON "drone_flights" ("geom");
CREATE INDEX "ix_drone_flights_township" ON "drone_flights" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('drone_flights', 'features', 'drone_flights', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('drone_flights', 'geom', 'LINESTRING', 4326, 1, 0);

CREATE VIRTUAL TABLE rtree_drone_flights_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_drone_flights_geom_insert AFTER INSERT ON drone_flights
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_drone_flights_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_drone_flights_geom_update1 AFTER UPDATE OF geom ON drone_flights
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_drone_flights_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_drone_flights_geom_update2 AFTER UPDATE OF geom ON drone_flights
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_drone_flights_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_drone_flights_geom_update3 AFTER UPDATE ON drone_flights
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_drone_flights_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_drone_flights_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_drone_flights_geom_update4 AFTER UPDATE ON drone_flights
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_drone_flights_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_drone_flights_geom_delete AFTER DELETE ON drone_flights
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_drone_flights_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('drone_flights', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TABLE "fixes" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT, "upload_id" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "township" TEXT NOT NULL, "squad" TEXT NOT NULL, "device" TEXT NOT NULL, "t" DATETIME, "lon" DOUBLE NOT NULL, "lat" DOUBLE NOT NULL, "accuracy_m" DOUBLE, "segment" INTEGER NOT NULL, "drop_reason" INTEGER NOT NULL);
CREATE INDEX "ix_fixes_t" ON "fixes" ("t");
CREATE INDEX "ix_fixes_upload_id" ON "fixes" ("upload_id");
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('fixes', 'attributes', 'fixes');
CREATE TABLE "roads" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "code" TEXT NOT NULL, "class" TEXT NOT NULL, "name" TEXT NOT NULL, "geom" LINESTRING);
CREATE INDEX "idx_roads_geom" ON "roads" ("geom");
CREATE INDEX "ix_roads_township" ON "roads" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('roads', 'features', 'roads', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('roads', 'geom', 'LINESTRING', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_roads_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_roads_geom_insert AFTER INSERT ON roads
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_roads_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_roads_geom_update1 AFTER UPDATE OF geom ON roads
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_roads_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_roads_geom_update2 AFTER UPDATE OF geom ON roads
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_roads_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_roads_geom_update3 AFTER UPDATE ON roads
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_roads_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_roads_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_roads_geom_update4 AFTER UPDATE ON roads
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_roads_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_roads_geom_delete AFTER DELETE ON roads
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_roads_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('roads', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TABLE "township" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "code" TEXT NOT NULL, "name" TEXT NOT NULL, "name_en" TEXT NOT NULL, "settings" TEXT NOT NULL, "updated_at" DATETIME NOT NULL, "geom" MULTIPOLYGON, UNIQUE ("code"));
CREATE INDEX "idx_township_geom" ON "township" ("geom");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('township', 'features', 'township', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('township', 'geom', 'MULTIPOLYGON', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_township_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_township_geom_insert AFTER INSERT ON township
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_township_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_township_geom_update1 AFTER UPDATE OF geom ON township
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_township_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_township_geom_update2 AFTER UPDATE OF geom ON township
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_township_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_township_geom_update3 AFTER UPDATE ON township
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_township_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_township_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_township_geom_update4 AFTER UPDATE ON township
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_township_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_township_geom_delete AFTER DELETE ON township
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_township_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('township', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TABLE "track_uploads" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "squad" TEXT NOT NULL, "device" TEXT NOT NULL, "filename" TEXT NOT NULL, "source_format" TEXT NOT NULL, "source_crs" TEXT NOT NULL, "sha256" TEXT NOT NULL, "uploaded_at" DATETIME NOT NULL, "first_fix_at" DATETIME, "last_fix_at" DATETIME, "report" TEXT NOT NULL, "idempotency_key" TEXT, UNIQUE ("township", "squad", "idempotency_key"), UNIQUE ("township", "squad", "sha256"));
CREATE INDEX "ix_track_uploads_township" ON "track_uploads" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('track_uploads', 'attributes', 'track_uploads');
CREATE TABLE "villages" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "code" TEXT NOT NULL, "name" TEXT NOT NULL, "name_en" TEXT NOT NULL, "squad" TEXT NOT NULL, "geom" MULTIPOLYGON, UNIQUE ("township", "code"));
CREATE INDEX "idx_villages_geom" ON "villages" ("geom");
CREATE INDEX "ix_villages_township" ON "villages" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('villages', 'features', 'villages', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('villages', 'geom', 'MULTIPOLYGON', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_villages_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_villages_geom_insert AFTER INSERT ON villages
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_villages_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_villages_geom_update1 AFTER UPDATE OF geom ON villages
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_villages_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_villages_geom_update2 AFTER UPDATE OF geom ON villages
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_villages_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_villages_geom_update3 AFTER UPDATE ON villages
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_villages_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_villages_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_villages_geom_update4 AFTER UPDATE ON villages
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_villages_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_villages_geom_delete AFTER DELETE ON villages
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_villages_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('villages', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TABLE "patrol_tracks" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "township" TEXT NOT NULL, "upload_id" INTEGER NOT NULL REFERENCES "track_uploads"("id") ON DELETE CASCADE, "squad" TEXT NOT NULL, "device" TEXT NOT NULL, "segment" INTEGER NOT NULL, "started_at" DATETIME NOT NULL, "ended_at" DATETIME NOT NULL, "fixes" INTEGER NOT NULL, "geom" LINESTRING);
CREATE INDEX "idx_patrol_tracks_geom" ON "patrol_tracks" ("geom");
CREATE INDEX "ix_patrol_tracks_township" ON "patrol_tracks" ("township");
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('patrol_tracks', 'features', 'patrol_tracks', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('patrol_tracks', 'geom', 'LINESTRING', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_patrol_tracks_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_patrol_tracks_geom_insert AFTER INSERT ON patrol_tracks
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_patrol_tracks_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_patrol_tracks_geom_update1 AFTER UPDATE OF geom ON patrol_tracks
WHEN OLD.id = NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_patrol_tracks_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_patrol_tracks_geom_update2 AFTER UPDATE OF geom ON patrol_tracks
WHEN OLD.id = NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_patrol_tracks_geom WHERE id = OLD.id; END;
CREATE TRIGGER rtree_patrol_tracks_geom_update3 AFTER UPDATE ON patrol_tracks
WHEN OLD.id != NEW.id AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_patrol_tracks_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_patrol_tracks_geom VALUES (NEW.id, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_patrol_tracks_geom_update4 AFTER UPDATE ON patrol_tracks
WHEN OLD.id != NEW.id AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_patrol_tracks_geom WHERE id IN (OLD.id, NEW.id); END;
CREATE TRIGGER rtree_patrol_tracks_geom_delete AFTER DELETE ON patrol_tracks
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_patrol_tracks_geom WHERE id = OLD.id; END;

INSERT INTO gpkg_extensions VALUES ('patrol_tracks', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
INSERT INTO geo_meta VALUES ('schema_version', '7');
