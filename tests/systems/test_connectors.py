"""A kind of system added by one connector class and one registration is reached by the machinery as it is:
the policy accepts it, `custos policy check` asks its connector, the inventory describes it, and the runs
find, export, erase (once per cause, retried after a failure) and correct through it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from customer_system import OWNER, connected_policy
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.errors import PolicyInvalid
from custos.policy import load_policy
from custos.policy.check import check_policy
from custos.policy.findings import Finding
from custos.policy.models import Policy, System
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.systems import connectors, inventory
from custos.systems.connectors import Answer, Description, Person
from custos.systems.export import TableExport
from custos.systems.kept import KeepPlan
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemRun
from custos.systems.policy_check import system_findings
from custos.systems.rectify import Rectification
from custos.systems.runs import (
    erase_in_system,
    export_from_system,
    find_in_system,
    list_systems,
    rectify_in_system,
    retry_failed,
)

REF = "5d2e1f3a-7b6c-4d8e-9f0a-1b2c3d4e5f60"
ANNA = SubjectKeys.of(emails=["anna@example.se"])
NEW = "anna.lind@example.se"


@dataclass
class LedgerConnector:
    """A ledger kept in memory, its entries by the person's email: the whole of a new kind."""

    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    down: bool = False
    calls: list[str] = field(default_factory=list)
    kind: str = "ledger"
    owner_work: str | None = None
    scannable: bool = False

    def check(self, policy: Policy, base_dir: Path, system: System) -> list[Finding]:
        if system.categories:
            return []
        return [Finding(("categories",), "a ledger must say what it holds", "add categories: [...]")]

    def describe(self, runtime: Runtime, system: System, *, detail: bool = False) -> Description:
        return Description(connection="LEDGER_PATH", connection_set=True)

    def find(self, runtime: Runtime, system: System, keys: SubjectKeys) -> dict[str, int] | None:
        return {"entries": sum(len(self.entries.get(email, [])) for email in keys.emails)}

    def export(self, runtime: Runtime, system: System, person: Person) -> Answer:
        self._reach("export")
        rows = [row for email in person.keys.emails for row in self.entries.get(email, [])]
        table = TableExport("entries", {"text": "finance.invoice"}, rows)
        return Answer("done", counts={"entries": {"rows": len(rows)}}, tables=[table] if rows else [])

    def erase(self, runtime: Runtime, system: System, person: Person, keep: KeepPlan) -> Answer:
        self._reach("erase")
        deleted = sum(len(self.entries.pop(email, [])) for email in person.keys.emails)
        return Answer("done", counts={"entries": {"deleted": deleted, "anonymised": 0, "kept": 0}})

    def rectify(self, runtime: Runtime, system: System, person: Person, changes: Rectification) -> Answer:
        self._reach("rectify")
        if changes.email is None or changes.email[0] not in self.entries:
            return Answer("done", counts={"entries": {"corrected": 0}})
        moved = self.entries.pop(changes.email[0])
        self.entries[changes.email[1]] = moved
        return Answer("done", counts={"entries": {"corrected": len(moved)}})

    def _reach(self, operation: str) -> None:
        self.calls.append(operation)
        if self.down:
            raise ConnectionError("the ledger is not answering")


@pytest.fixture
def ledger() -> Iterator[LedgerConnector]:
    connector = LedgerConnector(entries={"anna@example.se": [{"text": "invoice 1"}, {"text": "invoice 2"}]})
    connectors.register(connector)
    yield connector
    connectors.unregister(connector.kind)


def _policy(settings: Settings, directory: Path, *, categories: str = "[finance.invoice]") -> Path:
    path = connected_policy(settings, directory)
    website = f"  - id: website\n    name: Elastx website\n    environment: production\n    owner: {OWNER}\n"
    ledger = (
        "  - id: ledger\n    name: Ledger\n    environment: production\n    kind: ledger\n"
        f"    categories: {categories}\n"
    )
    text = path.read_text(encoding="utf-8")
    assert website in text
    path.write_text(text.replace(website, ledger + website), encoding="utf-8")
    return path


@pytest.fixture
def ledger_runtime(
    runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path, ledger: LedgerConnector
) -> Iterator[Runtime]:
    rt = open_runtime(replace(settings, policy_path=_policy(settings, tmp_path)), clock, environ={})
    yield rt
    rt.close()


def _runs(rt: Runtime) -> list[SystemRun]:
    with rt.db.transaction() as session:
        return list(session.scalars(select(SystemRun).where(SystemRun.system_id == "ledger").order_by(SystemRun.id)))


def test_the_policy_accepts_a_registered_kind_only(settings: Settings, tmp_path: Path) -> None:
    path = _policy(settings, tmp_path)
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    assert any("'ledger' is not a kind of system" in p.message for p in caught.value.problems)
    connector = LedgerConnector()
    connectors.register(connector)
    try:
        assert load_policy(path).system("ledger").kind == "ledger"
    finally:
        connectors.unregister(connector.kind)


def test_policy_check_asks_the_new_kinds_connector(
    settings: Settings, clock: FixedClock, tmp_path: Path, ledger: LedgerConnector
) -> None:
    assert check_policy(_policy(settings, tmp_path), clock, checks=[system_findings]).ok
    path = _policy(settings, tmp_path, categories="[]")
    (problem,) = check_policy(path, clock, checks=[system_findings]).errors
    assert problem.location.endswith(".categories")
    assert problem.message == "a ledger must say what it holds"


