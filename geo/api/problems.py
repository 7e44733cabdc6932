"""Every error as ``application/problem+json`` (RFC 9457), mapped in one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.api.models import ProblemModel
from geo.errors import GeoError

PROBLEM_JSON = "application/problem+json"
#: Seconds a client should wait before retrying a 503 (the store restarting, or unreachable):
#: every 503 answer carries it as ``Retry-After`` (RFC 9110 §10.2.3).
RETRY_AFTER_SECONDS = 2


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    type_uri: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem-details response; ``request_id`` names the request (also in X-Request-ID).

    A 503 always carries ``Retry-After`` (:data:`RETRY_AFTER_SECONDS` unless given)."""
    body = {
        "type": type_uri,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(request.url.path),
        **extra,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def internal_error_response(path: str, request_id: str) -> JSONResponse:
    """The 500 answer to an unexpected error: no internals, only the request id to quote."""
    body = {
        "type": "/problems/internal",
        "title": "Internal error",
        "status": 500,
        "detail": "The server could not answer; the error was logged with this request id.",
        "instance": path,
        "request_id": request_id,
    }
    return JSONResponse(body, status_code=500, media_type=PROBLEM_JSON)


async def _geo_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GeoError)
    return geo_error_response(request, exc)


def geo_error_response(request: Request, exc: GeoError) -> JSONResponse:
    """The problem answer of a :class:`GeoError` (its status, title, type and detail)."""
    extra: dict[str, Any] = {}
    if exc.source:
        extra["source"] = exc.source
    if exc.place:
        extra["place"] = exc.place
    problems = getattr(exc, "problems", None)
    if problems:
        extra["problems"] = problems
    headers = getattr(exc, "headers", None)  # WWW-Authenticate on 401
    return problem(
        request, exc.status, exc.title, exc.detail, exc.type_uri, headers=headers, **extra
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem(
        request, 422, "Invalid request", detail, "/problems/invalid-request", errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}.get(
        exc.status_code, "HTTP error"
    )
    return problem(request, exc.status_code, title, str(exc.detail))


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses=`` entry for a problem-details answer."""
    return {"model": ProblemModel, "description": description, "content": {PROBLEM_JSON: {}}}


def install(app: FastAPI) -> None:
    """Register the handlers on an app (unexpected errors: :mod:`geo.api.request_id`)."""
    app.add_exception_handler(GeoError, _geo_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
