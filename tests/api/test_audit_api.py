"""The audit log on both stores: layer edits, camera status changes and key use recorded with
their actor, a refused change recorded nowhere, ``GET /api/v1/audit`` for admins only, and
``geo audit list``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo import access, operations
from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from geo.store.geopackage import GeoPackageStore
from tests.api.test_coverage_api import settings_for
from tests.api.test_layers_api import camera
from tests.conftest import LAYERS_DIR

TOWNSHIP = "433122207"


def key(store: Store, role: Role) -> tuple[str, dict[str, str]]:
    token, made = access.create_key(store, role=role, name=f"audit {role.value}")
    return made.key_id, {"Authorization": f"Bearer {token}"}


def test_edits_status_changes_and_key_use_are_audited(
    store: Store, demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    operations.import_layers_dir(store, LAYERS_DIR)
    planner_id, planner = key(store, Role.PLANNER)
    admin_id, admin = key(store, Role.ADMIN)
    leader_id, leader = key(store, Role.LEADER)
    with TestClient(create_app(settings_for(store, tmp_path))) as client:
        assert (
            client.post("/api/v1/layers/cameras", json=camera(), headers=planner).status_code == 201
        )
        renamed = camera(name="桥头东")
        put = client.put("/api/v1/layers/cameras/CAM-35", json=renamed, headers=planner)
        assert put.status_code == 200
        refused = client.put(
            "/api/v1/layers/cameras/CAM-35", json=camera(fov_deg=400), headers=planner
        )
        assert refused.status_code == 422
        patch = client.patch(
            "/api/v1/cameras/CAM-07",
            json={"status": "offline", "note": "镜头被遮挡"},
            headers=admin,
        )
        assert patch.status_code == 200
        assert client.delete("/api/v1/layers/cameras/CAM-35", headers=planner).status_code == 204
        for _ in range(3):  # used again within the minute: one key.use entry
            assert client.get("/api/v1/layers/cameras", headers=leader).status_code == 200

        for other in (planner, leader):
            denied = client.get("/api/v1/audit", headers=other)
            assert denied.status_code == 403
            assert denied.headers["content-type"] == "application/problem+json"
        page = client.get("/api/v1/audit", params={"limit": 1000}, headers=admin)
        assert page.status_code == 200, page.text
        entries = page.json()["entries"]
        assert page.json()["next_offset"] is None

        def of(action: str) -> list[dict[str, object]]:
            return [e for e in entries if e["action"] == action]

        (loaded,) = of("layers.load")
        assert loaded["actor"] == "cli" and loaded["township"] == TOWNSHIP
        assert loaded["detail"]["cameras"] == 34  # type: ignore[index]
        edits = [
            (e["action"], e["actor"], e["target"])
            for e in reversed(entries)
            if str(e["action"]).startswith("feature.")
        ]
        assert edits == [
            ("feature.create", planner_id, "cameras/CAM-35"),
            ("feature.replace", planner_id, "cameras/CAM-35"),
            ("feature.delete", planner_id, "cameras/CAM-35"),
        ]
        (status,) = of("camera.status")
        assert status["actor"] == admin_id and status["target"] == "cameras/CAM-07"
        assert status["detail"]["status"] == "offline"  # type: ignore[index]
        assert status["detail"]["note"] == "镜头被遮挡"  # type: ignore[index]
        created = {e["target"]: e["actor"] for e in of("key.create")}
        assert created == {planner_id: "cli", admin_id: "cli", leader_id: "cli"}
        used = [e["actor"] for e in of("key.use")]
        assert sorted(used) == sorted([planner_id, admin_id, leader_id])
        # Compared as times: ISO text of a whole second has no fraction and sorts wrongly.
        times = [datetime.fromisoformat(str(e["at"])) for e in entries]
        assert times == sorted(times, reverse=True)

        # Paging and the time filter.
        first = client.get("/api/v1/audit", params={"limit": 2}, headers=admin).json()
        assert len(first["entries"]) == 2 and first["next_offset"] == 2
        second = client.get("/api/v1/audit", params={"limit": 2, "offset": 2}, headers=admin)
        assert second.json()["entries"][0]["id"] == entries[2]["id"]
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert (
            client.get("/api/v1/audit", params={"since": future}, headers=admin).json()["entries"]
            == []
        )
        bad = client.get("/api/v1/audit", params={"township": "../x"}, headers=admin)
        assert bad.status_code == 422
        edge = client.get(
            "/api/v1/audit", params={"since": "0001-01-01T00:00:00+14:00"}, headers=admin
        )
        assert edge.status_code == 200


def test_revoking_a_key_is_audited_once(store: Store) -> None:
    _, made = access.create_key(store, role=Role.LEADER, name="leaving")
    access.revoke_key(store, made.key_id)
    access.revoke_key(store, made.key_id)  # already revoked: nothing changes, nothing recorded
    revoked = [e for e in store.audit_entries() if e.action == "key.revoke"]
    assert [(e.actor, e.target) for e in revoked] == [("cli", made.key_id)]
    assert revoked[0].detail == {"role": "leader", "name": "leaving"}


def test_geo_audit_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from geo import cli
    from geo.settings import get_settings

    store = GeoPackageStore(tmp_path / "geo.gpkg")
    operations.import_layers_dir(store, LAYERS_DIR)
    access.create_key(store, role=Role.ADMIN, name="me")
    monkeypatch.setenv("GEO_GPKG_PATH", str(tmp_path / "geo.gpkg"))
    monkeypatch.delenv("GEO_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["geo", "audit", "list", *args])
        get_settings.cache_clear()
        capsys.readouterr()
        try:
            cli.main()
            status = 0
        except SystemExit as exc:
            status = int(exc.code or 0)
        finally:
            get_settings.cache_clear()
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    status, out, _ = run("--format", "json")
    assert status == 0
    assert [e["action"] for e in json.loads(out)] == ["key.create", "layers.load"]
    status, out, _ = run("--township", TOWNSHIP, "--format", "json")
    assert [e["action"] for e in json.loads(out)] == ["layers.load"]
    status, out, _ = run("--since", "2999-01-01")
    assert status == 0 and "layers.load" not in out
    status, _, err = run("--since", "yesterday")
    assert status == 2 and "--since 'yesterday' is not a date" in err
