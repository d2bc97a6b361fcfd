"""Adding the admin UI to an app: its own templates and wording (built per app), then one router per area."""

from __future__ import annotations

from fastapi import FastAPI

from custos.web.admin import (
    account,
    audit_log,
    consent,
    dashboard,
    doctor,
    imports,
    incidents,
    login,
    mailings,
    organisations,
    people,
    person,
    records,
    requests,
    retention,
    review,
    scans,
    staff,
    systems,
)
from custos.web.admin.ui import make_ui


def install(app: FastAPI) -> None:
    app.state.admin_ui = make_ui(app.state.runtime.policy.jurisdiction.zone)
    # Order matters where paths overlap: the people list and its export before `/admin/people/{ref}`, the scans
    # before `/admin/systems/{system_id}`.
    areas = (login, account, dashboard, people, imports, person, organisations, retention, consent, incidents)
    for area in (*areas, records, requests, staff, review, mailings, scans, systems, audit_log, doctor):
        app.include_router(area.router)
