"""Selections and mailings over HTTP. `register.read` to look at counts and progress; `mailings.send` to save
selections, export them and send. A send runs after the response (resumable: POST again to finish one that
stopped)."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import Response

from custos.access.principal import Principal
from custos.clock import today
from custos.mail import mailer_for
from custos.mailings import export as exporting
from custos.mailings import selection as selections
from custos.mailings import sending
from custos.mailings.models import Mailing, Selection
from custos.mailings.schemas import (
    MailingCreate,
    MailingPublic,
    SelectionCountPublic,
    SelectionCreate,
    SelectionPublic,
)
from custos.runtime import Runtime
from custos.web.auth import Require
from custos.web.deps import RuntimeDep, SessionDep

Reader = Annotated[Principal, Require("register.read")]
Sender = Annotated[Principal, Require("mailings.send")]

router = APIRouter(prefix="/api/v1", tags=["mailings"])


def _selection(s: Selection) -> SelectionPublic:
    return SelectionPublic(id=s.id, name=s.name, criteria=selections.criteria_of(s), created_at=s.created_at)


def _mailing(session: SessionDep, m: Mailing) -> MailingPublic:
    p = sending.progress(session, m.id)
    return MailingPublic(
        id=m.id, selection_id=m.selection_id, subject=m.subject, status=m.status, total=p.total, done=p.done
    )


@router.get("/selections", response_model=list[SelectionPublic])
def list_selections(session: SessionDep, principal: Reader) -> list[SelectionPublic]:
    return [_selection(s) for s in selections.all_selections(session)]


@router.post("/selections", response_model=SelectionPublic, status_code=201)
def create_selection(
    body: SelectionCreate, session: SessionDep, runtime: RuntimeDep, principal: Sender
) -> SelectionPublic:
    saved = selections.create(session, runtime.policy, runtime.clock, principal.actor, body.name, body.criteria)
    return _selection(saved)


@router.get("/selections/{selection_id}/count", response_model=SelectionCountPublic)
def count_selection(
    selection_id: int, session: SessionDep, runtime: RuntimeDep, principal: Reader
) -> SelectionCountPublic:
    counts = selections.count_saved(session, runtime.policy, runtime.clock, selection_id)
    return SelectionCountPublic(included=counts.included, excluded=counts.excluded)


@router.get("/selections/{selection_id}/export")
def export_selection(selection_id: int, session: SessionDep, runtime: RuntimeDep, principal: Sender) -> Response:
    """The selection's people as CSV (ref, name, email) for an external mailing tool; audited."""
    out = io.StringIO()
    exporting.export_csv(session, runtime.register, principal.actor, selection_id, out)
    name = f"selection-{selection_id}-{today(runtime.clock).isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/mailings", response_model=MailingPublic, status_code=201)
def create_mailing(body: MailingCreate, session: SessionDep, runtime: RuntimeDep, principal: Sender) -> MailingPublic:
    mailing = sending.create(
        session,
        runtime.policy,
        runtime.clock,
        principal.actor,
        body.selection_id,
        body.subject,
        body.body,
        body.language,
    )
    return _mailing(session, mailing)


@router.get("/mailings/{mailing_id}", response_model=MailingPublic)
def get_mailing(mailing_id: int, session: SessionDep, principal: Reader) -> MailingPublic:
    return _mailing(session, sending.get(session, mailing_id))


def run_send(runtime: Runtime, principal: Principal, mailing_id: int) -> None:
    sending.send(
        runtime.db,
        runtime.register,
        mailer_for(runtime.settings, runtime.policy),
        principal.actor,
        mailing_id,
        runtime.settings.base_url,
    )


@router.post("/mailings/{mailing_id}/send", response_model=MailingPublic, status_code=202)
def send_mailing(
    mailing_id: int, session: SessionDep, runtime: RuntimeDep, principal: Sender, background: BackgroundTasks
) -> MailingPublic:
    """Fix the recipients now and send after the response; progress is at GET /mailings/{id}."""
    sending.start(session, runtime.policy, runtime.clock, principal.actor, mailing_id)
    background.add_task(run_send, runtime, principal, mailing_id)
    return _mailing(session, sending.get(session, mailing_id))
