"""A county in PostGIS, recomputed on Dask LocalClusters of 1 and 2 workers.

It generates a deterministic county: N townships (default 11, the demo's layers under the
codes 433122201.., each with its own rules and its own patrols) × W weeks of simulated patrols
(default the 52 weeks of 2025) at the demo's density (about 40,000 fixes a township-week:
11 × 52 ≈ 23 million fixes). Each township simulates a few weeks (patrols simulated and cleaned
as uploads, :func:`geo.operations.simulated_uploads`, no GPX) and derives its other weeks from
them (:func:`derived_uploads`: shifted to the week, squad-days left out at random, seeded), one
township per process and core, a township-week stored with one binary COPY of its fixes.
Then ``geo batch coverage`` (:func:`geo.batch.run_batch`) recomputes every township-week on a
LocalCluster of 1 worker, then of 2, and checks that both stored the same results.
It prints, per cluster: seconds (cluster start-up apart), seconds per township-week,
fixes per second (the weeks' fixes used by the rule), each worker's peak memory, and the
speed-up; the last line is one JSON object.

Usage::

    python bench/scale.py --small                   # 2 townships × 4 weeks (CI)
    python bench/scale.py --townships 4 --weeks 13  # a medium county
    python bench/scale.py                           # 11 × 52, ~23M fixes
    python bench/scale.py --generation-only --townships 2  # generation: simulated vs derived

The database is GEO_BENCH_DATABASE_URL (or ``--database-url``); its public schema is dropped
and migrated again. Without one, ``geo_bench_scale`` is created on the test cluster
(``--admin-url``, default the 127.0.0.1:55432 cluster of scripts/test-postgis.sh).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADMIN_URL = "postgresql+psycopg://geo@127.0.0.1:55432/postgres"
BENCH_DB = "geo_bench_scale"
FIRST_CODE = 433122201
YEAR = 2025


def township_layers(index: int) -> Any:
    """The demo layers as township ``index`` of the county: its own code and rules."""
    from geo.layers import read_layers_dir

    demo = read_layers_dir(ROOT / "layers" / "xiaozhang")
    rules = replace(
        demo.info.rules,
        patrol_radius_m=40.0 + 2.0 * index,
        min_minutes_in_village=8.0 + index,
        min_road_coverage=0.7 + 0.02 * index,
    )
    code = str(FIRST_CODE + index)
    return replace(demo, info=replace(demo.info, code=code, rules=rules))


def bench_url(args: argparse.Namespace) -> str:
    """The bench's database: given, or created on the admin URL's cluster."""
    url: str | None = args.database_url or os.environ.get("GEO_BENCH_DATABASE_URL")
    if url:
        return url
    from sqlalchemy import create_engine, text

    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": BENCH_DB})
        if not exists:
            conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    admin.dispose()
    url = args.admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    return url


def reset(url: str) -> None:
    from sqlalchemy import create_engine, text

    from geo.store.migrate import upgrade

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


_GEN_STORE: Any = None
_GEN_LAYERS: dict[int, Any] = {}

#: Distinct simulated weeks per township in the derived generator; the others are derived.
DISTINCT_WEEKS = 4
#: A derived week leaves out each squad-day with this chance (phones forgotten, days off).
SKIP_DAY = 0.12
#: A derived squad-day starts up to this many minutes earlier or later than its model.
SHIFT_MINUTES = 90.0


def _gen_store(url: str) -> Any:
    global _GEN_STORE
    if _GEN_STORE is None:
        from geo.store.postgis import PostGISStore

        _GEN_STORE = PostGISStore(url)
    return _GEN_STORE


def _gen_layers(index: int) -> Any:
    layers = _GEN_LAYERS.get(index)
    if layers is None:
        layers = _GEN_LAYERS[index] = township_layers(index)
    return layers


def _generate(url: str, index: int, week: str) -> int:
    """One township-week simulated, cleaned and stored (the simulating generator)."""
    from geo import operations
    from geo.weeks import IsoWeek

    return operations.import_simulated_week(
        _gen_store(url), _gen_layers(index), IsoWeek.parse(week), seed=2026 + index
    )


def derive_upload(upload: Any, days: int, rng: Any, target: Any) -> Any:
    """A cleaned upload moved ``days`` days later plus a few random minutes: the same ride on
    another day (its fixes, segments and report times shifted; a new file hash)."""
    import pandas as pd

    shift = pd.Timedelta(days=days) + pd.Timedelta(
        seconds=round(float(rng.uniform(-SHIFT_MINUTES, SHIFT_MINUTES)) * 60.0)
    )
    fixes = upload.fixes.assign(time=upload.fixes["time"] + shift)
    segments = upload.segments.copy()
    segments["started_at"] = segments["started_at"] + shift
    segments["ended_at"] = segments["ended_at"] + shift
    report = dict(upload.report)
    for key in ("first_time", "last_time"):
        if report.get(key):
            report[key] = (pd.Timestamp(report[key]) + shift).isoformat()
    # simulated-<squad>-<yyyy-mm-dd>: the day the ride is moved to.
    day = (pd.Timestamp(upload.filename[-10:]) + pd.Timedelta(days=days)).date()
    name = f"{upload.filename[:-10]}{day.isoformat()}"
    sha = hashlib.sha256(f"{upload.sha256} {target} {shift.value}".encode()).hexdigest()
    return replace(upload, fixes=fixes, segments=segments, report=report, sha256=sha, filename=name)


def derived_uploads(layers: Any, seed: int, week: Any, models: dict[Any, list[Any]]) -> list[Any]:
    """Week ``week`` of a township derived from one of its simulated weeks (``models``, by
    week, the simulated uploads): the model's squad-days shifted to ``week``, each left out
    with chance :data:`SKIP_DAY` and moved by up to :data:`SHIFT_MINUTES`, drawn from a
    generator seeded by the township and week (deterministic)."""
    import numpy as np

    from geo.weeks import IsoWeek

    if week in models:
        return models[week]
    bases = sorted(models, key=lambda w: (w.year, w.week))
    base: IsoWeek = bases[(week.week - 1) % len(bases)]
    days = (week.monday - base.monday).days
    rng = np.random.default_rng([seed, week.year, week.week, 7])
    out = []
    for upload in models[base]:
        if rng.random() < SKIP_DAY:
            continue
        out.append(derive_upload(upload, days, rng, week))
    return out


def _generate_township(url: str, index: int, weeks: list[str], distinct: int) -> int:
    """A township's weeks stored: ``distinct`` of them simulated, the others derived."""
    from geo import operations
    from geo.weeks import IsoWeek

    store = _gen_store(url)
    layers = _gen_layers(index)
    seed = 2026 + index
    parsed = [IsoWeek.parse(w) for w in weeks]
    models = {
        w: operations.simulated_uploads(layers, w, seed=seed) for w in parsed[: max(1, distinct)]
    }
    return sum(store_week(store, derived_uploads(layers, seed, week, models)) for week in parsed)


