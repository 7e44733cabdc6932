"""The county from the command line: ``geo layers load`` of a folder of townships (and of
several folders), keys for one township, ``geo county`` and ``geo report month --county``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from geo.store.geopackage import GeoPackageStore
from tests.conftest import COUNTY_DIR
from tests.test_cli import run

CODES = ["433122901", "433122902", "433122903"]


def test_the_county_commands_have_help_with_an_example(tmp_path: Path) -> None:
    for command in (["county"], ["layers", "load"], ["report", "month"], ["keys", "create"]):
        done = run([*command, "--help"], tmp_path)
        assert done.returncode == 0, command
        assert "Example" in done.stdout, command
    assert "--county" in run(["report", "month", "--help"], tmp_path).stdout
    assert "--township 433122207" in run(["keys", "create", "--help"], tmp_path).stdout


def test_a_folder_of_townships_loads_each_with_progress(tmp_path: Path) -> None:
    done = run(["layers", "load", str(COUNTY_DIR)], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line[:5] for line in lines] == ["[1/3]", "[2/3]", "[3/3]"]
    assert "示例东乡 (433122901)" in lines[0] and "7 villages" in lines[0]
    assert "[3/3] checking" in done.stderr
    assert GeoPackageStore(tmp_path / "geo.gpkg").townships() == CODES
    # Folders may be repeated, mixed with a township's own folder; each loads once.
    again = run(
        ["layers", "load", "layers/xiaozhang", str(COUNTY_DIR / "west"), str(COUNTY_DIR)],
        tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) == 4
    assert GeoPackageStore(tmp_path / "geo.gpkg").townships() == ["433122207", *CODES]


def test_one_bad_township_loads_none(tmp_path: Path) -> None:
    county = tmp_path / "county"
    shutil.copytree(COUNTY_DIR / "east", county / "a-east")
    shutil.copytree(COUNTY_DIR / "west", county / "b-west")
    toml = county / "b-west" / "township.toml"
    toml.write_text(
        toml.read_text().replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"')
    )
    done = run(["layers", "load", str(county)], tmp_path)
    assert done.returncode != 0
    assert "Mars/Olympus" in done.stderr and "b-west" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3  # progress lines, then the one error line
    assert GeoPackageStore(tmp_path / "geo.gpkg").townships() == []
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run(["layers", "load", str(empty)], tmp_path)
    assert nothing.returncode != 0 and "no township.toml" in nothing.stderr


def test_keys_for_one_township_and_the_county_view(tmp_path: Path) -> None:
    assert run(["layers", "load", str(COUNTY_DIR)], tmp_path).returncode == 0
    made = run(["keys", "create", "--role", "leader", "--township", "433122902"], tmp_path)
    assert made.returncode == 0, made.stderr
    assert "for township 433122902" in made.stderr
    county = run(["keys", "create", "--role", "planner"], tmp_path)
    assert "for the county" in county.stderr
    listed = json.loads(run(["keys", "list", "--format", "json"], tmp_path).stdout)
    assert [k["township"] for k in listed] == ["433122902", None]
    refused = run(["keys", "create", "--role", "admin", "--township", "433122902"], tmp_path)
    assert refused.returncode != 0 and "acts for the whole county" in refused.stderr
    unknown = run(["keys", "create", "--role", "leader", "--township", "433122999"], tmp_path)
    assert unknown.returncode != 0 and "433122999" in unknown.stderr

    view = run(["county", "--weeks", "2026-W46..2026-W47", "--format", "json"], tmp_path)
    assert view.returncode == 0, view.stderr
    body = json.loads(view.stdout)
    assert [t["township_code"] for t in body["townships"]] == CODES
    assert [t["timezone"] for t in body["townships"]][2] == "Asia/Urumqi"
    assert body["townships"][0]["weeks"]["2026-W47"]["status"] == "no_data"
    table = run(["county", "--weeks", "2026-W47", "--lang", "en"], tmp_path)
    assert "Sample North Township (433122903)" in table.stdout
    bad = run(["county", "--weeks", "2026-W47..2026-W01"], tmp_path)
    assert bad.returncode != 0 and "end before they start" in bad.stderr

    report = run(
        ["report", "month", "2026-11", "--county", "-o", str(tmp_path / "r.html")], tmp_path
    )
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "全县月调度报告" in html and all(code in html for code in CODES)
    both = run(["report", "month", "2026-11", "--county", "--township", "433122901"], tmp_path)
    assert both.returncode != 0 and "choose one" in both.stderr
