"""The county view on the illustrative county (layers/county-sample), in one run.

Loads the county's townships into a fresh GeoPackage, simulates ``--weeks`` weeks of patrols
in each (the demo's simulator), then times:

- baseline: each township-week's stored weekly table read on its own
  (``operations.week_coverage``, what ``GET /api/v1/coverage/{week}`` does), summed;
- county, cold: ``operations.county_coverage`` when no result is stored yet (every
  township-week computed, each by its own rules, time zone and CRS);
- county, warm: the same again, every result stored and current.

The warm county view should cost about the baseline (it reads the same stored results and only
lays them out): the ratio is printed. A table, then as its last line one JSON object.

Usage: ``python bench/county.py --weeks 2``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=2, help="Weeks simulated per township.")
    args = parser.parse_args()

    from geo import operations
    from geo.store.geopackage import GeoPackageStore
    from geo.weeks import IsoWeek

    last = IsoWeek(2026, 47)
    weeks = [last]
    while len(weeks) < args.weeks:
        weeks.insert(0, weeks[0].previous())
    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(Path(tmp) / "county.gpkg")
        folders = operations.township_dirs([ROOT / "layers" / "county-sample"])
        started = time.perf_counter()
        for folder in folders:
            layers = operations.import_layers_dir(store, folder)
            for week in weeks:
                operations.simulate_and_import(
                    store, layers, week, Path(tmp) / layers.info.code / str(week)
                )
        simulated = time.perf_counter() - started
        uploads = [u for code in store.townships() for u in store.uploads(code)]
        fixes = sum(int(u.report.get("fixes_kept", 0)) for u in uploads)

        started = time.perf_counter()
        cold = operations.county_coverage(store, weeks)
        cold_s = time.perf_counter() - started

        started = time.perf_counter()
        for code in store.townships():
            layers = store.load_layers(code)
            for week in weeks:
                operations.week_coverage(store, code, week, layers=layers)
        baseline_s = time.perf_counter() - started

        started = time.perf_counter()
        warm = operations.county_coverage(store, weeks)
        warm_s = time.perf_counter() - started
        assert warm.model_dump() == cold.model_dump()  # the stored results are the computed ones
        store.close()

    cells = len(folders) * len(weeks)
    rows = [
        ("simulate + import", simulated),
        ("baseline: each stored week read", baseline_s),
        ("county view, cold (computed)", cold_s),
        ("county view, warm (stored)", warm_s),
    ]
    print(f"{len(folders)} townships × {len(weeks)} weeks = {cells} cells ({fixes:,} fixes)")
    for name, seconds in rows:
        print(f"{name:<34} {seconds:8.2f} s  {seconds / cells * 1000:8.1f} ms per township-week")
    print(f"warm county view / baseline: {warm_s / baseline_s:.2f}")
    print(f"cold / warm: {cold_s / warm_s:.1f}")
    print(
        json.dumps(
            {
                "townships": len(folders),
                "weeks": len(weeks),
                "fixes": fixes,
                "baseline_s": round(baseline_s, 3),
                "county_cold_s": round(cold_s, 3),
                "county_warm_s": round(warm_s, 3),
                "warm_over_baseline": round(warm_s / baseline_s, 3),
                "cold_over_warm": round(cold_s / warm_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
