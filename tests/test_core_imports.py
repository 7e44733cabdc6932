"""The compute core imports neither web nor database code."""

from __future__ import annotations

import subprocess
import sys


def test_compute_core_imports_no_web_or_database_code() -> None:
    code = (
        "import sys; import geo.coverage, geo.tracks.gpx, geo.ingest.cleaning, "
        "geo.ingest.pipeline, "
        "geo.simulate, geo.layers, geo.keys, geo.features, geo.layer_edits, "
        "geo.coverage.camera_status; "
        "import geo.ingest.trackers, geo.devices; "
        "import geo.dispatch.plan, geo.dispatch.gpx, geo.dispatch.cameras, geo.dispatch.risk; "
        "bad = [m for m in ('fastapi', 'starlette', 'sqlalchemy', 'geoalchemy2', 'psycopg') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_starts_without_heavy_libraries() -> None:
    """``geo --help`` stays fast: the CLI module imports the heavy libraries only in commands."""
    heavy = ("geopandas", "shapely", "sqlalchemy", "fastapi", "numba", "pandas", "pydantic")
    code = f"import sys; import geo.cli; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
