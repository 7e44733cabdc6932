"""bench/scale.py keeps working: a county of one township and two weeks, generated into its own
database beside the test one and recomputed on LocalClusters of 1 and 2 workers, stores the
same results on both (its figures are not judged here: speed belongs to the bench's run)."""

from __future__ import annotations

import json
import subprocess
import sys

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
