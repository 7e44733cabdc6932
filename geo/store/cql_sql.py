"""A CQL2 filter (pygeofilter's tree) as a SQLAlchemy Core condition over one layer table.

Comparison, logical, LIKE, IN, BETWEEN, IS NULL and the spatial predicates (``S_INTERSECTS``,
``S_DISJOINT``, ``S_CONTAINS``, ``S_WITHIN``, ``S_TOUCHES``, ``S_CROSSES``, ``S_OVERLAPS``,
``S_EQUALS``, ``BBOX``) are written once: PostGIS has the ``ST_*`` functions, and the
GeoPackage registers them on each connection (:func:`geo.store.geopackage.register_functions`).
Temporal predicates are refused (``datetime`` is the time filter).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import shapely
from pygeofilter import ast, values
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Table,
    and_,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    true,
)

from geo.errors import InvalidQuery
from geo.store.rows import LAYER_COLUMNS_OF
from geo.store.tables import LAYER_TABLES
from geo.store.types import Shape

#: Spatial predicate → the SQL function both stores offer.
SPATIAL_FUNCTIONS: dict[type[ast.Node], str] = {
    ast.GeometryIntersects: "ST_Intersects",
    ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains",
    ast.GeometryWithin: "ST_Within",
    ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps",
    ast.GeometryEquals: "ST_Equals",
}
_COMPARE: dict[ast.ComparisonOp, Callable[[Any, Any], Any]] = {
    ast.ComparisonOp.EQ: lambda a, b: a == b,
    ast.ComparisonOp.NE: lambda a, b: a != b,
    ast.ComparisonOp.LT: lambda a, b: a < b,
    ast.ComparisonOp.LE: lambda a, b: a <= b,
    ast.ComparisonOp.GT: lambda a, b: a > b,
    ast.ComparisonOp.GE: lambda a, b: a >= b,
}


def geometry_literal(geom: BaseGeometry) -> ColumnElement[Any]:
    """A geometry (WGS-84) as a bound SQL value of either store."""
    return literal(geom, type_=Shape("GEOMETRY"))


def to_sql(
    node: Any,
    columns: Mapping[str, ColumnElement[Any]],
    geom: ColumnElement[Any],
) -> ColumnElement[bool]:
    """The SQL condition of a filter.

    Parameters
    ----------
    node
        The parsed filter with its geometries in WGS-84
        (:func:`geo.feature_query.in_storage_crs`).
    columns
        Property name → column (the queryables; ``geometry`` is ``geom``).
    geom
        The geometry column.

    Raises
    ------
    InvalidQuery
        For a property not in ``columns`` or an operator that is not offered.
    """

    def value(item: Any) -> Any:
        if isinstance(item, ast.Attribute):
            if item.name == "geometry":
                return geom
            if item.name not in columns:
                raise InvalidQuery(f"filter names {item.name!r}, not a queryable property")
            return columns[item.name]
        if isinstance(item, ast.Node):
            return walk(item)
        if isinstance(item, bool | int | float | str):
            return literal(item)
        if isinstance(item, datetime | date):
            raise InvalidQuery("filter compares a time; filter by time with datetime instead")
        if item is None:
            return null()
        raise InvalidQuery(f"filter value {item!r} is not offered here")

    def spatial(item: Any) -> Any:
        if isinstance(item, values.Geometry):
            return geometry_literal(shape(item.geometry))
        return value(item)

    def walk(n: Any) -> Any:
        if isinstance(n, ast.And):
            return and_(walk(n.lhs), walk(n.rhs))
        if isinstance(n, ast.Or):
            return or_(walk(n.lhs), walk(n.rhs))
        if isinstance(n, ast.Not):
            return not_(walk(n.sub_node))
        if isinstance(n, ast.Comparison):
            return _COMPARE[n.op](value(n.lhs), value(n.rhs))
        if isinstance(n, ast.Between):
            test = value(n.lhs).between(value(n.low), value(n.high))
            return not_(test) if n.not_ else test
        if isinstance(n, ast.Like):
            # CQL2's wildcards are SQL's (% and _) and its escape is the backslash
            column = value(n.lhs)
            test = (
                func.lower(column).like(func.lower(literal(n.pattern)), escape="\\")
                if n.nocase
                else column.like(literal(n.pattern), escape="\\")
            )
            return not_(test) if n.not_ else test
        if isinstance(n, ast.In):
            test = value(n.lhs).in_([value(v) for v in n.sub_nodes])
            return not_(test) if n.not_ else test
        if isinstance(n, ast.IsNull):
            column = value(n.lhs)
            return column.is_not(None) if n.not_ else column.is_(None)
        if isinstance(n, ast.Include):
            return false() if n.not_ else true()
        if type(n) in SPATIAL_FUNCTIONS:
            name = SPATIAL_FUNCTIONS[type(n)]
            return getattr(func, name)(spatial(n.lhs), spatial(n.rhs), type_=Boolean)
        raise InvalidQuery(f"filter operator {type(n).__name__} is not offered")

    result: ColumnElement[bool] = walk(node)
    return result


def layer_condition(
    layer: str, bbox: tuple[float, float, float, float] | None, node: Any
) -> Callable[[Table], ColumnElement[bool] | None]:
    """The condition of :meth:`geo.store.sql.SqlStore.layer_features` for a ``bbox``
    (CRS84) and a filter (WGS-84 geometries), over the layer's queryable columns."""

    def where(table: Table) -> ColumnElement[bool] | None:
        parts: list[ColumnElement[bool]] = []
        if bbox is not None:
            box = geometry_literal(shapely.box(*bbox))
            parts.append(func.ST_Intersects(table.c.geom, box, type_=Boolean))
        if node is not None:
            columns = {c: table.c[c] for c in LAYER_COLUMNS_OF[layer]}
            parts.append(to_sql(node, columns, table.c.geom))
        return and_(*parts) if parts else None

    return where


#: SQL column type → JSON Schema type.
_JSON_TYPES: dict[type[Any], str] = {Boolean: "boolean", Integer: "integer", Float: "number"}
_GEOMETRY_FORMATS: dict[str, str] = {
    "POINT": "geometry-point",
    "LINESTRING": "geometry-linestring",
    "LINESTRINGZ": "geometry-linestring",
    "MULTIPOLYGON": "geometry-multipolygon",
}


def _json_type(kind: Any) -> str:
    return next((v for k, v in _JSON_TYPES.items() if isinstance(kind, k)), "string")


def layer_queryables(layer: str) -> dict[str, dict[str, Any]]:
    """The queryable properties of a stored layer as JSON Schema property schemas: its
    stored columns (``type`` from the column) and ``geometry``.

    Examples
    --------
    >>> q = layer_queryables("cameras")
    >>> q["status"], q["range_m"], q["geometry"]
    ({'type': 'string', 'title': 'status'}, {'type': 'number', 'title': 'range_m'}, \
{'format': 'geometry-point', 'title': 'geometry'})
    """
    table = LAYER_TABLES[layer]
    out: dict[str, dict[str, Any]] = {}
    for name in LAYER_COLUMNS_OF[layer]:
        out[name] = {"type": _json_type(table.c[name].type), "title": name}
    geometry_type = getattr(table.c.geom.type, "geometry_type", "GEOMETRY")
    out["geometry"] = {
        "format": _GEOMETRY_FORMATS.get(str(geometry_type), "geometry-any"),
        "title": "geometry",
    }
    return out
