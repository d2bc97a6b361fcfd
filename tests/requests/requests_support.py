"""Shared by the requests tests and the web tests of the rights pages: a policy connecting one SQLite customer
system (the systems tests' CRM), a runtime on it with a person in the register, and the file outbox read back."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace
from datetime import date
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register.people import add_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.work import Work

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "systems"))
from customer_system import MAPPING, build_customer_system

TESTER = Actor.system("test")  # sets up and reads the register around the requests under test

ANNA = "anna@example.se"


@dataclass
class Letter:
    to: str
    subject: str
    body: str


@dataclass
class Outbox:
    """The embedded installation's file outbox (no SMTP server set), read back as letters."""

    directory: Path

    @property
    def letters(self) -> list[Letter]:
        found = []
        for path in sorted(self.directory.glob("*.eml")) if self.directory.is_dir() else []:
            parsed = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
            assert isinstance(parsed, EmailMessage)
            part = parsed.get_body(("plain",))
            body = part.get_content() if part is not None else ""
            found.append(Letter(str(parsed["To"]), str(parsed["Subject"]), str(body)))
        return found

    def last(self, to: str = ANNA) -> Letter:
        return [m for m in self.letters if m.to == to][-1]

    def link(self, pattern: str, to: str = ANNA) -> str:
        found = re.search(pattern, self.last(to).body)
        assert found, self.last(to).body
        return found.group(0)


def crm_policy(settings: Settings, directory: Path) -> Path:
    """The example policy with one connected system only: the CRM (a manual system would wait for its owner)."""
    original = Path(settings.policy_path).read_text(encoding="utf-8")
    systems = (
        "systems:\n  - id: crm\n    name: CRM\n    environment: production\n    kind: sql\n"
        "    mapping: crm-mapping.yaml\n\n"
    )
    policy = re.sub(r"(?ms)^systems:\n.*?(?=^processor:)", lambda _m: systems, original)
    policy = re.sub(r"(?m)^    systems: \[.*\]$", "    systems: [crm]", policy)
    path = directory / "policy.yaml"
    path.write_text(policy, encoding="utf-8")
    (directory / "crm-mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return path


@dataclass
class Connected:
    runtime: Runtime
    crm_url: str
    outbox: Outbox


def open_connected(settings: Settings, clock: FixedClock, tmp_path: Path) -> Connected:
    url = build_customer_system(tmp_path / "crm.db")
    policy = crm_policy(settings, tmp_path)
    rt = open_runtime(replace(settings, policy_path=policy), clock, environ={"CUSTOS_SYSTEM_CRM_URL": url})
    outbox = Outbox(settings.outbox_dir)
    with rt.db.transaction() as session:
        add_person(
            Work(session, rt.clock, rt.keys, rt.policy, TESTER),
            PersonCreate(
                name="Anna Andersson",
                title="CTO",
                emails=[ANNA],
                relationships=[
                    RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 6, 1), source="Fair")
                ],
            ),
        )
    return Connected(rt, url, outbox)
