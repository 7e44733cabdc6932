"""A CSV with 100,000 columns: refused at once now, against the reader without the column cap.

Ours: ``read_track`` with the default limits on a CSV of ``--columns`` columns (a header and
two rows, ~1 MB for 100,000): refused before any per-column work. Baseline: the same reader
with the column cap lifted, on ``--baseline-columns`` columns (its work grows linearly with the
columns, a few milliseconds each, so the full width would take minutes; the table also shows
that cost extrapolated to ``--columns``).

It prints a table and, as its last line, one JSON object with the figures.

Usage: ``python bench/wide_csv.py --columns 100000 --baseline-columns 2000``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from geo.errors import GeoError  # noqa: E402
from geo.ingest.pipeline import read_track  # noqa: E402
from geo.tracks.limits import ReadLimits  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


def wide_csv(columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    row = ",".join("1" for _ in range(columns))
    return f"{header}\n{row}\n{row}\n".encode()


def timed(data: bytes, limits: ReadLimits) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        read_track(data, filename="wide.csv", tz=TZ, limits=limits)
        outcome = "read"
    except GeoError as exc:
        outcome = exc.detail
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--columns", type=int, default=100_000)
    parser.add_argument("--baseline-columns", type=int, default=2_000)
    args = parser.parse_args()
    wide = wide_csv(args.columns)
    base_s, base_out = timed(wide_csv(args.baseline_columns), ReadLimits(max_columns=10**9))
    ours_s, ours_out = timed(wide, ReadLimits())
    per_column = base_s / args.baseline_columns
    extrapolated = per_column * args.columns
    print(f"{'run':<30} {'columns':>9} {'seconds':>9}  outcome")
    base_cols = args.baseline_columns
    print(f"{'baseline (no column cap)':<30} {base_cols:>9,} {base_s:>9.2f}  {base_out}")
    print(f"{'baseline extrapolated':<30} {args.columns:>9,} {extrapolated:>9.1f}")
    print(f"{'ours (cap 256)':<30} {args.columns:>9,} {ours_s:>9.3f}  {ours_out}")
    print(f"{len(wide):,} bytes; {extrapolated / ours_s:,.0f}x faster than uncapped")
    result = {
        "bytes": len(wide),
        "columns": args.columns,
        "ours_s": round(ours_s, 4),
        "baseline_columns": args.baseline_columns,
        "baseline_s": round(base_s, 3),
        "baseline_ms_per_column": round(per_column * 1000, 3),
        "baseline_extrapolated_s": round(extrapolated, 1),
        "ratio": round(extrapolated / ours_s, 1),
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
