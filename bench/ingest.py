"""Track ingest speed into PostGIS: ours against a textbook baseline, in one run.

Ours: the service's whole upload path on a GPX file of N fixes (detect, parse, convert,
plausibility, clean, segments) and the PostGIS store's one-transaction write (fixes by COPY).
Baseline: gpxpy to parse the same file, then one INSERT per fix (executemany) into the same
fixes table. Both write to a fresh schema of a PostGIS database: GEO_BENCH_DATABASE_URL, else
the project's throwaway test cluster (scripts/test-postgis.sh, whose database it resets).

It prints a table and, as its last line, one JSON object with the figures.

Usage: ``python bench/ingest.py --fixes 1000000``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))


def database_url() -> str:
    url = os.environ.get("GEO_BENCH_DATABASE_URL")
    if url:
        return url
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "test-postgis.sh"), "start"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def reset(url: str) -> None:
    from sqlalchemy import create_engine, text

    from geo.store.migrate import upgrade

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def make_gpx(layers, n: int) -> bytes:  # type: ignore[no-untyped-def]
    """A patrol along the township's roads, one fix a second, repeated week after week."""
    from geo.simulate import WeekPlan, simulate_week
    from geo.tracks.gpx_write import write_gpx
    from geo.weeks import IsoWeek

    week = IsoWeek(2026, 47)
    tracks = [t for t in simulate_week(layers, week, WeekPlan(seed=1)) if t.squad == "squad-01"]
    one = pd.concat([t.fixes for t in tracks], ignore_index=True)
    reps = int(np.ceil(n / len(one)))
    frames = [one.assign(time=one["time"] + pd.Timedelta(weeks=k)) for k in range(reps)]
    fixes = pd.concat(frames, ignore_index=True).iloc[:n]
    return write_gpx(
        fixes["lon"].to_numpy(),
        fixes["lat"].to_numpy(),
        fixes["time"],
        hdop=fixes["hdop"].to_numpy(),
    )


def ours(url: str, data: bytes, layers) -> float:  # type: ignore[no-untyped-def]
    from geo.ingest.pipeline import prepare_upload
    from geo.store.postgis import PostGISStore

    store = PostGISStore(url)
    store.save_layers(layers)
    start = time.perf_counter()
    prepared = prepare_upload(data, filename="bench.gpx", layers=layers, squad="squad-01")
    store.add_upload(prepared.upload)
    seconds = time.perf_counter() - start
    store.close()
    return seconds


def baseline(url: str, data: bytes) -> float:
    import gpxpy
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    start = time.perf_counter()
    gpx = gpxpy.parse(data.decode("utf-8"))
    points = [p for track in gpx.tracks for segment in track.segments for p in segment.points]
    rows = [
        ("433122207", 1, seq, "squad-01", "", p.time, p.longitude, p.latitude, None, 0, 0)
        for seq, p in enumerate(points)
    ]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO track_uploads (id, township, squad, device, filename, source_format, "
            "source_crs, sha256, uploaded_at, report) VALUES (1, '433122207', 'squad-01', '', "
            "'b.gpx', 'gpx', 'wgs84', 'x', now(), '{}')"
        )
        cur.executemany(
            "INSERT INTO fixes (township, upload_id, seq, squad, device, t, lon, lat, accuracy_m, "
            "segment, drop_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixes", type=int, default=1_000_000)
    args = parser.parse_args()
    from geo.layers import read_layers_dir

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    data = make_gpx(layers, args.fixes)
    url = database_url()
    reset(url)
    ours_s = ours(url, data, layers)
    reset(url)
    base_s = baseline(url, data)
    n = args.fixes
    print(f"{'method':>28} {'fixes':>10} {'seconds':>9} {'fixes/s':>10}")
    print(f"{'geo (parse+clean+COPY)':>28} {n:>10,} {ours_s:>9.2f} {n / ours_s:>10,.0f}")
    print(f"{'gpxpy + row INSERT':>28} {n:>10,} {base_s:>9.2f} {n / base_s:>10,.0f}")
    print(f"{'ratio':>28} {'':>10} {'':>9} {base_s / ours_s:>10.1f}x")
    result = {
        "fixes": n,
        "ours": {"seconds": round(ours_s, 3), "fixes_per_s": round(n / ours_s)},
        "baseline": {"seconds": round(base_s, 3), "fixes_per_s": round(n / base_s)},
        "ratio": round(base_s / ours_s, 2),
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
