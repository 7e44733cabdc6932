"""bench/scale.py keeps working: a county of one township and two weeks (the second derived from
the first), generated into its own database beside the test one and recomputed on LocalClusters
of 1 and 2 workers, stores the same results on both (its figures are not judged here: speed
belongs to the bench's run). Derived weeks are deterministic and differ from week to week."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from types import ModuleType

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import ROOT


@pytest.mark.postgis
def test_the_scale_bench_runs_and_both_clusters_store_the_same_results(postgis_url: str) -> None:
    url = make_url(postgis_url)
    database = f"{url.database}_scale"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    bench_url = url.set(database=database)
    engine = create_engine(bench_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION postgis"))
    engine.dispose()
    try:
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "scale.py"),
                "--townships",
                "1",
                "--weeks",
                "2",
                "--distinct-weeks",
                "1",
                "--database-url",
                bench_url.render_as_string(hide_password=False),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        summary = json.loads(done.stdout.splitlines()[-1])
        assert summary["township_weeks"] == 2 and summary["same_results"] is True
        assert [run["workers"] for run in summary["runs"]] == [1, 2]
        assert summary["generated"]["fixes"] > 50_000
        assert all(run["fixes_used"] > 50_000 for run in summary["runs"])
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def _scale_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_derived_weeks_are_deterministic_shifted_and_vary() -> None:
    from geo import operations
    from geo.weeks import IsoWeek

    scale = _scale_module()
    layers = scale.township_layers(0)
    model_week = IsoWeek(2025, 1)
    models = {model_week: operations.simulated_uploads(layers, model_week, seed=2026)}
    weeks = [IsoWeek(2025, w) for w in (2, 3, 4)]
    derived = [scale.derived_uploads(layers, 2026, w, models) for w in weeks]
    again = scale.derived_uploads(layers, 2026, weeks[0], models)
    assert [u.sha256 for u in again] == [u.sha256 for u in derived[0]]
    for week, uploads in zip(weeks, derived, strict=True):
        start = pd.Timestamp(week.monday, tz=layers.info.tz) - pd.Timedelta(hours=2)
        end = start + pd.Timedelta(days=7, hours=4)
        assert all(start <= u.fixes["time"].min() and u.fixes["time"].max() < end for u in uploads)
        assert 0 < len(uploads) < len(models[model_week])
    # Each week leaves out its own squad-days, so coverage varies from week to week.
    days = [{(u.squad, u.filename[-10:]) for u in uploads} for uploads in derived]
    shifted = [
        {(s, str(pd.Timestamp(d) - pd.Timedelta(weeks=i + 1))[:10]) for s, d in ds}
        for i, ds in enumerate(days)
    ]
    assert len({frozenset(s) for s in shifted}) == 3
    hashes = [u.sha256 for uploads in [models[model_week], *derived] for u in uploads]
    assert len(set(hashes)) == len(hashes)
