"""What a client asks of a feature collection beyond a page: a CQL2 filter, a sort order,
the properties to return and the CRS of its boxes and answers (OGC API – Features Parts 2
and 3).

Parsing only: :mod:`geo.store.cql_sql` translates a filter to SQL over the store's tables,
:func:`geo.features.select_features` applies one to a computed layer (the gaps).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

import pyproj
import shapely
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
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
    """
    chosen = lang or "cql2-text"
    if chosen not in FILTER_LANGS:
        raise InvalidQuery(f"filter-lang {lang!r} is not offered; use {' or '.join(FILTER_LANGS)}")
    try:
        if chosen == "cql2-json":
            return parse_cql2_json(json.loads(text))
        return parse_cql2_text(text)
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
    ``filter-crs`` into the stored CRS84 as a GeoJSON geometry; temporal operators refused
    (``datetime`` is the time filter)."""

    def geometry(geom: BaseGeometry) -> values.Geometry:
        return values.Geometry(mapping(reproject(geom, to_wgs84)))

    def walk(item: Any) -> Any:
        if isinstance(item, ast.TemporalPredicate):
            raise InvalidQuery(
                "temporal filter operators are not offered; filter by time with datetime"
            )
        if isinstance(item, datetime | date):
            raise InvalidQuery("filter compares a time; filter by time with datetime instead")
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
