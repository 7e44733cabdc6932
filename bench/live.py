"""Phones sending live positions with their own apps' protocols, under load, in one run.

It makes a fresh PostGIS database (``--database``, default ``geo_live``) in the cluster of
``--admin-url`` (or starts the bench's own cluster, as bench/load.py does, when none is given),
loads the demo township, registers one device per simulated phone and starts ``geo serve`` on
loopback in a subprocess (its default number of processes: one per CPU on PostGIS). Then
``--phones`` phones (default 50) of **each** protocol send for ``--seconds`` (default 60):

- ``osmand``: the OsmAnd app's online-tracking GET (one fix a request, ``/api/v1/osmand``);
- ``traccar``: Traccar Client 9's JSON, a flushed buffer of ``--buffer`` fixes (default 5) a
  request (``POST /api/v1/osmand``);
- ``owntracks``: an OwnTracks location message with Basic auth (``/api/v1/owntracks``);
- ``gpslogger``: GPSLogger's custom-URL GET with Basic auth (``/api/v1/gpslogger``).

Each phone waits ``--interval`` seconds (default 10, ±50 %) between requests, re-sends one
request in ten on purpose (a lost answer: it must be stored once), and retries a 503 after
``Retry-After`` and a connection error, with the same request. Fixes ride the township's roads
at 5 s steps, dated a few hours back.

It then counts in the database that every fix acknowledged (200, and for Traccar Client no
``X-Geo-Refused``) is stored exactly once (no duplicates, nothing acknowledged missing) and
prints, per protocol, requests, req/s, p50/p95/p99 latency and errors; the last line is one
JSON object.

Loopback only, bounded (requests stop at ``--seconds``, retries get ``--grace`` seconds), and
it stops the server (and the cluster, when it started one) by itself.

Usage::

    .venv/bin/python bench/live.py --quick
    .venv/bin/python bench/live.py --admin-url postgresql+psycopg://geo@127.0.0.1:55432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_load", Path(__file__).with_name("load.py"))
assert _spec is not None and _spec.loader is not None
load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load
_spec.loader.exec_module(load)  # also puts ROOT first on sys.path

KINDS = ("osmand", "traccar", "owntracks", "gpslogger")
STEP_S = 5


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database ``name`` (PostGIS, schema at head); its URL."""
    from sqlalchemy import create_engine, text

    from geo.store.migrate import upgrade

    if not name.replace("_", "").isalnum():
        raise SystemExit(f"bench/live.py: --database {name!r} is not a plain name")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    upgrade(url)
    return url


@dataclass
class Phone:
    """One simulated phone: its protocol, device id, and the road it rides."""

    kind: str
    device_id: str
    public_id: str
    road: list[tuple[float, float]]
    start: datetime
    k: int = 0
    acknowledged: set[str] = field(default_factory=set)

    def fixes(self, n: int) -> list[tuple[datetime, float, float]]:
        out = []
        for _ in range(n):
            lon, lat = self.road[self.k % len(self.road)]
            out.append((self.start + timedelta(seconds=STEP_S * self.k), lat, lon))
            self.k += 1
        return out


def provision(url: str, phones_per_kind: int) -> list[Phone]:
    """Load the demo township and register one device per phone."""
    from geo import operations, phones
    from geo.store.postgis import PostGISStore

    store = PostGISStore(url)
    try:
        layers = operations.import_layers_dir(store, ROOT / "layers" / "xiaozhang")
        squads = layers.squads()
        roads = list(layers.roads.geometry)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
        out = []
        for kind in KINDS:
            for i in range(phones_per_kind):
                new, device = phones.register_device(
                    store, squad=squads[i % len(squads)], name=f"{kind}-{i}"
                )
                line = roads[i % len(roads)]
                road = [
                    (round(p.x, 7), round(p.y, 7))
                    for p in (line.interpolate(j / 400, normalized=True) for j in range(400))
                ]
                out.append(Phone(kind, new.device_id, device.public_id, road, start))
    finally:
        store.close()
    return out


def _basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"phone:{password}".encode()).decode()}


