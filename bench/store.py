"""Store speed on both backends: writing one large upload and reading its fixes back.

For each store (the GeoPackage file, and PostGIS when a database URL is given) it times
``add_upload`` of one cleaned upload of N fixes (its segments and fixes in one transaction;
reading and cleaning the file are not timed) and ``week_fixes`` over the window the fixes
span, each the median of a few runs on a fresh store.

``--code DIR`` runs the same measurement on the geo package of another checkout (for example
an older release unpacked with ``git archive``), so a change can be measured against its
baseline in one session: ``--compare DIR`` runs both and prints them side by side.

Usage::

    python bench/store.py --fixes 100000 --database-url postgresql+psycopg://geo@host/db
    python bench/store.py --compare /tmp/geo-before --database-url ...

The PostGIS database's public schema is dropped and migrated again. The last line printed is
one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def _use_code(code: Path) -> None:
    # This folder holds coverage.py, which would shadow the coverage package numba looks for.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(code))


def _ingest_bench() -> Any:
    """bench/ingest.py, imported after geo (it puts this checkout first on the path)."""
    import geo.layers  # noqa: F401

    sys.path.insert(1, str(HERE))
    import ingest  # type: ignore[import-not-found]

    return ingest


def _prepared(fixes: int) -> Any:
    """One cleaned upload of ``fixes`` fixes (bench/ingest.py's repeated patrol)."""
    from geo.ingest.pipeline import prepare_upload
    from geo.layers import read_layers_dir

    make_gpx = _ingest_bench().make_gpx

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    data = make_gpx(layers, fixes)
    return layers, prepare_upload(data, filename="bench.gpx", layers=layers, squad="squad-01")


def _open(kind: str, url: str | None, folder: Path, run: int) -> Any:
    if kind == "gpkg":
        from geo.store.geopackage import GeoPackageStore

        return GeoPackageStore(folder / f"bench-{run}.gpkg")
    from geo.store.postgis import PostGISStore

    assert url is not None
    _ingest_bench().reset(url)
    return PostGISStore(url)


def measure(fixes: int, url: str | None, runs: int) -> dict[str, Any]:
    """Median seconds of add_upload and week_fixes on each store."""
    import pandas as pd

    layers, prepared = _prepared(fixes)
    upload = prepared.upload
    times = upload.fixes["time"].dropna()
    start = times.min().to_pydatetime()
    end = (times.max() + pd.Timedelta(seconds=1)).to_pydatetime()
    import geo

    out: dict[str, Any] = {"fixes": fixes, "geo": str(Path(geo.__file__).parent)}
    kinds = ["gpkg", *(["postgis"] if url else [])]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            writes, reads, rows = [], [], 0
            for run in range(runs):
                store = _open(kind, url, Path(tmp), run)
                store.save_layers(layers)
                t0 = time.perf_counter()
                store.add_upload(upload)
                writes.append(time.perf_counter() - t0)
                for _ in range(2):
                    t0 = time.perf_counter()
                    rows = len(store.week_fixes(upload.township, start, end))
                    reads.append(time.perf_counter() - t0)
                store.close()
            out[kind] = {
                "add_upload_s": round(statistics.median(writes), 3),
                "week_fixes_s": round(statistics.median(reads), 3),
                "week_fixes_rows": rows,
            }
    return out


def _run(code: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--code", str(code), "--fixes", str(args.fixes)]
    command += ["--runs", str(args.runs)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose geo to time")
    parser.add_argument("--compare", type=Path, default=None, help="baseline checkout")
    args = parser.parse_args()
    if args.compare is None:
        _use_code(args.code)
        print(json.dumps(measure(args.fixes, args.database_url, args.runs)))
        return
    results = {"before": _run(args.compare, args), "after": _run(ROOT, args)}
    print(f"{'store':>8} {'operation':>11} {'before s':>9} {'after s':>9}")
    for kind in ("gpkg", "postgis"):
        for op in ("add_upload_s", "week_fixes_s"):
            if kind in results["after"]:
                before, after = results["before"][kind][op], results["after"][kind][op]
                print(f"{kind:>8} {op.removesuffix('_s'):>11} {before:>9.3f} {after:>9.3f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
