"""Drive QGIS itself against `geo serve`, as a planner would: Basic authentication, every OGC
API – Features collection as a layer, a filter, a layer rendered to a PNG, and the vector
tiles (OGC API – Tiles) of fixes, tracks or gaps as vector tile layers rendered to PNGs.

Runs under the system's Python with Debian's QGIS bindings (``python3-qgis``), offscreen:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_check.py \
        --url http://127.0.0.1:8000/ogc --key geo_… --out var/qgis --tiles fixes,tracks

It prints one line per collection (valid, features QGIS counts, features the API counts), the
filter's result and the rendered PNGs with their non-blank pixels, then one JSON object as its
last line. Exit status 1 when a layer is invalid, a count differs, the filter keeps a wrong
feature or a picture is blank.

A vector tile layer is QGIS's "XYZ" vector tiles connection (``type=xyz``) on the tile URL
template ``{url}/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}`` with the same Basic
authentication configuration, drawn in EPSG:3857 over the collection's extent.

With ``--gpkg PATH`` it opens the embedded store's file as Layer ▸ Add Layer ▸ Vector does
instead: every sublayer QGIS lists, with whether it opens and its feature count (exit status 1
when one does not open):

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_check.py --gpkg var/geo.gpkg
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


def api_json(url: str, key: str) -> Any:
    """A JSON answer of the service, with the key as the Basic password."""
    token = base64.b64encode(f"qgis:{key}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def check_gpkg(path: Path) -> int:
    """Every sublayer QGIS lists in a GeoPackage, opened as a layer: one line each, then the
    JSON report; 1 when a sublayer does not open."""
    from qgis.core import Qgis, QgsApplication, QgsProviderRegistry, QgsVectorLayer

    app = QgsApplication([], False, tempfile.mkdtemp(prefix="qgis-profile-"))
    app.initQgis()
    report: dict[str, Any] = {"qgis": Qgis.QGIS_VERSION, "gpkg": str(path), "sublayers": {}}
    failures: list[str] = []
    metadata = QgsProviderRegistry.instance().providerMetadata("ogr")
    for sub in metadata.querySublayers(str(path)):
        layer = QgsVectorLayer(sub.uri(), sub.name(), "ogr")
        valid = layer.isValid()
        count = layer.featureCount() if valid else None
        report["sublayers"][sub.name()] = {"valid": valid, "features": count}
        print(f"{sub.name():<24} valid={valid} features={count}")
        if not valid:
            failures.append(f"{sub.name()}: QGIS lists it but cannot open it")
    report["failures"] = failures
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gpkg", type=Path, help="check a GeoPackage file's sublayers instead")
    parser.add_argument("--url", help="the service's /ogc URL")
    parser.add_argument("--key", help="an API key (planner, leader or admin)")
    parser.add_argument("--out", type=Path, help="folder for the PNGs")
    parser.add_argument(
        "--render",
        default="villages,road_gaps",
        help="collections to render, one PNG each (those the service does not serve are listed"
        " as missing)",
    )
    parser.add_argument(
        "--tiles",
        default="",
        help="tile collections (fixes, tracks, area_gaps, road_gaps) to add as vector tile "
        "layers and render, one PNG each (tiles-NAME.png)",
    )
    args = parser.parse_args()
    if args.gpkg is not None:
        return check_gpkg(args.gpkg)
    if not (args.url and args.key and args.out):
        parser.error("--url, --key and --out are needed (or --gpkg)")
    args.out.mkdir(parents=True, exist_ok=True)

    from qgis.core import (  # the system's QGIS (python3-qgis)
        Qgis,
        QgsApplication,
        QgsAuthMethodConfig,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeatureRequest,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsProject,
        QgsRectangle,
        QgsVectorLayer,
        QgsVectorTileLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    profile = tempfile.mkdtemp(prefix="qgis-profile-")
    app = QgsApplication([], False, profile)
    app.initQgis()
    report: dict[str, Any] = {
        "qgis": Qgis.QGIS_VERSION,
        "layers": {},
        "renders": {},
        "tiles": {},
    }
    layers: dict[str, QgsVectorLayer] = {}
    failures: list[str] = []
    try:
        auth = QgsApplication.authManager()
        auth.setPasswordHelperEnabled(False)
        if not auth.setMasterPassword("geo-check", True):
            failures.append("could not set QGIS's master password")
        config = QgsAuthMethodConfig("Basic")
        config.setName("geo")
        config.setConfig("username", "qgis")
        config.setConfig("password", args.key)
        if not auth.storeAuthenticationConfig(config)[0]:
            failures.append("could not store the Basic authentication configuration")
        authcfg = config.id()

        collections = api_json(f"{args.url}/collections", args.key)["collections"]
        for collection in collections:
            name = collection["id"]
            uri = f"url='{args.url}' typename='{name}' authcfg='{authcfg}'"
            layer = QgsVectorLayer(uri, name, "OAPIF")
            matched = api_json(f"{args.url}/collections/{name}/items?limit=1", args.key)[
                "numberMatched"
            ]
            count = sum(1 for _ in layer.getFeatures()) if layer.isValid() else -1
            report["layers"][name] = {
                "valid": layer.isValid(),
                "features": count,
                "api": matched,
                "geometry": layer.geometryType().name
                if hasattr(layer.geometryType(), "name")
                else int(layer.geometryType()),
            }
            print(f"{name:<16} valid={layer.isValid()} qgis={count} api={matched}")
            if not layer.isValid():
                failures.append(f"{name}: not a valid layer: {layer.error().summary()}")
            elif count != matched:
                failures.append(f"{name}: QGIS counts {count}, the API {matched}")
            layers[name] = layer

        if "cameras" in layers and layers["cameras"].isValid():
            cameras = layers["cameras"]
            request = QgsFeatureRequest().setFilterExpression("\"status\" = 'offline'")
            statuses = [f["status"] for f in cameras.getFeatures(request)]
            want = sum(
                1
                for f in api_json(f"{args.url}/collections/cameras/items?limit=1000", args.key)[
                    "features"
                ]
                if f["properties"]["status"] == "offline"
            )
            report["filter"] = {"expression": "status = 'offline'", "features": len(statuses)}
            print(f"filter status = 'offline': {len(statuses)} cameras (API: {want})")
            if any(s != "offline" for s in statuses) or len(statuses) != want:
                failures.append(f"filter: {len(statuses)} features, {want} wanted: {statuses}")

        def render(layer: Any, extent: Any, path: Path, crs: Any = None) -> int:
            """Draw ``layer`` over ``extent`` (in ``crs``, default the layer's) to a PNG at
            ``path``; the count of sampled pixels (every 4th) that are not background."""
            settings = QgsMapSettings()
            settings.setLayers([layer])
            if crs is not None:
                settings.setDestinationCrs(crs)
            settings.setBackgroundColor(QColor(255, 255, 255))
            settings.setOutputSize(QSize(800, 600))
            settings.setExtent(extent)
            job = QgsMapRendererParallelJob(settings)
            job.start()
            job.waitForFinished()
            image = job.renderedImage()
            image.save(str(path), "PNG")
            return sum(
                1
                for x in range(0, image.width(), 2)
                for y in range(0, image.height(), 2)
                if image.pixelColor(x, y) != QColor(255, 255, 255)
            )

        for name in [n for n in args.render.split(",") if n]:
            layer = layers.get(name)
            if layer is None or not layer.isValid():
                report["renders"][name] = "missing"
                failures.append(f"render {name}: the service has no such valid collection")
                continue
            path = args.out / f"{name}.png"
            drawn = render(
                layer, layer.extent().buffered(layer.extent().width() * 0.05 or 0.001), path
            )
            report["renders"][name] = {"png": str(path), "non_blank_pixels_sampled": drawn}
            print(f"render {name}: {path} ({drawn} of every 4th pixel drawn)")
            if drawn == 0:
                failures.append(f"render {name}: blank picture")

        mercator = QgsCoordinateReferenceSystem("EPSG:3857")
        to_mercator = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem("OGC:CRS84"), mercator, QgsProject.instance()
        )
        for name in [n for n in args.tiles.split(",") if n]:
            collection = api_json(f"{args.url}/collections/{name}", args.key)
            west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
            template = f"{args.url}/collections/{name}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
            uri = (
                f"type=xyz&url={urllib.parse.quote(template, safe='')}"
                f"&zmin=0&zmax=18&authcfg={authcfg}"
            )
            tiles = QgsVectorTileLayer(uri, f"{name} (tiles)")
            entry: dict[str, Any] = {"valid": tiles.isValid(), "uri": uri.split("&authcfg")[0]}
            report["tiles"][name] = entry
            if not tiles.isValid():
                failures.append(f"tiles {name}: not a valid vector tile layer")
                continue
            extent = to_mercator.transformBoundingBox(QgsRectangle(west, south, east, north))
            path = args.out / f"tiles-{name}.png"
            drawn = render(tiles, extent.buffered(extent.width() * 0.05), path, crs=mercator)
            entry |= {"png": str(path), "non_blank_pixels_sampled": drawn}
            print(f"tiles {name}: {path} ({drawn} of every 4th pixel drawn)")
            if drawn == 0:
                failures.append(f"tiles {name}: blank picture")
    finally:
        layers.clear()
    report["failures"] = failures
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without Qt's and QGIS's teardown, which crashes in PyQGIS scripts now and then
    # once the answer is printed.
    os._exit(status)
