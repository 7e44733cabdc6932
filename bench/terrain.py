"""The weekly engine with and without terrain on the demo township, in one run.

The demo layers (layers/xiaozhang) carry an illustrative DEM (dem.tif); the baseline is the same
layers without it (``dem=None``). One simulated week (the demo's default patrols), each engine
warmed once, then ``--repeat`` runs of each case alternating, best and median times. With a
DEM the engine also computes every online camera's viewshed and each drone's height above the
ground (geo.coverage.terrain); the DEM is decoded once per process (cached), as in a server.
It also times the decoding itself and the viewsheds alone. Prints a table and, as its last
line, one JSON object.

Usage: ``python bench/terrain.py [--repeat 5] [--methods fast,exact]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--methods", default="fast,exact")
    args = parser.parse_args()

    from geo.coverage.evaluate import evaluate_week
    from geo.coverage.terrain import read_dem, viewsheds
    from geo.layers import read_layers_dir
    from tests.dispatch.conftest import DEMO_WEEK, simulated_fixes

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    assert layers.dem is not None, "layers/xiaozhang/dem.tif is missing"
    flat = replace(layers, dem=None)
    fixes = simulated_fixes(layers, DEMO_WEEK)
    crs = layers.info.metric_crs

    started = time.perf_counter()
    dem = read_dem(layers.dem, crs)
    decode_s = time.perf_counter() - started
    cameras = layers.metric("cameras")
    online = cameras[cameras["status"] == "online"]
    started = time.perf_counter()
    viewsheds(online, dem)
    viewshed_s = time.perf_counter() - started

    out: dict[str, object] = {
        "fixes": len(fixes),
        "cameras_online": len(online),
        "dem_cells": int(dem.elevation.size),
        "dem_decode_s": round(decode_s, 4),
        "viewsheds_s": round(viewshed_s, 4),
    }
    print(f"{len(fixes)} fixes, {len(online)} online cameras, DEM {dem.elevation.shape} cells")
    print(f"DEM decode {decode_s * 1000:.1f} ms, viewsheds of the cameras {viewshed_s:.3f} s")
    print(f"{'method':<8}{'without DEM s':>16}{'with DEM s':>14}{'ratio':>8}")
    for method in args.methods.split(","):
        evaluate_week(flat, fixes, DEMO_WEEK, method=method)  # type: ignore[arg-type]
        evaluate_week(layers, fixes, DEMO_WEEK, method=method)  # type: ignore[arg-type]
        times: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.repeat):
            for name, case in (("without", flat), ("with", layers)):
                t = time.perf_counter()
                evaluate_week(case, fixes, DEMO_WEEK, method=method)  # type: ignore[arg-type]
                times[name].append(time.perf_counter() - t)
        base, terrain = statistics.median(times["without"]), statistics.median(times["with"])
        ratio = terrain / base
        print(f"{method:<8}{base:>16.3f}{terrain:>14.3f}{ratio:>8.2f}")
        out[method] = {
            "without_dem_median_s": round(base, 4),
            "with_dem_median_s": round(terrain, 4),
            "without_dem_best_s": round(min(times["without"]), 4),
            "with_dem_best_s": round(min(times["with"]), 4),
            "ratio": round(ratio, 3),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
