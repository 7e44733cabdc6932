"""Outbox operations on both stores (issue 16): `geo alerts list` / `resend` and their admin
routes, and the claim that keeps several processes draining the outbox at once from sending a
message twice. A loopback webhook receiver (tests/dispatch/test_alerts.py) counts what
arrives."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from geo import operations
from geo.api.app import create_app
from geo.keys import Role
from geo.settings import AlertSettings
from geo.store import Store
from tests.api.test_coverage_api import bearer, settings_for
from tests.cli_runner import run_geo
from tests.dispatch.builders import CODE
from tests.dispatch.test_alerts import NOW, Receiver, free_port, stored_spokes, targets
from tests.dispatch.test_risk import WEDNESDAY


def store_env(store: Store, port: int) -> dict[str, str | None]:
    """The environment of a `geo` command on ``store`` with the receiver's targets."""
    url = getattr(store, "url", None)
    return {
        "GEO_DATABASE_URL": url,
        "GEO_GPKG_PATH": None if url else str(getattr(store, "path", "")),
        "GEO_TOWNSHIP": None,
        "GEO_ALERT_TARGETS": json.dumps([t.model_dump() for t in targets(port)]),
    }


def failed_twice(store: Store, port: int, now: datetime = NOW) -> None:
    """The spokes village's two messages enqueued and failed once at ``now`` (nothing
    listens)."""
    store.save_layers(stored_spokes())
    done = operations.run_alerts(store, CODE, targets(port), as_of=WEDNESDAY, now=now)
    assert (done.enqueued, done.failed, done.pending) == (2, 2, 2)


def test_claim_is_taken_once_and_only_when_due(store: Store) -> None:
    failed_twice(store, free_port())
    first, _ = store.alerts(CODE)
    assert first.id is not None
    due = first.next_attempt_at
    assert not store.claim_alert(first.id, due - timedelta(seconds=1), due + timedelta(hours=1))
    assert store.claim_alert(first.id, due, due + timedelta(minutes=2))
    assert not store.claim_alert(first.id, due, due + timedelta(minutes=2))  # already taken
    assert not store.claim_alert(first.id, due + timedelta(minutes=1), due + timedelta(hours=1))
    # A lease that ran out (the claimer died before it sent) is due again.
    assert store.claim_alert(first.id, due + timedelta(minutes=2), due + timedelta(minutes=4))


def test_several_drains_at_once_send_each_message_once(store: Store) -> None:
    port = free_port()
    failed_twice(store, port)
    receiver = Receiver(port)
    try:
        later = NOW + timedelta(hours=1)
        results: list[tuple[int, int]] = []
        start = threading.Barrier(4)

        def drain() -> None:
            start.wait()
            results.append(operations.send_due_alerts(store, targets(port), now=later))

        threads = [threading.Thread(target=drain) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sum(sent for sent, _ in results) == 2 and sum(f for _, f in results) == 0
        assert sorted(p for p, _, _ in receiver.received) == ["/dingtalk", "/wecom"]
        assert [m.status for m in store.alerts(CODE)] == ["sent", "sent"]
    finally:
        receiver.close()


def test_list_and_resend_from_the_command_line(store: Store) -> None:
    port = free_port()
    failed_twice(store, port)
    env = store_env(store, port)
    listed = run_geo(["alerts", "list", "--status", "pending", "--format", "json"], env)
    assert listed.returncode == 0, listed.stderr
    body = json.loads(listed.stdout)
    assert [(m["channel"], m["status"], m["attempts"]) for m in body] == [
        ("wecom", "pending", 1),
        ("dingtalk", "pending", 1),
    ]
    assert all(m["last_error"] for m in body)
    assert (
        json.loads(run_geo(["alerts", "list", "--status", "sent", "--format", "json"], env).stdout)
        == []
    )
    table = run_geo(["alerts", "list"], env)
    assert table.returncode == 0 and "巡查群" in table.stdout and "pending" in table.stdout
    wecom = int(body[0]["id"])
    # Still down: the resend fails, exit 1, the message pending again with one attempt.
    down = run_geo(["alerts", "resend", str(wecom)], env)
    assert down.returncode == 1 and "pending" in down.stdout
    receiver = Receiver(port)
    try:
        done = run_geo(["alerts", "resend", str(wecom)], env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"alert {wecom} to 巡查群: sent" in done.stdout
        # Only the resent message was due: the DingTalk one waits for its backoff.
        assert [p for p, _, _ in receiver.received] == ["/wecom"]
        sent = run_geo(["alerts", "list", "--status", "sent", "--format", "json"], env)
        assert [m["id"] for m in json.loads(sent.stdout)] == [wecom]
        # Sent again on purpose: a second delivery.
        assert run_geo(["alerts", "resend", str(wecom)], env).returncode == 0
        assert [p for p, _, _ in receiver.received] == ["/wecom", "/wecom"]
    finally:
        receiver.close()
    unknown = run_geo(["alerts", "resend", "999999"], env)
    assert unknown.returncode != 0 and "no alert message with id 999999" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_admin_routes_list_and_resend(store: Store, tmp_path: Path) -> None:
    port = free_port()
    failed_twice(store, port, datetime.now(UTC))  # the routes' clock: not due again yet
    settings = settings_for(store, tmp_path)
    settings = type(settings)(
        store=settings.store,
        layers=settings.layers,
        alerts=AlertSettings(alert_targets=targets(port), alert_timeout_seconds=5),
    )
    admin = bearer(store, Role.ADMIN)
    with TestClient(create_app(settings)) as client:
        for role in (Role.LEADER, Role.PLANNER):
            assert client.get("/api/v1/alerts", headers=bearer(store, role)).status_code == 403
        listed = client.get("/api/v1/alerts", params={"status": "pending"}, headers=admin)
        assert listed.status_code == 200, listed.text
        ids = [m["id"] for m in listed.json()]
        assert len(ids) == 2
        assert client.get("/api/v1/alerts?status=sent", headers=admin).json() == []
        bad = client.get("/api/v1/alerts?status=lost", headers=admin)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        missing = client.post("/api/v1/alerts/999999/resend", headers=admin)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        receiver = Receiver(port)
        try:
            resent = client.post(f"/api/v1/alerts/{ids[1]}/resend", headers=admin)
            assert resent.status_code == 200, resent.text
            assert resent.json()["status"] == "sent" and resent.json()["channel"] == "dingtalk"
            assert [p for p, _, _ in receiver.received] == ["/dingtalk"]
        finally:
            receiver.close()
        statuses = {
            m["id"]: m["status"] for m in client.get("/api/v1/alerts", headers=admin).json()
        }
        assert statuses == {ids[0]: "pending", ids[1]: "sent"}
