"""A store of either kind holding the demo layers and simulated weeks, once per module.

Module-scoped fixtures call :func:`simulated_store`; the function-scoped ``store`` fixture of
tests/conftest.py would simulate again for every test. A GeoPackage is a copy of a template
simulated once per session; PostGIS is simulated per module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from geo import operations
from geo.layers import TownshipLayers
from geo.store import Store
from geo.weeks import IsoWeek
from tests.conftest import SimulatedStores, _truncate

STORE_KINDS = ["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)]
HOSTILE_NAME = "<script>alert(1)</script>"


def hostile_layers(layers: TownshipLayers) -> TownshipLayers:
    """The layers with the first village renamed to a script tag, in both languages (it must
    show as text)."""
    villages = layers.villages.copy()
    villages.loc[villages.index[0], ["name", "name_en"]] = HOSTILE_NAME
    return TownshipLayers(**{**layers.__dict__, "villages": villages})


def simulated_store(
    request: pytest.FixtureRequest,
    directory: Path,
    layers: TownshipLayers | Sequence[TownshipLayers],
    weeks: list[IsoWeek],
) -> Store:
    """A store of the kind ``request.param`` with ``layers`` (one township or several) and
    ``weeks`` simulated for each: a copy of the session's template for a GeoPackage
    (tests/conftest.py ``simulated_stores``)."""
    if request.param == "gpkg":
        templates: SimulatedStores = request.getfixturevalue("simulated_stores")
        return templates.copy(directory / "geo.gpkg", layers, weeks)
    url = request.getfixturevalue("postgis_url")
    _truncate(url)
    from geo.store.postgis import PostGISStore

    store: Store = PostGISStore(url)
    for township in [layers] if isinstance(layers, TownshipLayers) else layers:
        store.save_layers(township)
        for week in weeks:
            operations.simulate_and_import(
                store, township, week, directory / township.info.code / str(week)
            )
    return store
