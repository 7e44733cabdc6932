"""The alert scheduler inside `geo serve` (issue 16), on both stores, with the time given to
it: the week is judged once a day from the set township-local hour, a webhook that was down
gets each message once when it is back, two server processes send nothing twice, and the
scheduler's work never holds up a request (a loopback receiver that answers only when told)."""

from __future__ import annotations

import threading
import time as wall
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo.api.alert_scheduler import AlertScheduler
from geo.api.app import create_app
from geo.dispatch.outbox import AlertTarget, OutboxMessage, backoff
from geo.settings import AlertSettings
from geo.store import Store
from tests.api.test_coverage_api import settings_for
from tests.cli_runner import run_geo
from tests.dispatch.builders import CODE
from tests.dispatch.test_alerts import Receiver, free_port, stored_spokes, targets

#: Wednesday 25 November 2026 in the township's time zone (Asia/Shanghai, UTC+8).
EVENING = datetime(2026, 11, 25, 18, 0, tzinfo=UTC) - timedelta(hours=8)


def scheduler(store: Store, port: int, at: str = "18:00") -> AlertScheduler:
    settings = AlertSettings(
        alert_targets=targets(port), alerts_at=time.fromisoformat(at), alert_timeout_seconds=5
    )
    return AlertScheduler(store, settings)


def test_the_week_is_judged_once_a_day_from_the_hour(store: Store) -> None:
    store.save_layers(stored_spokes())
    receiver = Receiver()
    try:
        s = scheduler(store, receiver.port)
        assert s.tick(EVENING - timedelta(minutes=1)) == []
        assert receiver.received == [] and store.alerts(CODE) == []
        (run,) = s.tick(EVENING)
        assert (run.as_of.isoformat(), run.villages_at_risk, run.enqueued, run.sent) == (
            "2026-11-25",
            1,
            2,
            2,
        )
        assert sorted(p for p, _, _ in receiver.received) == ["/dingtalk", "/wecom"]
        assert s.tick(EVENING + timedelta(hours=3)) == []
        # The next morning is before the hour: nothing is judged.
        assert s.tick(EVENING + timedelta(hours=14)) == []
        assert len(receiver.received) == 2
        # The next wake is the next drain, or the hour when that comes first.
        assert s.next_wake(EVENING) == EVENING + timedelta(minutes=5)
        before = EVENING - timedelta(minutes=2)
        assert s.next_wake(before) == EVENING
        # A server started later that day (another process, or after a restart) sees the
        # day's messages in the outbox and does not judge it again.
        late = scheduler(store, receiver.port)
        assert late.tick(EVENING + timedelta(hours=2)) == [] and len(receiver.received) == 2
    finally:
        receiver.close()


def test_a_webhook_down_at_the_hour_gets_each_message_once_when_back(store: Store) -> None:
    store.save_layers(stored_spokes())
    port = free_port()
    s = scheduler(store, port)
    (run,) = s.tick(EVENING)  # nothing listens
    assert (run.enqueued, run.sent, run.failed, run.pending) == (2, 0, 2, 2)
    receiver = Receiver(port)
    try:
        assert s.tick(EVENING + timedelta(seconds=30)) == []  # back, but not due yet
        assert receiver.received == []
        s.tick(EVENING + backoff(1))
        assert sorted(p for p, _, _ in receiver.received) == ["/dingtalk", "/wecom"]
        s.tick(EVENING + timedelta(hours=2))
        assert len(receiver.received) == 2
        assert [m.status for m in store.alerts(CODE)] == ["sent", "sent"]
    finally:
        receiver.close()


def test_two_server_processes_at_the_hour_send_each_message_once(store: Store) -> None:
    store.save_layers(stored_spokes())
    receiver = Receiver()
    try:
        processes = [scheduler(store, receiver.port) for _ in range(2)]
        start = threading.Barrier(len(processes))

        def wake(s: AlertScheduler) -> None:
            start.wait()
            s.tick(EVENING)

        threads = [threading.Thread(target=wake, args=(s,)) for s in processes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(p for p, _, _ in receiver.received) == ["/dingtalk", "/wecom"]
        assert len(store.alerts(CODE)) == 2
    finally:
        receiver.close()


class HeldReceiver:
    """A webhook receiver on 127.0.0.1 that answers only once ``release`` is set (at most
    10 s), counting the POSTs it received."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = threading.Event()
        self.count = 0
        held = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                held.count += 1
                held.arrived.set()
                held.release.wait(timeout=10)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_geo_serve_sends_in_the_background_while_requests_are_answered(
    store: Store, tmp_path: Path
) -> None:
    store.save_layers(stored_spokes())
    now = datetime.now(UTC)
    held = HeldReceiver()
    # A target of another township only: the day's judging enqueues nothing of its own.
    target = AlertTarget(
        name="hold", kind="json", url=f"http://127.0.0.1:{held.port}/", townships=["1"]
    )
    message = OutboxMessage(
        key="held-message",
        township=CODE,
        week="2026-W48",
        as_of="2026-11-25",
        channel="json",
        target="hold",
        payload={"test": True},
        next_attempt_at=now,
        created_at=now,
    )
    assert store.enqueue_alert(message)
    base = settings_for(store, tmp_path)
    settings = type(base)(
        store=base.store,
        layers=base.layers,
        alerts=AlertSettings(
            alert_targets=[target], alerts_at=time(0, 0), alert_timeout_seconds=15
        ),
    )
    try:
        with TestClient(create_app(settings)) as client:
            assert held.arrived.wait(timeout=60), "the scheduler never sent the due message"
            # The scheduler's send is held open: requests are answered all the same.
            assert client.get("/healthz").status_code == 200
            assert [m.status for m in store.alerts(CODE)] == ["pending"]
            held.release.set()
            deadline = wall.monotonic() + 10
            while store.alerts(CODE)[0].status != "sent" and wall.monotonic() < deadline:
                wall.sleep(0.05)
            assert [m.status for m in store.alerts(CODE)] == ["sent"]
        assert held.count == 1
    finally:
        held.close()


def test_serve_refuses_a_malformed_hour() -> None:
    done = run_geo(["serve", "--alerts-at", "6pm"], {})
    assert done.returncode != 0 and "--alerts-at '6pm'" in done.stderr
    assert "Traceback" not in done.stderr


def test_alert_settings_read_the_hour_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert AlertSettings().alerts_at is None  # off by default
    monkeypatch.setenv("GEO_ALERTS_AT", "18:30")
    assert AlertSettings().alerts_at == time(18, 30)
