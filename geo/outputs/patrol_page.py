"""The patrol page (``/patrol``), an installable web app for squads' phones: the page, its
service worker, its web app manifest and icons (all served by :mod:`geo.api.routers.patrol`).

The page is the same for every user (template ``geo/templates/patrol.html``, script
``patrol.js``, Leaflet inlined), so the service worker (``patrol_sw.js``) can keep it and open
it with no network; the squad's data comes from ``GET /api/v1/patrol`` as JSON and is kept in
the browser's IndexedDB. Its policy allows its own scripts by hash, its service worker and
manifest from this site, and nothing from elsewhere (the map draws without tiles).
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup

from geo.i18n import TEXT, Lang, texts
from geo.outputs import csp
from geo.outputs.templating import templates
from geo.outputs.web_assets import leaflet_only

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SCRIPT = TEMPLATES / "patrol.js"
WORKER = TEMPLATES / "patrol_sw.js"
#: The texts the script shows itself (the rest is rendered into the page).
SCRIPT_TEXTS = sorted(
    [k for k in TEXT if k.startswith("patrol_")] + ["pass", "fail", "no_data", "km", "minutes"]
)
#: Icon colours: the dashboard's header, a green position disc, a white centre.
DARK, GREEN, WHITE = (0x26, 0x32, 0x38), (0x2E, 0x7D, 0x32), (0xFF, 0xFF, 0xFF)
#: Permissions of the patrol page: geolocation from this site (every other answer denies it).
PERMISSIONS = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"


@dataclass(frozen=True)
class PatrolPage:
    """The rendered page and the Content-Security-Policy to send with it."""

    html: str
    policy: str


@cache
def patrol_page(lang: Lang) -> PatrolPage:
    """The page in ``lang`` (autoescaped; the script's texts as a JSON block)."""
    code = SCRIPT.read_text(encoding="utf-8")
    leaflet_js, leaflet_css = leaflet_only()
    t = texts(lang)
    block = csp.json_block("patrol-texts", {"lang": lang, "texts": {k: t[k] for k in SCRIPT_TEXTS}})
    html = (
        templates()
        .get_template("patrol.html")
        .render(
            lang=lang,
            t=t,
            texts=Markup(block),
            leaflet_css=Markup(leaflet_css),
            leaflet_js=Markup(leaflet_js),
            script=Markup(code),
        )
    )
    return PatrolPage(html=html, policy=csp.policy([leaflet_js, code], installable=True))


@cache
def service_worker() -> str:
    """The service worker's script, its version the hash of both pages and the worker itself
    (a changed page makes a changed worker, which replaces the old cache)."""
    code = WORKER.read_text(encoding="utf-8")
    digest = hashlib.sha256(code.encode())
    for lang in ("zh", "en"):
        digest.update(patrol_page(lang).html.encode())
    return code.replace("__VERSION__", digest.hexdigest()[:16])


def manifest(lang: Lang) -> dict[str, Any]:
    """The web app manifest: installable, opens ``/patrol`` standalone."""
    t = texts(lang)
    return {
        "name": f"{t['patrol_title']} · {t['title']}",
        "short_name": t["patrol_title"],
        "lang": "zh-CN" if lang == "zh" else "en",
        "start_url": "/patrol",
        "scope": "/patrol",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#eceff1",
        "theme_color": "#263238",
        "icons": [
            {"src": "/patrol-icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/patrol-icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/patrol-icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }


def manifest_json(lang: Lang) -> str:
    """:func:`manifest` as JSON text."""
    return json.dumps(manifest(lang), ensure_ascii=False)


def icon_svg() -> str:
    """The icon as SVG: a position disc on the dashboard's dark colour."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        '<rect width="100" height="100" fill="#263238"/>'
        '<circle cx="50" cy="50" r="34" fill="#2e7d32"/>'
        '<circle cx="50" cy="50" r="14" fill="#fff"/></svg>'
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@cache
def icon_png(size: int) -> bytes:
    """The icon as a ``size`` × ``size`` PNG (the same drawing as :func:`icon_svg`)."""
    centre = (np.arange(size) + 0.5) - size / 2
    distance = np.hypot(centre[None, :], centre[:, None]) / size * 100
    pixels = np.empty((size, size, 3), dtype=np.uint8)
    pixels[:] = DARK
    pixels[distance < 34] = GREEN
    pixels[distance < 14] = WHITE
    rows = np.concatenate([np.zeros((size, 1), dtype=np.uint8), pixels.reshape(size, -1)], axis=1)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + _chunk(b"IEND", b"")
    )
