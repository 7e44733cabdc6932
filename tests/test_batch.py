"""geo batch coverage: township-weeks on a dask.distributed LocalCluster give the results of
the in-process path (two townships with different rules, on both stores), ``--stale`` computes
only what a rule change made stale, and a failed township-week is reported, not fatal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from geo import operations
from geo.batch import StoreAddress, run_batch, township_weeks
from geo.errors import InvalidInput
from geo.layers import TownshipLayers
from geo.store import NewUpload, Store
from geo.store.tables import Township, table_of
from geo.weeks import IsoWeek, parse_weeks
from tests.cli_runner import run_geo

DEMO = "433122207"
#: The second township: the demo layers under another code, with stricter rules.
STRICT = "433122208"
WEEKS = [IsoWeek(2026, 46), IsoWeek(2026, 47)]


def address_of(store: Store) -> StoreAddress:
    """Where a worker finds the test's store."""
    url = getattr(store, "url", None)
    return StoreAddress(url, "" if url else str(store.path))  # type: ignore[attr-defined]


def strict_layers(demo: TownshipLayers) -> TownshipLayers:
    rules = replace(
        demo.info.rules, patrol_radius_m=20.0, min_road_coverage=0.9, min_minutes_in_village=60.0
    )
    return replace(demo, info=replace(demo.info, code=STRICT, rules=rules))


@pytest.fixture(scope="session")
def county_uploads(demo_layers: TownshipLayers) -> list[tuple[TownshipLayers, list[NewUpload]]]:
    """Two townships with the same roads and patrols but different rules, and their simulated
    uploads of two weeks (simulated and cleaned once per session)."""
    return [
        (layers, [u for week in WEEKS for u in operations.simulated_uploads(layers, week)])
        for layers in (demo_layers, strict_layers(demo_layers))
    ]


@pytest.fixture
def county(store: Store, county_uploads: list[tuple[TownshipLayers, list[NewUpload]]]) -> Store:
    """The store holding the two townships and their two weeks of patrols."""
    for layers, uploads in county_uploads:
        store.save_layers(layers)
        for upload in uploads:
            store.add_upload(upload)
    return store


def stored(store: Store) -> dict[tuple[str, str], Any]:
    """Every stored result (its table and its gaps), without the time it was computed."""
    found = {}
    for township in store.townships():
        for week in store.coverage_weeks(township):
            loaded = store.load_coverage(township, week)
            assert loaded is not None
            result = loaded[0]
            table = result.model_dump(mode="json")
            table.pop("computed_at")
            found[(township, week)] = (table, result.gaps_geojson().model_dump(mode="json"))
    return found


def computed_at(store: Store) -> dict[tuple[str, str], str]:
    return {
        (t, w): store.load_coverage(t, w)[0].computed_at  # type: ignore[index]
        for t in store.townships()
        for w in store.coverage_weeks(t)
    }


def test_two_workers_give_the_in_process_results(county: Store) -> None:
    """The Done-when test of issue 15 (on PostGIS; the GeoPackage file takes the same
    LocalCluster of processes). A missing township and a week outside the supported years
    fail alone: the other township-weeks are computed and stored."""
    address = address_of(county)
    pairs = township_weeks(county, None, WEEKS)
    assert pairs == [(t, str(w)) for t in (DEMO, STRICT) for w in WEEKS]
    reference = run_batch(address, pairs, in_process=True)
    assert [o.status for o in reference.outcomes] == ["computed"] * 4
    expected = stored(county)
    assert set(expected) == set(pairs)
    # The rules differ, so the same patrols give other figures in the strict township.
    demo, strict = expected[(DEMO, "2026-W47")][0], expected[(STRICT, "2026-W47")][0]
    assert demo["villages"] != strict["villages"]
    assert demo["villages_passed"] > strict["villages_passed"]
    before = computed_at(county)

    seen: list[str] = []
    bad = [("433122299", "2026-W47"), (DEMO, "1999-W01")]
    report = run_batch(
        address, [*pairs, *bad], workers=2, on_outcome=lambda o: seen.append(o.status)
    )
    assert report.workers == 2 and report.where == "LocalCluster of 2 processes"
    assert len(seen) == 6 and len(report.memory_mb) == 2
    by_pair = {(o.township, o.week): o for o in report.outcomes}
    assert {p: by_pair[p].status for p in pairs} == dict.fromkeys(pairs, "computed")
    assert "433122299" in by_pair[bad[0]].error and by_pair[bad[0]].status == "failed"
    assert "supported years" in by_pair[bad[1]].error and by_pair[bad[1]].status == "failed"
    after = computed_at(county)
    assert all(after[p] > before[p] for p in pairs)  # computed again by the workers
    assert stored(county) == expected
    assert {by_pair[(t, str(w))].fixes_used for t, w in pairs[:2]} == {
        expected[(DEMO, str(w))][0]["fixes_used"] for w in WEEKS
    }


def test_stale_recomputes_only_what_a_rule_change_made_stale(
    county: Store, demo_layers: TownshipLayers
) -> None:
    address = address_of(county)
    pairs = township_weeks(county, None, WEEKS)
    first = run_batch(address, pairs, stale=True, in_process=True)
    assert first.count("computed") == 4  # nothing stored yet: every week is stale
    again = run_batch(address, pairs, stale=True, in_process=True)
    assert again.count("current") == 4 and again.count("computed") == 0
    # A rule change in one township makes its weeks (and only those) stale.
    looser = replace(strict_layers(demo_layers).info.rules, min_minutes_in_village=5.0)
    layers = strict_layers(demo_layers)
    county.save_layers(replace(layers, info=replace(layers.info, rules=looser)))
    third = run_batch(address, pairs, stale=True, in_process=True)
    assert {(o.township, o.status) for o in third.outcomes} == {
        (DEMO, "current"),
        (STRICT, "computed"),
    }
    fresh = operations.week_coverage(county, STRICT, WEEKS[1], refresh=True)
    table = fresh.model_dump(mode="json")
    table.pop("computed_at")
    assert stored(county)[(STRICT, "2026-W47")][0] == table


