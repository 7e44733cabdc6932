"""Uploads under load on PostGIS, with one PostGIS restart in the middle, in one run.

It starts a PostgreSQL + PostGIS cluster of its own (``scripts/test-postgis.sh`` with
``GEO_TEST_PG_STATE_DIR=var/bench-postgis``; never the cluster ``make test`` uses), makes a
fresh database ``geo_bench`` in it, loads the demo township (layers/xiaozhang), creates one
patrol key per squad and starts ``geo serve`` on loopback in a subprocess, with its default
number of processes (one per CPU on PostGIS; ``--workers`` to choose). Then:

1. **baseline**: one phone uploads serially (one request at a time, no other load);
2. **load**: ``--phones`` simulated phones (default 50) all start at once (the burst of the
   issue) and each uploads 120-fix GPX tracks of the township for ``--seconds`` (default 60),
   waiting ``--think`` seconds (default 10, ±50 %; a real phone sends such a track every few
   minutes) between uploads. Every upload has an Idempotency-Key; a phone retries on 503
   (after ``Retry-After``) and on connection errors with the same key, and re-sends one upload
   in ten on purpose (a lost answer), expecting 200 and the first id. In the middle PostGIS is
   stopped (``pg_ctl stop -m fast``) and started again ``--down`` seconds later;
   ``geo serve`` is not restarted.

It then checks in the database that every acknowledged (2xx) upload is stored exactly once with
all its fixes (no duplicates, acknowledged = stored, nothing half-stored) and prints requests/s,
p50/p95/p99 latency and errors, outside and inside the restart window (a request is inside when
it overlaps the time from the stop to 1 s after the start), the serial baseline and the ratios;
the last line is one JSON object. With ``--before DIR`` (a checkout of the code before a change,
e.g. ``git archive main geo | tar -x -C /tmp/geo-before``) the same load runs first against
that code, on a fresh database, and the ratios compare the two.

The cluster listens on ``--pg-port`` (default 25439), below Linux's ephemeral port range: while
PostGIS is down the pool keeps connecting to its port, and a port inside that range can be
handed to such a connection as its own (a TCP self-connect), which then holds it and the
restart fails ("Address already in use").

Loopback only, bounded (it stops by itself: uploads stop at ``--seconds``, retries get a grace of
``--grace`` seconds), and it stops the server and the cluster it started.

Usage::

    make bench-load                      # 50 phones, 60 s
    .venv/bin/python bench/load.py --quick
    .venv/bin/python bench/load.py --phones 50 --seconds 60 --before /tmp/geo-before
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

SCRIPT = ROOT / "scripts" / "test-postgis.sh"
FIXES_PER_UPLOAD = 120
DATABASE = "geo_bench"


# --------------------------------------------------------------------------- cluster


@dataclass
class Cluster:
    """The bench's own PostgreSQL cluster, driven by scripts/test-postgis.sh."""

    state_dir: Path
    port: int

    def _run(self, command: str) -> str:
        env = {
            **os.environ,
            "GEO_TEST_PG_PORT": str(self.port),
            "GEO_TEST_PG_STATE_DIR": str(self.state_dir),
        }
        done = subprocess.run(
            ["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"bench/load.py: test-postgis.sh {command} failed:\n{done.stderr}")
        return done.stdout.strip()

    def start(self) -> str:
        return self._run("start").splitlines()[-1]

    def stop(self) -> None:
        self._run("stop")


def fresh_database(admin_url: str) -> str:
    """Drop and create ``geo_bench`` (PostGIS, schema at head); its URL."""
    from sqlalchemy import create_engine, text

    from geo.store.migrate import upgrade

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    upgrade(url)
    return url


def provision(url: str) -> tuple[str, dict[str, str]]:
    """Load the demo township and create one patrol key per squad: (township, squad → token)."""
    from geo import access, operations
    from geo.keys import Role
    from geo.store.postgis import PostGISStore

    store = PostGISStore(url)
    try:
        layers = operations.import_layers_dir(store, ROOT / "layers" / "xiaozhang")
        tokens = {
            squad: access.create_key(store, role=Role.PATROL, name=f"bench {squad}", squad=squad)[0]
            for squad in layers.squads()
        }
    finally:
        store.close()
    return layers.info.code, tokens


# --------------------------------------------------------------------------- tracks


@dataclass(frozen=True)
class Window:
    """120 consecutive fixes of one simulated patrol (seconds since its start, lon, lat)."""

    squad: str
    start: np.datetime64
    seconds: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


def windows_by_squad() -> dict[str, list[Window]]:
    """120-fix pieces of a simulated week of the demo township, by squad."""
    from geo.layers import read_layers_dir
    from geo.simulate import WeekPlan, simulate_week
    from geo.weeks import IsoWeek

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    found: dict[str, list[Window]] = {}
    for track in simulate_week(layers, IsoWeek(2026, 47), WeekPlan(seed=7)):
        f = track.fixes
        times = f["time"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        for i in range(0, len(f) - FIXES_PER_UPLOAD + 1, FIXES_PER_UPLOAD):
            t = times[i : i + FIXES_PER_UPLOAD]
            found.setdefault(track.squad, []).append(
                Window(
                    squad=track.squad,
                    start=t[0],
                    seconds=(t - t[0]) / np.timedelta64(1, "s"),
                    lon=f["lon"].to_numpy()[i : i + FIXES_PER_UPLOAD],
                    lat=f["lat"].to_numpy()[i : i + FIXES_PER_UPLOAD],
                )
            )
    return found


def gpx(window: Window, shift_s: int) -> bytes:
    """The window as a GPX 1.1 file, its times moved by ``shift_s`` seconds (a new file)."""
    start = window.start + np.timedelta64(shift_s, "s")
    times = start + (window.seconds * 1000).astype("timedelta64[ms]")
    points = "".join(
        f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><time>{str(t)[:23]}Z</time></trkpt>'
        for lo, la, t in zip(window.lon, window.lat, times, strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="bench" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        f"{points}</trkseg></trk></gpx>"
    ).encode()


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``geo serve`` in a subprocess, from ``source`` (this checkout unless given)."""

    url: str
    source: Path
    log: Path
    workers: int = 0
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "GEO_DATABASE_URL": self.url,
            "PYTHONPATH": str(self.source),
            "GEO_LAYERS_DIR": str(ROOT / "layers" / "xiaozhang"),
        }
        command = [sys.executable, "-c", "from geo.cli import main; main()", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers:
            command += ["--workers", str(self.workers)]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=out, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"geo serve exited; see {self.log}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"geo serve did not become ready in 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --------------------------------------------------------------------------- phones


@dataclass(frozen=True)
class Attempt:
    """One HTTP request: when it started and ended (monotonic), its status (0: no answer)."""

    start: float
    end: float
    status: int


@dataclass
class Run:
    """What the phones saw."""

    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # idempotency key → upload id
    fixes_of: dict[str, int] = field(default_factory=dict)  # idempotency key → fixes sent
    duplicates_ok: int = 0
    duplicates_wrong: int = 0
    unexpected: list[str] = field(default_factory=list)
    gave_up: int = 0
    down: tuple[float, float] | None = None


async def send(
    client: httpx.AsyncClient,
    run: Run,
    *,
    token: str,
    squad: str,
    device: str,
    key: str,
    body: bytes,
    give_up_at: float,
) -> dict[str, Any] | None:
    """POST one upload until it is answered 2xx (retrying 503 and lost connections)."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": key,
        "Content-Type": "application/gpx+xml",
    }
    params = {"squad": squad, "device": device, "filename": f"{key}.gpx"}
    while True:
        start = time.monotonic()
        wait = 0.5
        try:
            answer = await client.post(
                "/api/v1/tracks", params=params, content=body, headers=headers
            )
        except httpx.HTTPError:
            run.attempts.append(Attempt(start, time.monotonic(), 0))
        else:
            run.attempts.append(Attempt(start, time.monotonic(), answer.status_code))
            if answer.status_code in (200, 201):
                result: dict[str, Any] = answer.json()
                return result
            if answer.status_code != 503:
                run.unexpected.append(f"{answer.status_code} {answer.text[:200]}")
                return None
            if "retry-after" not in answer.headers:
                run.unexpected.append("503 without Retry-After")
            wait = min(float(answer.headers.get("retry-after", 1)), 2.0)
        if time.monotonic() + wait > give_up_at:
            run.gave_up += 1
            return None
        await asyncio.sleep(wait * random.uniform(0.5, 1.0))


async def phone(
    client: httpx.AsyncClient,
    run: Run,
    *,
    number: int,
    squad: str,
    token: str,
    windows: list[Window],
    tag: str,
    stop_at: float,
    give_up_at: float,
    think: float,
) -> None:
    rng = random.Random(number)
    device = f"phone-{number:02d}"
    k = 0
    while time.monotonic() < stop_at:
        window = windows[(number + k) % len(windows)]
        key = f"{tag}:{device}:{k}"
        body = gpx(window, shift_s=number * 10_000 + k * 3 * 3600)
        first = await send(
            client,
            run,
            token=token,
            squad=squad,
            device=device,
            key=key,
            body=body,
            give_up_at=give_up_at,
        )
        if first is not None:
            run.acknowledged[key] = int(first["id"])
            run.fixes_of[key] = FIXES_PER_UPLOAD
            if rng.random() < 0.1:  # the answer was "lost": the phone sends it again
                again = await send(
                    client,
                    run,
                    token=token,
                    squad=squad,
                    device=device,
                    key=key,
                    body=body,
                    give_up_at=give_up_at,
                )
                if again is not None and again["id"] == first["id"] and again["duplicate"]:
                    run.duplicates_ok += 1
                elif again is not None:
                    run.duplicates_wrong += 1
        k += 1
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def load(
    base: str,
    tokens: dict[str, str],
    windows: dict[str, list[Window]],
    *,
    phones: int,
    seconds: float,
    think: float,
    grace: float,
    restart: Cluster | None,
    down: float,
    tag: str,
) -> Run:
    run = Run()
    squads = sorted(tokens)
    limits = httpx.Limits(max_connections=phones + 5, max_keepalive_connections=phones + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        begin = time.monotonic()
        stop_at = begin + seconds
        tasks = [
            asyncio.create_task(
                phone(
                    client,
                    run,
                    number=n,
                    squad=squads[n % len(squads)],
                    token=tokens[squads[n % len(squads)]],
                    windows=windows[squads[n % len(squads)]],
                    tag=tag,
                    stop_at=stop_at,
                    give_up_at=stop_at + grace,
                    think=think,
                )
            )
            for n in range(phones)
        ]
        if restart is not None:
            await asyncio.sleep(seconds / 2)
            t0 = time.monotonic()
            await asyncio.to_thread(restart.stop)
            await asyncio.sleep(down)
            await asyncio.to_thread(restart.start)
            run.down = (t0, time.monotonic() + 1.0)
        await asyncio.gather(*tasks)
    return run


async def serial(base: str, token: str, squad: str, windows: list[Window], n: int) -> Run:
    run = Run()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for k in range(-2, n):  # two uploads to warm up (imports, compiled kernels), not counted
            if k == 0:
                run.attempts.clear()
            key = f"serial:{k}"
            # Moved back 10 to 14 days, never ahead of the server's clock (refused: 422).
            body = gpx(windows[k % len(windows)], shift_s=-(900_000 + (k + 2) * 3 * 3600))
            got = await send(
                client,
                run,
                token=token,
                squad=squad,
                device="phone-serial",
                key=key,
                body=body,
                give_up_at=time.monotonic() + 30,
            )
            if got is not None:
                run.acknowledged[key] = int(got["id"])
                run.fixes_of[key] = FIXES_PER_UPLOAD
    return run


# --------------------------------------------------------------------------- checks, figures


def check_store(url: str, runs: list[Run]) -> dict[str, int]:
    """Acknowledged = stored, exactly once, with all fixes and segments."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT u.idempotency_key, u.id, "
                "(SELECT count(*) FROM fixes f WHERE f.upload_id = u.id) AS fixes, "
                "(SELECT count(*) FROM patrol_tracks p WHERE p.upload_id = u.id) AS segments, "
                "(u.report ->> 'segments')::int AS report_segments "
                "FROM track_uploads u"
            )
        ).all()
        orphans = conn.scalar(
            text(
                "SELECT (SELECT count(*) FROM fixes f WHERE NOT EXISTS "
                "(SELECT 1 FROM track_uploads u WHERE u.id = f.upload_id)) + "
                "(SELECT count(*) FROM patrol_tracks p WHERE NOT EXISTS "
                "(SELECT 1 FROM track_uploads u WHERE u.id = p.upload_id))"
            )
        )
    engine.dispose()
    acknowledged = {k: v for r in runs for k, v in r.acknowledged.items()}
    by_key: dict[str, list[int]] = {}
    for row in stored:
        by_key.setdefault(row.idempotency_key, []).append(row.id)
    fixes_of = {k: v for r in runs for k, v in r.fixes_of.items()}
    return {
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "acknowledged_not_stored": sum(1 for k, i in acknowledged.items() if by_key.get(k) != [i]),
        "stored_not_acknowledged": sum(1 for k in by_key if k not in acknowledged),
        "duplicates": sum(len(ids) - 1 for ids in by_key.values()),
        "half_stored": sum(
            1
            for row in stored
            if row.fixes != fixes_of.get(row.idempotency_key, row.fixes)
            or row.segments != row.report_segments
        )
        + int(orphans or 0),
    }


def figures(attempts: list[Attempt], seconds: float | None = None) -> dict[str, float]:
    if not attempts:
        return {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "errors": 0}
    lat = np.array([a.end - a.start for a in attempts])
    span = seconds or (max(a.end for a in attempts) - min(a.start for a in attempts))
    return {
        "requests": len(attempts),
        "rps": round(len(attempts) / span, 2) if span > 0 else 0.0,
        "p50": round(float(np.percentile(lat, 50)), 3),
        "p95": round(float(np.percentile(lat, 95)), 3),
        "p99": round(float(np.percentile(lat, 99)), 3),
        "errors": sum(1 for a in attempts if a.status not in (200, 201)),
    }


def split(run: Run) -> tuple[list[Attempt], list[Attempt]]:
    if run.down is None:
        return run.attempts, []
    a, b = run.down
    inside = [x for x in run.attempts if x.end >= a and x.start <= b]
    outside = [x for x in run.attempts if not (x.end >= a and x.start <= b)]
    return outside, inside


def one_pass(
    label: str,
    source: Path,
    cluster: Cluster,
    admin_url: str,
    windows: dict[str, list[Window]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    url = fresh_database(admin_url)
    township, tokens = provision(url)
    server = Server(
        url=url, source=source, log=ROOT / "var" / f"bench-load-{label}.log", workers=args.workers
    )
    print(
        f"[{label}] geo serve from {source} on {server.base}, township {township}", file=sys.stderr
    )
    server.start()
    try:
        squad = sorted(tokens)[0]
        base_run = asyncio.run(
            serial(server.base, tokens[squad], squad, windows[squad], args.serial)
        )
        print(
            f"[{label}] serial baseline done; {args.phones} phones for {args.seconds:.0f} s",
            file=sys.stderr,
        )
        run = asyncio.run(
            load(
                server.base,
                tokens,
                windows,
                phones=args.phones,
                seconds=args.seconds,
                think=args.think,
                grace=args.grace,
                restart=cluster,
                down=args.down,
                tag=label,
            )
        )
        alive = server.process is not None and server.process.poll() is None
    finally:
        server.stop()
    checks = check_store(url, [base_run, run])
    outside, inside = split(run)
    duration = max(a.end for a in run.attempts) - min(a.start for a in run.attempts)
    down = run.down[1] - run.down[0] if run.down else 0.0
    return {
        "serial": figures(base_run.attempts),
        "all": figures(run.attempts, duration),
        "outside": figures(outside, duration - down),
        "inside": figures(inside, down or None),
        "inside_status": {
            str(s): sum(1 for a in inside if a.status == s)
            for s in sorted({a.status for a in inside})
        },
        "duplicates_answered_200": run.duplicates_ok,
        "duplicates_wrong": run.duplicates_wrong,
        "unexpected": run.unexpected[:5],
        "unexpected_count": len(run.unexpected),
        "gave_up": run.gave_up,
        "server_survived": alive,
        "store": checks,
    }


def table(results: dict[str, dict[str, Any]]) -> None:
    names = ("code", "window", "requests", "req/s", "p50 s", "p95 s", "p99 s", "errors")
    print(" ".join(f"{n:>{w}}" for n, w in zip(names, (7, 9, 9, 7, 7, 7, 7, 7), strict=True)))
    for label, r in results.items():
        for window in ("serial", "outside", "inside", "all"):
            f = r[window]
            print(
                f"{label:>7} {window:>9} {f['requests']:>9} {f['rps']:>7.1f} {f['p50']:>7.3f} "
                f"{f['p95']:>7.3f} {f['p99']:>7.3f} {f['errors']:>7}"
            )
    for label, r in results.items():
        s = r["store"]
        print(
            f"{label}: acknowledged {s['acknowledged']}, stored {s['stored']}, duplicates "
            f"{s['duplicates']}, acknowledged not stored {s['acknowledged_not_stored']}, stored "
            f"not acknowledged {s['stored_not_acknowledged']}, half-stored {s['half_stored']}; "
            f"deliberate duplicates answered 200 {r['duplicates_answered_200']} "
            f"(wrong {r['duplicates_wrong']}); inside the restart {r['inside_status']}; "
            f"unexpected answers {r['unexpected_count']} {r['unexpected']}; gave up {r['gave_up']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--think", type=float, default=10.0, help="mean pause between a phone's uploads"
    )
    parser.add_argument("--down", type=float, default=3.0, help="seconds PostGIS stays stopped")
    parser.add_argument("--grace", type=float, default=30.0, help="retries after --seconds")
    parser.add_argument("--serial", type=int, default=30, help="uploads of the serial baseline")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="geo serve --workers (0: its default, one per CPU on PostGIS)",
    )
    parser.add_argument("--quick", action="store_true", help="10 phones for 15 s")
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument(
        "--pg-port", type=int, default=int(os.environ.get("GEO_BENCH_PG_PORT", 25439))
    )
    parser.add_argument("--pg-dir", type=Path, default=ROOT / "var" / "bench-postgis")
    args = parser.parse_args()
    if args.quick:
        args.phones, args.seconds, args.serial, args.grace = 10, 15.0, 10, 20.0
    if args.pg_port == 55432:
        raise SystemExit("bench/load.py restarts its cluster: use a port other than 55432")

    cluster = Cluster(args.pg_dir.resolve(), args.pg_port)
    admin_url = cluster.start()
    windows = windows_by_squad()
    results: dict[str, dict[str, Any]] = {}
    try:
        if args.before is not None:
            results["before"] = one_pass(
                "before", args.before.resolve(), cluster, admin_url, windows, args
            )
        results["after"] = one_pass("after", ROOT, cluster, admin_url, windows, args)
    finally:
        cluster.stop()

    table(results)
    after = results["after"]
    ratios: dict[str, float] = {
        "p95_outside_over_serial_p95": round(
            after["outside"]["p95"] / max(after["serial"]["p95"], 1e-9), 2
        ),
    }
    if "before" in results:
        before = results["before"]
        ratios["before_over_after_p50_outside"] = round(
            before["outside"]["p50"] / max(after["outside"]["p50"], 1e-9), 2
        )
        ratios["before_over_after_p95_outside"] = round(
            before["outside"]["p95"] / max(after["outside"]["p95"], 1e-9), 2
        )
        ratios["after_over_before_rps_outside"] = round(
            after["outside"]["rps"] / max(before["outside"]["rps"], 1e-9), 2
        )
    for name, value in ratios.items():
        print(f"ratio {name}: {value}")
    ok = all(
        r["store"]["duplicates"] == 0
        and r["store"]["acknowledged_not_stored"] == 0
        and r["store"]["half_stored"] == 0
        and r["unexpected_count"] == 0
        for r in results.values()
    )
    summary = {
        "phones": args.phones,
        "seconds": args.seconds,
        "think_s": args.think,
        "fixes_per_upload": FIXES_PER_UPLOAD,
        "cpus": os.cpu_count(),
        "results": results,
        "ratios": ratios,
        "p95_outside_under_1s": after["outside"]["p95"] < 1.0,
        "consistent": ok,
    }
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