def request_of(phone: Phone, buffer: int) -> tuple[dict[str, Any], list[str]]:
    """The next request of ``phone`` (httpx keyword arguments) and its fixes' times."""
    if phone.kind == "traccar":
        fixes = phone.fixes(buffer)
        body = [
            {
                "location": {
                    "timestamp": t.isoformat().replace("+00:00", "Z"),
                    "coords": {"latitude": lat, "longitude": lon, "accuracy": 5, "speed": 1.2},
                    "is_moving": True,
                    "battery": {"level": 0.8, "is_charging": False},
                    "extras": {},
                },
                "device_id": phone.device_id,
            }
            for t, lat, lon in fixes
        ]
        kwargs: dict[str, Any] = {
            "method": "POST",
            "url": "/api/v1/osmand",
            "content": json.dumps(body),
            "headers": {"Content-Type": "application/json"},
        }
        return kwargs, [t.isoformat() for t, _, _ in fixes]
    ((t, lat, lon),) = phone.fixes(1)
    stamp = int(t.timestamp())
    if phone.kind == "osmand":
        query = urlencode(
            {"id": phone.device_id, "lat": lat, "lon": lon, "timestamp": stamp, "hdop": 6.0}
        )
        kwargs = {"method": "GET", "url": f"/api/v1/osmand?{query}"}
    elif phone.kind == "owntracks":
        message = {"_type": "location", "lat": lat, "lon": lon, "tst": stamp, "acc": 8, "batt": 80}
        kwargs = {
            "method": "POST",
            "url": "/api/v1/owntracks",
            "content": json.dumps(message),
            "headers": {"Content-Type": "application/json", **_basic(phone.device_id)},
        }
    else:
        query = urlencode({"lat": lat, "lon": lon, "timestamp": stamp, "acc": 6.0, "batt": 80})
        kwargs = {
            "method": "GET",
            "url": f"/api/v1/gpslogger?{query}",
            "headers": _basic(phone.device_id),
        }
    return kwargs, [t.isoformat()]


@dataclass(frozen=True)
class Attempt:
    kind: str
    start: float
    end: float
    status: int


@dataclass
class Tally:
    attempts: list[Attempt] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    gave_up: int = 0
    replays: int = 0


async def send(
    client: httpx.AsyncClient,
    phone: Phone,
    kwargs: dict[str, Any],
    times: list[str],
    tally: Tally,
    deadline: float,
) -> None:
    """Send one request until it is answered (503 and connection errors are retried)."""
    while True:
        start = time.monotonic()
        try:
            answer = await client.request(**kwargs)
        except httpx.HTTPError:
            tally.attempts.append(Attempt(phone.kind, start, time.monotonic(), 0))
            if time.monotonic() > deadline:
                tally.gave_up += 1
                return
            await asyncio.sleep(1.0)
            continue
        tally.attempts.append(Attempt(phone.kind, start, time.monotonic(), answer.status_code))
        if answer.status_code == 503:
            if time.monotonic() > deadline:
                tally.gave_up += 1
                return
            await asyncio.sleep(min(float(answer.headers.get("Retry-After", "1")), 5.0))
            continue
        if answer.status_code == 200 and "X-Geo-Refused" not in answer.headers:
            phone.acknowledged.update(times)
        else:
            refused = answer.headers.get("X-Geo-Refused", "")
            tally.unexpected.append(
                f"{phone.kind} {answer.status_code} {refused or answer.text}"[:200]
            )
        return


async def run_phone(
    client: httpx.AsyncClient,
    phone: Phone,
    args: argparse.Namespace,
    tally: Tally,
    stop_at: float,
) -> None:
    rng = random.Random(phone.public_id)
    await asyncio.sleep(rng.uniform(0, args.interval))  # phones do not start in step
    previous: tuple[dict[str, Any], list[str]] | None = None
    while time.monotonic() < stop_at:
        if previous is not None and rng.random() < 0.1:
            kwargs, times = previous  # the answer was "lost": the app sends it again
            tally.replays += 1
        else:
            kwargs, times = request_of(phone, args.buffer)
        await send(client, phone, kwargs, times, tally, stop_at + args.grace)
        previous = (kwargs, times)
        await asyncio.sleep(args.interval * rng.uniform(0.5, 1.5))


async def load_phones(base: str, phones: list[Phone], args: argparse.Namespace) -> Tally:
    tally = Tally()
    limits = httpx.Limits(max_connections=len(phones), max_keepalive_connections=len(phones))
    async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=limits) as client:
        stop_at = time.monotonic() + args.seconds
        await asyncio.gather(*(run_phone(client, p, args, tally, stop_at) for p in phones))
    return tally


