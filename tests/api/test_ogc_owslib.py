"""OWSLib, an independent OGC client, reads the collections and features from a real
`geo serve` process (GeoPackage store with the demo layers loaded by `geo layers load`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from owslib.ogcapi.features import Features

from tests.conftest import LAYERS_DIR, ROOT

GEO = [sys.executable, "-m", "geo.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server(NamedTuple):
    """A running `geo serve` and the headers of a planner's key (QGIS sends it the same way,
    through an "API header" authentication configuration)."""

    url: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ogc")
    env = {**os.environ, "GEO_GPKG_PATH": str(tmp / "geo.gpkg")}
    env.pop("GEO_DATABASE_URL", None)
    env.pop("GEO_TOWNSHIP", None)
    loaded = subprocess.run(
        [*GEO, "layers", "load", str(LAYERS_DIR)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    key = subprocess.run(
        [*GEO, "keys", "create", "--role", "planner", "--name", "QGIS"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert key.returncode == 0, key.stderr
    port = free_port()
    process = subprocess.Popen(
        [*GEO, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(
                    f"geo serve exited: {process.stderr.read().decode() if process.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("geo serve did not answer /healthz within 30 s")
        yield Server(url, {"Authorization": f"Bearer {key.stdout.strip()}"})
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_owslib_reads_collections_and_every_camera(server: Server) -> None:
    api = Features(f"{server.url}/ogc", headers=server.headers)
    assert set(api.feature_collections()) == {
        "villages",
        "roads",
        "cameras",
        "checkpoints",
        "drone_flights",
        "area_gaps",
        "road_gaps",
    }
    conformance = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    # OWSLib's api() follows only a service-desc typed OpenAPI 3.0; the service's document is
    # 3.1 and its link says so (issue 14), so the document is read from that link
    desc = next(x for x in api.links if x["rel"] == "service-desc")
    assert desc["type"] == "application/vnd.oai.openapi+json;version=3.1"
    request = urllib.request.Request(desc["href"], headers=server.headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        document = json.loads(response.read())
    assert "/ogc/collections/{collection}/items" in document["paths"]

    cameras = api.collection("cameras")
    minx, miny, maxx, maxy = cameras["extent"]["spatial"]["bbox"][0]
    seen: list[str] = []
    offset = 0
    while True:
        page = api.collection_items(
            "cameras", bbox=[minx, miny, maxx, maxy], limit=10, offset=offset
        )
        assert page["numberMatched"] == 34
        seen += [f["id"] for f in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 10
    assert len(seen) == len(set(seen)) == 34

    one = api.collection_item("cameras", "CAM-07")
    assert one["id"] == "CAM-07" and one["geometry"]["type"] == "Point"


def test_owslib_filters_drone_flights_by_time(server: Server) -> None:
    api = Features(f"{server.url}/ogc/", headers=server.headers)
    found = api.collection_items("drone_flights", datetime_="2026-11-05T00:00:00Z/..")
    assert [f["id"] for f in found["features"]] == ["DJI-20261106-01"]
    assert api.collection("drone_flights")["extent"]["temporal"]["interval"][0][0].startswith(
        "2026-11-04"
    )


def test_owslib_gets_an_error_for_a_bad_bbox(server: Server) -> None:
    api = Features(f"{server.url}/ogc", headers=server.headers)
    with pytest.raises(RuntimeError, match="4 numbers"):
        api.collection_items("cameras", bbox=[109.8, 28.1])
