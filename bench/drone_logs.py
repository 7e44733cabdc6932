"""Drone logs before and after issue 11, in one run: heights and swaths, fixes dropped, dates.

The same files go through ``main``'s code (exported with ``git archive`` into a temporary
folder) and through this checkout's, each in its own Python process; the script prints one
table with both, and, as its last line, one JSON object with the figures.

Files: logs shaped like the originals over the demo township (``tests/drone_samples.py``: SRT
layouts of the Mavic 2 Zoom, Mavic Pro, Avata 2, Mavic 3 and Mavic Mini, a CsvView export, an
AirData metric export), the real DJI files in ../shared/data/real/drone (read, cleaned in their
own UTM zone, and dated with a DJI file name), and the real phone GPX files (1 Hz patrols: the
speed check must not change for them).

Usage: ``python bench/drone_logs.py [--before main]``
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
SHARED = ROOT.parent / "shared" / "data" / "real"
DJI_NAME = "DJI_20240512153012_0001_D.SRT"


def _use_code(code: Path) -> None:
    """Import ``geo`` from ``code`` rather than the editable install of this checkout."""
    sys.meta_path[:] = [
        f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")
    ]
    sys.path.insert(0, str(code))


def _samples() -> list[tuple[str, bytes, str, str | None]]:
    """(label, bytes, file name, start) of the built logs (this checkout's builders: the same
    files for both runs)."""
    spec = importlib.util.spec_from_file_location(
        "drone_samples", ROOT / "tests" / "drone_samples.py"
    )
    assert spec is not None and spec.loader is not None
    s = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(s)

    return [
        (
            "Mavic 2 Zoom SRT, `altitude:` only (214-239 m asl)",
            s.mavic2_zoom_srt(),
            "m2z.SRT",
            None,
        ),
        ("Mavic Pro SRT, `Hb:1.9 Hs:1.9`", s.mavic_pro_hb_srt(), "mp.SRT", None),
        ("Avata 2 SRT, `BAROMETER(91.2)`", s.avata2_srt(), "avata2.SRT", None),
        ("Mavic 3 SRT, 50 Hz, 5 decimals, 54 km/h", s.mavic3_srt(240.0), "m3.SRT", None),
        (
            "Mavic 3 SRT, 50 Hz, 5 decimals, 111 km/h",
            s.mavic3_srt(120.0, speed_ms=30.8),
            "m3fast.SRT",
            None,
        ),
        ("Mavic Mini SRT, no date, DJI_ name", s.mavic_mini_srt(), DJI_NAME, None),
        ("Mavic Mini SRT, no date, other name", s.mavic_mini_srt(), "clip.SRT", None),
        (
            "Mavic Mini SRT, no date, --start 2026-11-05 14:00",
            s.mavic_mini_srt(),
            "clip.SRT",
            "2026-11-05 14:00",
        ),
        ("CsvView CSV (metric)", s.csvview_csv(), "DJIFlightRecord.csv", None),
        ("AirData CSV (metric)", s.airdata_metric_csv(), "airdata.csv", None),
        (
            "AirData CSV, sea level only",
            s.airdata_metric_csv(with_height=False),
            "airdata_asl.csv",
            None,
        ),
    ]


def measure(code: Path) -> dict[str, Any]:
    """Run every file through the code in ``code``; one dict of figures per file."""
    _use_code(code)
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo.coverage.surveillance import drone_footprints
    from geo.errors import GeoError
    from geo.ingest.cleaning import clean_fixes
    from geo.ingest.drone import prepare_flight
    from geo.ingest.pipeline import read_track
    from geo.layers import read_layers_dir
    from geo.rules import Rules

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    takes_start = "start" in inspect.signature(prepare_flight).parameters
    half = math.tan(math.radians(84.0 / 2))
    out: dict[str, Any] = {"flights": {}, "real": {}, "phones": {}}
    for label, data, name, start in _samples():
        row: dict[str, Any] = {}
        try:
            kwargs: dict[str, Any] = {"start": start} if start and takes_start else {}
            if start and not takes_start:
                raise GeoError("no --start option")
            flight = prepare_flight(data, filename=name, layers=layers, **kwargs)
        except GeoError as exc:
            row["error"] = exc.one_line()[:90]
            out["flights"][label] = row
            continue
        r = flight.report
        z = shapely.get_coordinates(flight.geometry, include_z=True)[:, 2]
        frame = gpd.GeoDataFrame(
            {"hfov_deg": [84.0]}, geometry=[flight.geometry], crs="EPSG:4326"
        ).to_crs(layers.info.metric_crs)
        row.update(
            height=f"{flight.altitude_source} {float(np.min(z)):.0f}-{float(np.max(z)):.0f} m",
            swath_m=round(float(np.median(2 * np.clip(z, 1.0, None) * half)), 1),
            footprint_ha=round(float(drone_footprints(frame)[0].area) / 10_000, 2),
            dropped=f"{r['speed_spikes']}/{r['fixes_read']}",
            first_time=r["first_time"],
        )
        out["flights"][label] = row
    for path in sorted((SHARED / "drone").glob("*.[sS][rR][tT]")):
        data = path.read_bytes()
        parsed = read_track(data, filename=path.name, tz=layers.info.tz)
        named = read_track(data, filename=DJI_NAME, tz=layers.info.tz)
        fixes = parsed.fixes
        zone = int((float(fixes["lon"].median()) + 180) // 6) + 1
        epsg = (32600 if float(fixes["lat"].median()) >= 0 else 32700) + zone
        timed = named.fixes if named.fixes["time"].notna().any() else fixes
        cleaned = clean_fixes(timed, rules=Rules(), metric_crs=f"EPSG:{epsg}")
        first_alt = fixes["alt_m"].dropna()
        out["real"][path.name] = {
            "height": f"{getattr(parsed, 'alt_source', '') or '?'} "
            + (f"{float(first_alt.iloc[0]):g} m" if len(first_alt) else "none"),
            "dropped": f"{cleaned.report.speed_spikes}/{len(fixes)}",
            "dated": f"{int(named.fixes['time'].notna().sum())}/{len(fixes)}",
        }
    for path in sorted((SHARED / "gpx").glob("*.gpx")):
        try:
            parsed = read_track(path.read_bytes(), filename=path.name, tz=layers.info.tz)
        except GeoError:
            continue
        fixes = parsed.fixes
        if fixes["time"].isna().all():
            continue
        zone = int((float(fixes["lon"].median()) + 180) // 6) + 1
        epsg = (32600 if float(fixes["lat"].median()) >= 0 else 32700) + zone
        cleaned = clean_fixes(fixes, rules=Rules(), metric_crs=f"EPSG:{epsg}")
        out["phones"][path.name] = {
            "dropped": f"{cleaned.report.speed_spikes}/{len(fixes)}",
            "kept": cleaned.report.fixes_kept,
        }
    return out


def export(rev: str, into: Path) -> Path:
    """``git archive rev`` unpacked into ``into``."""
    blob = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(code: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(code)],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        sys.exit(f"the run on {code} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = [
        "| file | height source, range (before → after) | swath m | footprint ha | "
        "speed spikes dropped | first time |",
        "|---|---|---|---|---|---|",
    ]
    for label, a in after["flights"].items():
        b = before["flights"].get(label, {})

        def pair(key: str, b: dict[str, Any] = b, a: dict[str, Any] = a) -> str:
            return f"{b.get(key, b.get('error', '-'))} → {a.get(key, a.get('error', '-'))}"

        if "error" in a or "error" in b:
            lines.append(f"| {label} | {pair('height')} | | | | {pair('first_time')} |")
            continue
        lines.append(
            f"| {label} | {pair('height')} | {pair('swath_m')} | {pair('footprint_ha')} | "
            f"{pair('dropped')} | {pair('first_time')} |"
        )
    lines += [
        "",
        "| real file | altitude read as (before → after) | speed spikes dropped | "
        "fixes dated with a DJI_ name |",
        "|---|---|---|---|",
    ]
    for name, a in after["real"].items():
        b = before["real"].get(name, {})
        lines.append(
            f"| {name} | {b.get('height', '-')} → {a['height']} | "
            f"{b.get('dropped')} → {a['dropped']} | {b.get('dated')} → {a['dated']} |"
        )
    lines += ["", "| phone GPX (1 Hz) | speed spikes dropped | fixes kept |", "|---|---|---|"]
    for name, a in after["phones"].items():
        b = before["phones"].get(name, {})
        lines.append(
            f"| {name} | {b.get('dropped')} → {a['dropped']} | {b.get('kept')} → {a['kept']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git revision for the before run")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory(prefix="geo-before-") as tmp:
        before = run(export(args.before, Path(tmp)))
    after = run(ROOT)
    print(f"before: {args.before}; after: this checkout\n")
    print(table(before, after))
    print(json.dumps({"before": before, "after": after}, ensure_ascii=False))


if __name__ == "__main__":
    main()
