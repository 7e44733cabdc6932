"""What a client asks of a feature collection beyond a page: a CQL2 filter, a sort order,
the properties to return and the CRS of its boxes and answers (OGC API – Features Parts 2
and 3).

Parsing only (pygeofilter's parsers, with CQL2's temporal functions and intervals, which
pygeofilter 0.4 reads differently): :mod:`geo.store.cql_sql` translates a filter to SQL over
the store's tables.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

import pygeofilter.parsers.cql2_text as cql2_text_parser
import pyproj
import shapely
from lark import Lark, v_args
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json.parser import walk_cql_json
from pygeofilter.parsers.cql2_text.parser import CQLTransformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from geo.errors import InvalidQuery

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
FilterLang = Literal["cql2-text", "cql2-json"]
FILTER_LANGS: Final[tuple[str, ...]] = ("cql2-text", "cql2-json")


def crs_uri(epsg: int) -> str:
    """The OGC URI of an EPSG code.

    Examples
    --------
    >>> crs_uri(4546)
    'http://www.opengis.net/def/crs/EPSG/0/4546'
    """
    return f"http://www.opengis.net/def/crs/EPSG/0/{epsg}"


def offered_crs(metric_crs: str) -> list[str]:
    """The CRSs answers and boxes may be in: CRS84 (stored), WGS 84 and CGCS2000 (latitude
    first, as their EPSG definitions), the township's metric CRS and Web Mercator.

    Examples
    --------
    >>> offered_crs("EPSG:4546")[-2:]
    ['http://www.opengis.net/def/crs/EPSG/0/4546', 'http://www.opengis.net/def/crs/EPSG/0/3857']
    """
    metric = pyproj.CRS.from_user_input(metric_crs).to_epsg() or 4546
    return [CRS84, crs_uri(4326), crs_uri(4490), crs_uri(metric), crs_uri(3857)]


def read_crs(text: str, metric_crs: str, *, parameter: str) -> str:
    """The offered CRS URI ``text`` names (a URI, ``EPSG:n`` or ``[EPSG:n]`` as Part 2 allows).

    Raises
    ------
    InvalidQuery
        When it is not one of :func:`offered_crs`.

    Examples
    --------
    >>> read_crs("EPSG:4546", "EPSG:4546", parameter="crs")
    'http://www.opengis.net/def/crs/EPSG/0/4546'
    """
    value = text.strip().strip("[]")
    offered = offered_crs(metric_crs)
    if value.upper().startswith("EPSG:"):
        value = crs_uri(int(value[5:])) if value[5:].isdigit() else value
    value = value.replace("https://", "http://")
    if value not in offered:
        raise InvalidQuery(
            f"{parameter} {text!r} is not supported; use one of {', '.join(offered)}"
        )
    return value


def transformer(source: str, target: str) -> pyproj.Transformer:
    """From one offered CRS URI to another, in each CRS's own axis order (CRS84: lon, lat;
    EPSG:4326 and 4490: lat, lon; projected: east, north)."""
    return pyproj.Transformer.from_crs(_pyproj_crs(source), _pyproj_crs(target))


def _pyproj_crs(uri: str) -> pyproj.CRS:
    if uri == CRS84:
        return pyproj.CRS.from_user_input("OGC:CRS84")
    return pyproj.CRS.from_epsg(int(uri.rsplit("/", 1)[1]))


def reproject(geom: BaseGeometry, to: pyproj.Transformer) -> BaseGeometry:
    """A geometry through a transformer (heights kept)."""
    return transform(to.transform, geom)


@dataclass
class TimeIntersects(ast.TemporalPredicate):  # type: ignore[misc]
    """CQL2's ``T_INTERSECTS`` (pygeofilter reads it as ``T_OVERLAPS``, which is narrower)."""

    op: ClassVar[ast.TemporalComparisonOp] = ast.TemporalComparisonOp.TOVERLAPS


