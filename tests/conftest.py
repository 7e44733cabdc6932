"""Shared fixtures: the demo layers, both stores, real files from ../shared."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import hypothesis
import pytest
from sqlalchemy import create_engine, text

from geo.layers import TownshipLayers, read_layers_dir
from geo.store import Store
from geo.store.geopackage import GeoPackageStore
from geo.weeks import IsoWeek

ROOT = Path(__file__).resolve().parents[1]
LAYERS_DIR = ROOT / "layers" / "xiaozhang"
#: The illustrative county: three townships with their own rules, time zone and CRS.
COUNTY_DIR = ROOT / "layers" / "county-sample"
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def demo_layers() -> TownshipLayers:
    return read_layers_dir(LAYERS_DIR)


@pytest.fixture(scope="session")
def county_layers() -> list[TownshipLayers]:
    """The townships of layers/county-sample, by code (433122901 east, 902 west in another
    CRS with looser rules, 903 north in Asia/Urumqi with stricter rules)."""
    found = [read_layers_dir(d) for d in COUNTY_DIR.iterdir() if (d / "township.toml").is_file()]
    return sorted(found, key=lambda layers: layers.info.code)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data/real; skips without it, except in CI where it must exist."""
    path = SHARED / "data" / "real"
    if not path.is_dir():
        if IN_CI:
            pytest.fail(f"{path} is missing in CI")
        pytest.skip("../shared/data/real is not here (it is only on the developers' machines)")
    return path


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """A PostGIS database migrated to head once per session (GEO_TEST_DATABASE_URL)."""
    url = os.environ.get("GEO_TEST_DATABASE_URL")
    if not url:
        if IN_CI:
            pytest.fail("GEO_TEST_DATABASE_URL is not set in CI; run the tests with `make test`")
        pytest.skip("no GEO_TEST_DATABASE_URL: PostGIS tests skipped (make test starts one)")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    from geo.store.migrate import upgrade

    upgrade(url)
    yield url


def _truncate(url: str) -> None:
    from geo.store.tables import Base

    names = ", ".join(f'"{t}"' for t in Base.metadata.tables)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store kind, empty at the start of every test."""
    if request.param == "gpkg":
        s: Store = GeoPackageStore(tmp_path / "test.gpkg")
    else:
        url = request.getfixturevalue("postgis_url")
        _truncate(url)
        from geo.store.postgis import PostGISStore

        s = PostGISStore(url)
    yield s
    s.close()


class SimulatedStores:
    """GeoPackage stores holding layers and simulated weeks: each (layers, weeks) is simulated
    and imported once per test session into a template file, and every user gets a copy."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def copy(
        self,
        path: Path,
        layers: TownshipLayers | Sequence[TownshipLayers],
        weeks: Sequence[IsoWeek],
    ) -> GeoPackageStore:
        """A GeoPackage store at ``path`` holding ``layers`` (one township, or several: a
        county) and ``weeks`` simulated as GPX for each township."""
        townships = [layers] if isinstance(layers, TownshipLayers) else list(layers)
        key = hashlib.sha256(pickle.dumps((townships, [str(w) for w in weeks]))).hexdigest()[:16]
        template = self.directory / key / "geo.gpkg"
        if not template.exists():
            from geo import operations

            template.parent.mkdir()
            building = template.with_suffix(".building")
            store = GeoPackageStore(building)
            for township in townships:
                store.save_layers(township)
                for week in weeks:
                    folder = template.parent / township.info.code / str(week)
                    operations.simulate_and_import(store, township, week, folder)
            store.close()  # every call closes its connection: the file alone is the store
            building.rename(template)
        shutil.copy(template, path)
        return GeoPackageStore(path)


@pytest.fixture(scope="session")
def simulated_stores(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStores:
    """Templates of simulated GeoPackage stores, built once per session and copied per user."""
    return SimulatedStores(tmp_path_factory.mktemp("simulated-templates"))


# Hypothesis: `make test` runs the bounded profile (few derandomized examples, no deadline: the
# machine is shared); `make fuzz` sets HYPOTHESIS_PROFILE=fuzz (many random examples).
hypothesis.settings.register_profile(
    "bounded",
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)
hypothesis.settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("GEO_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))
