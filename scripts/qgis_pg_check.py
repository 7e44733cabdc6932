"""Open PostGIS's ``fixes_points`` view in QGIS as a planner would from the Browser: the
connection lists the view's key candidates, the first one is taken (QGIS's default), unicity
checked; the layer must be valid, count the expected features and give each a distinct id.

Runs under the system's Python with Debian's QGIS bindings (``python3-qgis``), offscreen:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_pg_check.py \
        --conninfo "dbname='geo' host=127.0.0.1 port=5432 user='geo'" --expected 1200

Prints what QGIS saw, then one JSON object as its last line; exit status 1 when the layer is
invalid, the key is not ``fid`` or a count differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conninfo", required=True, help="libpq connection string")
    parser.add_argument("--table", default="fixes_points", help="the view or table to open")
    parser.add_argument("--expected", type=int, required=True, help="features it must count")
    args = parser.parse_args()

    from qgis.core import (  # the system's QGIS (python3-qgis)
        Qgis,
        QgsApplication,
        QgsDataSourceUri,
        QgsProviderRegistry,
        QgsVectorLayer,
    )

    app = QgsApplication([], False, tempfile.mkdtemp(prefix="qgis-profile-"))
    app.initQgis()
    report: dict[str, object] = {"qgis": Qgis.QGIS_VERSION, "table": args.table}
    failures: list[str] = []
    try:
        metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
        connection = metadata.createConnection(args.conninfo, {})
        table = connection.table("public", args.table)
        candidates = list(table.primaryKeyColumns())
        key = candidates[0] if candidates else ""
        uri = QgsDataSourceUri(connection.tableUri("public", args.table))
        uri.setKeyColumn(key)
        uri.setGeometryColumn(table.geometryColumn())
        uri.setParam("checkPrimaryKeyUnicity", "1")
        layer = QgsVectorLayer(uri.uri(False), args.table, "postgres")
        report |= {"key": key, "valid": layer.isValid()}
        print(f"{args.table}: key {key!r}, valid {layer.isValid()}")
        if not layer.isValid():
            failures.append(f"QGIS finds {args.table} invalid with key {key!r}")
        else:
            ids = [feature.id() for feature in layer.getFeatures()]
            report |= {"features": layer.featureCount(), "read": len(ids), "ids": len(set(ids))}
            print(f"  {layer.featureCount()} features, {len(ids)} read, {len(set(ids))} ids")
            if key != "fid":
                failures.append(f"QGIS took {key!r} as the key, not fid")
            if not layer.featureCount() == len(ids) == len(set(ids)) == args.expected:
                failures.append(f"counts differ from the expected {args.expected}")
    finally:
        app.exitQgis()
    report["failures"] = failures
    print(json.dumps(report))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