#: CQL2's temporal operators → the tree's nodes.
TEMPORAL_OPERATORS: Final[dict[str, type[ast.TemporalPredicate]]] = {
    "t_after": ast.TimeAfter,
    "t_before": ast.TimeBefore,
    "t_contains": ast.TimeContains,
    "t_disjoint": ast.TimeDisjoint,
    "t_during": ast.TimeDuring,
    "t_equals": ast.TimeEquals,
    "t_finishedby": ast.TimeEndedBy,
    "t_finishes": ast.TimeEnds,
    "t_intersects": TimeIntersects,
    "t_meets": ast.TimeMeets,
    "t_metby": ast.TimeMetBy,
    "t_overlappedby": ast.TimeOverlappedBy,
    "t_overlaps": ast.TimeOverlaps,
    "t_startedby": ast.TimeBegunBy,
    "t_starts": ast.TimeBegins,
}


def _instant(item: Any) -> Any:
    """One end of an ``INTERVAL``: ``'..'`` (open) as None, a date or time text as its value,
    a property as it is."""
    if isinstance(item, str):
        if item == "..":
            return None
        return _strict_time(item, what="an interval's end ('..' when open)", dates=True)
    return item


def _strict_time(text: str, *, what: str, dates: bool) -> date | datetime:
    """An RFC 3339 time (or, with ``dates``, a date) written in full: pygeofilter's own reading
    takes anything (``'x'`` is today)."""
    try:
        if dates and len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise InvalidQuery(
            f"{what} {text!r} is not an RFC 3339 {'date or ' if dates else ''}time"
        ) from None


@v_args(meta=False, inline=True)
class _Transformer(CQLTransformer):  # type: ignore[misc]
    """pygeofilter's CQL2 text transformer with CQL2's temporal functions."""

    def temporal_function(self, op: Any, lhs: Any, rhs: Any) -> ast.Node:
        return TEMPORAL_OPERATORS[str(op).lower()](lhs, rhs)

    def any_interval(self, start: Any, end: Any) -> values.Interval:
        return values.Interval(_instant(start), _instant(end))


_GRAMMAR_CHANGES: Final[list[tuple[str, str]]] = [
    # CQL2 writes temporal operators as functions: T_INTERSECTS(a, b), not a T_INTERSECTS b
    (
        "          | temporal_predicate\n",
        '          | temporal_predicate\n          | TEMPORAL_FUNC "(" expression "," '
        'expression ")" -> temporal_function\n',
    ),
    # INTERVAL of dates, times, '..' and properties, as CQL2 allows
    (
        '''?interval: "INTERVAL" "("  "\'" DATETIME "\'" "," "\'" DATETIME "\'" ")"''',
        """interval: "INTERVAL"i "(" expression "," expression ")" -> any_interval""",
    ),
]
_TEMPORAL_FUNC = "TEMPORAL_FUNC.3: " + " | ".join(f'"{op.upper()}"i' for op in TEMPORAL_OPERATORS)


@cache
def _text_parser() -> Lark:
    """pygeofilter's CQL2 text grammar with CQL2's temporal functions and intervals."""
    folder = Path(cql2_text_parser.__file__).parent
    grammar = (folder / "grammar.lark").read_text(encoding="utf-8")
    for old, new in _GRAMMAR_CHANGES:
        if old not in grammar:
            raise RuntimeError(f"pygeofilter's CQL2 grammar changed: {old!r} not found")
        grammar = grammar.replace(old, new)
    return Lark(
        grammar + "\n" + _TEMPORAL_FUNC + "\n",
        parser="lalr",
        maybe_placeholders=False,
        transformer=_Transformer(),
        import_paths=[str(folder.parent)],
    )


