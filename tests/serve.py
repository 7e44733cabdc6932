"""A real `geo serve` subprocess for the tests that talk to it over HTTP (OWSLib, GDAL, QGIS,
the bombs, the access log, the OsmAnd port): one way to start it, wait for /healthz and stop
it, and the `geo` command line and environment those tests share."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
import uvicorn

from geo.api.app import create_app
from geo.settings import Settings
from tests.conftest import ROOT

#: ``geo`` run by this interpreter (the worktree's venv), as the console script would.
GEO = [sys.executable, "-m", "geo.cli"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gpkg_env(path: Path, *unset: str) -> dict[str, str]:
    """This process's environment with ``geo`` on the GeoPackage ``path``: the PostGIS URL,
    the township and the names in ``unset`` removed."""
    env = {**os.environ, "GEO_GPKG_PATH": str(path)}
    for name in ("GEO_DATABASE_URL", "GEO_TOWNSHIP", *unset):
        env.pop(name, None)
    return env


def run_geo(env: dict[str, str], *args: str, cwd: Path = ROOT, timeout: float = 120) -> str:
    """``geo ARGS`` as a subprocess in ``cwd``; asserts it succeeded and returns its stdout."""
    done = subprocess.run(
        [*GEO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Server(NamedTuple):
    """A running `geo serve` and the headers of a planner's key (QGIS sends it the same way,
    through an "API header" authentication configuration)."""

    url: str
    headers: dict[str, str]


@dataclass
class Serving:
    """A running `geo serve`: its base URL, port and process id; ``log`` holds what it wrote
    to stderr (uvicorn's access lines among it) once it has stopped."""

    url: str
    port: int
    pid: int
    log: str = ""


@contextmanager
def geo_serve(env: dict[str, str], *args: str, wait: float = 60) -> Iterator[Serving]:
    """`geo serve` on a free port of 127.0.0.1 with ``env`` (and any further ``args``),
    yielded once /healthz answers 200 (the test fails if it exits or has not answered within
    ``wait`` seconds), terminated (killed if it does not stop within 20 s) on leaving."""
    port = free_port()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [*GEO, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        serving = Serving(f"http://127.0.0.1:{port}", port, process.pid)

        def log() -> str:
            stderr.seek(0)
            return stderr.read().decode(errors="replace")

        try:
            deadline = time.monotonic() + wait
            while not _healthy(serving.url):
                if process.poll() is not None:
                    pytest.fail(f"geo serve exited: {log()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"geo serve did not answer /healthz within {wait:.0f} s")
                time.sleep(0.1)
            yield serving
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # still busy (a bomb): the test has failed anyway
                process.kill()
                process.wait(timeout=20)
            serving.log = log()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return int(response.status) == 200
    except OSError:
        return False


@contextmanager
def serve_app(settings: Settings) -> Iterator[str]:
    """The app of ``settings`` served by uvicorn in a thread of this process (the browser
    tests, which also read the store directly); its base URL while the block runs."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
