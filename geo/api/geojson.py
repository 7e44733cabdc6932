"""GeoJSON responses: their media type and absolute links (behind a reverse proxy too)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

from geo.features import FeaturePage

GEOJSON = "application/geo+json"
JSON = "application/json"
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")


class GeoJSONResponse(JSONResponse):
    """A JSON response served as ``application/geo+json`` (RFC 7946)."""

    media_type = GEOJSON


def public_origin(request: Request) -> str:
    """``scheme://host[:port]`` as the client sees it: a reverse proxy's
    ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` win over the connection's own."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        proto = request.url.scheme
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
    if not _HOST.match(host):
        host = request.headers.get("host", "") or request.url.netloc
    return f"{proto}://{host}"


def absolute(request: Request, path: str, **query: Any) -> str:
    """An absolute URL for the app's ``path`` (behind the ASGI root path) with query
    parameters (None values left out)."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return _url(request, f"{root}{path}", query)


def _url(request: Request, full_path: str, query: dict[str, Any]) -> str:
    params = {k: v for k, v in query.items() if v is not None}
    suffix = f"?{urlencode(params)}" if params else ""
    return f"{public_origin(request)}{full_path}{suffix}"


def link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": media_type}
    if title:
        out["title"] = title
    return out


def page_links(request: Request, page: FeaturePage) -> list[dict[str, str]]:
    """``self``, and ``next`` / ``prev`` where there are such pages, keeping every other
    query parameter of the request (bbox, datetime, township ...)."""
    kept = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
    path = request.url.path  # already behind the root path

    def at(offset: int) -> str:
        return _url(request, path, {**kept, "limit": page.limit, "offset": offset})

    links = [link(at(page.offset), "self", GEOJSON, "this page")]
    if page.next_offset is not None:
        links.append(link(at(page.next_offset), "next", GEOJSON, "next page"))
    if page.prev_offset is not None:
        links.append(link(at(page.prev_offset), "prev", GEOJSON, "previous page"))
    return links


def page_collection(page: FeaturePage, links: list[dict[str, str]]) -> dict[str, Any]:
    """A page of features as a GeoJSON FeatureCollection with the OGC API – Features members
    (``numberMatched``, ``numberReturned``, ``timeStamp``) and its ``links``; served alike by
    the layer endpoints and ``/ogc``."""
    return {
        "type": "FeatureCollection",
        "features": page.features,
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
