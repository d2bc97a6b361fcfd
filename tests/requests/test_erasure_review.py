"""Issue 13, items 2 and 3: an erasure never tells an owner to destroy what the law keeps, and one that touches an
activity the policy marks for review waits for a person's Art. 17(3) assessment before anything irreversible.

The example policy's employee: employment, taxes-and-fees (Skatteförfarandelagen) and bookkeeping
(Bokföringslagen), all ended 2025-03-31, every system manual (an owner task each)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from requests_support import Outbox
from sqlalchemy import select

from custos.actor import Actor
from custos.errors import Conflict, InvalidInput
from custos.invariants.erasure_checks import live_conflicts
from custos.register.people import add_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import actions, answers, assessment, cases, intake
from custos.requests.driver import drive_open, drive_request
from custos.requests.schemas import RequestCreate
from custos.retention.keep import kept_for_ref
from custos.retention.rules import CompiledPolicy
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.models import SystemRun, SystemTask
from custos.systems.tasks import confirm_task
from custos.work import Work

TESTER = Actor.system("test")  # sets up and reads the register around the requests under test

SUBJECT = Actor(kind="subject", id=None, label="subject:web")
DPO = Actor(kind="staff", id=1, label="staff:dpo@example.se")
OWNER = Actor(kind="staff", id=2, label="staff:owner@example.se")
EVA = "eva@example.se"
ENDED = date(2025, 3, 31)
BOOKKEEPING = "Bokföringslagen (1999:1078) 7 kap. 2 §"
TAXES = "Skatteförfarandelagen (2011:1244)"


def employee(runtime: Runtime, email: str = EVA, ended: date = ENDED) -> str:
    rels = [
        RelationshipCreate(subject_category="employee", activity=a, started_on=date(2019, 1, 7), ended_on=ended)
        for a in ("employment", "taxes-and-fees", "bookkeeping")
    ]
    with runtime.db.transaction() as session:
        return add_person(
            Work(session, runtime.clock, runtime.keys, runtime.policy, TESTER),
            PersonCreate(name="Eva Ek", emails=[email], relationships=rels),
        ).ref


def ask_erasure(runtime: Runtime, outbox: Outbox, email: str = EVA) -> tuple[str, str]:
    """The subject's erasure request on the web, confirmed with the link from the letter; (ref, its state)."""
    result = intake.submit(runtime, SUBJECT, RequestCreate(kind="erasure", email=email), channel="web")
    link = outbox.link(r"https?://\S+/rights/verify/\S+", to=email)
    return result.ref, intake.confirm(runtime, result.ref, parse_qs(urlparse(link).query)["code"][0], SUBJECT)


def erase_tasks(runtime: Runtime) -> dict[str, SystemTask]:
    with runtime.db.transaction() as session:
        tasks = session.scalars(select(SystemTask).where(SystemTask.operation == "erase")).all()
        session.expunge_all()
    return {t.system_id: t for t in tasks}


def confirm_all(runtime: Runtime) -> None:
    with runtime.work(OWNER) as work:
        for task in work.session.scalars(select(SystemTask).where(SystemTask.state == "open")).all():
            confirm_task(
                work, task.system_id, task.id, fields=list(task.categories) or ["none"], records=1, note=None,
            )  # fmt: skip


def keep_everything_the_law_keeps(runtime: Runtime, ref: str) -> list[assessment.Decision]:
    """The form's proposal: keep what the law keeps (with its law and date), erase the rest."""
    with runtime.work(DPO) as work:
        req = cases.load(work.session, ref)
        return [assessment.proposal(item) for item in assessment.items(work, req)]


@pytest.fixture
def outbox(settings: Settings) -> Outbox:
    return Outbox(settings.outbox_dir)


def test_an_employees_erasure_waits_for_assessment_and_erases_nothing_before(runtime: Runtime, outbox: Outbox) -> None:
    person = employee(runtime)
    ref, state = ask_erasure(runtime, outbox)
    assert state == "assessing"
    assert drive_request(runtime, ref).state == "assessing"  # a re-drive (the job) does not start the work
    assert drive_open(runtime) == 1
    with runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert req.tasks == []
        assert req.assessment == {"activities": ["employment", "taxes-and-fees", "bookkeeping"], "decisions": []}
        assert session.scalars(select(SystemRun)).all() == []
        summary = cases.summary(req, date(2026, 11, 29))
    assert summary.days_left > 0  # the clock keeps running while it waits
    assert erase_tasks(runtime) == {}
    with runtime.db.transaction() as session:
        assert cases.load(session, ref).person_ref == person
        assert kept_for_ref(session, CompiledPolicy.of(runtime.policy), person, date(2026, 11, 29))  # still there