def store_week(store: Any, uploads: list[Any]) -> int:
    """A township-week's uploads stored in one transaction: their ``uploads`` rows in one
    INSERT, then all their segments and all their fixes in one binary COPY each (the rows
    :meth:`geo.store.sql.SqlStore.add_upload` writes one upload at a time, batched; the
    county is fresh, so there are no duplicates to look for). The fixes stored."""
    from sqlalchemy import insert

    from geo.store import rows
    from geo.store.pg_copy import HEADER, TRAILER, UploadIdentity, fixes_payload, segments_payload
    from geo.store.postgis import _FIX_COPY, _SEGMENT_COPY
    from geo.store.sql import _UPLOADS

    if not uploads:
        return 0
    for upload in uploads:
        store.backend.prepare_upload(upload)
    values = []
    for u in uploads:
        first, last = rows.fix_time_range(u.fixes)
        values.append(
            {
                "township": u.township,
                "squad": u.squad,
                "device": u.device,
                "filename": u.filename,
                "source_format": u.source_format,
                "source_crs": u.source_crs,
                "sha256": u.sha256,
                "uploaded_at": u.uploaded_at,
                "first_fix_at": first,
                "last_fix_at": last,
                "report": u.report,
                "idempotency_key": u.idempotency_key,
            }
        )
    body = slice(len(HEADER), -len(TRAILER))
    with store._begin(write=True) as conn:
        ids = conn.execute(
            insert(_UPLOADS).returning(_UPLOADS.c.id, sort_by_parameter_order=True), values
        ).scalars()
        who = [
            UploadIdentity(u.township, int(i), u.squad, u.device)
            for u, i in zip(uploads, ids, strict=True)
        ]
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(_SEGMENT_COPY) as copy:
                copy.write(HEADER)
                for u, w in zip(uploads, who, strict=True):
                    if len(u.segments):
                        copy.write(segments_payload(u.segments, w)[body])
                copy.write(TRAILER)
            with cur.copy(_FIX_COPY) as copy:
                copy.write(HEADER)
                for u, w in zip(uploads, who, strict=True):
                    copy.write(fixes_payload(u.fixes, w)[body])
                copy.write(TRAILER)
    return sum(len(u.fixes) for u in uploads)


