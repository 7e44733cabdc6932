"""The OGC API – Features answers as HTML pages (``f=html``): the landing page, the
collections, one collection, and a page of items with a small map.

Every text is escaped; the map is Leaflet inlined (:mod:`geo.outputs.web_assets`) and one
script of ours, allowed by hash (:mod:`geo.outputs.csp`); the features reach the script as a
JSON block, never as code.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Final

from geo.outputs.csp import json_block, policy
from geo.outputs.web_assets import leaflet_inline


@dataclass(frozen=True)
class HtmlPage:
    """A page and the Content-Security-Policy it needs."""

    html: str
    policy: str


_STYLE: Final = (
    "body{font-family:sans-serif;margin:1.5em;max-width:70em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;"
    "text-align:left;vertical-align:top}#map{height:420px;margin:1em 0}"
)
#: The map's script: reads the features from the JSON block and draws them (no tiles: the
#: page works without the internet).
_MAP_SCRIPT: Final = """
(function () {
  var data = JSON.parse(document.getElementById('features').textContent);
  var map = L.map('map');
  var layer = L.geoJSON(data, {
    pointToLayer: function (f, at) { return L.circleMarker(at, {radius: 5}); }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds.pad(0.05)); } else { map.setView([0, 0], 1); }
})();
"""


def _links(links: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li><a href="{escape(str(x["href"]))}">{escape(str(x.get("title") or x["rel"]))}</a>'
        f" ({escape(str(x['rel']))}, {escape(str(x.get('type', '')))})</li>"
        for x in links
    )
    return f"<ul>{items}</ul>"


def _document(title: str, body: str, head: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style>{head}</head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def landing_page(document: dict[str, Any]) -> HtmlPage:
    """The landing page: title, description and links."""
    body = f"<p>{escape(str(document.get('description', '')))}</p>" + _links(document["links"])
    return HtmlPage(_document(str(document["title"]), body), policy())


def collections_page(document: dict[str, Any]) -> HtmlPage:
    """Every collection with its description and links."""
    rows = "".join(
        f"<tr><td>{escape(str(c['id']))}</td><td>{escape(str(c['title']))}</td>"
        f"<td>{escape(str(c.get('description', '')))}</td><td>{_links(c['links'])}</td></tr>"
        for c in document["collections"]
    )
    body = (
        f"<table><tr><th>id</th><th>title</th><th>description</th><th>links</th></tr>{rows}</table>"
    )
    return HtmlPage(_document("Collections", body), policy())


def collection_page(document: dict[str, Any]) -> HtmlPage:
    """One collection: description, extent, CRSs and links."""
    extent = document.get("extent", {})
    spatial = extent.get("spatial", {}).get("bbox", [[]])[0]
    temporal = extent.get("temporal", {}).get("interval", [[]])[0]
    body = (
        f"<p>{escape(str(document.get('description', '')))}</p>"
        f"<p>bbox: {escape(', '.join(str(v) for v in spatial))}</p>"
        f"<p>time: {escape(' / '.join(str(v) for v in temporal))}</p>"
        f"<p>crs: {escape(', '.join(str(c) for c in document.get('crs', [])))}</p>"
        + _links(document["links"])
    )
    return HtmlPage(_document(str(document["title"]), body), policy())


def items_page(title: str, collection: dict[str, Any]) -> HtmlPage:
    """A page of features: a map and a table of their properties, with the paging links."""
    features = collection["features"]
    names = sorted({k for f in features for k in f["properties"]})
    header = "".join(f"<th>{escape(n)}</th>" for n in ["id", *names])
    rows = "".join(
        "<tr>"
        + f"<td>{escape(str(f.get('id', '')))}</td>"
        + "".join(f"<td>{escape(_text(f['properties'].get(n)))}</td>" for n in names)
        + "</tr>"
        for f in features
    )
    js, css = leaflet_inline()
    head = f"<style>{css}</style>"
    body = (
        f"<p>{collection['numberReturned']} of {collection['numberMatched']} features</p>"
        + _links(collection["links"])
        + '<div id="map"></div>'
        + json_block("features", {"type": "FeatureCollection", "features": features})
        + f"<script>{js}</script><script>{_MAP_SCRIPT}</script>"
        + f"<table><tr>{header}</tr>{rows}</table>"
    )
    return HtmlPage(_document(title, body, head), policy([js, _MAP_SCRIPT]))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
