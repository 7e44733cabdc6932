"""``geo plan`` and ``geo cameras suggest`` on the demo week, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import Done
from tests.test_cli import run


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the demo week 2026-W47 (``geo demo --no-serve``)."""
    tmp = tmp_path_factory.mktemp("plan")
    done = run(["demo", "--week", "2026-W47", "--no-serve"], tmp)
    assert done.returncode == 0, done.stderr
    return tmp


def plan(args: list[str], tmp: Path) -> Done:
    return run(["plan", "2026-W48", *args], tmp)


def test_plan_table_lists_each_squad_day_and_the_coverage_reached(demo_dir: Path) -> None:
    done = plan([], demo_dir)
    assert done.returncode == 0, done.stderr
    assert "2026-W48 巡查计划" in done.stdout and "用时" in done.stderr
    for squad in range(1, 8):
        assert f"squad-0{squad}" in done.stdout
    assert "瓦槽村小学" in done.stdout  # squad-06's missed school is on its plan
    assert "道路覆盖率：上周 → 按计划" in done.stdout and "合计" in done.stdout
    assert "全乡道路覆盖率: " in done.stdout
    english = plan(["--lang", "en", "--squad", "squad-06"], demo_dir)
    assert english.returncode == 0, english.stderr
    assert "patrol plan" in english.stdout and "squad-01" not in english.stdout


def test_plan_json_is_the_plan_model_and_agrees_with_gpx(demo_dir: Path) -> None:
    done = plan(["--format", "json", "--gpx-dir", str(demo_dir / "gpx")], demo_dir)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)  # the files are named on stderr
    assert "wrote" in done.stderr
    assert body["week"] == "2026-W48"
    assert body["based_on"] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    days = [(s["squad"], d["day"]) for s in body["squads"] for d in s["days"]]
    assert days and all(
        d["route"]["type"] == "LineString" for s in body["squads"] for d in s["days"]
    )
    total = sum(d["length_m"] for s in body["squads"] for d in s["days"])
    assert body["length_m"] == pytest.approx(total, abs=1.0)
    files = sorted(p.name for p in (demo_dir / "gpx").glob("*.gpx"))
    assert files == sorted(f"{s}_2026-W48_day{d}.gpx" for s, d in days)
    waca = {v["name"]: v for v in body["villages"]}["瓦槽村"]
    assert waca["planned"] > waca["last_week"]  # the plan reaches more of its roads


def test_plan_sheets_one_per_squad(demo_dir: Path) -> None:
    done = plan(["--squad", "squad-06", "--sheet", str(demo_dir / "sheets")], demo_dir)
    assert done.returncode == 0, done.stderr
    sheets = list((demo_dir / "sheets").glob("*.html"))
    assert [p.name for p in sheets] == ["433122207-2026-W48-squad-06-sheet.html"]
    html = sheets[0].read_text(encoding="utf-8")
    assert "巡查计划单" in html and "squad-06" in html and "<script" not in html


def test_plan_errors_are_one_line(demo_dir: Path) -> None:
    unknown = plan(["--squad", "squad-99"], demo_dir)
    assert unknown.returncode == 2 and "squad 'squad-99' has no village" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad = run(["plan", "2026-W48", "--format", "csv"], demo_dir)
    assert bad.returncode == 2


def test_cameras_suggest_table_and_json(demo_dir: Path) -> None:
    done = run(["cameras", "suggest", "--count", "2", "--week", "2026-W47"], demo_dir)
    assert done.returncode == 0, done.stderr
    assert "suggested camera sites" in done.stdout and "未覆盖 uncovered" in done.stdout
    village = "433122207206"
    as_json = run(
        ["cameras", "suggest", "-k", "2", "--village", village, "--format", "json"], demo_dir
    )
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert [s["rank"] for s in body["sites"]] == [1, 2]
    assert {s["village_code"] for s in body["sites"]} == {village}
    added = sum(s["added_m2"] for s in body["sites"])
    assert body["uncovered_after_m2"] == pytest.approx(body["uncovered_m2"] - added, abs=0.5)
    missing = run(["cameras", "suggest", "--village", "nope"], demo_dir)
    assert missing.returncode == 2 and "village 'nope' is not in township" in missing.stderr
