"""Request bodies counted while they stream: a 413 problem as soon as one passes its limit.

A small pure ASGI middleware. Every HTTP request's body is counted as the server receives it,
chunked or not, against ``max_body_bytes`` (the JSON routes: live positions, layer edits,
sign-in); a route that streams a larger body itself (the track upload) raises its own request's
limit with :func:`allow_body` before reading. A declared ``Content-Length`` over the limit is
refused at the first read, before any byte is buffered.

The refusal is raised from ``receive`` as :class:`BodyTooLarge`, an ``HTTPException`` so that
FastAPI's own body reading lets it through, and answered like
:class:`~geo.errors.PayloadTooLarge` (``application/problem+json``, naming the limit).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.api.problems import geo_error_response
from geo.errors import PayloadTooLarge

_SCOPE_KEY = "geo.body_limit"


@dataclass
class _Count:
    """One request's limit and the bytes received so far."""

    limit: int
    received: int = 0


class BodyTooLarge(StarletteHTTPException):
    """A request body past its limit (raised while it streams)."""

    def __init__(self, error: PayloadTooLarge) -> None:
        super().__init__(status_code=413, detail=error.detail)
        self.error = error


class BodyLimitMiddleware:
    """Count each request body against its limit while it streams."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        count = _Count(self.max_body_bytes)
        scope[_SCOPE_KEY] = count
        declared = _content_length(scope)

        async def counted() -> Message:
            if declared is not None and declared > count.limit:
                raise BodyTooLarge(
                    PayloadTooLarge(
                        f"the request body is {declared:,} bytes; the limit is {count.limit:,}"
                    )
                )
            message = await receive()
            if message["type"] == "http.request":
                count.received += len(message.get("body", b""))
                if count.received > count.limit:
                    raise BodyTooLarge(
                        PayloadTooLarge(
                            f"the request body is over the limit of {count.limit:,} bytes"
                        )
                    )
            return message

        await self.app(scope, counted, send)


def allow_body(request: Request, limit: int) -> None:
    """Let this request's body grow to ``limit`` bytes (call before reading it)."""
    count = request.scope.get(_SCOPE_KEY)
    if isinstance(count, _Count):
        count.limit = limit


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _body_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return geo_error_response(request, exc.error)


def install(app: FastAPI, max_body_bytes: int) -> None:
    """Count every request body of ``app`` (default limit ``max_body_bytes``)."""
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=max_body_bytes)
