"""The domain error hierarchy.

Every error the service means to show a user is a :class:`GeoError`. Each subclass carries
an HTTP status, a short title and a problem type as class attributes; the API turns them into
``application/problem+json`` (RFC 9457) in one place (:mod:`geo.api.problems`) and the CLI
prints them as one line. Domain code never raises HTTP exceptions.
"""

from __future__ import annotations

import re
from typing import ClassVar


class GeoError(Exception):
    """Base class of all errors meant for the user.

    Parameters
    ----------
    detail
        What is wrong, in one sentence a user can act on.
    source
        The file or input the problem is in, when there is one.
    place
        Where in the source: ``"line 12"``, ``"point 3"``, ``"feature CAM-07"``.
    """

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, *, source: str | None = None, place: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.source = source
        self.place = place

    @property
    def type_uri(self) -> str:
        """The RFC 9457 problem type, a relative URI documented in docs/errors.md."""
        return f"/problems/{self.slug}"

    def one_line(self) -> str:
        """The error as one CLI line: ``file: place: problem`` (line breaks in a driver's
        message, e.g. psycopg's, become spaces)."""
        parts = [p for p in (self.source, self.place) if p]
        return re.sub(r"\s*[\r\n]+\s*", " ", ": ".join([*parts, self.detail])).strip()

    def __str__(self) -> str:
        return self.one_line()


class InvalidInput(GeoError):
    """A request or argument that cannot be used as given."""

    status = 422
    title = "Invalid input"
    slug = "invalid-input"


class InvalidFile(InvalidInput):
    """An uploaded or imported file that cannot be read."""

    title = "Unreadable file"
    slug = "invalid-file"


class LayerProblems(InvalidInput):
    """A layers folder (or a layer edit) that breaks the township's geometry rules."""

    title = "Invalid layers"
    slug = "invalid-layers"

    def __init__(self, problems: list[str], *, source: str | None = None):
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}", source=source)
        self.problems = problems


class InvalidQuery(GeoError):
    """A malformed query parameter of a feature request (bbox, datetime, limit, offset).

    Answered with 400, as OGC API – Features requires for bad parameters."""

    status = 400
    title = "Invalid query parameter"
    slug = "invalid-query"


class PayloadTooLarge(GeoError):
    """An upload over the configured size or point limit."""

    status = 413
    title = "Upload too large"
    slug = "payload-too-large"


class UnsupportedMediaType(GeoError):
    """A request body of a content type the route does not take (e.g. a form for an upload)."""

    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class Conflict(GeoError):
    """A request that contradicts what is stored (an idempotency key reused for other data)."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class AuthenticationRequired(GeoError):
    """No API key, or one that is malformed, unknown or revoked (HTTP 401)."""

    status = 401
    title = "Authentication required"
    slug = "authentication-required"
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="geo"'}


class Forbidden(GeoError):
    """A valid key whose role (or squad) does not admit the request (HTTP 403)."""

    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(GeoError):
    """A township, week or object that the store does not hold."""

    status = 404
    title = "Not found"
    slug = "not-found"


class StoreUnavailable(GeoError):
    """The configured store cannot be reached or is not at the expected schema."""

    status = 503
    title = "Store unavailable"
    slug = "store-unavailable"


class FeatureUnavailable(GeoError):
    """An optional output whose libraries are not installed here (e.g. PDF without WeasyPrint)."""

    status = 501
    title = "Not available here"
    slug = "feature-unavailable"


class ServerBusy(GeoError):
    """Too many heavy uploads at once: the client should retry after ``retry_after`` seconds."""

    status = 503
    title = "Busy"
    slug = "busy"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