def generate(
    url: str,
    townships: int,
    weeks: list[str],
    processes: int,
    distinct: int | None = DISTINCT_WEEKS,
) -> tuple[int, float]:
    """The county stored: layers, then every township-week's patrols. Fixes and seconds.

    ``distinct``: weeks simulated per township, the others derived from them
    (:func:`derived_uploads`); None simulates every township-week."""
    from geo.store.postgis import PostGISStore

    started = time.perf_counter()
    store = PostGISStore(url)
    for index in range(townships):
        store.save_layers(township_layers(index))
    store.close()
    done = 0
    fixes = 0
    with ProcessPoolExecutor(processes) as pool:
        if distinct is None:
            futures = [
                pool.submit(_generate, url, index, week)
                for index in range(townships)
                for week in weeks
            ]
            unit = 1
        else:
            futures = [
                pool.submit(_generate_township, url, index, weeks, distinct)
                for index in range(townships)
            ]
            unit = len(weeks)
        total = len(futures) * unit
        for future in futures:
            fixes += future.result()
            done += unit
            rate = fixes / (time.perf_counter() - started)
            print(
                f"  generated {done}/{total} township-weeks, {fixes:,} fixes ({rate:,.0f} fixes/s)",
                file=sys.stderr,
                flush=True,
            )
    return fixes, time.perf_counter() - started


def results_digest(url: str, pairs: list[tuple[str, str]]) -> str:
    """One hash of every stored result (its table and gaps, not when it was computed)."""
    from geo.store.postgis import PostGISStore

    store = PostGISStore(url)
    digest = hashlib.sha256()
    for township, week in pairs:
        loaded = store.load_coverage(township, week)
        if loaded is None:
            digest.update(f"{township} {week} none".encode())
            continue
        table = loaded[0].model_dump(mode="json")
        table.pop("computed_at")
        gaps = loaded[0].gaps_geojson().model_dump(mode="json")
        digest.update(json.dumps([table, gaps], sort_keys=True).encode())
    store.close()
    return digest.hexdigest()


class ServerCpu:
    """CPU seconds the PostgreSQL backends of the bench's database spend while it runs (the
    server is on this machine): their /proc times sampled every half second, the sampler's
    own connection left out."""

    def __init__(self, url: str) -> None:
        import threading

        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.db = url.rsplit("/", 1)[1]
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ServerCpu:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _sample(self) -> None:
        import psycopg

        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.5):
                pids = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    (self.db,),
                ).fetchall()
                for (pid,) in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue  # not on this machine, or gone
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick


#: A worker preload (``--own-sessions``): the worker process in a session of its own.
OWN_SESSION = """
import os


def dask_setup(worker):
    os.setsid()
"""


def recompute(
    url: str, pairs: list[tuple[str, str]], workers: int, own_sessions: bool
) -> dict[str, Any]:
    """Every township-week computed again on a LocalCluster of ``workers`` processes."""
    import tempfile

    import dask
    import distributed  # noqa: F401  (its config defaults, before they are changed)

    from geo.batch import StoreAddress, run_batch

    with tempfile.TemporaryDirectory() as folder:
        preload = Path(folder) / "own_session.py"
        preload.write_text(OWN_SESSION)
        config = {"distributed.worker.preload": [str(preload)] if own_sessions else []}
        with dask.config.set(config), ServerCpu(url) as server:
            report = run_batch(StoreAddress(url, ""), pairs, workers=workers)
    if report.failed:
        raise SystemExit(f"failed township-weeks: {report.failed[:3]}")
    seconds = report.seconds - report.startup_seconds
    fixes_used = sum(o.fixes_used for o in report.outcomes)
    return {
        "worker_cpu_seconds_per_township_week": round(
            sum(o.cpu_seconds for o in report.outcomes) / len(pairs), 3
        ),
        "server_cpu_seconds_per_township_week": round(server.seconds / len(pairs), 3),
        "workers": report.workers,
        "seconds": round(seconds, 2),
        "startup_seconds": round(report.startup_seconds, 2),
        "seconds_per_township_week": round(seconds / len(pairs), 3),
        "worker_seconds_per_township_week": round(
            sum(o.seconds for o in report.outcomes) / len(pairs), 3
        ),
        "fixes_used": fixes_used,
        "fixes_per_second": round(fixes_used / seconds),
        "peak_mb_per_worker": sorted(round(mb) for mb in report.memory_mb.values()),
        "digest": results_digest(url, pairs),
    }


