"""Request ids on every answer and in the log; an unexpected error is logged once, with the id
and the traceback, and answered as a 500 problem without internals."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.api.request_id import RequestIdFilter, log_config
from geo.settings import LayerSettings, Settings, StoreSettings
from tests.conftest import ROOT

SECRET = "connection string postgresql://geo:hunter2@db/geo"


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    settings = Settings(
        store=StoreSettings(database_url=None, gpkg_path=tmp_path / "empty.gpkg"),
        layers=LayerSettings(township=None),
    )
    app = create_app(settings)

    def boom() -> None:
        raise RuntimeError(SECRET)

    def logs() -> dict[str, str]:
        logging.getLogger("geo.api.test").warning("inside the request")
        return {"status": "ok"}

    def boom_at(anything: str) -> None:
        raise RuntimeError(f"no {anything}")

    app.add_api_route("/boom", boom)
    app.add_api_route("/boom/{anything}", boom_at)
    app.add_api_route("/logs", logs)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    handler = _Records()
    logger = logging.getLogger("geo")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def test_every_answer_has_a_request_id(client: TestClient) -> None:
    ids = set()
    for path in ("/healthz", "/readyz", "/api/v1/coverage/2026-W99", "/nowhere", "/openapi.json"):
        response = client.get(path)
        rid = response.headers["X-Request-ID"]
        assert len(rid) == 32 and rid.isalnum()
        ids.add(rid)
    assert len(ids) == 5


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("phone-01.2026-11-18_0001", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("two words", False),
        ("semi;colon", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_a_sane_incoming_id_is_kept(client: TestClient, sent: str, kept: bool) -> None:
    rid = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert (rid == sent) is kept
    assert len(rid) <= 64


def test_problems_name_their_request(client: TestClient) -> None:
    for path, status in (("/api/v1/coverage/2026-W99", 401), ("/no/such/route", 404)):
        response = client.get(path, headers={"X-Request-ID": f"req-{status}"})
        assert response.status_code == status
        assert response.json()["request_id"] == f"req-{status}"
        assert response.headers["X-Request-ID"] == f"req-{status}"


def test_log_lines_of_a_request_carry_its_id(
    client: TestClient, records: list[logging.LogRecord]
) -> None:
    client.get("/logs", headers={"X-Request-ID": "req-log"})
    mine = [r for r in records if r.name == "geo.api.test"]
    assert [r.request_id for r in mine] == ["req-log"]  # type: ignore[attr-defined]
    logging.getLogger("geo.api.test").warning("outside")
    assert records[-1].request_id == "-"  # type: ignore[attr-defined]


def test_unexpected_error_is_logged_once_and_answered_without_internals(
    client: TestClient, records: list[logging.LogRecord]
) -> None:
    response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["X-Request-ID"] == "req-500"
    body = response.json()
    assert body["request_id"] == "req-500" and body["type"] == "/problems/internal"
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    errors = [r for r in records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "req-500" in errors[0].getMessage()
    assert errors[0].request_id == "req-500"  # type: ignore[attr-defined]
    assert errors[0].exc_info is not None and SECRET in str(errors[0].exc_info[1])


def test_served_log_lines_carry_the_request_id(tmp_path: Path) -> None:
    """``geo serve``'s logging: the access line of a request names its id."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "GEO_GPKG_PATH": str(tmp_path / "geo.gpkg"),
        "GEO_PORT": str(port),
    }
    env.pop("GEO_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "geo.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(
                    urllib.request.Request(
                        f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "req-served"}
                    ),
                    timeout=2,
                ) as answer:
                    assert answer.headers["X-Request-ID"] == "req-served"
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    access = [line for line in stderr.splitlines() if "GET /healthz" in line]
    assert len(access) == 1 and "[req-served]" in access[0], stderr


FORGED = "2026-11-30 10:00:00,000 INFO [-] geo.api: forged"


def test_a_line_break_in_a_path_cannot_forge_a_log_line(app: FastAPI) -> None:
    """A ``%0a`` in a path (decoded by the server) is logged as ``%0A``; with ``geo serve``'s
    formatter the record is one line and its traceback lines are indented."""
    import io

    config = log_config()
    formatter = config["formatters"]["default"]["()"](config["formatters"]["default"]["fmt"])
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("geo")
    logger.addHandler(handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            path = "/boom/x%0a" + FORGED.replace(" ", "%20").replace("[", "%5B").replace("]", "%5D")
            assert client.get(path).status_code == 500
            logging.getLogger("geo.api.test").warning("text from a request:\n%s", FORGED)
    finally:
        logger.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert not [line for line in lines if line.startswith(FORGED[:19])], out.getvalue()
    records = [line for line in lines if not line.startswith(" ")]
    assert len(records) == 2, out.getvalue()
    assert "unexpected error on GET /boom/x%0A2026-11-30" in records[0]
    assert records[1].endswith("text from a request:\\n" + FORGED)
    assert any("RuntimeError: no x" in line for line in lines)
