"""Browser assets (Leaflet) installed by npm at set-up time, inlined into every map we write.

Township networks are often intranets, and this project's own machines have no internet: a
map that loads Leaflet from a CDN shows nothing there. ``make install`` runs ``npm ci`` with the
pinned versions of package.json/package-lock.json; this module reads the files from
``node_modules`` (or ``GEO_ASSETS_DIR``) and puts them into the page itself, images as data URIs.
"""

from __future__ import annotations

import base64
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium

from geo.errors import StoreUnavailable

LEAFLET_JS = "leaflet/dist/leaflet.js"
LEAFLET_CSS = "leaflet/dist/leaflet.css"
JQUERY_JS = "jquery/dist/jquery.min.js"  # Folium's popups build their content with jQuery


class AssetsMissing(StoreUnavailable):
    """The browser assets were not installed."""

    title = "Map assets missing"
    slug = "assets-missing"


def assets_dir() -> Path:
    """``GEO_ASSETS_DIR`` or the checkout's ``node_modules``."""
    configured = os.environ.get("GEO_ASSETS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1] / "node_modules"


@lru_cache(maxsize=4)
def _read(directory: Path, name: str) -> str:
    path = directory / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssetsMissing(
            f"{path} is missing: run `make install` (it runs `npm ci`) to install the map assets"
        ) from None


def _inline_images(css: str, base: Path) -> str:
    def data_uri(match: re.Match[str]) -> str:
        image = base / match.group(1)
        if not image.exists():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


def leaflet_inline() -> tuple[str, str]:
    """The JavaScript (jQuery, Leaflet) and CSS (images inlined) the maps need, read from the
    installed packages."""
    directory = assets_dir()
    js = _read(directory, JQUERY_JS) + "\n" + _read(directory, LEAFLET_JS)
    css = _inline_images(_read(directory, LEAFLET_CSS), (directory / LEAFLET_CSS).parent)
    return js, css


def self_contained(fmap: folium.Map) -> folium.Map:
    """Drop Folium's CDN scripts and styles and put Leaflet into the page itself.

    The maps use only Leaflet's own features (GeoJSON, circle markers, popups, layer control)
    and jQuery (Folium's popups), so Bootstrap and the marker-icon plugins Folium links by
    default are left out.
    """
    js, css = leaflet_inline()
    fmap.default_js = []
    fmap.default_css = []
    root: Any = fmap.get_root()
    header = root.header
    header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    # A "</script>" inside the code would end the element early; the minified files have none.
    header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    return fmap
