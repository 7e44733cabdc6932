"""Coverage speed and memory on the demo township, every method in one run.

For each size it generates a deterministic week of patrol fixes along the demo township's
roads (the simulator, several seeds stacked into one week) and times, each in a fresh child
process so peak memory is its own:

- floor: project + clean the fixes (what any method must do);
- fast: geo.coverage.evaluate_week with the fast engine the service uses (the whole rule);
- reference: the same with the exact vector engine;
- naive: the textbook geopandas pipeline (lines by groupby, buffer, union, overlay), area
  coverage only, skipped above --naive-max (1M) fixes: it needs many minutes there.

"max Δ pp" is the largest difference from the reference over every village's area,
surveillance and road coverage (area only for naive), in percentage points. It prints a
table and, as its last line, one JSON object with the figures per size.

Usage: ``python bench/coverage.py --sizes 100000,1000000,10000000``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
WEEK = "2026-W47"


def make_week(n: int) -> pd.DataFrame:
    """At least ``n`` fixes in one week: simulated weeks of several seeds, re-keyed."""
    from geo.layers import read_layers_dir
    from geo.simulate import WeekPlan, simulate_week
    from geo.weeks import IsoWeek

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    week = IsoWeek.parse(WEEK)
    frames: list[pd.DataFrame] = []
    total, seed, segment = 0, 0, 0
    while total < n:
        for track in simulate_week(layers, week, WeekPlan(seed=seed)):
            f = track.fixes[["time", "lon", "lat"]].assign(squad=track.squad, segment=segment)
            frames.append(f)
            segment += 1
            total += len(f)
        seed += 1
    return pd.concat(frames, ignore_index=True).iloc[:n]


def _floor(fixes: pd.DataFrame, layers: Any) -> dict[str, float]:
    from geo.ingest.cleaning import clean_fixes
    from geo.tracks.fixes import make_fixes

    f = make_fixes(fixes["lon"], fixes["lat"], fixes["time"], part=fixes["segment"])
    cleaned = clean_fixes(f, rules=layers.info.rules, metric_crs=layers.info.metric_crs)
    return {"kept": float(cleaned.report.fixes_kept)}


def _engine(method: str, fixes: pd.DataFrame, layers: Any) -> dict[str, float]:
    from geo.coverage import evaluate_week
    from geo.weeks import IsoWeek

    result = evaluate_week(layers, fixes, IsoWeek.parse(WEEK), method=method)  # type: ignore[arg-type]
    out: dict[str, float] = {}
    for v in result.villages:
        out[f"{v.village_code}/area"] = v.area_coverage
        out[f"{v.village_code}/surveillance"] = v.surveillance_coverage
        if v.road_coverage is not None:
            out[f"{v.village_code}/road"] = v.road_coverage
    return out


def _fast(fixes: pd.DataFrame, layers: Any) -> dict[str, float]:
    return _engine("fast", fixes, layers)


def _reference(fixes: pd.DataFrame, layers: Any) -> dict[str, float]:
    return _engine("exact", fixes, layers)


def _naive(fixes: pd.DataFrame, layers: Any) -> dict[str, float]:
    import geopandas as gpd
    import shapely

    crs = layers.info.metric_crs
    points = gpd.GeoDataFrame(
        fixes, geometry=gpd.points_from_xy(fixes["lon"], fixes["lat"]), crs="EPSG:4326"
    ).to_crs(crs)
    lines = points.groupby("segment").geometry.apply(
        lambda g: shapely.LineString(g.tolist()) if len(g) > 1 else None
    )
    lines = gpd.GeoSeries(lines.dropna(), crs=crs)
    footprint = gpd.GeoDataFrame(
        geometry=[lines.buffer(layers.info.rules.patrol_radius_m).union_all()], crs=crs
    )
    villages = layers.metric("villages")
    covered = gpd.overlay(villages, footprint, how="intersection")
    area = dict(zip(covered["code"], covered.area, strict=True))
    return {
        f"{c}/area": area.get(c, 0.0) / a
        for c, a in zip(villages["code"], villages.area, strict=True)
    }


METHODS = {"floor": _floor, "fast": _fast, "reference": _reference, "naive": _naive}


def _child(method: str, path: str, queue: Any) -> None:
    from geo.layers import read_layers_dir

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    fixes = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_pickle(path)
    # Warm up on a small slice (imports, numba's compiled kernels), as in a running service.
    METHODS[method](fixes.iloc[:2000], layers)
    start = time.perf_counter()
    out = METHODS[method](fixes, layers)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"seconds": seconds, "peak_mb": peak_mb, "result": out})


def measure(method: str, path: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(method, str(path), queue))
    proc.start()
    got: dict[str, Any] = queue.get()
    proc.join()
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated fix counts")
    parser.add_argument(
        "--naive-max", type=int, default=1_000_000, help="largest size for the naive pipeline"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"week": WEEK, "sizes": {}}
    print(
        f"{'fixes':>10} {'method':>10} {'seconds':>9} {'× floor':>8} {'× ref':>7} "
        f"{'naive ÷':>9} {'peak MB':>8} {'max Δ pp':>9}"
    )
    for n in sizes:
        path = work / f"fixes-{n}.pkl"
        if not path.exists():
            make_week(n).to_pickle(path)
        rows: dict[str, Any] = {}
        for method in METHODS:
            if method == "naive" and n > args.naive_max:
                continue
            rows[method] = measure(method, path)
        ref, floor = rows["reference"], rows["floor"]
        naive = rows.get("naive")
        for method, r in rows.items():
            r["ratio_to_reference"] = r["seconds"] / ref["seconds"]
            r["ratio_to_floor"] = r["seconds"] / floor["seconds"]
            if naive is not None:
                r["naive_over_this"] = naive["seconds"] / r["seconds"]
            if method != "floor":
                diffs = [abs(v - ref["result"][k]) * 100 for k, v in r["result"].items()]
                r["max_diff_pp"] = max(diffs)
        for method, r in rows.items():
            diff = f"{r['max_diff_pp']:.3f}" if "max_diff_pp" in r else "—"
            vs_naive = f"{r['naive_over_this']:.1f}" if "naive_over_this" in r else "—"
            print(
                f"{n:>10,} {method:>10} {r['seconds']:>9.2f} {r['ratio_to_floor']:>8.2f} "
                f"{r['ratio_to_reference']:>7.2f} {vs_naive:>9} {r['peak_mb']:>8.0f} {diff:>9}"
            )
            r.pop("result")
        report["sizes"][str(n)] = rows
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
