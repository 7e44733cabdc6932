"""A CQL2 filter (pygeofilter's tree) and ``datetime`` as a SQLAlchemy Core condition over
one collection's table (a layer's, or ``coverage_gaps`` for the gap collections).

Comparison, logical, LIKE, IN, BETWEEN, IS NULL and the spatial predicates (``S_INTERSECTS``,
``S_DISJOINT``, ``S_CONTAINS``, ``S_WITHIN``, ``S_TOUCHES``, ``S_CROSSES``, ``S_OVERLAPS``,
``S_EQUALS``, ``BBOX``) are written once: PostGIS has the ``ST_*`` functions, and the
GeoPackage registers them on each connection (:func:`geo.store.geopackage.register_functions`).

The temporal predicates (``T_INTERSECTS``, ``T_BEFORE``, ``T_AFTER``, ``T_DURING``... all of
CQL2's) compare the times of drone flights (``started_at``, ``ended_at``, stored as RFC 3339
text with their offset) as UTC instants: :class:`TextInstant` reads the text in SQL
(PostGIS: a cast to ``timestamptz``; GeoPackage: SQLite's ``strftime`` to the store's UTC
text), so both stores compare times, not text. The gaps' time is their ISO week, filtered by
``datetime`` as a range of week names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

import shapely
from pygeofilter import ast, values
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    TIMESTAMP,
    Boolean,
    ColumnElement,
    Float,
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from geo.errors import InvalidQuery
from geo.feature_query import TimeIntersects
from geo.features import GAP_COLLECTIONS, TimeInterval
from geo.store.rows import LAYER_COLUMNS_OF
from geo.store.tables import LAYER_TABLES
from geo.store.types import Shape, UtcTime

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


#: The columns of each collection with a time that hold RFC 3339 text (read by TextInstant).
TEXT_TIMES: Final[dict[str, tuple[str, ...]]] = {"drone_flights": ("started_at", "ended_at")}
#: The gap collections' properties after those with columns of their own (in the JSON).
GAP_JSON_PROPERTIES: Final[dict[str, str]] = {
    "area_m2": "float",
    "length_m": "float",
    "road_length_m": "float",
    "checkpoints": "integer",
    "distance_to_road_m": "float",
    "last_covered": "string",
}
#: Open interval ends as instants no stored time reaches.
_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
# What PostgreSQL's cast reads without an error, apart from days past a month's end (checked
# on their own): year 0001 to 9999, offsets within PostgreSQL's ±15:59.
_DAY_TIME = (
    r"(?!0000)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?)?"
)
_WITH_OFFSET = f"^{_DAY_TIME}(Z|z|[+-](0\\d|1[0-5]):?[0-5]\\d)$"
_WITHOUT_OFFSET = f"^{_DAY_TIME}$"


class TextInstant(FunctionElement[datetime]):
    """RFC 3339 text (with an offset, or UTC without one) as a UTC instant in SQL, NULL when it
    is not such a time (``2026-02-30``, ``yesterday``): a ``timestamptz`` in PostGIS, the
    store's UTC text in a GeoPackage (both compare with a :class:`~geo.store.types.UtcTime`
    value). It never fails on a stored text, so a bad one cannot break a query."""

    type = UtcTime()
    name = "geo_text_instant"
    inherit_cache = True


@compiles(TextInstant, "postgresql")
def _text_instant_postgresql(element: TextInstant, compiler: SQLCompiler, **kw: Any) -> str:
    (text,) = list(element.clauses)
    # CASE evaluates in order: the day is checked only on a text of the pattern, and cast
    # only once the day exists in its month.
    year = cast(func.substr(text, 1, 4), Integer)
    month = cast(func.substr(text, 6, 2), Integer)
    last_day = func.extract(
        "day", func.make_date(year, month, 1) + text_interval("1 month - 1 day")
    )
    day_exists = cast(func.substr(text, 9, 2), Integer) <= last_day
    instant = case(
        (
            text.regexp_match(_WITH_OFFSET),
            case((day_exists, cast(text, TIMESTAMP(timezone=True)))),
        ),
        (
            text.regexp_match(_WITHOUT_OFFSET),
            case((day_exists, func.timezone("UTC", cast(text, TIMESTAMP())))),
        ),
    )
    return compiler.process(instant, **kw)


def text_interval(text: str) -> ColumnElement[Any]:
    """A PostgreSQL interval literal."""
    return literal_column(f"interval '{text}'")


@compiles(TextInstant, "sqlite")
def _text_instant_sqlite(element: TextInstant, compiler: SQLCompiler, **kw: Any) -> str:
    (text,) = list(element.clauses)
    # SQLite reads 2026-02-30 as March 2 (through its day number): a day that does not exist
    # is no time
    day = func.substr(text, 1, 10)
    instant = case(
        (func.date(func.julianday(day)) == day, func.strftime("%Y-%m-%dT%H:%M:%fZ", text))
    )
    return compiler.process(instant, **kw)


def collection_columns(collection: str, table: Table) -> dict[str, ColumnElement[Any]]:
    """Property name → its SQL expression over the collection's table (a layer's table, or
    ``coverage_gaps`` for ``area_gaps``/``road_gaps``: id, week, kind, rank, village code,
    then the gap's measures from its JSON ``properties``)."""
    if collection not in GAP_COLLECTIONS:
        return {c: table.c[c] for c in LAYER_COLUMNS_OF[collection]}
    g = table.c
    columns: dict[str, ColumnElement[Any]] = {
        "id": g.week + literal("-") + cast(g.rank, String),
        "week": g.week,
        "kind": g.kind,
        "rank": g.rank,
        "village_code": g.village_code,
    }
    for name, kind in GAP_JSON_PROPERTIES.items():
        value = g.properties[name]
        columns[name] = (
            value.as_float()
            if kind == "float"
            else value.as_integer()
            if kind == "integer"
            else value.as_string()
        )
    return columns


