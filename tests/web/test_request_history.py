"""The request page speaks in sentences: every kind of history entry, each task's result and what an erasure
kept, in English and Swedish, with staff by name and systems and categories by their titles in the policy, never
JSON or `staff:2`; and the manual tasks the request waits for, linked with their state."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.actor import Actor
from custos.requests import cases
from custos.requests.models import SubjectRequestEvent, SubjectRequestTask
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime
from custos.systems.keys import SubjectKeys
from custos.systems.tasks import open_task
from custos.web.admin.request_words import EVENT_KINDS
from custos.work import Work
from staff_login import StaffLogin

LoginAs = Callable[..., TestClient]


def _details(kind: str, assignee: int) -> dict[str, Any]:
    return {
        "received": {"channel": "staff", "kind": "erasure", "matched": False},
        "verification_failed": {"outcome": "expired"},
        "assessing": {"activities": ["bookkeeping", "employment"]},
        "assessed": {"erase": ["contact.email"], "keep": ["finance.invoice"], "grounds": ["legal_obligation"]},
        "in_progress": {"tasks": 3, "matched": True},
        "task_failed": {"system": "crm", "action": "erase", "attempt": 2},
        "task_waiting": {"system": "finance", "action": "erase", "attempt": 1},
        "task_pending": {"system": "register", "action": "export", "attempt": 1},
        "work_done": {"tasks": 2, "systems": ["crm", "register"]},
        "completed": {"auto": False},
        "extended": {"months": 2, "due_on": "2027-01-29"},
        "assigned": {"assignee": assignee},
        "retry": {"tasks": 1},
        "reminder": {"days": 7},
        "letter_sent": {"letter": "completion"},
        "letter_failed": {"letter": "refusal", "error": "SMTPException"},
        "recipients_notified": {"recipients": ["Fortnox AB"], "article": "19"},
        "downloaded": {"count": 1},
    }.get(kind, {})


@pytest.fixture
def case(runtime: Runtime, staff_factory: Callable[..., StaffLogin]) -> tuple[str, StaffLogin]:
    """A request whose history holds one entry of every kind, made by a named staff member."""
    member = staff_factory("privacy_officer")
    with runtime.db.transaction() as session:
        from custos.access.models import Staff

        staff = session.get(Staff, member.id)
        assert staff is not None
        staff.name = "Bo Berg"
    actor = Actor(kind="staff", id=member.id, label=f"staff:{member.id}")
    data = RequestCreate(kind="erasure", email="eva@example.se", received_at=runtime.clock.now() - timedelta(days=3))
    with runtime.work(actor) as work:
        req, _ = cases.create(work, data, channel="staff")
        for kind in EVENT_KINDS:
            if kind != "received":
                cases.add_event(work, req, kind, details=_details(kind, member.id))
        cases.add_event(work, req, "assigned", details={"assignee": 0})
        cases.add_event(work.acting_as(Actor.system("requests")), req, "reminder", details={"days": 0})
        cases.add_event(
            work.acting_as(Actor(kind="subject", id=None, label="subject:web")),
            req,
            "downloaded",
            details={"count": 3},
        )
        # A kind the service does not write (yet): stored as a history row only, since the audit log refuses an
        # action it does not know.
        work.session.add(
            SubjectRequestEvent(
                request_id=req.id,
                at=work.clock.now(),
                actor=actor.label,
                kind="something_new",
                to_state="verified",
                details={},
            )
        )
        return req.ref, member


def _history(html: str) -> str:
    found = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S)
    assert found
    return found.group(1)


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_every_history_entry_is_a_sentence_in_the_viewers_language(
    client: TestClient, case: tuple[str, StaffLogin], lang: str
) -> None:
    ref, member = case
    client.get(f"/admin/language?lang={lang}&next=/admin")
    page = client.get(f"/admin/requests/{ref}")
    assert page.status_code == 200
    marked = _history(page.text)
    for kind in EVENT_KINDS:
        assert f'data-kind="{kind}"' in marked, kind
    history = re.sub(r"<[^>]+>", "", marked)  # what the viewer reads
    assert "staff:" not in history
    assert f">{member.id}<" not in history
    assert "{" not in history  # no JSON, no unfilled placeholder
    assert "}" not in history
    assert "[" not in history
    assert "task_" not in history
    assert "letter_sent" not in history
    assert "Bo Berg" in history
    assert "CRM" in history  # systems by name
    sentences = re.findall(r"</time> · ([^<]+)", marked)
    assert len(sentences) >= len(EVENT_KINDS)
    if lang == "en":
        assert "Bo Berg assigned the request to Bo Berg." in history
        assert "Bo Berg removed the assignee." in history
        assert "Bo Berg extended the deadline by 2 months, to 2027-01-29." in history
        assert "Bo Berg retried 1 failed system." in history
        assert "The work started in 3 places." in history
        assert "The assignee was reminded: 7 days left." in history
        assert "The assignee was told the request is overdue." in history
        assert "The person downloaded the package (3 downloads so far)." in history
        assert "An identity code was refused: the code had expired." in history
        assert "CRM could not erase the person&#39;s data (attempt 2)." in history
        assert "Register (Custos)" in history
        assert "Invoices" in history  # the category by its policy title
        assert "The answer letter was sent to the person." in history or "The completion" not in history
        assert "Bo Berg moved the request to: Verified." in history
    else:
        assert "Bo Berg tilldelade begäran till Bo Berg." in history
        assert "Bo Berg förlängde fristen med 2 månader, till 2027-01-29." in history
        assert "Bo Berg försökte igen med 1 system som misslyckats." in history
        assert "Arbetet började på 3 ställen." in history
        assert "Handläggaren påmindes: 7 dagar kvar." in history
        assert "Registret (Custos)" in history
        assert " assigned " not in history


def test_a_tasks_result_and_what_was_kept_are_words_not_json(client: TestClient, runtime: Runtime) -> None:
    actor = Actor(kind="staff", id=1, label="staff:1")
    data = RequestCreate(kind="erasure", email="eva@example.se")
    with runtime.db.transaction() as session:
        work = Work(session, runtime.clock, runtime.keys, runtime.policy, actor)
        req, _ = cases.create(work, data, channel="staff")
        now = runtime.clock.now()
        results = {
            "register": ({"found": True, "erased": True, "counts": {"register": {"person": 1, "identities": 2}}}, None),
            "crm": ({"counts": {"customers": {"deleted": 1, "anonymised": 2, "kept": 0}}, "kept": []}, None),
            "mailer": ({"manual": {"state": "done", "fields": ["contact.email"], "records": 1}}, None),
            "finance": ({}, "connection refused"),
        }
        for target, (result, error) in results.items():
            session.add(
                SubjectRequestTask(
                    request_id=req.id,
                    target=target,
                    action="erase",
                    state="failed" if error else "done",
                    attempts=1,
                    result=result,
                    error=error,
                    updated_at=now,
                )
            )
        req.outcome = {
            "kept": [
                {
                    "category": "finance.invoice",
                    "laws": ["Bokföringslagen (1999:1078) 7 kap. 2 §"],
                    "claims": [],
                    "grounds": ["legal_obligation"],
                    "until": "2033-01-01",
                },
                {"system": "crm", "what": "crm: invoices", "table": "invoices", "reason": "bookkeeping", "until": None},
            ]
        }
        ref = req.ref
    page = client.get(f"/admin/requests/{ref}").text
    tasks = re.search(r'<table id="tasks">(.*?)</table>', page, re.S)
    assert tasks
    body = tasks.group(1)
    assert "{" not in body
    assert "1 deleted, 2 anonymised, 0 kept" in body
    assert "the person erased, 2 identities" in body
    assert "The owner confirmed: Email address; 1 record" in body
    assert "Failed: connection refused" in body
    assert "crm" in body  # the id beside the name, as the policy file spells it
    kept = re.search(r'<ul id="outcome-kept">(.*?)</ul>', page, re.S)
    assert kept
    assert "{" not in kept.group(1)
    assert "Invoices" in kept.group(1)
    assert "kept until 2033-01-01" in kept.group(1)


def test_the_request_links_to_the_manual_tasks_that_block_it(
    client: TestClient, login_as: LoginAs, runtime: Runtime
) -> None:
    actor = Actor(kind="staff", id=1, label="staff:1")
    with runtime.db.transaction() as session:
        req, _ = cases.create(
            Work(session, runtime.clock, runtime.keys, runtime.policy, actor),
            RequestCreate(kind="erasure", email="eva@example.se"),
            channel="staff",
        )
        ref = req.ref
    system = runtime.policy.system("finance")
    task_id, _ = open_task(
        runtime,
        system,
        SubjectKeys.of(emails=["eva@example.se"]),
        subject_ref="00000000-0000-4000-8000-000000000001",
        cause=f"request:{ref}",
        operation="erase",
    )
    other_id, _ = open_task(
        runtime,
        system,
        SubjectKeys.of(emails=["x@example.se"]),
        subject_ref="00000000-0000-4000-8000-000000000002",
        cause="request:DSR-OTHER000",
        operation="erase",
    )
    page = client.get(f"/admin/requests/{ref}").text
    assert f'href="/admin/systems/finance/tasks/{task_id}"' in page
    assert f"/tasks/{other_id}" not in page
    assert "The request waits for 1 manual task." in page
    assert re.search(rf'id="manual-task-{task_id}" data-state="open"', page)
    # A privacy officer sees the task and its state, without a link into a system they do not own.
    officer = login_as("privacy_officer").get(f"/admin/requests/{ref}").text
    assert f'id="manual-task-{task_id}"' in officer
    assert f'href="/admin/systems/finance/tasks/{task_id}"' not in officer
    assert "only the system&#39;s owner can open it" in officer
    with runtime.db.transaction() as session:
        assert session.scalars(select(SubjectRequestTask)).all() == []
