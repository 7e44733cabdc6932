"""The OpenAPI document: problem responses documented once for every operation.

Routes declare which problems they answer (:func:`problem_responses`); :func:`install` then makes
every 4xx/5xx response of every operation ``application/problem+json`` with the problem schema
and an example, adds the 500 answer, and documents the ``X-Request-ID`` response header.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from geo.api.models import ProblemModel
from geo.api.problems import PROBLEM_JSON

_REF = "#/components/schemas/ProblemModel"
#: Marks a page's error answer that is an HTML page, not a problem (the sign-in page on 403).
PAGE_ANSWER = "x-geo-page"

#: Status → (description, type, title, detail) of an example problem.
PROBLEM_EXAMPLES: dict[int, tuple[str, str, str, str]] = {
    400: (
        "The body cannot be parsed (not JSON, not UTF-8)",
        "about:blank",
        "Bad request",
        "There was an error parsing the body",
    ),
    401: (
        "No API key, or a malformed, unknown or revoked one",
        "/problems/authentication-required",
        "Authentication required",
        "send an API key as 'Authorization: Bearer <key>'",
    ),
    403: (
        "The key's role may not use this route, or a patrol key acts for another squad",
        "/problems/forbidden",
        "Forbidden",
        "a patrol key may not use GET /api/v1/coverage/{week}",
    ),
    404: (
        "The township (or object) is not in the store",
        "/problems/not-found",
        "Not found",
        "township 999 is not in the store (stored: 433122207)",
    ),
    409: (
        "The Idempotency-Key was used before for other data",
        "/problems/conflict",
        "Conflict",
        "Idempotency-Key phone-01:2026-11-18 was used for another file",
    ),
    413: (
        "The body or the file is over a limit (size, unpacked size, fixes, columns)",
        "/problems/payload-too-large",
        "Upload too large",
        "the request body is 60,000,000 bytes; the limit is 50,000,000",
    ),
    415: (
        "The body's Content-Type is not a track file type or multipart (forms are refused)",
        "/problems/unsupported-media-type",
        "Unsupported media type",
        "an upload is a track file or a multipart form, not text/plain",
    ),
    422: (
        "A parameter or the body cannot be used as given",
        "/problems/invalid-input",
        "Invalid input",
        "week '2026-W99' does not exist: 2026 has no week 99",
    ),
    500: (
        "Unexpected error: logged with the request id, no internals in the answer",
        "/problems/internal",
        "Internal error",
        "The server could not answer; the error was logged with this request id.",
    ),
    501: (
        "The output asked for is not installed on this server (PDF without WeasyPrint)",
        "/problems/feature-unavailable",
        "Not available here",
        "PDF output needs WeasyPrint and Pango",
    ),
    503: (
        "The store is unreachable or its schema is old",
        "/problems/store-unavailable",
        "Store unavailable",
        "the database is unreachable",
    ),
}

REQUEST_ID_HEADER = {
    "X-Request-ID": {
        "description": "The request's id: the client's own when sane (at most 64 characters of "
        "A-Z a-z 0-9 . _ -), otherwise a new one. Quote it when reporting a problem.",
        "schema": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$"},
    }
}


def _problem_content(status: int) -> dict[str, Any]:
    _, type_uri, title, detail = PROBLEM_EXAMPLES.get(
        status, ("", "about:blank", "HTTP error", "the request failed")
    )
    example = {
        "type": type_uri,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "/api/v1/coverage/2026-W99",
        "request_id": "3f2c9a7e1b0d4c5e8f6a7b8c9d0e1f2a",
    }
    return {PROBLEM_JSON: {"schema": {"$ref": _REF}, "example": example}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries of a route for the problems it may answer."""
    return {
        status: {"model": ProblemModel, "description": PROBLEM_EXAMPLES[status][0]}
        for status in statuses
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every error response of every operation a documented problem (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ProblemModel"] = ProblemModel.model_json_schema(ref_template=_REF)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("500", {"description": PROBLEM_EXAMPLES[500][0]})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": PROBLEM_EXAMPLES[400][0]})
                # Every body is counted while it streams (geo/api/body_limit.py).
                responses.setdefault("413", {"description": PROBLEM_EXAMPLES[413][0]})
            for code, response in responses.items():
                if response.pop(PAGE_ANSWER, False):
                    response["content"] = {"text/html": {"schema": {"type": "string"}}}
                elif code[:1] in ("4", "5"):
                    response["content"] = _problem_content(int(code))
                    if response.get("description") in ("Validation Error", None):
                        response["description"] = PROBLEM_EXAMPLES[422][0]
                response.setdefault("headers", {}).update(REQUEST_ID_HEADER)
    return schema


def install(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with the problems documented (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
