"""Browser sign-in: paste a key at ``/signin``; it is kept in an HttpOnly, SameSite=Strict
cookie (Secure over https) that :mod:`geo.api.auth` reads like a Bearer header.

Pages (the dashboard, the map) send a browser without a valid key here with ``?next=`` the page
it wanted; only a relative path on this site is followed after signing in.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Form, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from geo import access
from geo.api.auth import COOKIE, PageAccessDenied, from_own_origin
from geo.api.dependencies import StoreDep
from geo.errors import AuthenticationRequired, GeoError
from geo.i18n import Lang, pick_lang, texts
from geo.outputs.templating import templates

router = APIRouter(include_in_schema=False)
#: How long a browser keeps the key; revoking the key ends every session at once.
COOKIE_MAX_AGE = 7 * 24 * 3600


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirects).

    Parameters
    ----------
    target
        The ``next`` the browser sent: ``/?week=2026-W47`` is kept; ``//evil.example``,
        ``https://evil.example``, ``/\\evil.example`` and anything with control characters
        become ``/``.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x21 or c in "\\\x7f" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(("/signin", "/signout")):
        return "/"
    return target


def _page(
    lang: Lang, next_url: str, status: int = 200, error: str = "", detail: str = ""
) -> HTMLResponse:
    html = (
        templates()
        .get_template("signin.html")
        .render(lang=lang, t=texts(lang), next=next_url, error=error, detail=detail)
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/signin", response_class=HTMLResponse)
def signin_page(
    next_url: Annotated[str | None, Query(alias="next")] = None,
    lang: Annotated[str | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The sign-in page."""
    return _page(pick_lang(lang, accept_language), safe_next(next_url))


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    store: StoreDep,
    key: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
    lang: Annotated[str | None, Form()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """Check the key; keep it in the cookie and go to ``next``, or show why not (401)."""
    chosen = pick_lang(lang, accept_language)
    target = safe_next(next_url)
    t = texts(chosen)
    # A browser's form post carries Origin: it must be this site (no login CSRF).
    if not from_own_origin(request, unknown=True):
        return _page(chosen, target, 403, t["cross_site"])
    try:
        access.authenticate(store, key.strip())
    except AuthenticationRequired as exc:
        return _page(chosen, target, 401, t["bad_key"], exc.detail)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        key.strip(),
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
def signout(request: Request, lang: Annotated[str | None, Query()] = None) -> Response:
    """Forget the key in this browser and go back to the sign-in page."""
    query = f"?{urlencode({'lang': lang})}" if lang in ("zh", "en") else ""
    response = RedirectResponse(f"/signin{query}", status_code=303)
    if from_own_origin(request, unknown=True):
        response.delete_cookie(
            COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


async def _page_access_denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageAccessDenied)
    lang = pick_lang(request.query_params.get("lang"), request.headers.get("accept-language"))
    error: GeoError = exc.error
    if isinstance(error, AuthenticationRequired):
        query = {"next": safe_next(exc.next_url)}
        if request.query_params.get("lang") in ("zh", "en"):
            query["lang"] = lang
        return RedirectResponse(f"/signin?{urlencode(query)}", status_code=303)
    return _page(lang, safe_next(exc.next_url), 403, texts(lang)["not_allowed"], error.detail)


def install(app: FastAPI) -> None:
    """Add the sign-in routes and the answer to refused pages to ``app``."""
    app.include_router(router)
    app.add_exception_handler(PageAccessDenied, _page_access_denied)
