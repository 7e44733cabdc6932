"""Browser assets (Leaflet) installed by npm at set-up time, inlined into every map we write.

Township networks are often intranets, and this project's own machines have no internet: a
map that loads Leaflet from a CDN shows nothing there. ``make install`` runs ``npm ci`` with the
pinned versions of package.json/package-lock.json; this module reads the files from
``node_modules`` (or ``GEO_ASSETS_DIR``) and puts them into the page itself, images as data URIs.
"""

from __future__ import annotations

import base64
import json
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
    return Path(__file__).resolve().parents[2] / "node_modules"


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
    """Relative ``url(...)`` images of a stylesheet as data URIs."""
    kinds = {".png": "image/png", ".svg": "image/svg+xml"}

    def data_uri(match: re.Match[str]) -> str:
        image = base / match.group(1)
        kind = kinds.get(image.suffix.lower())
        if kind is None or not image.exists():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:{kind};base64,{encoded})"

    return re.sub(r"url\(['\"]?([\w./@-]+\.(?:png|svg))['\"]?\)", data_uri, css)


#: Folium asset names → files of the npm packages pinned in package.json. Leaflet and jQuery
#: are inlined for every map; the plugins' files when a map uses them.
PLUGIN_ASSETS = {
    "leaflet-heat.js": "leaflet.heat/dist/leaflet-heat.js",
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet_measure_js": "leaflet-measure/dist/leaflet-measure.js",
    "leaflet_measure_css": "leaflet-measure/dist/leaflet-measure.css",
}
#: Folium's defaults that the maps do not need (Bootstrap, marker icon fonts).
UNUSED_ASSETS = {
    "leaflet",
    "jquery",
    "bootstrap",
    "awesome_markers",
    "leaflet_css",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers_font_css",
    "awesome_markers_css",
    "awesome_rotate_css",
}


#: Underscore's ``_.template("…")`` calls (leaflet-measure builds its panels with them).
_TEMPLATE_CALL = re.compile(r'_\.template\(("(?:[^"\\]|\\.)*")\)')
#: Underscore's default delimiters: ``<%- escaped %>``, ``<%= raw %>``, ``<% code %>``.
_TEMPLATE_TAG = re.compile(r"<%-([\s\S]+?)%>|<%=([\s\S]+?)%>|<%([\s\S]+?)%>")


def _compiled_template(text: str) -> str:
    """An underscore template as the JavaScript function ``_.template`` would build for it
    with ``new Function`` at run time (which a policy without ``'unsafe-eval'`` refuses)."""
    parts: list[str] = []
    index = 0
    for match in _TEMPLATE_TAG.finditer(text):
        parts.append(f"__p+={json.dumps(text[index : match.start()])};")
        escaped, raw, code = match.groups()
        if escaped is not None:
            parts.append(f"__t=({escaped});__p+=(__t==null?'':_.escape(__t));")
        elif raw is not None:
            parts.append(f"__t=({raw});__p+=(__t==null?'':__t);")
        else:
            parts.append(f"\n{code}\n")
        index = match.end()
    parts.append(f"__p+={json.dumps(text[index:])};")
    return "function(obj){var __t,__p='';with(obj||{}){" + "".join(parts) + "}return __p;}"


def precompile_templates(js: str) -> str:
    """``js`` with each ``_.template("…")`` call replaced by the function it returns, so the
    page needs no ``eval``. The templates are the package's own text, not data."""

    def compiled(match: re.Match[str]) -> str:
        return _compiled_template(json.loads(match.group(1)))

    return _TEMPLATE_CALL.sub(compiled, js)


def leaflet_inline() -> tuple[str, str]:
    """The JavaScript (jQuery, Leaflet) and CSS (images inlined) the maps need, read from the
    installed packages."""
    directory = assets_dir()
    js = _read(directory, JQUERY_JS) + "\n" + _read(directory, LEAFLET_JS)
    css = _inline_images(_read(directory, LEAFLET_CSS), (directory / LEAFLET_CSS).parent)
    return js, css


def leaflet_only() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS (images inlined), without jQuery: for pages of our own
    that draw with Leaflet directly (the patrol page)."""
    directory = assets_dir()
    css = _inline_images(_read(directory, LEAFLET_CSS), (directory / LEAFLET_CSS).parent)
    return _read(directory, LEAFLET_JS), css


def _elements(element: Any) -> list[Any]:
    out = [element]
    for child in getattr(element, "_children", {}).values():
        out.extend(_elements(child))
    return out


def self_contained(fmap: folium.Map) -> folium.Map:
    """Drop Folium's CDN scripts and styles and put what the map uses into the page itself.

    Leaflet and jQuery (Folium's popups use it) always; the files of the plugins the map uses
    (heat map, fullscreen, measure) from their pinned npm packages. An asset this module does
    not know raises, so no map is ever written with a CDN link.
    """
    directory = assets_dir()
    js, css = leaflet_inline()
    scripts: list[str] = [js]
    styles: list[str] = [css]
    for element in _elements(fmap):
        for attr, out in (("default_js", scripts), ("default_css", styles)):
            for name, _url in getattr(element, attr, []) or []:
                if name in UNUSED_ASSETS:
                    continue
                if name not in PLUGIN_ASSETS:
                    raise AssetsMissing(
                        f"map asset {name!r} has no local copy in geo.outputs.web_assets"
                    )
                path = PLUGIN_ASSETS[name]
                text = _read(directory, path)
                if attr == "default_js":
                    text = precompile_templates(text)
                if attr == "default_css":
                    text = _inline_images(text, (directory / path).parent)
                if text not in out:
                    out.append(text)
            if hasattr(element, attr):
                setattr(element, attr, [])
    root: Any = fmap.get_root()
    header = root.header
    header.add_child(folium.Element(f"<style>{chr(10).join(styles)}</style>"), name="css_inline")
    # A "</script>" inside the code would end the element early; these files have none.
    header.add_child(folium.Element(f"<script>{chr(10).join(scripts)}</script>"), name="js_inline")
    return fmap
