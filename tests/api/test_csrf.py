"""Cross-site request forgery, on both stores: a write authenticated by the sign-in cookie is
accepted only from the service's own origin, and uploads only with a track content type or
multipart (a form of another site can send text/plain; issue 10)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo import access
from geo.api.app import create_app
from geo.api.auth import COOKIE
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from tests.api.test_coverage_api import settings_for
from tests.storage.test_store import village_track_gpx

OWN = "http://testserver"
UPLOAD = "/api/v1/tracks?squad=squad-01&device=p1"


@pytest.fixture
def site(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    with TestClient(create_app(settings_for(store, tmp_path))) as c:
        yield c


def signed_in(site: TestClient, store: Store, role: Role) -> str:
    token, _ = access.create_key(store, role=role, name=f"browser {role.value}")
    site.cookies.set(COOKIE, token)
    return token


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver:8081"},  # another port of the same host: same site
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": OWN, "Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {},  # no Origin and no Sec-Fetch-Site: not shown to come from our pages
    ],
    ids=["other-port", "other-site", "null", "origin-but-same-site", "same-site", "cross", "none"],
)
def test_a_cookie_upload_not_from_our_origin_is_refused(
    site: TestClient,
    store: Store,
    demo_layers: TownshipLayers,
    headers: dict[str, str],
) -> None:
    signed_in(site, store, Role.ADMIN)
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    done = site.post(
        UPLOAD, content=data, headers={**headers, "Content-Type": "application/gpx+xml"}
    )
    assert done.status_code == 403, done.text
    assert done.headers["content-type"] == "application/problem+json"
    assert "own pages" in done.json()["detail"]
    assert store.uploads("433122207") == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": OWN},
        {"Origin": OWN, "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin"},
    ],
    ids=["origin", "origin-and-fetch-site", "fetch-site"],
)
def test_a_cookie_upload_from_our_origin_is_stored(
    site: TestClient,
    store: Store,
    demo_layers: TownshipLayers,
    headers: dict[str, str],
) -> None:
    signed_in(site, store, Role.ADMIN)
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    done = site.post(
        UPLOAD, content=data, headers={**headers, "Content-Type": "application/gpx+xml"}
    )
    assert done.status_code == 201, done.text
    assert len(store.uploads("433122207")) == 1


def test_cookie_layer_edits_need_our_origin_and_reads_do_not(
    site: TestClient, store: Store, demo_layers: TownshipLayers
) -> None:
    signed_in(site, store, Role.PLANNER)
    code = str(demo_layers.cameras["code"].iloc[0])
    read = site.get(f"/api/v1/layers/cameras/{code}", headers={"Origin": "http://evil.example"})
    assert read.status_code == 200  # a read by cookie from anywhere: SameSite and CORS guard it
    feature = read.json()
    feature["properties"]["name"] = "planted by another site"
    for headers in ({"Origin": "http://testserver:9000"}, {}):
        refused = site.put(f"/api/v1/layers/cameras/{code}", json=feature, headers=headers)
        assert refused.status_code == 403, refused.text
    status = site.patch(
        f"/api/v1/cameras/{code}", json={"status": "offline"}, headers={"Origin": "null"}
    )
    assert status.status_code == 403
    layers = store.load_layers("433122207")
    assert "planted by another site" not in set(layers.cameras["name"])
    accepted = site.put(f"/api/v1/layers/cameras/{code}", json=feature, headers={"Origin": OWN})
    assert accepted.status_code == 200, accepted.text


def test_a_bearer_key_needs_no_origin(
    site: TestClient, store: Store, demo_layers: TownshipLayers
) -> None:
    """Browsers do not send Authorization on their own: a program's key is not ambient."""
    token, _ = access.create_key(store, role=Role.ADMIN, name="program")
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    done = site.post(
        UPLOAD,
        content=data,
        headers={
            "Authorization": f"Bearer {token}",
            "Origin": "http://evil.example",
            "Content-Type": "application/gpx+xml",
        },
    )
    assert done.status_code == 201, done.text


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "text/html"],
)
def test_an_upload_as_a_form_is_415_and_stores_nothing(
    site: TestClient, store: Store, demo_layers: TownshipLayers, content_type: str
) -> None:
    token, _ = access.create_key(store, role=Role.ADMIN, name="program")
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    done = site.post(
        UPLOAD,
        content=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    assert done.status_code == 415, done.text
    assert done.headers["content-type"] == "application/problem+json"
    assert done.json()["type"] == "/problems/unsupported-media-type"
    assert "application/gpx+xml" in done.json()["detail"]
    assert store.uploads("433122207") == []


@pytest.mark.parametrize(
    "content_type",
    [None, "application/gpx+xml", "application/octet-stream", "application/xml; charset=utf-8"],
)
def test_an_upload_with_a_track_type_is_stored(
    site: TestClient, store: Store, demo_layers: TownshipLayers, content_type: str | None
) -> None:
    token, _ = access.create_key(store, role=Role.ADMIN, name="program")
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    assert site.post(UPLOAD, content=data, headers=headers).status_code == 201


def basic(token: str, user: str = "qgis") -> str:
    """``Authorization: Basic`` with the key as the password, as QGIS and tracker apps send it."""
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
    ids=["other-site", "cross", "null"],
)
def test_a_basic_write_from_another_origin_is_refused(
    site: TestClient, store: Store, demo_layers: TownshipLayers, headers: dict[str, str]
) -> None:
    """A browser may keep Basic credentials and send them for another site's form."""
    token, _ = access.create_key(store, role=Role.ADMIN, name="program")
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    done = site.post(
        UPLOAD,
        content=data,
        headers={**headers, "Authorization": basic(token), "Content-Type": "application/gpx+xml"},
    )
    assert done.status_code == 403, done.text
    assert done.headers["content-type"] == "application/problem+json"
    assert store.uploads("433122207") == []


def test_a_basic_write_from_a_program_is_stored(
    site: TestClient, store: Store, demo_layers: TownshipLayers
) -> None:
    """Programs (tracker apps, scripts) send neither Origin nor Sec-Fetch-Site."""
    token, _ = access.create_key(store, role=Role.ADMIN, name="program")
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    done = site.post(
        UPLOAD,
        content=data,
        headers={"Authorization": basic(token, "any"), "Content-Type": "application/gpx+xml"},
    )
    assert done.status_code == 201, done.text
    assert len(store.uploads("433122207")) == 1
