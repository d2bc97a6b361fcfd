"""Staff decisions that also write to the subject or move the work on: each commits the decision in its own
unit of work first, then sends its letter (after the commit) or drives the request (runtime tier).

The HTTP API, the admin pages and the CLI call these, so a decision reads and behaves the same from each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from custos.actor import Actor
from custos.mail import Mailer
from custos.requests import answers, assessment, cases
from custos.requests.driver import DriveResult, drive_request
from custos.requests.kinds import KINDS
from custos.runtime import Runtime


def verify_manually(runtime: Runtime, ref: str, actor: Actor, note: str) -> DriveResult:
    with runtime.work(actor) as work:
        cases.verify_manually(work, ref, note)
    return drive_request(runtime, ref, actor=actor)


def extend(runtime: Runtime, ref: str, actor: Actor, *, months: int, reason: str, mail: Mailer | None = None) -> None:
    """Art. 12(3): the extension and its notice go together, before the first deadline."""
    with runtime.work(actor) as work:
        req = cases.extend(work, ref, months=months, reason=reason)
        due = req.extended_due_on
    answers.send_letter(runtime, ref, "extension", mail, actor, reason=reason.strip(), extended_due_on=due)


def refuse(runtime: Runtime, ref: str, actor: Actor, reasons: str, mail: Mailer | None = None) -> None:
    """Art. 12(4): reasons, the right to complain to the authority and to go to court, in the letter."""
    with runtime.work(actor) as work:
        cases.refuse(work, ref, reasons)
    answers.send_letter(runtime, ref, "refusal", mail, actor, reasons=reasons.strip())


def approve(runtime: Runtime, ref: str, actor: Actor, note: str, changes: dict[str, Any] | None = None) -> DriveResult:
    """A rectification is approved with the changes to apply (name, title, email, phone; see
    `custos.requests.rectify`), checked here so a change that cannot be made is refused before anything moves;
    an objection to legitimate interest is upheld with the decision documented. The work then starts."""
    from custos.requests import rectify

    with runtime.work(actor) as work:
        req = cases.approve(work, ref, note)
        if KINDS[req.kind].register_action == "rectify":
            cases.rematch(work, req)
            region = runtime.policy.jurisdiction.phone_region
            wanted = rectify.resolve(work.session, runtime.keys, req, changes, phone_region=region)
            req.changes_enc = runtime.keys.encrypt(json.dumps(wanted.as_dict(), ensure_ascii=False), cases.CHANGES)
    return drive_request(runtime, ref, actor=actor)


def retry(runtime: Runtime, ref: str, actor: Actor) -> DriveResult:
    """Failed tasks get their attempts back and are driven again (after a system was fixed)."""
    with runtime.work(actor) as work:
        req = cases.load(work.session, ref)
        failed = [t for t in req.tasks if t.state == "failed"]
        for task in failed:
            task.attempts = 0
        cases.add_event(work, req, "retry", details={"tasks": len(failed)})
    return drive_request(runtime, ref, actor=actor)


def assess(runtime: Runtime, ref: str, actor: Actor, decisions: Sequence[assessment.Decision]) -> DriveResult:
    """Art. 17(3): the reviewer's decision per category is recorded (audited), then the erasure runs with the
    law's and the decision's keeps; refused whole when any decision is wrong, so nothing is half-decided."""
    with runtime.work(actor) as work:
        assessment.decide(work, ref, decisions)
    return drive_request(runtime, ref, actor=actor)
