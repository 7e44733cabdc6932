"""Four bombs sent at once to a real `geo serve` (GeoPackage store): each is refused with a
413/422 problem, nothing is stored, /healthz keeps answering and the server's peak memory
(VmHWM) stays under 1 GB.

The bombs: a gzip file of ~2 GB unpacked, a KMZ whose .kml unpacks to 300 MB, a chunked
multipart upload of 400 MB generated on the fly (never held by the test), and a CSV with
100,000 columns. Bounded: each request has a timeout and the whole test takes well under a
minute on an idle machine.
"""

from __future__ import annotations

import gzip
import io
import json
import select
import socket
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import LAYERS_DIR
from tests.serve import geo_serve, gpkg_env, run_geo

GB = 1024**3
MB = 1024**2
_TRKPT = b'<trkpt lat="28.1500" lon="109.9000"><time>2026-11-18T01:00:00Z</time></trkpt>\n'


class Server(NamedTuple):
    url: str
    port: int
    pid: int
    token: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("bombs")
    env = gpkg_env(tmp / "geo.gpkg")
    run_geo(env, "layers", "load", str(LAYERS_DIR))
    token = run_geo(env, "keys", "create", "--role", "admin").strip()
    with geo_serve(env) as serving:
        yield Server(serving.url, serving.port, serving.pid, token)


def gzip_bomb(unpacked: int) -> bytes:
    """gzip members of 1 MB of track points each: ``unpacked`` bytes from a few MB."""
    block = (_TRKPT * (MB // len(_TRKPT) + 1))[:MB]
    member = gzip.compress(block, compresslevel=9)
    return member * (unpacked // MB)


def kmz_bomb(unpacked: int) -> bytes:
    """A KMZ whose doc.kml unpacks to ``unpacked`` bytes of coordinates (written in chunks)."""
    head = b'<?xml version="1.0"?><kml><Placemark><LineString><coordinates>\n'
    block = b"109.9000,28.1500,0 " * (MB // 19)
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("doc.kml", "w", force_zip64=True) as member,
    ):
        member.write(head)
        for _ in range(unpacked // len(block)):
            member.write(block)
        member.write(b"</coordinates></LineString></Placemark></kml>\n")
    return buf.getvalue()


def wide_csv(columns: int) -> bytes:
    """A header and two rows of ``columns`` columns (889 KB for 100,000)."""
    header = ",".join(f"c{i}" for i in range(columns))
    row = ",".join("1" for _ in range(columns))
    return f"{header}\n{row}\n{row}\n".encode()


def _part(boundary: str, filename: str, data: bytes) -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


def multipart_chunks(total: int, boundary: str) -> Iterator[bytes]:
    """A multipart form whose one file part holds ``total`` bytes of GPX, 1 MB at a time."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.gpx"\r\n'
        "Content-Type: application/gpx+xml\r\n\r\n<gpx><trk><trkseg>\n"
    ).encode()
    block = (_TRKPT * (MB // len(_TRKPT) + 1))[:MB]
    for _ in range(total // MB):
        yield block
    yield f"</trkseg></trk></gpx>\r\n--{boundary}--\r\n".encode()


def post_streaming(
    server: Server, path: str, content_type: str, chunks: Iterable[bytes], *, chunked: bool
) -> tuple[int, dict[str, object], int]:
    """POST a body chunk by chunk over a raw socket, reading the answer as soon as the server
    sends one (a server that refuses early stops reading; a client that kept writing would
    only see a reset). Returns (status, problem, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Type: {content_type}\r\n"
    )
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    else:
        chunks = [b"".join(chunks)]
        head += f"Content-Length: {len(chunks[0])}\r\n"
    sent = 0
    try:
        sock.sendall((head + "\r\n").encode())
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered before the body ended
            frame = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not _complete(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
    head_text, _, body = answer.partition(b"\r\n\r\n")
    status = int(head_text.split()[1])
    assert b"application/problem+json" in head_text, head_text
    return status, json.loads(_dechunk(head_text, body)), sent


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return body.endswith(b"0\r\n\r\n")


def _dechunk(head: bytes, body: bytes) -> bytes:
    if b"transfer-encoding: chunked" not in head.lower():
        return body
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_four_bombs_at_once_are_refused_within_1_gb(server: Server) -> None:
    gz = gzip_bomb(2 * GB)
    kmz = kmz_bomb(300 * MB)
    csv = wide_csv(100_000)
    boundary = "bomb-boundary-7d1f"
    uploads = "/api/v1/tracks?squad=squad-01"
    form = f"multipart/form-data; boundary={boundary}"

    def send(name: str, data: bytes) -> tuple[int, dict[str, object], int]:
        return post_streaming(server, uploads, form, [_part(boundary, name, data)], chunked=False)

    bombs = {
        "gzip": lambda: send("track.gpx.gz", gz),
        "kmz": lambda: send("track.kmz", kmz),
        "multipart": lambda: post_streaming(
            server, uploads, form, multipart_chunks(400 * MB, boundary), chunked=True
        ),
        "csv": lambda: send("wide.csv", csv),
    }
    results: dict[str, tuple[int, dict[str, object], int]] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            results[name] = bombs[name]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in bombs]
    health: list[int] = []
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
                health.append(response.status)
        except (urllib.error.URLError, OSError):
            health.append(0)
        time.sleep(0.2)
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors

    for name, (status, problem, _sent) in results.items():
        assert status in (413, 422), (name, problem)
        assert problem["status"] == status and problem["detail"], (name, problem)
    assert "limit" in str(results["gzip"][1]["detail"])
    assert "100,000 columns; the limit is 256" in str(results["csv"][1]["detail"])
    # The multipart body was refused as it streamed, not after 400 MB arrived.
    assert results["multipart"][2] < 100 * MB
    assert health and all(code == 200 for code in health), health
    peak = peak_rss(server.pid)
    print(f"server peak RSS {peak / MB:.0f} MB; /healthz answered {len(health)} times")
    assert peak < GB, f"peak RSS {peak / MB:.0f} MB"

    request = urllib.request.Request(
        f"{server.url}/api/v1/tracks", headers={"Authorization": f"Bearer {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read()) == []