def _parse_json(node: Any) -> Any:
    """A CQL2 JSON filter: the logical and temporal operators and intervals here (so that
    ``t_intersects`` is not read as ``t_overlaps`` and an interval may name properties),
    the rest by pygeofilter."""
    if isinstance(node, dict) and isinstance(node.get("op"), str):
        op = node["op"].lower()
        args = node.get("args", [])
        if op in ("and", "or") and isinstance(args, list) and args:
            kind = ast.And if op == "and" else ast.Or
            return kind.from_items(*[_parse_json(a) for a in args])
        if op == "not" and isinstance(args, list) and len(args) == 1:
            return ast.Not(_parse_json(args[0]))
        if op in TEMPORAL_OPERATORS:
            if not isinstance(args, list) or len(args) != 2:
                raise InvalidQuery(f"{op} takes two arguments")
            return TEMPORAL_OPERATORS[op](_parse_json(args[0]), _parse_json(args[1]))
    if isinstance(node, dict) and isinstance(node.get("timestamp"), str):
        return _strict_time(node["timestamp"], what="timestamp", dates=False)
    if isinstance(node, dict) and isinstance(node.get("date"), str):
        return _strict_time(node["date"], what="date", dates=True)
    if isinstance(node, dict) and "interval" in node:
        ends = node["interval"]
        if not isinstance(ends, list) or len(ends) != 2:
            raise InvalidQuery("an interval has two ends")
        return values.Interval(
            *[_instant(e) if isinstance(e, str) else _parse_json(e) for e in ends]
        )
    return walk_cql_json(node)


def parse_filter(text: str, lang: str | None) -> ast.Node:
    """A CQL2 filter (``cql2-text``, the default, or ``cql2-json``) as pygeofilter's tree.

    Raises
    ------
    InvalidQuery
        When the language is not offered or the text does not parse.

    Examples
    --------
    >>> parse_filter("status = 'offline'", None)
    Equal(lhs=ATTRIBUTE status, rhs='offline')
    >>> parse_filter('{"op": "=", "args": [{"property": "status"}, "online"]}', "cql2-json")
    Equal(lhs=ATTRIBUTE status, rhs='online')
    >>> parse_filter("T_BEFORE(started_at, DATE('2026-11-04'))", None)
    TimeBefore(lhs=ATTRIBUTE started_at, rhs=datetime.date(2026, 11, 4))
    """
    chosen = lang or "cql2-text"
    if chosen not in FILTER_LANGS:
        raise InvalidQuery(f"filter-lang {lang!r} is not offered; use {' or '.join(FILTER_LANGS)}")
    text_parser = _text_parser()  # built once; a pygeofilter it does not fit is our error
    try:
        if chosen == "cql2-json":
            parsed: ast.Node = _parse_json(json.loads(text))
            return parsed
        return text_parser.parse(text)
    except InvalidQuery:
        raise
    except Exception as exc:  # lark's and json's errors: the client's text is wrong
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidQuery(f"filter is not valid {chosen}: {first}") from None


@dataclass(frozen=True)
class SortKey:
    """One ``sortby`` key: a property, ascending unless ``descending``."""

    name: str
    descending: bool = False


def parse_sortby(text: str) -> list[SortKey]:
    """``sortby``: properties separated by commas, each with an optional ``+`` or ``-``.

    Examples
    --------
    >>> parse_sortby("-status,+code")
    [SortKey(name='status', descending=True), SortKey(name='code', descending=False)]
    """
    keys = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            raise InvalidQuery(f"sortby {text!r} has an empty key")
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        if not name:
            raise InvalidQuery(f"sortby {text!r} has a sign without a property")
        keys.append(SortKey(name, descending))
    return keys


def parse_properties(text: str) -> list[str]:
    """``properties``: the property names to return, separated by commas.

    Examples
    --------
    >>> parse_properties("code, status")
    ['code', 'status']
    """
    return [p.strip() for p in text.split(",") if p.strip()]


@dataclass(frozen=True)
class FeatureQuery:
    """A parsed filter, sort order and property list, checked against the collection's
    queryable properties by whoever runs it."""

    filter: ast.Node | None = None
    sortby: list[SortKey] = field(default_factory=list)
    properties: list[str] | None = None

    def check(self, queryables: dict[str, Any], collection: str) -> None:
        """Refuse (400) sort keys, returned properties and filter properties the collection
        does not have."""
        known = set(queryables)
        asked = [k.name for k in self.sortby] + list(self.properties or [])
        if self.filter is not None:
            asked += filter_properties(self.filter)
        unknown = sorted({n for n in asked if n not in known and n != "geometry"})
        if unknown:
            raise InvalidQuery(
                f"{collection} has no property {', '.join(unknown)}; its queryables are "
                f"{', '.join(sorted(known))}"
            )
        if self.filter is not None:
            check_types(self.filter, queryables)


