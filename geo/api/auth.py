"""Who may call what: the ``require(*roles)`` dependency, and the route × role listing.

A route (or a whole router) declares the roles it admits::

    @router.get("/api/v1/x", dependencies=[Depends(require(*READERS))])
    def read_x(...): ...

    router = APIRouter(
        dependencies=[Depends(require(Role.LEADER, Role.ADMIN))], responses=AUTH_PROBLEMS
    )

    def post_y(principal: Annotated[Principal, Depends(require(Role.PATROL, Role.ADMIN))]):
        principal.check_scope(township, squad)  # a patrol key acts for its own squad only

The key comes from ``Authorization: Bearer <key>``; from HTTP Basic, the key as the password
and any user name (for clients that cannot send a header of their own: QGIS's and GDAL's
authentication settings, tracker apps); or, for browsers, the HttpOnly cookie set by the
sign-in page (:mod:`geo.api.routers.signin`). No key, or a malformed, unknown or revoked
one, is 401 problem+json with ``WWW-Authenticate: Bearer``; a role the route does not admit is
403. Routes for browsers (``page=True``) send a browser without a valid key to ``/signin``
instead (303).

A write (any method but GET, HEAD, OPTIONS) authenticated by the cookie is accepted only from
the service's own origin (:func:`from_own_origin`): a browser sends the cookie with requests that
pages of other sites on the same host make (SameSite counts the host, not the port), so the
cookie alone does not show the user asked for the write. Bearer keys are not sent by browsers on
their own and need no such check. Basic credentials could be (a browser keeps what a user typed
into its own prompt; the service never asks for it): a write with them is refused when the
browser's headers say it comes from another origin, and accepted from programs, which send
neither ``Origin`` nor ``Sec-Fetch-Site``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import fastapi.routing
from fastapi import FastAPI, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from fastapi.security.utils import get_authorization_scheme_param

from geo import access
from geo.api.dependencies import StoreDep
from geo.api.models import ProblemModel
from geo.api.openapi import PAGE_ANSWER
from geo.errors import AuthenticationRequired, Forbidden, GeoError
from geo.keys import Principal, Role

#: The sign-in cookie: the key itself, HttpOnly, SameSite=Strict.
COOKIE = "geo_key"
#: Methods that change nothing: the cookie is enough for them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Everyone who reads coverage, maps and every squad's tracks.
READERS = (Role.LEADER, Role.PLANNER, Role.ADMIN)
#: The OpenAPI ``responses`` of a protected route (or router): 401 and 403 problem details.
AUTH_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemModel,
        "description": description,
        "content": {"application/problem+json": {}},
    }
    for status, description in (
        (401, "No API key, or a malformed, unknown or revoked one"),
        (403, "The key's role (or a patrol key's squad) does not admit this request"),
    )
}

#: The OpenAPI ``responses`` of a page (``page=True``), after the route's problems: a browser
#: without a valid key is sent to ``/signin`` (303); a key whose role is not admitted gets the
#: sign-in page with the reason (403, HTML, not a problem).
PAGE_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    303: {"description": "A browser without a valid key: to /signin"},
    403: {
        "description": "The key's role does not admit this page: the sign-in page, with why",
        "content": {"text/html": {"schema": {"type": "string"}}},
        PAGE_ANSWER: True,
    },
}

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="geo_<key_id>_<secret>",
    description=(
        "An API key from `geo keys create`, sent as `Authorization: Bearer <key>`. Browsers "
        "sign in at /signin instead, which keeps the key in an HttpOnly cookie."
    ),
)


class KeyAsBasicPassword(HTTPBasic):
    """HTTP Basic with the API key as the password (the user name is not read). A header that is
    not ``Basic`` gives None; a malformed ``Basic`` one is 401 problem+json saying so."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, param = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "basic":
            return None
        try:
            user, colon, password = base64.b64decode(param, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            colon = ""
        if not colon:
            raise AuthenticationRequired(
                "the Authorization: Basic header must be base64 of 'user:key' (any user name, "
                "the API key as the password)"
            )
        return HTTPBasicCredentials(username=user, password=password)


basic = KeyAsBasicPassword(
    auto_error=False,
    scheme_name="basic",
    description=(
        "HTTP Basic with the API key as the password and any user name, for clients that "
        "cannot send a header of their own (QGIS's and GDAL's authentication settings)."
    ),
)


def own_origin(request: Request) -> str:
    """This service's origin as the browser sees it (``scheme://host[:port]``)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def from_own_origin(request: Request, *, unknown: bool = False) -> bool:
    """Whether a browser request comes from this service's own pages.

    ``Sec-Fetch-Site``, when sent, must be ``same-origin``; ``Origin``, when sent, must be this
    service's origin. A request with neither header is ``unknown`` (True: a client that is not a
    browser, such as the sign-in form posted by a script; False for cookie writes, where a
    missing ``Origin`` is accepted only with ``Sec-Fetch-Site: same-origin``).
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return site == "same-origin" or (site is None and unknown)
    return origin == own_origin(request)