def test_the_finance_task_never_lists_what_bookkeeping_or_taxes_keep_and_the_letter_agrees(
    runtime: Runtime, outbox: Outbox
) -> None:
    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    actions.assess(runtime, ref, DPO, keep_everything_the_law_keeps(runtime, ref))
    tasks = erase_tasks(runtime)
    finance = tasks["finance"]
    assert "finance.invoice" not in finance.categories
    assert "employment.payroll" not in finance.categories
    assert sorted(finance.categories) == ["contact.email", "contact.phone", "contact.role"]
    kept = {k["category"]: k for k in finance.kept or []}
    assert {"finance.invoice", "employment.payroll", "contact.name"} <= set(kept)
    with runtime.db.transaction() as session:
        view = {line["category"]: line for line in cases.load(session, ref).keep or []}
    # The same plan went to every system: the CRM holds no employee data, so it erases its contact details.
    assert "contact.name" in tasks["crm"].categories
    confirm_all(runtime)
    assert drive_request(runtime, ref).ready
    answers.complete(runtime, ref, DPO, note=None)
    letter = outbox.last(EVA).body
    assert "2033-01-01" in letter
    assert BOOKKEEPING in letter
    assert "2035-03-31" in letter
    assert TAXES in letter
    with runtime.db.transaction() as session:
        req = cases.load(session, ref)
        lines = {k["category"]: k for k in req.outcome["kept"] if "category" in k}
    assert lines["finance.invoice"]["until"] == "2033-01-01"
    assert lines["employment.payroll"]["until"] == "2035-03-31"
    assert set(lines) == set(view)  # the letter says what the plan keeps, no more and no less
    told_to_keep = {k["category"] for task in tasks.values() for k in task.kept or []}
    assert told_to_keep == set(view)  # and every owner was told to keep exactly that


def test_the_law_keeps_what_it_keeps_whatever_the_reviewer_says(runtime: Runtime, outbox: Outbox) -> None:
    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    decisions = [assessment.Decision(d.category, "erase") for d in keep_everything_the_law_keeps(runtime, ref)]
    with pytest.raises(InvalidInput) as refused:
        actions.assess(runtime, ref, DPO, decisions)
    where = {p.location: p.message for p in refused.value.problems}
    assert "decisions.finance.invoice.decision" in where
    assert BOOKKEEPING in where["decisions.finance.invoice.decision"]
    assert "decisions.employment.payroll.decision" in where
    with runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert req.state == "assessing"
        assert not assessment.decided(req)


def test_a_keep_for_legal_claims_needs_a_ground_a_reason_and_a_date_and_reaches_every_task(
    runtime: Runtime, outbox: Outbox
) -> None:
    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    proposal = keep_everything_the_law_keeps(runtime, ref)
    bad = [
        assessment.Decision("contact.email", "keep", "legal_claims", "", date(2020, 1, 1))
        if d.category == "contact.email"
        else d
        for d in proposal
    ]
    with pytest.raises(InvalidInput) as refused:
        actions.assess(runtime, ref, DPO, bad)
    assert {p.location for p in refused.value.problems} == {
        "decisions.contact.email.reason",
        "decisions.contact.email.until",
    }
    claim = assessment.Decision("contact.email", "keep", "legal_claims", "Dispute over final salary", date(2028, 1, 1))
    actions.assess(runtime, ref, DPO, [claim if d.category == "contact.email" else d for d in proposal])
    with pytest.raises(Conflict):
        actions.assess(runtime, ref, DPO, proposal)  # decided once
    tasks = erase_tasks(runtime)
    # Kept where the reviewed activities keep it (finance), erased where nothing under review holds it.
    assert "contact.email" not in tasks["finance"].categories
    assert "contact.email" in [k["category"] for k in tasks["finance"].kept or []]
    assert "contact.email" in tasks["crm"].categories
    confirm_all(runtime)
    drive_request(runtime, ref)
    answers.complete(runtime, ref, DPO, note=None)
    letter = outbox.last(EVA).body
    assert "Dispute over final salary" in letter
    assert "2028-01-01" in letter
    with runtime.db.transaction() as session:
        events = [e for e in cases.load(session, ref, events=True).events if e.kind == "assessed"]
    assert len(events) == 1
    assert events[0].actor == DPO.label
    assert events[0].details["keep"] == sorted(
        {"contact.email", "contact.name", "employment.payroll", "finance.invoice"}
    )


