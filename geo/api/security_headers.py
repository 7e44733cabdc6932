"""Security headers on every answer, and a Content-Security-Policy on every page.

A route that serves a page with scripts sets its own ``Content-Security-Policy`` (the scripts'
hashes, :mod:`geo.outputs.csp`); every other answer gets :func:`geo.outputs.csp.policy` with no
scripts at all (pages without scripts: the sign-in page, the monthly report; JSON and problem
answers). FastAPI's
documentation pages (Swagger UI, ReDoc: no data of ours, scripts from their CDN) get a policy
allowing that CDN and their inline scripts by hash. ``X-Frame-Options`` follows the policy's
``frame-ancestors``: ``SAMEORIGIN`` for the map (the dashboard embeds it), ``DENY`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.outputs import csp

#: Where FastAPI's documentation pages load Swagger UI, ReDoc, fonts and icons from.
DOCS_SCRIPTS = "https://cdn.jsdelivr.net"
DOCS_STYLES = ("https://cdn.jsdelivr.net", "https://fonts.googleapis.com")
DOCS_FONTS = "https://fonts.gstatic.com"
DOCS_IMAGES = ("https://fastapi.tiangolo.com", "https://cdn.redoc.ly")
#: Sent with every answer (the policy and X-Frame-Options are added per answer).
COMMON = {
    "X-Content-Type-Options": "nosniff",
    # Tile servers see the origin only, never a page's path or query.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
DEFAULT_POLICY = csp.policy()


def docs_policy(html: str) -> str:
    """The policy of one of FastAPI's documentation pages (Swagger UI, ReDoc): scripts from
    their CDN and their own inline scripts by hash; no ``'unsafe-eval'`` either."""
    hashes = sorted({csp.script_hash(s) for s in csp.inline_scripts(html, external=True)})
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join([DOCS_SCRIPTS, *hashes]),
            "style-src " + " ".join(["'unsafe-inline'", *DOCS_STYLES]),
            "img-src " + " ".join(["'self'", "data:", *DOCS_IMAGES]),
            f"font-src data: {DOCS_FONTS}",
            "connect-src 'self'",
            "worker-src blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _finish(headers: MutableHeaders) -> None:
    for name, value in COMMON.items():
        headers.setdefault(name, value)
    policy = headers.setdefault("Content-Security-Policy", DEFAULT_POLICY)
    embeddable = "frame-ancestors 'self'" in policy
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if embeddable else "DENY")


class SecurityHeadersMiddleware:
    """Adds :data:`COMMON`, a default policy and ``X-Frame-Options`` to every HTTP answer.

    Parameters
    ----------
    app
        The application.
    docs_paths
        The paths of FastAPI's documentation pages (their answers are read whole to hash
        their inline scripts; they are small and hold no data).
    """

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(p for p in docs_paths if p)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in self.docs_paths:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _finish(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        body: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        assert start is not None
        headers = MutableHeaders(scope=start)
        if headers.get("content-type", "").startswith("text/html"):
            headers["Content-Security-Policy"] = docs_policy(b"".join(body).decode("utf-8"))
        _finish(headers)
        await send(start)
        await send({"type": "http.response.body", "body": b"".join(body)})
