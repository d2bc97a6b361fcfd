"""Selections and mailings over HTTP. `register.read` to look at counts and progress; `mailings.send` to save
selections, export them and send. POST …/send starts a mailing; the `mailings-send` job sends it, and takes it
up again after a restart (POST again only wakes the job sooner)."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from custos.access.principal import Principal
from custos.clock import today
from custos.jobs.registry import MAILINGS_SEND, wake_after_commit
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
from custos.web.auth import Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

Reader = Annotated[Principal, Require("register.read")]
Sender = Annotated[Principal, Require("mailings.send")]

router = APIRouter(prefix="/api/v1", tags=["mailings"])


def _selection(s: Selection) -> SelectionPublic:
    return SelectionPublic(id=s.id, name=s.name, criteria=selections.criteria_of(s), created_at=s.created_at)


def _mailing(work: Work, m: Mailing) -> MailingPublic:
    p = sending.progress(work.session, m.id)
    return MailingPublic(
        id=m.id, selection_id=m.selection_id, subject=m.subject, status=m.status, total=p.total, done=p.done
    )


@router.get("/selections", response_model=list[SelectionPublic])
def list_selections(work: WorkDep, principal: Reader) -> list[SelectionPublic]:
    return [_selection(s) for s in selections.all_selections(work.session)]


@router.post("/selections", response_model=SelectionPublic, status_code=201)
def create_selection(body: SelectionCreate, work: WorkDep, principal: Sender) -> SelectionPublic:
    return _selection(selections.create(work, body.name, body.criteria))


@router.get("/selections/{selection_id}/count", response_model=SelectionCountPublic)
def count_selection(selection_id: int, work: WorkDep, principal: Reader) -> SelectionCountPublic:
    counts = selections.count_saved(work, selection_id)
    return SelectionCountPublic(included=counts.included, excluded=counts.excluded)


@router.get("/selections/{selection_id}/export")
def export_selection(selection_id: int, work: WorkDep, principal: Sender) -> Response:
    """The selection's people as CSV (ref, name, email) for an external mailing tool; audited."""
    out = io.StringIO()
    exporting.export_csv(work, selection_id, out)
    name = f"selection-{selection_id}-{today(work.clock).isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/mailings", response_model=MailingPublic, status_code=201)
def create_mailing(body: MailingCreate, work: WorkDep, principal: Sender) -> MailingPublic:
    mailing = sending.create(work, body.selection_id, body.subject, body.body, body.language)
    return _mailing(work, mailing)


@router.get("/mailings/{mailing_id}", response_model=MailingPublic)
def get_mailing(mailing_id: int, work: WorkDep, principal: Reader) -> MailingPublic:
    return _mailing(work, sending.get(work.session, mailing_id))


@router.post("/mailings/{mailing_id}/send", response_model=MailingPublic, status_code=202)
def send_mailing(mailing_id: int, work: WorkDep, runtime: RuntimeDep, principal: Sender) -> MailingPublic:
    """Fix the recipients now; the `mailings-send` job sends them. Progress is at GET /mailings/{id}."""
    sending.start(work, mailing_id)
    wake_after_commit(work, runtime, MAILINGS_SEND)
    return _mailing(work, sending.get(work.session, mailing_id))
