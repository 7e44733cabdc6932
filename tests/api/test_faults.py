"""Faults: PostGIS stopped and started under a burst of uploads to a running ``geo serve``.

The test runs a PostgreSQL cluster of its own (``scripts/test-postgis.sh`` in a temporary
folder, on a free port below the ephemeral range), never the one the other tests use. While
PostGIS is down, uploads are answered 503 with Retry-After; after it is back, the same
``geo serve`` answers again (no restart), every upload acknowledged (2xx) is stored exactly
once with all its fixes, and nothing is half-stored. Skipped where PostgreSQL is not
installed, except in CI (``make test`` installs it).
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from geo import access
from geo.keys import Role
from geo.layers import TownshipLayers
from tests.conftest import IN_CI
from tests.storage.test_store import village_track_gpx

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test-postgis.sh"
PG_CTL = Path("/usr/lib/postgresql/15/bin/pg_ctl")
POSTGIS = Path("/usr/share/postgresql/15/extension/postgis.control")
PHONES, UPLOADS_EACH = 6, 5


def _free_port(low: int = 20000, high: int = 32000) -> int:
    """A free port below Linux's ephemeral range: a client retrying a stopped server's port
    in that range can be given the port itself and hold it, and the restart then fails."""
    for port in random.sample(range(low, high), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


@dataclass
class Cluster:
    state_dir: Path
    port: int

    def run(self, command: str) -> str:
        env = {
            **os.environ,
            "GEO_TEST_PG_PORT": str(self.port),
            "GEO_TEST_PG_STATE_DIR": str(self.state_dir),
        }
        done = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Cluster, str]]:
    if not IN_CI and not (PG_CTL.exists() and POSTGIS.exists()):
        pytest.skip("PostgreSQL 15 and PostGIS are not installed here (CI installs them)")
    parent = Path(tempfile.mkdtemp(prefix="geo-faults-"))
    parent.chmod(0o755)  # the postgres user must reach the data folder when we run as root
    own = Cluster(parent / "pg", _free_port())
    try:
        url = own.run("start").splitlines()[-1]
        from geo.store.migrate import upgrade

        upgrade(url)
        yield own, url
    finally:
        own.run("stop")
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def serve(
    cluster: tuple[Cluster, str], demo_layers: TownshipLayers, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """``geo serve`` on the cluster: its base URL and an admin token."""
    from geo.store.postgis import PostGISStore

    _, url = cluster
    store = PostGISStore(url)
    store.save_layers(demo_layers)
    token, _ = access.create_key(store, role=Role.ADMIN, name="faults")
    store.close()
    port = _free_port(40000, 60000)
    log = tmp_path / "serve.log"
    env = {**os.environ, "GEO_DATABASE_URL": url}
    command = [sys.executable, "-c", "from geo.cli import main; main()", "serve"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=out,
            cwd=tmp_path,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(f"geo serve did not start: {log.read_text()}")
        yield base, token
        assert process.poll() is None, "geo serve died"
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Seen:
    statuses: list[int] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)
    retry_after: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _upload(base: str, token: str, key: str, body: bytes, seen: Seen) -> None:
    """Send until acknowledged, as a phone does: retry on 503 and lost connections."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            answer = httpx.post(
                f"{base}/api/v1/tracks?squad=squad-01&device={key}",
                content=body,
                headers=headers,
                timeout=30,
            )
        except httpx.HTTPError:
            with seen.lock:
                seen.statuses.append(0)
            time.sleep(0.3)
            continue
        with seen.lock:
            seen.statuses.append(answer.status_code)
            if answer.status_code == 503:
                seen.retry_after.append(answer.headers.get("retry-after", ""))
        if answer.status_code in (200, 201):
            with seen.lock:
                seen.acknowledged[key] = answer.json()["id"]
            return
        assert answer.status_code == 503, answer.text
        time.sleep(0.3)
    pytest.fail(f"upload {key} was never acknowledged")


def test_postgis_restart_during_a_burst(
    cluster: tuple[Cluster, str], serve: tuple[str, str], demo_layers: TownshipLayers
) -> None:
    own, url = cluster
    base, token = serve
    seen = Seen()
    work = [
        (f"phone{p}-{k}", village_track_gpx(demo_layers, start=f"2026-11-{16 + p} {8 + k}:00"))
        for p in range(PHONES)
        for k in range(UPLOADS_EACH)
    ]
    with ThreadPoolExecutor(PHONES) as phones:
        futures = [phones.submit(_upload, base, token, key, body, seen) for key, body in work]
        while len(seen.acknowledged) < 4:
            time.sleep(0.05)
        own.run("stop")
        try:
            # While it is down: a 503 problem with Retry-After, not a 500 or a hang.
            down = httpx.post(
                f"{base}/api/v1/tracks?squad=squad-01",
                content=work[0][1],
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            time.sleep(1.0)
        finally:
            own.run("start")
        for future in futures:
            future.result()
    assert down.status_code == 503, down.text
    assert down.headers["content-type"] == "application/problem+json"
    assert int(down.headers.get("retry-after", "0")) > 0

    assert set(seen.statuses) <= {0, 200, 201, 503}, seen.statuses  # never a 500
    assert all(int(v) > 0 for v in seen.retry_after)
    # The same geo serve answers again, without a restart.
    assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT u.idempotency_key, u.id, (u.report ->> 'fixes_read')::int AS read, "
                "(u.report ->> 'segments')::int AS segments, "
                "(SELECT count(*) FROM fixes f WHERE f.upload_id = u.id) AS fixes, "
                "(SELECT count(*) FROM patrol_tracks p WHERE p.upload_id = u.id) AS lines "
                "FROM track_uploads u"
            )
        ).all()
        orphans = conn.scalar(
            text(
                "SELECT count(*) FROM fixes f WHERE NOT EXISTS "
                "(SELECT 1 FROM track_uploads u WHERE u.id = f.upload_id)"
            )
        )
    engine.dispose()
    by_key = {r.idempotency_key: r for r in stored}
    assert len(by_key) == len(stored), "an idempotency key stored twice"
    assert len(seen.acknowledged) == len(work)
    assert {k: by_key[k].id for k in seen.acknowledged} == seen.acknowledged  # acked = stored
    assert set(by_key) == set(seen.acknowledged)  # exactly once, nothing else
    for row in stored:  # nothing half-stored
        assert row.fixes == row.read == 240 and row.lines == row.segments, row
    assert orphans == 0
