"""Mid-week alerts through the outbox (issue 16): the WeCom, DingTalk and JSON messages, and
`run_alerts` against a loopback webhook receiver on both stores: each message arrives once;
while the receiver is down nothing is lost, and after it is back nothing is sent twice."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pytest
import shapely

from geo import operations
from geo.dispatch.alerts import alert_text, messages, payload
from geo.dispatch.outbox import AlertTarget, backoff
from geo.dispatch.risk import week_risk
from geo.layers import TownshipLayers
from geo.store import Store
from tests.cli_runner import run_geo
from tests.dispatch.builders import CODE, VILLAGE
from tests.dispatch.test_risk import MONDAY, WEDNESDAY, WEEK, no_fixes, spokes, usual

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday of 2026-W48, 20:00 local


class Receiver:
    """A webhook receiver on 127.0.0.1: records each POST (path, query, JSON body) and
    answers ``status`` (200 with the robots' ``{"errcode": 0}``)."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[tuple[str, dict[str, list[str]], dict[str, object]]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                url = urlsplit(self.path)
                if receiver.status == 200:
                    receiver.received.append((url.path, parse_qs(url.query), json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def targets(port: int) -> list[AlertTarget]:
    base = f"http://127.0.0.1:{port}"
    return [
        AlertTarget(name="巡查群", kind="wecom", url=f"{base}/wecom?key=k"),
        AlertTarget(
            name="钉钉群", kind="dingtalk", url=f"{base}/dingtalk?access_token=t", secret="SECx"
        ),
        AlertTarget(name="other township", kind="json", url=f"{base}/json", townships=["1"]),
    ]


def stored_spokes() -> TownshipLayers:
    """The spokes township of tests/dispatch/test_risk.py with multipolygon areas (the
    store's column type)."""
    layers = spokes()
    for frame in (layers.outline, layers.villages):
        frame[frame.geometry.name] = gpd.GeoSeries(
            [shapely.MultiPolygon([g]) for g in frame.geometry], crs=frame.crs, index=frame.index
        )
    return layers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_messages_are_the_robots_markdown_and_the_dumped_risk() -> None:
    risk = week_risk(spokes(), no_fixes(), WEEK, WEDNESDAY, recent=usual())
    title, text = alert_text(risk)
    assert "小章" in text or risk.at_risk[0].name in text
    for reason in risk.at_risk[0].reasons:
        assert f"- {reason.zh}" in text
    assert risk.at_risk[0].squad in text and "1 个村有风险" in title
    assert payload(risk, "wecom") == {"msgtype": "markdown", "markdown": {"content": text}}
    assert payload(risk, "dingtalk") == {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": text},
    }
    assert payload(risk, "json") == json.loads(risk.model_dump_json())
    made = messages(risk, targets(1), NOW)
    assert [m.channel for m in made] == ["wecom", "dingtalk"]  # the json one is for "1" only
    assert len({m.key for m in made}) == 2
    # The same day and villages give the same keys; no village at risk gives no message.
    assert [m.key for m in messages(risk, targets(1), NOW + timedelta(hours=1))] == [
        m.key for m in made
    ]
    monday = week_risk(spokes(), no_fixes(), WEEK, MONDAY, recent=usual())
    assert monday.at_risk == [] and messages(monday, targets(1), NOW) == []


def test_each_message_arrives_once(store: Store, receiver: Receiver) -> None:
    store.save_layers(stored_spokes())
    first = operations.run_alerts(store, CODE, targets(receiver.port), as_of=WEDNESDAY, now=NOW)
    assert (first.villages_at_risk, first.enqueued, first.sent, first.failed) == (1, 2, 2, 0)
    assert sorted(path for path, _, _ in receiver.received) == ["/dingtalk", "/wecom"]
    by_path = {path: (query, body) for path, query, body in receiver.received}
    query, body = by_path["/dingtalk"]
    assert query["access_token"] == ["t"] and query["timestamp"] == [
        str(int(NOW.timestamp() * 1000))
    ]
    assert query["sign"] and body["msgtype"] == "markdown"
    assert VILLAGE in str(by_path["/wecom"][1]["markdown"])
    # Later the same day: the same villages at risk, nothing new to enqueue or send.
    again = operations.run_alerts(
        store, CODE, targets(receiver.port), as_of=WEDNESDAY, now=NOW + timedelta(hours=1)
    )
    assert (again.enqueued, again.sent, again.pending) == (0, 0, 0)
    assert len(receiver.received) == 2
    assert [m.status for m in store.alerts(CODE)] == ["sent", "sent"]


@pytest.mark.parametrize("down", ["refused", "500"])
def test_a_receiver_that_is_down_loses_nothing_and_gets_each_message_once(
    store: Store, down: str
) -> None:
    store.save_layers(stored_spokes())
    port = free_port()
    receiver = None
    if down == "500":
        receiver = Receiver(port)
        receiver.status = 500
    try:
        first = operations.run_alerts(store, CODE, targets(port), as_of=WEDNESDAY, now=NOW)
        assert (first.enqueued, first.sent, first.failed, first.pending) == (2, 0, 2, 2)
        stored = store.alerts(CODE)
        assert [(m.status, m.attempts) for m in stored] == [("pending", 1), ("pending", 1)]
        assert all(m.last_error for m in stored)
        if receiver is None:
            receiver = Receiver(port)
        receiver.status = 200
        # Back up, but the backoff has not passed: nothing is sent yet.
        early = operations.run_alerts(store, CODE, targets(port), as_of=WEDNESDAY, now=NOW)
        assert (early.enqueued, early.sent, early.pending) == (0, 0, 2)
        assert receiver.received == []
        later = NOW + backoff(1)
        back = operations.run_alerts(store, CODE, targets(port), as_of=WEDNESDAY, now=later)
        assert (back.enqueued, back.sent, back.failed, back.pending) == (0, 2, 0, 0)
        assert sorted(path for path, _, _ in receiver.received) == ["/dingtalk", "/wecom"]
        final = operations.run_alerts(
            store, CODE, targets(port), as_of=WEDNESDAY, now=later + timedelta(hours=1)
        )
        assert (final.enqueued, final.sent) == (0, 0) and len(receiver.received) == 2
    finally:
        if receiver is not None:
            receiver.close()


def test_geo_alerts_run_from_the_command_line(tmp_path: Path, receiver: Receiver) -> None:
    from geo.store.geopackage import GeoPackageStore

    store = GeoPackageStore(tmp_path / "geo.gpkg")
    store.save_layers(stored_spokes())
    store.close()
    env = {
        "GEO_GPKG_PATH": str(tmp_path / "geo.gpkg"),
        "GEO_DATABASE_URL": None,
        "GEO_ALERT_TARGETS": json.dumps([t.model_dump() for t in targets(receiver.port)]),
    }
    args = ["alerts", "run", "--as-of", WEDNESDAY.isoformat()]
    done = run_geo(args, env)
    assert done.returncode == 0, done.stderr
    assert "1 villages at risk, 2 enqueued, 2 sent, 0 failed, 0 pending" in done.stdout
    again = run_geo(args, env)
    assert "0 enqueued, 0 sent" in again.stdout and len(receiver.received) == 2
