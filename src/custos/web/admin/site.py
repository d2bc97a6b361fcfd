"""Adding the admin UI to an app: its own templates and wording (built per app), then one router per area."""

from __future__ import annotations

from fastapi import FastAPI

from custos.web.admin import (
    account,
    audit_log,
    consent,
    dashboard,
    doctor,
    incidents,
    login,
    mailings,
    people,
    records,
    requests,
    retention,
    review,
    staff,
    systems,
)
from custos.web.admin.ui import make_ui


def install(app: FastAPI) -> None:
    app.state.admin_ui = make_ui(app.state.runtime.policy.jurisdiction.zone)
    areas = (login, account, dashboard, people, retention, consent, incidents, records, requests, staff, review)
    for area in (*areas, mailings, systems, audit_log, doctor):
        app.include_router(area.router)
