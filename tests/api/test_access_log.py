"""The access log of a real `geo serve` never shows a device id: the OsmAnd protocol's only
credential rides in the query string (``?id=`` / ``?deviceid=``), and the admin's set-up codes
name the device by its id in the path; uvicorn's access line prints both."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

from geo.api.request_id import REDACTED
from tests.conftest import LAYERS_DIR
from tests.serve import geo_serve, gpkg_env, run_geo

NOW = int(time.time())
#: A fix inside the demo township (Xiaozhang's first village road).
FIX = f"lat=28.1503&lon=109.9012&timestamp={NOW}&speed=2.5&batt=80"


def _get(url: str, key: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=10
        ) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_access_log_redacts_device_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = gpkg_env(tmp_path / "geo.gpkg")
    run_geo(env, "layers", "load", str(LAYERS_DIR))
    added = run_geo(env, "devices", "add", "--squad", "squad-01", "--name", "log test")
    device_id = re.search(r"device id: (\S+)", added).group(1)  # type: ignore[union-attr]
    admin = run_geo(env, "keys", "create", "--role", "admin", "--name", "log test").strip()
    unknown = "A" * 27  # the form of an id, never issued
    with geo_serve(env) as serving:
        url = serving.url
        statuses = [
            _get(f"{url}/api/v1/osmand?id={device_id}&{FIX}"),
            _get(f"{url}/api/v1/osmand?{FIX}&deviceid={device_id}"),
            _get(f"{url}/api/v1/osmand?id={unknown}&{FIX}"),
            _get(f"{url}/api/v1/devices/{device_id}/setup?app=traccar&format=text", admin),
        ]
    log = serving.log
    assert statuses == [200, 200, 401, 200], log
    access = [line for line in log.splitlines() if "/api/v1/osmand" in line]
    assert len(access) == 3, log
    assert device_id not in log and unknown not in log and admin not in log
    assert all(f"id={REDACTED}" in line for line in access), access
    assert all("lat=28.1503" in line for line in access)  # the rest of the line is kept
    assert f"/api/v1/devices/{REDACTED}/setup?app=traccar" in log