_FITS: Final[dict[str, Callable[[Any], bool]]] = {
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
}


def check_types(node: Any, queryables: dict[str, Any]) -> None:
    """Refuse (400) a property compared with a value of another type (``range_m > 'far'``),
    by the JSON Schema types of the queryables.

    Examples
    --------
    >>> check_types(parse_filter("range_m > 'far'", None), {"range_m": {"type": "number"}})
    Traceback (most recent call last):
    ...
    geo.errors.InvalidQuery: filter compares range_m (number) with 'far'
    """
    compared: list[tuple[Any, list[Any]]] = []
    if isinstance(node, ast.Comparison):
        compared.append((node.lhs, [node.rhs]))
    elif isinstance(node, ast.Between):
        compared.append((node.lhs, [node.low, node.high]))
    elif isinstance(node, ast.In):
        compared.append((node.lhs, list(node.sub_nodes)))
    for lhs, values_ in compared:
        if not isinstance(lhs, ast.Attribute):
            continue
        kind = queryables.get(lhs.name, {}).get("type")
        fits = _FITS.get(str(kind))
        for value in values_:
            literal = not isinstance(value, ast.Node) and value is not None
            if fits is not None and literal and not fits(value):
                raise InvalidQuery(f"filter compares {lhs.name} ({kind}) with {value!r}")
    if isinstance(node, ast.Node):
        for sub in node.get_sub_nodes():
            check_types(sub, queryables)


def filter_properties(node: Any) -> list[str]:
    """Every property a filter names.

    Examples
    --------
    >>> filter_properties(parse_filter("status = 'x' AND range_m > 3", None))
    ['status', 'range_m']
    """
    if isinstance(node, ast.Attribute):
        return [node.name]
    if isinstance(node, ast.Node):
        return [n for sub in node.get_sub_nodes() for n in filter_properties(sub)]
    if isinstance(node, list):
        return [n for sub in node for n in filter_properties(sub)]
    return []


def in_storage_crs(node: Any, to_wgs84: pyproj.Transformer) -> Any:
    """The filter with every geometry literal (GeoJSON, envelope, ``BBOX``) brought from
    ``filter-crs`` into the stored CRS84 as a GeoJSON geometry (times are kept: the store's
    SQL reads them, :mod:`geo.store.cql_sql`)."""

    def geometry(geom: BaseGeometry) -> values.Geometry:
        return values.Geometry(mapping(reproject(geom, to_wgs84)))

    def walk(item: Any) -> Any:
        if isinstance(item, values.Geometry):
            return geometry(shape(item.geometry))
        if isinstance(item, values.Envelope):
            return geometry(shapely.box(item.x1, item.y1, item.x2, item.y2))
        if isinstance(item, ast.Function) and item.name.lower() == "bbox":
            return geometry(_box(item.arguments))
        if isinstance(item, ast.BBox):
            box = _box([item.minx, item.miny, item.maxx, item.maxy])
            return ast.GeometryIntersects(walk(item.lhs), geometry(box))
        if isinstance(item, list):
            return [walk(i) for i in item]
        if isinstance(item, ast.Node) and dataclasses.is_dataclass(item):
            assert not isinstance(item, type)
            changes = {f.name: walk(getattr(item, f.name)) for f in dataclasses.fields(item)}
            return dataclasses.replace(item, **changes)
        return item

    return walk(node)


def _box(numbers: list[Any]) -> BaseGeometry:
    try:
        values_ = [float(n) for n in numbers]
    except (TypeError, ValueError):
        raise InvalidQuery("BBOX in a filter takes numbers") from None
    if len(values_) == 6:
        values_ = [values_[0], values_[1], values_[3], values_[4]]
    if len(values_) != 4:
        raise InvalidQuery("BBOX in a filter needs 4 numbers")
    minx, miny, maxx, maxy = values_
    return shapely.box(minx, miny, maxx, maxy)
