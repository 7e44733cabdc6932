"""Fixtures of the storage tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from geo.store.sql import SqlStore


@pytest.fixture
def pg_store(postgis_url: str) -> Iterator[SqlStore]:
    """The PostGIS store, emptied (its partitions stay)."""
    from tests.conftest import _truncate

    _truncate(postgis_url)
    from geo.store.postgis import PostGISStore

    s = PostGISStore(postgis_url)
    yield s
    s.close()
