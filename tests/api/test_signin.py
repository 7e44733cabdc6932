"""The browser sign-in on both stores: pages send a browser without a key to /signin, the
form sets an HttpOnly SameSite=Strict cookie and follows only a relative ``next``."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo import access
from geo.api.app import create_app
from geo.api.auth import COOKIE
from geo.api.routers.signin import safe_next
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from tests.api.test_coverage_api import settings_for


@pytest.fixture
def site(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    with TestClient(create_app(settings_for(store, tmp_path)), follow_redirects=False) as c:
        yield c


def cookie_of(response: object) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])  # type: ignore[attr-defined]
    return jar


def test_pages_send_a_browser_without_a_key_to_sign_in(site: TestClient) -> None:
    page = site.get("/?week=2026-W47")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=%2F%3Fweek%3D2026-W47"
    map_page = site.get("/api/v1/coverage/2026-W47/map?lang=en")
    assert map_page.status_code == 303
    assert map_page.headers["location"].startswith("/signin?next=%2Fapi%2Fv1%2Fcoverage")
    assert map_page.headers["location"].endswith("&lang=en")
    api = site.get("/api/v1/coverage/2026-W47")
    assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"


def test_the_sign_in_page_speaks_chinese_then_english(site: TestClient) -> None:
    zh = site.get("/signin?next=/%3Fweek%3D2026-W47")
    assert zh.status_code == 200 and "访问密钥" in zh.text and 'lang="zh-CN"' in zh.text
    assert 'name="next" value="/?week=2026-W47"' in zh.text
    en = site.get("/signin?lang=en")
    assert "Access key" in en.text and 'lang="en"' in en.text
    browser_en = site.get("/signin", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in browser_en.text


def test_a_good_key_sets_the_cookie_and_goes_next(site: TestClient, store: Store) -> None:
    token, _ = access.create_key(store, role=Role.LEADER, name="王乡长")
    done = site.post("/signin", data={"key": f" {token} ", "next": "/?week=2026-W47"})
    assert done.status_code == 303 and done.headers["location"] == "/?week=2026-W47"
    morsel = cookie_of(done)[COOKIE]
    assert morsel.value == token
    assert morsel["httponly"] and morsel["samesite"].lower() == "strict"
    assert morsel["path"] == "/" and not morsel["secure"]
    site.cookies.set(COOKIE, token)
    page = site.get("/?week=2026-W47")
    assert page.status_code == 200 and "小章村" in page.text
    out = site.post("/signout")
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    cleared = cookie_of(out)[COOKIE]
    assert cleared.value == "" and cleared["max-age"] == "0"


def test_the_cookie_is_secure_over_https(
    store: Store, demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    store.save_layers(demo_layers)
    token, _ = access.create_key(store, role=Role.ADMIN)
    app = create_app(settings_for(store, tmp_path))
    with TestClient(app, base_url="https://geo.example", follow_redirects=False) as c:
        done = c.post("/signin", data={"key": token})
    assert done.status_code == 303 and cookie_of(done)[COOKIE]["secure"]


@pytest.mark.parametrize("key", ["", "geo_nope", "geo_0123456789ab_" + "x" * 43])
def test_a_wrong_key_shows_the_form_again_with_the_reason(site: TestClient, key: str) -> None:
    done = site.post("/signin", data={"key": key, "next": "/"})
    assert done.status_code == 401
    assert done.headers["content-type"].startswith("text/html")
    assert "密钥无效" in done.text and 'id="signin-error"' in done.text
    assert "set-cookie" not in done.headers and "Traceback" not in done.text


def test_a_revoked_key_cannot_sign_in(site: TestClient, store: Store) -> None:
    token, key = access.create_key(store, role=Role.LEADER)
    access.revoke_key(store, key.key_id)
    done = site.post("/signin", data={"key": token}, headers={"Accept-Language": "en"})
    assert done.status_code == 401 and "was revoked" in done.text and "not valid" in done.text


def test_a_patrol_key_signed_in_is_refused_the_dashboard(site: TestClient, store: Store) -> None:
    token, _ = access.create_key(store, role=Role.PATROL, squad="squad-01")
    site.cookies.set(COOKIE, token)
    page = site.get("/?week=2026-W47")
    assert page.status_code == 403 and "无权打开" in page.text
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("wanted", "followed"),
    [
        ("/?week=2026-W47&lang=en", "/?week=2026-W47&lang=en"),
        ("/api/v1/coverage/2026-W47/map", "/api/v1/coverage/2026-W47/map"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/%5Cevil.example", "/%5Cevil.example"),
        ("javascript:alert(1)", "/"),
        ("\t//evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/signin", "/"),
        ("", "/"),
    ],
)
def test_next_is_followed_only_within_the_site(
    site: TestClient, store: Store, wanted: str, followed: str
) -> None:
    assert safe_next(wanted) == followed
    token, _ = access.create_key(store, role=Role.LEADER)
    done = site.post("/signin", data={"key": token, "next": wanted})
    assert done.status_code == 303 and done.headers["location"] == followed


def test_a_sign_in_posted_from_another_site_is_refused(site: TestClient, store: Store) -> None:
    token, _ = access.create_key(store, role=Role.LEADER)
    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        done = site.post("/signin", data={"key": token}, headers={"Origin": origin})
        assert done.status_code == 403 and "set-cookie" not in done.headers
    same = site.post("/signin", data={"key": token}, headers={"Origin": "http://testserver"})
    assert same.status_code == 303
