"""The application factory: `create_app(settings)` builds a fresh app; nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from custos import __version__
from custos.clock import Clock
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.web import consent, errors, health, privacy, rights, unsubscribe
from custos.web.admin import site as admin
from custos.web.api import audit_events, organisations, people, staff, tokens
from custos.web.api import auth as auth_api
from custos.web.api import incidents as incidents_api
from custos.web.api import mailings as mailings_api
from custos.web.api import records as records_api
from custos.web.api import requests as requests_api
from custos.web.api import retention as retention_api
from custos.web.api import systems as systems_api

STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings, *, clock: Clock | None = None, runtime: Runtime | None = None) -> FastAPI:
    owned = runtime is None
    rt = runtime or open_runtime(settings, clock)

    @asynccontextmanager
    async def lifespan(started: FastAPI) -> AsyncIterator[None]:
        yield
        consent.shutdown(started)  # queued consent records are committed before the database closes
        if owned:
            rt.close()

    app = FastAPI(
        title="Custos",
        version=__version__,
        description="Privacy operations: the register, retention, requests, consent and breaches of one policy.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    errors.install(app)
    # First: routes are matched in order, and the banner's public endpoints take the most requests by far.
    consent.install(app)
    app.include_router(health.router)
    app.include_router(privacy.router)
    app.include_router(people.router)
    app.include_router(organisations.router)
    app.include_router(auth_api.router)
    app.include_router(staff.router)
    app.include_router(tokens.router)
    app.include_router(audit_events.router)
    app.include_router(retention_api.router)
    app.include_router(incidents_api.router)
    app.include_router(records_api.router)
    app.include_router(mailings_api.router)
    app.include_router(unsubscribe.router)
    app.include_router(requests_api.router)
    app.include_router(systems_api.router)
    rights.install(app)
    admin.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
