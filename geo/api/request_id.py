"""Request ids: every response carries ``X-Request-ID``, log lines of a request carry it, and an
unexpected error is logged once with it and its traceback and answered as a 500 problem.

A small pure ASGI middleware (no dependency): a client's own id is kept when it is sane (at most
64 characters of ``A-Z a-z 0-9 . _ -``), otherwise one is made.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.api.problems import internal_error_response

log = logging.getLogger("geo.api")
HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_current: ContextVar[str | None] = ContextVar("geo_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being answered in this context, if any."""
    return _current.get()


def accept_or_make(incoming: str | None) -> str:
    """The client's id when it is sane, otherwise a new random one.

    Examples
    --------
    >>> accept_or_make("phone-01.42")
    'phone-01.42'
    >>> len(accept_or_make("no spaces please"))
    32
    """
    if incoming and _SANE.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record a handler sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True


class RequestIdMiddleware:
    """Give each HTTP request an id, send it back as ``X-Request-ID``, and turn an unexpected
    error into one log entry (with the id and traceback) and a 500 problem without internals."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = accept_or_make(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        token = _current.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if started:
                raise  # the answer is on its way; the server logs and closes it
            log.exception(
                "unexpected error on %s %s (request %s)",
                scope.get("method", ""),
                scope.get("path", ""),
                request_id,
            )
            response = internal_error_response(scope.get("path", ""), request_id)
            await response(scope, receive, send_with_id)
        finally:
            _current.reset(token)


def log_config(level: str = "info") -> dict[str, Any]:
    """Uvicorn's logging configuration with the request id on every line (``geo serve``)."""
    fmt = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": {"format": fmt}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "geo": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
    }
