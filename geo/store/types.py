"""Column types that read and write the same Python values on PostGIS and in a GeoPackage.

Two SQLAlchemy type decorators over the columns of :mod:`geo.store.tables`:

- :class:`Shape`: a shapely geometry. PostGIS stores it as ``geometry`` (GeoAlchemy2's type,
  EWKB on the wire); a GeoPackage as a GeoPackage geometry blob
  (:mod:`geo.store.gpkg_geometry`).
- :class:`UtcTime`: an aware UTC :class:`datetime`. PostGIS stores ``timestamptz``; a
  GeoPackage ISO-8601 UTC text with milliseconds (``2026-11-23T01:02:03.000Z``), so text
  order is time order and GDAL reads it as a DATETIME.

Every read gives the same types on both stores, so nothing above them looks at which store
it reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from geoalchemy2 import Geometry
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from geo.store import gpkg_geometry

SRID = 4326
#: The dialect name of the GeoPackage file (SQLAlchemy's SQLite dialect).
GPKG = "sqlite"


def iso_utc(moment: datetime) -> str:
    """A time as GeoPackage DATETIME text in UTC.

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> iso_utc(datetime(2026, 11, 23, 9, 2, 3, tzinfo=timezone(timedelta(hours=8))))
    '2026-11-23T01:02:03.000Z'
    """
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_utc_array(times: pd.Series) -> list[str | None]:
    """:func:`iso_utc` for a whole column of UTC times at once (NaT → None), for bulk loads.

    Examples
    --------
    >>> iso_utc_array(pd.Series(pd.to_datetime(["2026-11-23 01:02:03", None], utc=True)))
    ['2026-11-23T01:02:03.000Z', None]
    """
    values = times.to_numpy(dtype="datetime64[ms]")
    text = np.datetime_as_string(values, unit="ms", timezone="UTC")
    return [None if t == "NaT" else str(t) for t in text]


class UtcTime(TypeDecorator[datetime]):
    """An aware UTC time: ``timestamptz`` in PostGIS, ISO-8601 UTC text in a GeoPackage."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == GPKG:
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == GPKG:
            return iso_utc(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(UTC)


class Shape(TypeDecorator[BaseGeometry]):
    """A shapely geometry in EPSG:4326: GeoAlchemy2's ``geometry`` in PostGIS, a GeoPackage
    geometry blob in a GeoPackage. ``geometry_type`` and ``dimension`` are GeoAlchemy2's."""

    impl = Geometry
    cache_ok = True

    def __init__(self, geometry_type: str, dimension: int = 2) -> None:
        super().__init__(geometry_type, srid=SRID, dimension=dimension, spatial_index=True)

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        # GeoAlchemy2 asks with no dialect, to find out that this is a geometry column.
        if dialect is not None and dialect.name == GPKG:
            return dialect.type_descriptor(LargeBinary())
        return self.impl_instance

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == GPKG:
            return gpkg_geometry.encode(np.asarray([value], dtype=object))[0]
        return from_shape(value, srid=SRID)

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        if dialect.name == GPKG:
            return gpkg_geometry.decode([value])[0]  # type: ignore[no-any-return]
        return to_shape(value)


__all__ = ["SRID", "Shape", "UtcTime", "iso_utc", "iso_utc_array"]
