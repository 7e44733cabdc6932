"""Storage: one :class:`Store` protocol, implemented once (:class:`geo.store.sql.SqlStore`)
on a GeoPackage file (default) or PostGIS.

The store is imported lazily so that code which only needs the protocol does not load
SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

from geo.store.base import NewUpload, Store, UploadRecord

__all__ = ["NewUpload", "Store", "UploadRecord", "open_store"]


def open_store(database_url: str | None, gpkg_path: Path) -> Store:
    """Open the configured store: PostGIS for a ``postgresql`` URL, else the GeoPackage file.

    Raises
    ------
    geo.errors.StoreUnavailable
        When the database cannot be reached or its schema is not current.
    """
    if database_url:
        from geo.store.postgis import PostGISStore

        return PostGISStore(database_url)
    from geo.store.geopackage import GeoPackageStore

    return GeoPackageStore(gpkg_path)