def compare_generation(
    url: str, townships: int, weeks: list[str], args: argparse.Namespace
) -> None:
    """Generation timed both ways on the same county: every township-week simulated (the
    baseline), then derived weeks; fixes/s of each and the ratio, last line JSON."""
    rates: dict[str, dict[str, Any]] = {}
    ways = {"simulated": None, "derived": args.distinct_weeks or None}
    for name, distinct in ways.items():
        reset(url)
        print(f"generating {townships} × {len(weeks)} ({name}) ...", file=sys.stderr)
        load = os.getloadavg()[0]
        fixes, seconds = generate(url, townships, weeks, args.generate_processes, distinct)
        rates[name] = {
            "fixes": fixes,
            "seconds": round(seconds, 1),
            "fixes_per_second": round(fixes / seconds),
            "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2),
        }
    ratio = rates["derived"]["fixes_per_second"] / rates["simulated"]["fixes_per_second"]
    print(
        f"\ngeneration: {townships} townships × {len(weeks)} weeks, "
        f"{args.generate_processes} processes, {os.cpu_count()} cores"
    )
    for name, r in rates.items():
        print(
            f"{name:>10} {r['fixes']:>12,} fixes {r['seconds']:>8.1f} s "
            f"{r['fixes_per_second']:>10,} fixes/s (load {r['load_before']}→{r['load_after']})"
        )
    print(f"derived vs simulated: {ratio:.2f}×")
    summary = {
        "townships": townships,
        "weeks": len(weeks),
        "distinct_weeks": args.distinct_weeks,
        "generation": rates,
        "ratio": round(ratio, 2),
        "cores": os.cpu_count(),
    }
    sys.stdout.write(json.dumps(summary) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="2 townships × 4 weeks (CI).")
    parser.add_argument("--townships", type=int, default=11)
    parser.add_argument("--weeks", type=int, default=52, help="Weeks of 2025 from W01.")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--generate-processes", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--distinct-weeks",
        type=int,
        default=DISTINCT_WEEKS,
        help="Weeks simulated per township; the others are derived from them (shifted, "
        "with squad-days left out at random). 0: simulate every township-week.",
    )
    parser.add_argument(
        "--generation-only",
        action="store_true",
        help="Only time generation: the county simulated week by week, then generated with "
        "derived weeks, in the same run; prints both rates and their ratio.",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the county already generated in the database."
    )
    parser.add_argument(
        "--own-sessions",
        action="store_true",
        help="Each worker in a session of its own: Linux's autogroup scheduler shares the CPU "
        "between sessions, so on a machine shared with other sessions the workers of one "
        "session share one session's part and 2 workers cannot be faster than 1.",
    )
    args = parser.parse_args()
    townships, n_weeks = (2, 4) if args.small else (args.townships, args.weeks)
    from geo.store.postgis import PostGISStore
    from geo.weeks import IsoWeek

    weeks = [str(IsoWeek(YEAR, w)) for w in range(1, n_weeks + 1)]
    codes = [str(FIRST_CODE + i) for i in range(townships)]
    pairs = [(code, week) for code in codes for week in weeks]
    url = bench_url(args)
    load_before = os.getloadavg()
    if args.generation_only:
        compare_generation(url, townships, weeks, args)
        return
    if args.reuse:
        store = PostGISStore(url)
        fixes = store.engine.connect().exec_driver_sql("SELECT count(*) FROM fixes").scalar()
        store.close()
        generated: dict[str, Any] = {"fixes": fixes, "seconds": None, "reused": True}
    else:
        reset(url)
        print(f"generating {townships} townships × {n_weeks} weeks ...", file=sys.stderr)
        fixes, seconds = generate(
            url, townships, weeks, args.generate_processes, args.distinct_weeks or None
        )
        generated = {
            "fixes": fixes,
            "seconds": round(seconds, 1),
            "fixes_per_second": round(fixes / seconds),
            "distinct_weeks": args.distinct_weeks,
        }
        print(f"generated {fixes:,} fixes in {seconds:.0f} s", file=sys.stderr)
    runs = []
    for workers in (1, 2):
        print(f"recomputing on {workers} worker(s) ...", file=sys.stderr, flush=True)
        runs.append(recompute(url, pairs, workers, args.own_sessions))
    one, two = runs
    speedup = one["seconds"] / two["seconds"]
    same = one["digest"] == two["digest"]
    print(
        f"\ncounty: {townships} townships × {n_weeks} weeks = {len(pairs)} township-weeks, "
        f"{generated['fixes']:,} fixes stored; machine: {os.cpu_count()} cores, load "
        f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"{'workers':>7} {'seconds':>8} {'start s':>8} {'s/tw':>7} {'fixes/s':>10} "
        f"{'peak MB/worker':>16}"
    )
    for run in runs:
        print(
            f"{run['workers']:>7} {run['seconds']:>8.1f} {run['startup_seconds']:>8.1f} "
            f"{run['seconds_per_township_week']:>7.3f} {run['fixes_per_second']:>10,} "
            f"{'/'.join(str(m) for m in run['peak_mb_per_worker']):>16}"
        )
    print(f"speed-up 2 vs 1 worker: {speedup:.2f}×; same results: {same}")
    summary = {
        "townships": townships,
        "weeks": n_weeks,
        "township_weeks": len(pairs),
        "generated": generated,
        "runs": runs,
        "speedup": round(speedup, 2),
        "same_results": same,
        "cores": os.cpu_count(),
        "load_before": round(load_before[0], 2),
        "load_after": round(os.getloadavg()[0], 2),
        "own_sessions": args.own_sessions,
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