def test_a_request_without_a_reviewed_activity_runs_at_once(runtime: Runtime, outbox: Outbox) -> None:
    with runtime.db.transaction() as session:
        prospect = RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 6, 1))
        add_person(
            Work(session, runtime.clock, runtime.keys, runtime.policy, TESTER),
            PersonCreate(name="Per Prospekt", emails=[EVA], relationships=[prospect]),
        )
    _, state = ask_erasure(runtime, outbox)
    assert state == "in_progress"
    assert set(erase_tasks(runtime)) == {s.id for s in runtime.policy.systems}


def test_a_drive_killed_after_the_assessment_plans_once(
    runtime: Runtime, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    decisions = keep_everything_the_law_keeps(runtime, ref)
    from custos.systems import runs

    real = runs.erase_in_system

    def killed(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise SystemExit("killed")

    monkeypatch.setattr(runs, "erase_in_system", killed)
    with pytest.raises(SystemExit):
        actions.assess(runtime, ref, DPO, decisions)
    monkeypatch.setattr(runs, "erase_in_system", real)
    with runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert req.state == "in_progress"
        assert assessment.decided(req)
        planned = len(req.tasks)
    drive_open(runtime)
    drive_open(runtime)
    with runtime.db.transaction() as session:
        req = cases.load(session, ref, events=True)
        assert len(req.tasks) == planned
        assert [e.kind for e in req.events].count("assessed") == 1
        assert [e.to_state for e in req.events].count("in_progress") == 1
    tasks = erase_tasks(runtime)
    assert len(tasks) == len(runtime.policy.systems)  # one task per system, never two
    assert "finance.invoice" not in tasks["finance"].categories


def test_no_live_erase_instruction_names_a_kept_category(runtime: Runtime, outbox: Outbox) -> None:
    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    actions.assess(runtime, ref, DPO, keep_everything_the_law_keeps(runtime, ref))
    with runtime.db.transaction() as session:
        assert live_conflicts(session, runtime.policy, date(2026, 11, 29)) == []
        # A task written the old way (every category of the system) is named, with the law that keeps it.
        task = session.scalars(select(SystemTask).where(SystemTask.system_id == "finance")).one()
        task.categories = [*task.categories, "finance.invoice"]
        task.kept = []
    with runtime.db.transaction() as session:
        (found,) = live_conflicts(session, runtime.policy, date(2026, 11, 29))
    assert found.system == "finance"
    assert found.categories == ("finance.invoice",)
    assert any(law.startswith("Bokföringslagen") for law in found.laws)
    with runtime.db.transaction() as session:
        rules = CompiledPolicy.of(runtime.policy)
        assert "finance.invoice" in kept_for_ref(session, rules, found.subject_ref, date(2026, 11, 29)).categories()


_ACTIVITIES = ("employment", "taxes-and-fees", "bookkeeping", "prospects")
_days = st.dates(min_value=date(2012, 1, 1), max_value=date(2026, 11, 28))


@hsettings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(_ACTIVITIES), _days, st.none() | st.integers(min_value=0, max_value=4000)),
        min_size=1,
        max_size=4,
        unique_by=lambda r: r[0],
    )
)
def test_every_task_an_erasure_request_opens_leaves_what_the_law_keeps_that_day(
    runtime: Runtime, drawn: list[tuple[str, date, int | None]]
) -> None:
    rels = [
        RelationshipCreate(subject_category="prospect", activity=a, last_interaction_on=start)
        if a == "prospects"
        else RelationshipCreate(
            subject_category="employee",
            activity=a,
            started_on=start,
            ended_on=min(start + timedelta(days=n), date(2026, 11, 28)) if n is not None else None,
        )
        for a, start, n in drawn
    ]
    email = f"p{uuid.uuid4().hex[:10]}@example.se"
    with runtime.db.transaction() as session:
        ref = add_person(
            Work(session, runtime.clock, runtime.keys, runtime.policy, TESTER),
            PersonCreate(name="P", emails=[email], relationships=rels),
        ).ref
        plan = kept_for_ref(session, CompiledPolicy.of(runtime.policy), ref, date(2026, 11, 29))
    submitted = intake.submit(runtime, DPO, RequestCreate(kind="erasure", email=email), channel="staff")
    result = actions.verify_manually(runtime, submitted.ref, DPO, "known from the payroll file")
    if result.state == "assessing":
        actions.assess(runtime, submitted.ref, DPO, keep_everything_the_law_keeps(runtime, submitted.ref))
    with runtime.db.transaction() as session:
        tasks = session.scalars(select(SystemTask).where(SystemTask.subject_ref == ref)).all()
        assert tasks
        for task in tasks:
            assert not set(task.categories) & plan.categories(task.system_id), task.system_id
        assert live_conflicts(session, runtime.policy, date(2026, 11, 29)) == []


