"""The command line as a user runs it: the demo end to end, and one-line errors.

Commands run in-process through :func:`geo.cli.main` (the console script's entry point, so
errors take the same one-line path) with Typer's CliRunner capturing the output; one smoke test
runs the installed ``geo`` script in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli_runner import Done, run_geo
from tests.conftest import ROOT


def run(args: list[str], tmp_path: Path, **env: str) -> Done:
    """``geo ARGS`` in-process from the project root, with the store and outputs in tmp_path."""
    return run_geo(
        args,
        {
            "GEO_GPKG_PATH": str(tmp_path / "geo.gpkg"),
            "GEO_MAPS_DIR": str(tmp_path / "maps"),
            "GEO_SIMULATE_DIR": str(tmp_path / "simulated"),
            "COLUMNS": "120",
            "GEO_DATABASE_URL": None,
            **env,
        },
    )


def test_the_installed_geo_script_runs_and_errors_in_one_line(tmp_path: Path) -> None:
    """The one subprocess test: the console script's entry point, exit status and stderr."""
    geo = Path(sys.executable).with_name("geo")
    env = {**os.environ, "GEO_GPKG_PATH": str(tmp_path / "geo.gpkg"), "COLUMNS": "120"}
    env.pop("GEO_DATABASE_URL", None)
    done = subprocess.run(
        [str(geo), "coverage", "2026-W60"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("geo: error: "), lines
    assert "the store holds no township yet" in lines[0]


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
    assert '"method": "fast"' in as_json.stdout
    gaps = run(["coverage", "2026-W47", "--format", "geojson"], tmp_path)
    assert gaps.returncode == 0, gaps.stderr
    collection = json.loads(gaps.stdout)
    assert collection["type"] == "FeatureCollection" and collection["features"]
    ranks = [f["properties"]["rank"] for f in collection["features"]]
    assert ranks == list(range(1, len(ranks) + 1))
    exact = run(["coverage", "2026-W47", "--method", "exact", "--format", "json"], tmp_path)
    assert exact.returncode == 0 and '"method": "exact"' in exact.stdout
    timed = run(["coverage", "2026-W47", "--method", "fast", "--lang", "en"], tmp_path)
    assert timed.returncode == 0 and "took" in timed.stderr and "(fast)" in timed.stderr


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
        ["keys", "create"],
        ["keys", "list"],
        ["keys", "revoke"],
        ["report", "month"],
        ["audit", "list"],
        ["plan"],
        ["cameras", "suggest"],
    ):
        done = run([*command, "--help"], tmp_path)
        assert done.returncode == 0, command
        assert "Example" in done.stdout, command


def test_dry_run_prints_the_report_and_stores_nothing(tmp_path: Path) -> None:
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


def test_keys_are_created_listed_and_revoked(tmp_path: Path) -> None:
    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    made = run(
        ["keys", "create", "--role", "patrol", "--squad", "squad-01", "--name", "手机"], tmp_path
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("geo_") and "\n" not in token  # stdout holds the key alone
    assert "will not be shown again" in made.stderr and "不会再显示" in made.stderr
    listed = run(["keys", "list", "--format", "json"], tmp_path)
    keys = json.loads(listed.stdout)
    assert [(k["role"], k["squad"], k["name"]) for k in keys] == [("patrol", "squad-01", "手机")]
    assert token.split("_", 2)[2] not in listed.stdout
    table = run(["keys", "list"], tmp_path)
    assert keys[0]["key_id"] in table.stdout and token.split("_", 2)[2] not in table.stdout
    done = run(["keys", "revoke", keys[0]["key_id"]], tmp_path)
    assert done.returncode == 0 and "revoked patrol key" in done.stdout
    again = json.loads(run(["keys", "list", "--format", "json"], tmp_path).stdout)
    assert again[0]["revoked_at"] is not None


def test_key_errors_are_one_line(tmp_path: Path) -> None:
    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    cases = [
        (["keys", "create", "--role", "chief"], "unknown role 'chief'"),
        (["keys", "create", "--role", "patrol"], "a patrol key needs --squad"),
        (["keys", "create", "--role", "patrol", "--squad", "squad-99"], "squad 'squad-99' is not"),
        (["keys", "revoke", "0123456789ab"], "no API key with id 0123456789ab"),
    ]
    for args, words in cases:
        done = run(args, tmp_path)
        assert done.returncode == 2, args
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("geo: error: ") and words in lines[0], lines


def test_the_demo_key_is_reused_while_it_works(tmp_path: Path) -> None:
    from geo import access
    from geo.keys import Role
    from geo.store.geopackage import GeoPackageStore

    store = GeoPackageStore(tmp_path / "geo.gpkg")
    path = tmp_path / "var" / "demo-key.txt"
    token, created = access.demo_key(store, path)
    assert created and path.read_text().strip() == token
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert access.authenticate(store, token).role is Role.ADMIN
    assert access.demo_key(store, path) == (token, False)
    access.revoke_key(store, token)
    renewed, created = access.demo_key(store, path)
    assert created and renewed != token and path.read_text().strip() == renewed


def test_coordinate_systems_named_by_the_file_in_the_cli(tmp_path: Path) -> None:
    """A file naming GCJ-02 sent with --crs wgs84 is one error line naming both; a track that
    only looks like GCJ-02 is stored with a warning line (zh and en)."""
    from geo.ingest.chinacrs import wgs84_to_gcj02
    from geo.layers import read_layers_dir
    from geo.tracks.gpx_write import write_gpx
    from tests.tracks.exports import FOREST_ROUND, csv_named_header, forest_patrol

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    named = tmp_path / "gcj.csv"
    named.write_bytes(
        csv_named_header(
            forest_patrol(layers, FOREST_ROUND), "时间,经度(GCJ-02),纬度(GCJ-02)", "gcj02"
        )
    )
    done = run(["tracks", "import", str(named), "--squad", "squad-04", "--crs", "wgs84"], tmp_path)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == [
        f"geo: error: {named}: the file says its coordinates are gcj02 but the upload says "
        "crs=wgs84; send it again with crs=gcj02, or without crs to use the file's own"
    ]
    walk = forest_patrol(layers, ("CP-13", "CP-15"))
    suspect = tmp_path / "walk.gpx"
    suspect.write_bytes(write_gpx(*wgs84_to_gcj02(walk["lon"], walk["lat"]), walk["time"]))
    done = run(["tracks", "import", str(suspect), "--squad", "squad-04"], tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "GCJ-02（火星坐标）" in warnings[0]
    assert "may be GCJ02, not WGS84" in warnings[0]


def test_serve_refuses_several_processes_on_the_geopackage_store(tmp_path: Path) -> None:
    done = run(["serve", "--workers", "2"], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "GeoPackage store has a single writer" in done.stderr


def test_choices_are_listed_by_help_and_checked(tmp_path: Path) -> None:
    """Options with choices are Literal types: ``--help`` lists the choices and another value
    is refused before the command runs (exit status 2, naming the choices)."""
    cases = {
        ("coverage",): ("<table|json|geojson>", "<fast|exact>", "<zh|en>"),
        ("daily",): ("<table|json>",),
        ("report", "month"): ("<zh|en>",),
        ("layers", "export"): ("<gpkg|geojson|shp>",),
        ("tracks", "import"): ("<text|json>",),
        ("drone", "import"): ("<text|json>",),
        ("keys", "list"): ("<table|json>",),
        ("audit", "list"): ("<table|json>",),
    }
    for command, choices in cases.items():
        shown = run([*command, "--help"], tmp_path)
        assert shown.returncode == 0, command
        for choice in choices:
            assert choice in shown.stdout, (command, choice)
    refusals = [
        (["coverage", "2026-W47", "--format", "xml"], "'xml' is not one of"),
        (["coverage", "2026-W47", "--method", "slow"], "'slow' is not one of"),
        (["report", "month", "2026-11", "--lang", "fr"], "'fr' is not one of"),
        (["keys", "list", "--format", "csv"], "'csv' is not one of"),
        (["audit", "list", "--limit", "0"], "greater than or equal to 1"),
    ]
    for args, words in refusals:
        done = run(args, tmp_path)
        assert done.returncode == 2, args
        assert words in " ".join(done.stderr.split()), (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "geo.gpkg").exists()  # refused before any store was opened