def _instant(value: datetime | date, tz: ZoneInfo, *, end: bool) -> datetime:
    """A time of a filter as an aware instant: a time without an offset and a date (its whole
    day: its first or last instant) are read in the township's time zone, as ``datetime``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return datetime.combine(value, time.max if end else time(0), tzinfo=tz)


def _time_literal(moment: datetime) -> ColumnElement[datetime]:
    """A time as a bound value of either store, within the instants they hold (a local time
    in year 1 is before the first UTC instant)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = _EARLIEST if moment.year < 2 else _LATEST
    return literal(min(max(utc, _EARLIEST), _LATEST), type_=UtcTime())


def geometry_literal(geom: BaseGeometry) -> ColumnElement[Any]:
    """A geometry (WGS-84) as a bound SQL value of either store."""
    return literal(geom, type_=Shape("GEOMETRY"))


def to_sql(
    node: Any,
    columns: Mapping[str, ColumnElement[Any]],
    geom: ColumnElement[Any],
    times: Mapping[str, ColumnElement[datetime]] | None = None,
    tz: ZoneInfo | None = None,
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
    times
        Property name → its UTC instant in SQL, for the properties the temporal operators
        may name (none when None).
    tz
        The township's time zone: a time without an offset and a date in the filter are read
        in it (UTC when None).

    Raises
    ------
    InvalidQuery
        For a property not in ``columns``, a temporal operator on a property without time,
        or an operator that is not offered.
    """
    times = times or {}
    zone = tz or ZoneInfo("UTC")

    def period(item: Any) -> tuple[Any, Any]:
        """A temporal operand as its first and last instant (SQL or literal)."""
        if isinstance(item, ast.Attribute):
            if item.name not in times:
                offered = ", ".join(times) or "none in this collection"
                raise InvalidQuery(
                    f"filter compares {item.name!r} as a time; the properties with a time "
                    f"are {offered}"
                )
            return times[item.name], times[item.name]
        if isinstance(item, values.Interval):
            first, last = end_of(item.start, end=False), end_of(item.end, end=True)
            return first, last
        if isinstance(item, datetime | date):
            return (
                _time_literal(_instant(item, zone, end=False)),
                _time_literal(_instant(item, zone, end=True)),
            )
        raise InvalidQuery(f"filter value {item!r} is not a time or an interval")

    def end_of(item: Any, *, end: bool) -> Any:
        if item is None:
            return _time_literal(_LATEST if end else _EARLIEST)
        if isinstance(item, ast.Attribute):
            return period(item)[0]
        if isinstance(item, datetime | date):
            return _time_literal(_instant(item, zone, end=end))
        raise InvalidQuery(f"an interval's end {item!r} is not a time, a property or '..'")

    def temporal(n: Any) -> ColumnElement[bool]:
        (a0, a1), (b0, b1) = period(n.lhs), period(n.rhs)
        relation: dict[type[Any], Callable[[], ColumnElement[bool]]] = {
            TimeIntersects: lambda: and_(a0 <= b1, a1 >= b0),
            ast.TimeDisjoint: lambda: or_(a1 < b0, a0 > b1),
            ast.TimeBefore: lambda: a1 < b0,
            ast.TimeAfter: lambda: a0 > b1,
            ast.TimeMeets: lambda: a1 == b0,
            ast.TimeMetBy: lambda: a0 == b1,
            ast.TimeOverlaps: lambda: and_(a0 < b0, a1 > b0, a1 < b1),
            ast.TimeOverlappedBy: lambda: and_(a0 > b0, a0 < b1, a1 > b1),
            ast.TimeBegins: lambda: and_(a0 == b0, a1 < b1),
            ast.TimeBegunBy: lambda: and_(a0 == b0, a1 > b1),
            ast.TimeDuring: lambda: and_(a0 > b0, a1 < b1),
            ast.TimeContains: lambda: and_(a0 < b0, a1 > b1),
            ast.TimeEnds: lambda: and_(a0 > b0, a1 == b1),
            ast.TimeEndedBy: lambda: and_(a0 < b0, a1 == b1),
            ast.TimeEquals: lambda: and_(a0 == b0, a1 == b1),
        }
        if type(n) not in relation:
            raise InvalidQuery(f"filter operator {type(n).__name__} is not offered")
        return relation[type(n)]()

    def value(item: Any) -> Any:
        if isinstance(item, ast.Attribute):
            if item.name == "geometry":
                return geom
            if item.name not in columns:
                raise InvalidQuery(f"filter names {item.name!r}, not a queryable property")
            return columns[item.name]
        if isinstance(item, ast.Node):
            return walk(item)
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2**62:
            return literal(float(item))  # beyond the databases' integers: compared as a number
        if isinstance(item, bool | int | float | str):
            return literal(item)
        if isinstance(item, datetime | date):
            raise InvalidQuery(
                "filter compares a time with =, < or >; compare times with the temporal "
                "operators (T_INTERSECTS, T_BEFORE, T_AFTER, T_DURING...) or datetime"
            )
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
        if isinstance(n, ast.TemporalPredicate):
            return temporal(n)
        raise InvalidQuery(f"filter operator {type(n).__name__} is not offered")

    result: ColumnElement[bool] = walk(node)
    return result


def collection_times(collection: str, table: Table) -> dict[str, ColumnElement[datetime]]:
    """The properties of a collection the temporal operators may name, as UTC instants."""
    return {name: TextInstant(table.c[name]) for name in TEXT_TIMES.get(collection, ())}


def time_condition(
    collection: str, table: Table, interval: TimeInterval, tz: ZoneInfo
) -> ColumnElement[bool]:
    """``datetime``: the features whose time meets the closed ``interval``.

    A drone flight lasts from ``started_at`` to ``ended_at`` (an instant at ``started_at``
    without an end; never met without a start); a gap lasts its ISO week in ``tz``, so it
    meets the interval when its week lies between the weeks of the interval's ends.
    """
    if collection in GAP_COLLECTIONS:
        parts = []
        if interval.start is not None:
            parts.append(table.c.week >= _week_name(interval.start, tz))
        if interval.end is not None:
            parts.append(table.c.week <= _week_name(interval.end, tz))
        return and_(true(), *parts)
    if collection not in TEXT_TIMES:
        raise InvalidQuery(f"{collection} has no time, so datetime does not apply")
    start = TextInstant(table.c.started_at)
    end = func.coalesce(TextInstant(table.c.ended_at), start, type_=UtcTime())
    parts = [start.is_not(None)]
    if interval.start is not None:
        parts.append(end >= _time_literal(interval.start))
    if interval.end is not None:
        parts.append(start <= _time_literal(interval.end))
    return and_(*parts)


def _week_name(moment: datetime, tz: ZoneInfo) -> str:
    """The ISO week of a moment in ``tz``, named as the store names weeks (``2026-W47``)."""
    iso = moment.astimezone(tz).date().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def layer_condition(
    layer: str,
    bbox: tuple[float, float, float, float] | None,
    node: Any,
    interval: TimeInterval | None = None,
    tz: ZoneInfo | None = None,
) -> Callable[[Table], ColumnElement[bool] | None]:
    """The condition of :meth:`geo.store.sql.SqlStore.layer_features` (or ``gap_features``
    for the gap collections) for a ``bbox`` (CRS84), a filter (WGS-84 geometries) and a
    ``datetime`` interval, over the collection's queryable properties; ``tz``, the township's
    time zone, reads the times of the filter written without an offset."""
    zone = tz or ZoneInfo("UTC")

    def where(table: Table) -> ColumnElement[bool] | None:
        parts: list[ColumnElement[bool]] = []
        if bbox is not None:
            box = geometry_literal(shapely.box(*bbox))
            parts.append(func.ST_Intersects(table.c.geom, box, type_=Boolean))
        if interval is not None:
            parts.append(time_condition(layer, table, interval, zone))
        if node is not None:
            columns = collection_columns(layer, table)
            times = collection_times(layer, table)
            parts.append(to_sql(node, columns, table.c.geom, times, zone))
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