def _env(store: Store) -> dict[str, str | None]:
    address = address_of(store)
    return {
        "GEO_DATABASE_URL": address.database_url,
        "GEO_GPKG_PATH": address.gpkg_path or None,
        "GEO_TOWNSHIP": None,
    }


def test_the_command_reports_failed_township_weeks_and_exits_non_zero(
    county: Store, tmp_path: Path
) -> None:
    args = ["batch", "coverage", "--all", "--weeks", "2026-W46..2026-W47", "--in-process"]
    done = run_geo([*args, "--format", "json"], _env(county))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["township_weeks"] == 4 and summary["computed"] == 4
    assert summary["failed"] == []
    # A township whose stored settings no longer load fails alone; the run says which.
    township = table_of(Township)
    with county.engine.begin() as conn:  # type: ignore[attr-defined]
        where = township.c.code == STRICT
        settings = conn.scalar(select(township.c.settings).where(where))
        settings = {**settings, "timezone": "Mars/Olympus_Mons"}
        conn.execute(update(township).where(where).values(settings=settings))
    done = run_geo([*args, "--stale"], _env(county))
    assert done.returncode == 2
    assert "4 township-weeks (in process): 0 computed, 2 already current, 2 failed" in (done.stdout)
    failed = [line for line in done.stderr.splitlines() if line.startswith("geo: error:")]
    assert [line.split(":")[2].strip() for line in failed] == [
        f"{STRICT} 2026-W46",
        f"{STRICT} 2026-W47",
    ]
    assert all("Mars/Olympus_Mons" in line for line in failed), failed


def test_the_command_refuses_what_cannot_run(store: Store, demo_layers: TownshipLayers) -> None:
    county = store
    for layers in (demo_layers, strict_layers(demo_layers)):
        county.save_layers(layers)
    weeks = ["--weeks", "2026-W47"]
    both = run_geo(["batch", "coverage", "--all", "-t", DEMO, *weeks], _env(county))
    assert both.returncode == 2 and "not both" in both.stderr
    unknown = run_geo(["batch", "coverage", "-t", "433122299", *weeks], _env(county))
    assert unknown.returncode == 2 and "433122299 is not in the store" in unknown.stderr
    backwards = run_geo(
        ["batch", "coverage", "--all", "--weeks", "2026-W47..2026-W01"], _env(county)
    )
    assert backwards.returncode == 2 and "end before they start" in backwards.stderr
    several = run_geo(["batch", "coverage", *weeks, "--in-process"], _env(county))
    assert several.returncode == 2 and "several townships" in several.stderr
    with_workers = run_geo(
        [
            "batch",
            "coverage",
            "--all",
            *weeks,
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--workers",
            "2",
        ],
        _env(county),
    )
    assert with_workers.returncode == 2
    if address_of(county).embedded:
        assert "--scheduler needs PostGIS" in with_workers.stderr
    else:
        assert "a --scheduler has its own workers" in with_workers.stderr
        nowhere = run_geo(
            ["batch", "coverage", "--all", *weeks, "--scheduler", "nowhere://x"], _env(county)
        )
        assert nowhere.returncode == 2
        assert "cannot reach the Dask scheduler at nowhere://x" in nowhere.stderr


def test_week_ranges() -> None:
    assert [str(w) for w in parse_weeks(" 2026-W52..2027-W01 ")] == [
        "2026-W52",
        "2026-W53",
        "2027-W01",
    ]
    for bad in ("2026-W48..", "2026-W48..2026-W47", "2026-W54", "1999-W01..2026-W01"):
        with pytest.raises(InvalidInput):
            parse_weeks(bad)


@pytest.mark.parametrize(
    "store", [pytest.param("postgis", marks=pytest.mark.postgis)], indirect=True
)
def test_a_scheduler_and_workers_as_the_systemd_units_start_them(
    county: Store, tmp_path: Path
) -> None:
    """docs/deploy.md's units: `dask scheduler` and `dask worker --nworkers 2 --nthreads 1`
    as their own processes; `geo batch coverage --scheduler` sends the township-weeks there."""
    from distributed import Client

    pairs = township_weeks(county, None, WEEKS)
    run_batch(address_of(county), pairs, in_process=True)
    expected = stored(county)
    dask = str(Path(sys.executable).with_name("dask"))
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("GEO_DATABASE_URL", None)  # the workers get the URL with each task
    scheduler_file = tmp_path / "scheduler.json"
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            subprocess.Popen(
                [
                    dask,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for _ in range(600):
            if scheduler_file.exists() and scheduler_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        started.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--memory-limit",
                    "auto",
                    "--no-dashboard",
                ],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=180)
        args = ["batch", "coverage", "--all", "--weeks", "2026-W46..2026-W47"]
        done = run_geo([*args, "--scheduler", address, "--format", "json"], _env(county))
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["where"] == address and summary["workers"] == 2
        assert summary["computed"] == 4 and summary["failed"] == []
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=60)
    assert stored(county) == expected
