"""The command line as a user runs it: the demo end to end, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

GEO = [sys.executable, "-m", "geo.cli"]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "GEO_GPKG_PATH": str(tmp_path / "geo.gpkg"),
        "GEO_MAPS_DIR": str(tmp_path / "maps"),
        "GEO_SIMULATE_DIR": str(tmp_path / "simulated"),
        "COLUMNS": "120",
        **env,
    }
    full_env.pop("GEO_DATABASE_URL", None)
    return subprocess.run(
        GEO + args, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=300
    )


def test_demo_prints_the_weekly_table_and_writes_a_map(tmp_path: Path) -> None:
    done = run(["demo", "--week", "2026-W47", "--no-serve"], tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("小章村", "梓木坪村", "大水坪村", "川洞村", "白泥塘村", "瓦槽村", "烟竹坪村"):
        assert name in done.stdout
    assert "达标" in done.stdout and "无数据" in done.stdout and "未达标" in done.stdout
    maps = list((tmp_path / "maps").glob("*.html"))
    assert len(maps) == 1 and maps[0].stat().st_size < 5_000_000
    # Running it again stores nothing twice and gives the same table.
    again = run(["demo", "--week", "2026-W47", "--no-serve"], tmp_path)
    assert again.returncode == 0, again.stderr
    table = [line for line in done.stdout.splitlines() if "squad-" in line]
    assert table == [line for line in again.stdout.splitlines() if "squad-" in line]
    as_json = run(["coverage", "2026-W47", "--format", "json"], tmp_path)
    assert as_json.returncode == 0 and '"villages_total": 7' in as_json.stdout


def test_errors_are_one_line_naming_the_file(tmp_path: Path) -> None:
    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    bad = tmp_path / "broken.gpx"
    bad.write_text('<gpx><trk><trkseg><trkpt lat="x" lon="1"/></trkseg></trk></gpx>')
    done = run(["tracks", "import", str(bad), "--squad", "squad-01"], tmp_path)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == [f"geo: error: {bad}: point 1: <trkpt> lat='x' lon='1' are not numbers"]
    assert "Traceback" not in done.stderr
    week = run(["coverage", "2026-W60"], tmp_path)
    assert week.returncode == 2 and "Traceback" not in week.stderr
    assert "2026 has no week 60" in week.stderr


def test_every_command_has_help_with_an_example(tmp_path: Path) -> None:
    for command in (
        ["demo"],
        ["simulate"],
        ["coverage"],
        ["map"],
        ["serve"],
        ["layers", "load"],
        ["layers", "export"],
        ["tracks", "import"],
        ["db", "upgrade"],
        ["report", "month"],
    ):
        done = run([*command, "--help"], tmp_path)
        assert done.returncode == 0, command
        assert "Example" in done.stdout, command


def test_dry_run_prints_the_report_and_stores_nothing(tmp_path: Path) -> None:
    import json

    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    assert run(["simulate", "2026-W47", "--out", str(tmp_path / "gpx")], tmp_path).returncode == 0
    gpx = sorted((tmp_path / "gpx").glob("squad-01_*.gpx"))[0]
    done = run(
        ["tracks", "import", "--dry-run", "--format", "json", str(gpx), "--squad", "squad-01"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["format"] == "gpx" and report["source_crs"] == "wgs84"
    assert report["fixes_read"] == report["fixes_kept"] + sum(report["dropped"].values())
    assert report["first_time"].endswith("+08:00") and len(report["bbox"]) == 4
    week = run(["coverage", "2026-W47", "--format", "json"], tmp_path)
    assert json.loads(week.stdout)["fixes_used"] == 0  # nothing was stored
