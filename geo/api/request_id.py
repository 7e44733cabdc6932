"""Request ids: every response carries ``X-Request-ID``, log lines of a request carry it, and an
unexpected error is logged once with it and its traceback and answered as a 500 problem.

A small pure ASGI middleware (no dependency): a client's own id is kept when it is sane (at most
64 characters of ``A-Z a-z 0-9 . _ -``), otherwise one is made.

Request text cannot forge log lines: paths are logged percent-encoded (as uvicorn's access line
shows them), and ``geo serve``'s formatter (:class:`EscapingFormatter`) writes every message
with its control characters as backslash escapes and indents every traceback line, so each
record starts one line and only a record starts a line.

Credentials in query strings never reach the log: the OsmAnd protocol's only credential is the
device id in ``?id=`` (or ``deviceid=``), which uvicorn's access line would print with the
path, and the admin's set-up codes name a device by its id in the path;
:class:`RedactSecretsFilter` on ``uvicorn.access`` replaces such values by ``[redacted]``
(:func:`redact_query`) before any handler sees the record.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.api.problems import internal_error_response

log = logging.getLogger("geo.api")
HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_current: ContextVar[str | None] = ContextVar("geo_request_id", default=None)
#: Characters that end or rewrite a log line: C0 and C1 controls, DEL, Unicode line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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


def escape_control(text: str) -> str:
    r"""``text`` with each control character as its backslash escape, so it stays one line.

    Examples
    --------
    >>> print(escape_control("GET /x\n2026-11-30 INFO forged"))
    GET /x\n2026-11-30 INFO forged
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


#: Query parameters whose value is a credential (names compared decoded, case-insensitive):
#: the OsmAnd protocol's device id, and keys should a client put one in a URL.
SECRET_PARAMS = frozenset({"id", "deviceid", "device_id", "key", "token", "password"})
REDACTED = "[redacted]"


#: A device named in a path (``/api/v1/devices/{id}/setup``, ``DELETE /api/v1/devices/{id}``)
#: by its id as issued or a patrol key; a public id (12 hex digits) is no secret and stays.
_DEVICE_IN_PATH = re.compile(r"(/api/v1/devices/)(?![0-9a-f]{12}(?:[/?\s]|$))([^/?\s]+)")


def redact_query(target: str) -> str:
    """``target`` (a path with its query string) with every credential's value redacted: the
    values of :data:`SECRET_PARAMS` in the query, a device's id (or key) in a devices path.

    Examples
    --------
    >>> redact_query("/api/v1/osmand?id=Zq3X0cQ2bH1f8rT5mN7kL9pV4sW&lat=28.1&lon=109.9")
    '/api/v1/osmand?id=[redacted]&lat=28.1&lon=109.9'
    >>> redact_query("/?lat=1&DeviceId=abc&%69d=def")
    '/?lat=1&DeviceId=[redacted]&%69d=[redacted]'
    >>> redact_query("/api/v1/devices/Zq3X0cQ2bH1f8rT5mN7kL9pV4sW/setup?app=traccar")
    '/api/v1/devices/[redacted]/setup?app=traccar'
    >>> redact_query("/api/v1/devices/3f9a1c0b7e21")
    '/api/v1/devices/3f9a1c0b7e21'
    """
    target = _DEVICE_IN_PATH.sub(rf"\1{REDACTED}", target)
    path, mark, query = target.partition("?")
    if not mark:
        return target
    parts = []
    for part in query.split("&"):
        name, equals, _value = part.partition("=")
        decoded = urllib.parse.unquote_plus(name).strip().lower()
        parts.append(f"{name}={REDACTED}" if equals and decoded in SECRET_PARAMS else part)
    return f"{path}?{'&'.join(parts)}"


class RedactSecretsFilter(logging.Filter):
    """Redacts credentials in a record's arguments (uvicorn's access line passes the path with
    its query as one argument), :func:`redact_query`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def logged_path(path: str) -> str:
    """A request path as logged: percent-encoded like uvicorn's access line (``%0A``, not a
    line break)."""
    return urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~")


class EscapingFormatter(logging.Formatter):
    """The log formatter of ``geo serve``: a record's message on one line (control characters
    escaped), its traceback after it with every line indented."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = escape_control(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return _indent(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 (logging's name)
        return _indent(super().formatStack(stack_info))


def _indent(text: str) -> str:
    return "\n".join("    " + escape_control(line) for line in text.splitlines())


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
                logged_path(scope.get("path", "")),
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
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "redact_secrets": {"()": RedactSecretsFilter},
        },
        "formatters": {"default": {"()": EscapingFormatter, "fmt": fmt}},
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
            "uvicorn.access": {
                "handlers": ["default"],
                "filters": ["redact_secrets"],
                "level": level.upper(),
                "propagate": False,
            },
            "uvicorn.error": {"level": level.upper()},
            "geo": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
    }