def check_cookie_write(request: Request) -> None:
    """Refuse (403) a write authenticated by the sign-in cookie that does not come from this
    service's own origin (cross-site request forgery, also from other ports of the host)."""
    if request.method in SAFE_METHODS or from_own_origin(request):
        return
    raise Forbidden(
        f"{request.method} {request.url.path} with the sign-in cookie must come from this "
        f"service's own pages ({own_origin(request)}); Origin "
        f"{request.headers.get('origin') or 'missing'}, Sec-Fetch-Site "
        f"{request.headers.get('sec-fetch-site') or 'missing'}. Programs send "
        "'Authorization: Bearer <key>' instead."
    )


class PageAccessDenied(Exception):
    """A browser page refused: :mod:`geo.api.routers.signin` answers with the sign-in page."""

    def __init__(self, error: GeoError, next_url: str):
        super().__init__(error.detail)
        self.error = error
        self.next_url = next_url


class Require:
    """The dependency that admits ``roles`` and gives the :class:`Principal`.

    Parameters
    ----------
    roles
        The roles admitted.
    page
        True for pages a browser opens: no key sends it to ``/signin`` (303), a role not
        admitted shows the sign-in page with the reason (403).
    """

    def __init__(self, *roles: Role, page: bool = False):
        if not roles:
            raise ValueError("require() needs at least one role")
        self.roles = frozenset(roles)
        self.page = page

    def __call__(
        self,
        request: Request,
        store: StoreDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
        basic_credentials: Annotated[HTTPBasicCredentials | None, Security(basic)],
    ) -> Principal:
        try:
            if credentials is not None:
                token: str | None = credentials.credentials
            elif basic_credentials is not None:
                token = basic_credentials.password
                if request.method not in SAFE_METHODS and not from_own_origin(
                    request, unknown=True
                ):
                    raise Forbidden(
                        f"{request.method} {request.url.path} with Basic credentials from "
                        f"another origin ({request.headers.get('origin') or 'a cross-site page'})"
                    )
            else:
                token = request.cookies.get(COOKIE)
                if token is not None:
                    check_cookie_write(request)
            principal = access.authenticate(store, token)
            if principal.role not in self.roles:
                admitted = ", ".join(r.value for r in Role if r in self.roles)
                raise Forbidden(
                    f"a {principal.role.value} key may not use {request.method} "
                    f"{request.url.path}; it admits: {admitted}"
                )
            # A key of one township names no other, on any route (also those that only
            # carry the parameter into links); a township resolved before the key was read (a
            # route's parameters in that order) is checked here, one resolved after by the
            # township context.
            for named in (
                request.query_params.get("township"),
                getattr(request.state, "township", None),
            ):
                if named:
                    principal.check_township(named)
        except (AuthenticationRequired, Forbidden) as exc:
            if self.page:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise PageAccessDenied(exc, target) from None
            raise
        request.state.principal = principal  # the township context checks its scope
        return principal


def require(*roles: Role, page: bool = False) -> Require:
    """The dependency admitting ``roles``; see the module docstring for how to attach it."""
    return Require(*roles, page=page)


@dataclass(frozen=True)
class RouteAccess:
    """One route's declared access: ``roles`` is None for an open route."""

    method: str
    path: str
    roles: frozenset[Role] | None
    page: bool


def _requirements(dependant: Dependant) -> Iterator[Require]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Require):
            yield dep.call
        yield from _requirements(dep)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Each API route as served, with the dependencies of the routers it was included
    through (FastAPI >= 0.13x keeps included routers as one entry in ``app.routes``)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:
        yield from (r for r in app.routes if isinstance(r, APIRoute))
        return
    for context in contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def declared_access(app: FastAPI) -> list[RouteAccess]:
    """Every route of ``app`` with the roles it admits (all its ``require`` together)."""
    out: list[RouteAccess] = []
    for route in _api_routes(app):
        found = list(_requirements(route.dependant))
        roles: frozenset[Role] | None = None
        for req in found:
            roles = req.roles if roles is None else roles & req.roles
        page = any(req.page for req in found)
        for method in sorted(route.methods or ()):
            out.append(RouteAccess(method, route.path, roles, page))
    return out


def _cell(role: Role, admitted: frozenset[Role]) -> str:
    if role not in admitted:
        return "403"
    return "own squad" if role is Role.PATROL else "yes"


def access_table(app: FastAPI) -> str:
    """The route × role table in Markdown, as docs/security.md holds it."""
    roles = list(Role)
    lines = [
        "| route | " + " | ".join(r.value for r in roles) + " | without a key |",
        "|---|" + "---|" * len(roles) + "---|",
    ]
    for item in sorted(declared_access(app), key=lambda a: (a.path, a.method)):
        if item.roles is None:
            cells = ["open"] * len(roles)
            missing = "answered"
        else:
            cells = [_cell(r, item.roles) for r in roles]
            missing = "303 → /signin" if item.page else "401"
        lines.append(f"| `{item.method} {item.path}` | " + " | ".join(cells) + f" | {missing} |")
    return "\n".join(lines)