def test_the_inventory_lists_and_describes_it(ledger_runtime: Runtime) -> None:
    rt = ledger_runtime
    assert {s.id: s.kind for s in list_systems(rt)}["ledger"] == "ledger"
    with rt.work(Actor.system("test")) as work:
        entry = inventory.system_entry(work, rt, "ledger")
    assert (entry.kind, entry.connection, entry.connection_set, entry.mapping_status) == (
        "ledger",
        "LEDGER_PATH",
        True,
        "none",
    )
    assert entry.owner_problem is None  # nothing is done by hand there, so it needs no owner


def test_it_is_found_exported_from_and_erased_in_once_per_cause(
    ledger_runtime: Runtime, ledger: LedgerConnector
) -> None:
    rt = ledger_runtime
    assert find_in_system(rt, "ledger", ANNA) == {"entries": 2}
    exported = export_from_system(rt, "ledger", ANNA, subject_ref=REF, cause="request:R-1")
    assert (exported.status, exported.error) == ("done", None)
    (table,) = exported.tables
    assert table.rows == [{"text": "invoice 1"}, {"text": "invoice 2"}]
    erased = erase_in_system(rt, "ledger", ANNA, subject_ref=REF, cause="request:R-2")
    assert (erased.status, erased.counts) == ("done", {"entries": {"deleted": 2, "anonymised": 0, "kept": 0}})
    assert ledger.entries == {}
    assert find_in_system(rt, "ledger", ANNA) == {"entries": 0}
    again = erase_in_system(rt, "ledger", ANNA, subject_ref=REF, cause="request:R-2")
    assert again == erased
    assert ledger.calls == ["export", "erase"]  # done for the cause: not asked again
    assert [(r.operation, r.status, r.attempts) for r in _runs(rt)] == [("export", "done", 1), ("erase", "done", 1)]
    with rt.db.transaction() as session:
        events = [
            (e.action, e.outcome, e.details.get("rows"), e.details.get("deleted"))
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.target == "system:ledger").order_by(AuditEvent.seq)
            )
        ]
    assert events == [("system.export", "ok", 2, None), ("system.erase", "ok", None, 2)]


def test_a_failure_is_recorded_and_retried_like_any_systems(ledger_runtime: Runtime, ledger: LedgerConnector) -> None:
    rt = ledger_runtime
    ledger.down = True
    failed = erase_in_system(rt, "ledger", ANNA, subject_ref=REF, cause="retention:3")
    assert failed.status == "failed"
    assert failed.error == "ConnectionError: the ledger is not answering"
    (run,) = _runs(rt)
    assert run.keys_enc is not None  # kept, encrypted, for the retry
    ledger.down = False
    (retried,) = retry_failed(rt)
    assert retried.status == "done"
    assert retried.counts["entries"]["deleted"] == 2
    (run,) = _runs(rt)
    assert (run.attempts, run.status, run.keys_enc) == (2, "done", None)


def test_it_is_corrected_through_its_connector(ledger_runtime: Runtime, ledger: LedgerConnector) -> None:
    rt = ledger_runtime
    changes = Rectification(email=("anna@example.se", NEW))
    outcome = rectify_in_system(rt, "ledger", ANNA, changes, subject_ref=REF, cause="request:R-9")
    assert (outcome.status, outcome.counts) == ("done", {"entries": {"corrected": 2}})
    assert list(ledger.entries) == [NEW]


def test_the_request_driver_erases_the_person_in_it_with_the_other_systems(
    runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path, ledger: LedgerConnector
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "requests"))
    from requests_support import ANNA as EMAIL
    from requests_support import Outbox, crm_policy, open_connected

    from custos.requests import cases, intake
    from custos.requests.schemas import RequestCreate

    settings = replace(settings, packages_dir=tmp_path / "packages", outbox_dir=tmp_path / "outbox")
    c = open_connected(settings, clock, tmp_path)
    c.runtime.close()
    path = crm_policy(settings, tmp_path)
    text = path.read_text(encoding="utf-8").replace("    systems: [crm]", "    systems: [crm, ledger]")
    ledger_entry = (
        "  - id: ledger\n    name: Ledger\n    environment: production\n    kind: ledger\n"
        "    categories: [finance.invoice]\n"
    )
    path.write_text(text.replace("    mapping: crm-mapping.yaml\n", "    mapping: crm-mapping.yaml\n" + ledger_entry))
    rt = open_runtime(replace(settings, policy_path=path), clock, environ={"CUSTOS_SYSTEM_CRM_URL": c.crm_url})
    try:
        subject = Actor(kind="subject", id=None, label="subject:web")
        ref = intake.submit(rt, subject, RequestCreate(kind="erasure", email=EMAIL), channel="web").ref
        link = Outbox(settings.outbox_dir).link(r"https?://\S+/rights/verify/\S+")
        code = parse_qs(urlparse(link).query)["code"][0]
        assert intake.confirm(rt, ref, code, subject) == "in_progress"
        assert ledger.entries == {}  # her entries went with her CRM rows
        assert ledger.calls == ["erase"]
        with rt.db.transaction() as session:
            req = cases.load(session, ref)
            assert {t.target: t.state for t in req.tasks} == {"register": "done", "crm": "done", "ledger": "done"}
        (run,) = _runs(rt)
        assert (run.operation, run.status, run.cause) == ("erase", "done", f"request:{ref}")
    finally:
        rt.close()
