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
from custos.web import consent, errors, health, privacy
from custos.web.admin import site as admin
from custos.web.api import audit_events, organisations, people, staff, tokens
from custos.web.api import auth as auth_api
from custos.web.api import incidents as incidents_api
from custos.web.api import retention as retention_api

STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings, *, clock: Clock | None = None, runtime: Runtime | None = None) -> FastAPI:
    owned = runtime is None
    rt = runtime or open_runtime(settings, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
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
    consent.install(app)
    admin.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