def test_the_assessment_over_the_api_needs_requests_assess(runtime: Runtime, outbox: Outbox, login_as: Any) -> None:
    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    handler = login_as("privacy_officer")
    items = handler.get(f"/api/v1/requests/{ref}/assessment")
    assert items.status_code == 200, items.text
    proposals = {i["category"]: i["proposal"] for i in items.json()}
    assert proposals["finance.invoice"]["decision"] == "keep"
    assert proposals["contact.email"]["decision"] == "erase"
    support = login_as("support_agent")
    assert support.post(f"/api/v1/requests/{ref}/assessment", json={"decisions": []}).status_code == 403
    wrong = [{**p, "decision": "erase"} if c == "finance.invoice" else p for c, p in proposals.items()]
    refused = handler.post(f"/api/v1/requests/{ref}/assessment", json={"decisions": wrong})
    assert refused.status_code == 422
    assert "decisions.finance.invoice.decision" in {p["location"] for p in refused.json()["error"]["problems"]}
    done = handler.post(f"/api/v1/requests/{ref}/assessment", json={"decisions": list(proposals.values())})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "in_progress"


def test_the_assessment_from_a_terminal(runtime: Runtime, settings: Settings, outbox: Outbox) -> None:
    from typer.testing import CliRunner

    from custos.cli.main import build_cli

    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    env = {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "CUSTOS_PACKAGES_DIR": str(settings.packages_dir),
        "CUSTOS_OUTBOX_DIR": str(settings.outbox_dir),
    }
    listed = CliRunner().invoke(build_cli(), ["requests", "assess", ref], env=env)
    assert listed.exit_code == 0, listed.output
    assert "finance.invoice" in listed.output
    assert "Bokföringslagen" in listed.output
    bad = CliRunner().invoke(
        build_cli(), ["requests", "assess", ref, "--keep", "contact.email=legal_claims::"], env=env
    )
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output
    assert "contact.email" in bad.output
    keep = "contact.email=legal_claims:2028-01-01:Dispute over final salary"
    done = CliRunner().invoke(build_cli(), ["requests", "assess", ref, "--keep", keep], env=env)
    assert done.exit_code == 0, done.output
    assert "in_progress" in done.output


def test_the_assessment_form_speaks_swedish_and_names_a_wrong_row(
    runtime: Runtime, outbox: Outbox, login_as: Any
) -> None:
    employee(runtime)
    ref, _ = ask_erasure(runtime, outbox)
    client = login_as("privacy_officer")
    client.get(f"/admin/language?lang=sv&next=/admin/requests/{ref}")
    page = client.get(f"/admin/requests/{ref}").text
    assert "Bedömning före radering (art. 17.3)" in page
    assert "Lagen kräver att det sparas: Bokföringslagen (1999:1078) 7 kap. 2 §, till 2033-01-01." in page
    queue = client.get("/admin/requests?state=assessing").text
    assert "behöver bedömas (art. 17.3)" in queue
    with runtime.work(DPO) as work:
        items = assessment.items(work, cases.load(work.session, ref))
    form = {}
    for index, item in enumerate(items, start=1):
        p = assessment.proposal(item)
        form |= {f"category-{index}": item.category, f"decision-{index}": p.decision}
        if p.decision == "keep":
            form |= {f"ground-{index}": p.ground or "", f"reason-{index}": p.reason or "", f"until-{index}": ""}
    email = next(i for i, item in enumerate(items, start=1) if item.category == "contact.email")
    form |= {f"decision-{email}": "keep", f"ground-{email}": "legal_claims", f"reason-{email}": ""}
    refused = client.post(f"/admin/requests/{ref}/assess", data=form)
    assert refused.status_code == 422
    assert f'id="f-error-{email}-1"' in refused.text  # the message sits in the row it is about
    with runtime.db.transaction() as session:
        assert not assessment.decided(cases.load(session, ref))
    form |= {f"reason-{email}": "Tvist om slutlön", f"until-{email}": "2028-01-01"}
    done = client.post(f"/admin/requests/{ref}/assess", data=form, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"/admin/requests/{ref}").text
    assert "Bedömd av" in page
    assert "Tvist om slutlön" in page
    support = login_as("support_agent")
    assert support.post(f"/admin/requests/{ref}/assess", data=form, follow_redirects=False).status_code == 403