def check_store(url: str, phones: list[Phone]) -> dict[str, int]:
    """Acknowledged fixes against the fixes stored, per device."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT device, t FROM fixes WHERE device LIKE 'device-%'")).all()
    engine.dispose()
    stored: dict[str, list[str]] = {}
    for device, t in rows:
        stored.setdefault(device, []).append(t.astimezone(UTC).isoformat())
    acknowledged = missing = duplicates = unacknowledged = 0
    for phone in phones:
        have = stored.get(f"device-{phone.public_id}", [])
        duplicates += len(have) - len(set(have))
        acknowledged += len(phone.acknowledged)
        missing += len(phone.acknowledged - set(have))
        unacknowledged += len(set(have) - phone.acknowledged)
    return {
        "fixes_acknowledged": acknowledged,
        "fixes_stored": len(rows),
        "duplicates": duplicates,
        "acknowledged_not_stored": missing,
        "stored_not_acknowledged": unacknowledged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=50, help="phones of each protocol")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=10.0, help="mean seconds between sends")
    parser.add_argument("--buffer", type=int, default=5, help="fixes in a Traccar Client send")
    parser.add_argument("--grace", type=float, default=30.0, help="retries after --seconds")
    parser.add_argument("--workers", type=int, default=0, help="geo serve --workers (0: default)")
    parser.add_argument("--admin-url", help="a PostGIS cluster to make the database in")
    parser.add_argument("--database", default="geo_live")
    parser.add_argument("--quick", action="store_true", help="10 phones of each for 15 s")
    parser.add_argument(
        "--pg-port", type=int, default=int(os.environ.get("GEO_BENCH_PG_PORT", 25439))
    )
    parser.add_argument("--pg-dir", type=Path, default=ROOT / "var" / "bench-postgis")
    args = parser.parse_args()
    if args.quick:
        args.phones, args.seconds, args.grace = 10, 15.0, 15.0

    cluster = None
    admin_url = args.admin_url
    if admin_url is None:
        cluster = load.Cluster(args.pg_dir.resolve(), args.pg_port)
        admin_url = cluster.start()
    if not any(host in admin_url for host in ("@127.0.0.1", "@localhost", "@[::1]")):
        raise SystemExit("bench/live.py runs on loopback only: --admin-url must be 127.0.0.1")
    server = None
    try:
        url = fresh_database(admin_url, args.database)
        phones = provision(url, args.phones)
        server = load.Server(url, ROOT, ROOT / "var" / "bench-live-serve.log", args.workers)
        server.start()
        started = time.monotonic()
        tally = asyncio.run(load_phones(server.base, phones, args))
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
    store = check_store(url, phones)

    results = {
        kind: load.figures([a for a in tally.attempts if a.kind == kind], args.seconds)
        for kind in KINDS
    }
    results["all"] = load.figures(tally.attempts, args.seconds)
    names = ("protocol", "requests", "req/s", "p50 s", "p95 s", "p99 s", "errors")
    print(" ".join(f"{n:>{w}}" for n, w in zip(names, (9, 9, 7, 7, 7, 7, 7), strict=True)))
    for kind, f in results.items():
        print(
            f"{kind:>9} {f['requests']:>9} {f['rps']:>7.1f} {f['p50']:>7.3f} {f['p95']:>7.3f} "
            f"{f['p99']:>7.3f} {f['errors']:>7}"
        )
    print(
        f"fixes acknowledged {store['fixes_acknowledged']}, stored {store['fixes_stored']}, "
        f"duplicates {store['duplicates']}, acknowledged not stored "
        f"{store['acknowledged_not_stored']}, stored not acknowledged "
        f"{store['stored_not_acknowledged']}; deliberate re-sends {tally.replays}; unexpected "
        f"answers {len(tally.unexpected)} {tally.unexpected[:3]}; gave up {tally.gave_up}; "
        f"ran {elapsed:.0f} s"
    )
    consistent = (
        store["duplicates"] == 0
        and store["acknowledged_not_stored"] == 0
        and not tally.unexpected
        and tally.gave_up == 0
    )
    summary = {
        "phones_per_protocol": args.phones,
        "seconds": args.seconds,
        "interval_s": args.interval,
        "traccar_buffer": args.buffer,
        "cpus": os.cpu_count(),
        "results": results,
        "store": store,
        "replays": tally.replays,
        "consistent": consistent,
    }
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
