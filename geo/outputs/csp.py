"""Content-Security-Policy of the pages: script hashes, the policy text, data for scripts.

Every page we write allows exactly its own inline scripts, by SHA-256 hash (no
``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts), and nothing else runs. Data reaches a
script only as JSON, in a ``<script type="application/json">`` block (:func:`json_block`) read
with ``JSON.parse``; text from data is never put into code. The same policy is sent as a header
by the API and written as a ``<meta http-equiv>`` into map files opened from disk
(:func:`meta_tag`; ``frame-ancestors`` only works as a header, so the meta tag leaves it out).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from html import escape
from html.parser import HTMLParser
from typing import Any

#: Where map tiles come from (the basemaps of :mod:`geo.outputs.weekly_map`): images only.
TILE_SOURCES = (
    "https://tile.openstreetmap.org",
    "https://*.tile.openstreetmap.org",
    "https://*.is.autonavi.com",
    "https://*.tianditu.gov.cn",
)
#: Script types a browser runs (an empty ``type`` is JavaScript).
_EXECUTABLE = {"", "text/javascript", "application/javascript", "module"}


def script_hash(code: str) -> str:
    """The CSP source expression allowing one inline script, ``'sha256-…'``."""
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


class _Scripts(HTMLParser):
    """Collects the text of every executable inline ``<script>`` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.external: list[str] = []
        self._inside: bool = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        values = dict(attrs)
        if values.get("src"):
            self.external.append(values["src"] or "")
            return
        kind = (values.get("type") or "").strip().lower()
        self._inside = kind in _EXECUTABLE
        self._text = []

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside:
            self.scripts.append("".join(self._text))
            self._inside = False


def inline_scripts(html: str, *, external: bool = False) -> list[str]:
    """The text of each executable inline script of ``html``, in order (what a browser hashes).

    Only for pages whose scripts are code we wrote or generated: data goes into JSON blocks
    (not executable, not listed here), so what is hashed never carries data. A script loaded
    from elsewhere raises unless ``external`` (FastAPI's documentation pages).
    """
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    if parser.external and not external:
        raise ValueError(f"the page loads scripts from elsewhere: {parser.external[:3]}")
    return parser.scripts


def policy(
    scripts: Iterable[str] = (),
    *,
    images: Iterable[str] = (),
    frames: bool = False,
    embeddable: bool = False,
    header: bool = True,
    installable: bool = False,
) -> str:
    """The Content-Security-Policy of a page.

    Parameters
    ----------
    scripts
        The page's inline scripts (their text, hashed here); none: no script runs.
    images
        Sources of images besides the page itself and ``data:`` (tile servers).
    frames
        The page embeds pages of this service (the dashboard's map).
    embeddable
        Pages of this service may embed this one (the map); otherwise no one may.
    header
        False for a ``<meta>`` tag, where ``frame-ancestors`` is not allowed.
    installable
        An installable web app (the patrol page): its service worker and manifest, from this
        site only.

    Returns
    -------
    str
        The policy: ``default-src 'none'`` and only what the page needs.
    """
    hashes = sorted({script_hash(s) for s in scripts})
    directives = [
        "default-src 'none'",
        "script-src " + (" ".join(hashes) if hashes else "'none'"),
        # Leaflet, jQuery and the templates set style attributes; styles cannot run code.
        "style-src 'unsafe-inline'",
        "img-src " + " ".join(["'self'", "data:", *images]),
        "font-src data:",
        "connect-src 'self'",
        "frame-src " + ("'self'" if frames else "'none'"),
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
    if installable:
        directives += ["worker-src 'self'", "manifest-src 'self'"]
    if header:
        directives.append("frame-ancestors " + ("'self'" if embeddable else "'none'"))
    return "; ".join(directives)


def meta_tag(page_policy: str) -> str:
    """``page_policy`` as a ``<meta http-equiv>`` element (for pages opened from disk)."""
    content = escape(page_policy, quote=False).replace('"', "&quot;")
    return f'<meta http-equiv="Content-Security-Policy" content="{content}">'


def json_for_script(data: Any) -> str:
    """``data`` as JSON that cannot end a ``<script>`` element or start markup or an entity."""
    return (
        json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def json_block(element_id: str, data: Any) -> str:
    """A ``<script type="application/json">`` element holding ``data`` (a script reads it
    with ``JSON.parse(document.getElementById(element_id).textContent)``)."""
    return (
        f'<script type="application/json" id="{escape(element_id)}">'
        f"{json_for_script(data)}</script>"
    )
