"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from geo import __version__
from geo.api import body_limit, openapi, problems
from geo.api.alert_scheduler import start_alert_scheduler
from geo.api.dependencies import LayersCache, refuse_bad_text
from geo.api.ingest_threads import IngestThreads, warm_up
from geo.api.parse_slots import ParseSlots
from geo.api.request_id import RequestIdMiddleware
from geo.api.routers import (
    alerts,
    audit,
    county,
    dashboard,
    layers,
    ogc,
    ogc_tiles,
    patrol,
    phones,
    plan,
    reports,
    signin,
    tracks,
)
from geo.api.routers.coverage import router
from geo.api.security_headers import SecurityHeadersMiddleware
from geo.settings import Settings, get_settings
from geo.store import open_store


def create_app(settings: Settings | None = None, *, warm: bool = False) -> FastAPI:
    """Build the app; the store is opened in the lifespan and closed at shutdown.

    Parameters
    ----------
    settings
        Explicit settings (tests pass their own); the environment's when None.
    warm
        Pay the upload path's one-time costs at start, before ``/readyz`` answers
        (:func:`geo.api.ingest_threads.warm_up`); ``geo serve`` does.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings.store.database_url, settings.store.gpkg_path)
        app.state.layers_cache = LayersCache()
        app.state.ingest_threads = IngestThreads()
        app.state.parse_slots = ParseSlots.from_settings(settings.server)
        if warm:
            warm_up(app.state.ingest_threads, app.state.layers_cache, app.state.store)
        scheduler = start_alert_scheduler(app.state.store, settings.alerts)
        try:
            yield
        finally:
            await scheduler.stop()
            app.state.ingest_threads.close()
            app.state.store.close()

    app = FastAPI(
        title="geo",
        version=__version__,
        description="Patrol coverage and surveillance assets for a township (巡查覆盖与监控资产).",
        lifespan=lifespan,
        # Text no store can hold (NUL) is refused in parameters and headers of every route.
        dependencies=[Depends(refuse_bad_text)],
    )
    app.state.settings = settings
    problems.install(app)
    body_limit.install(app, settings.server.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    if settings.server.osmand_port:
        app.add_middleware(phones.OsmAndPort, port=settings.server.osmand_port)
    # Outermost: every answer gets the headers, errors and 500s included.
    app.add_middleware(
        SecurityHeadersMiddleware,
        docs_paths=(app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url),
    )
    app.include_router(router)
    app.include_router(tracks.router)
    app.include_router(reports.router)
    app.include_router(dashboard.router)
    signin.install(app)
    app.include_router(layers.read_router)
    app.include_router(layers.write_router)
    app.include_router(ogc.router)
    app.include_router(ogc_tiles.router)
    app.include_router(ogc_tiles.tms_router)
    app.include_router(audit.router)
    app.include_router(phones.trackers)
    app.include_router(phones.router)
    app.include_router(plan.router)
    app.include_router(patrol.pages)
    app.include_router(patrol.router)
    app.include_router(county.router)
    app.include_router(county.page_router)
    app.include_router(alerts.router)
    openapi.install(app)
    return app


def served_app() -> FastAPI:
    """The app ``geo serve`` runs in each of its processes: settings from the environment,
    warmed at start (uvicorn imports it by name, ``geo.api.app:served_app``)."""
    return create_app(warm=True)
