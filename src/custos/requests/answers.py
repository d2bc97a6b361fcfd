"""The answers: letters to the subject, the package they download, Art. 19 notices, and completing a case.

Letters go out after the transaction that decided them has committed (a mail server that is down must not
undo a decision), and each letter sent or failed is an event in the case's history; a failed letter is shown
to staff, who send it again. The letter's text comes from `custos.requests.letters`, in the request's language.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from custos.actor import Actor
from custos.errors import Conflict, NotFound
from custos.mail import Mailer, Message
from custos.requests import cases, codes
from custos.requests.kinds import KINDS
from custos.requests.models import SubjectRequest, SubjectRequestDownload
from custos.requests.staging import package_path, read_parts
from custos.requests.wording import request_texts
from custos.runtime import Runtime
from custos.work import Work

log = logging.getLogger("custos.requests")

DOWNLOAD_LIFETIME = timedelta(days=30)


# -- letters -----------------------------------------------------------------------------------------------


def mailer(runtime: Runtime) -> Mailer:
    from custos.mail import mailer_for

    return mailer_for(runtime.settings, runtime.policy)


def status_url(runtime: Runtime, secret: str) -> str:
    return f"{runtime.settings.base_url}/rights/status/{secret}"


def _facts(work: Work, req: SubjectRequest) -> dict[str, Any]:
    return {
        "ref": req.ref,
        "kind": req.kind,
        "received_on": cases.local_day(req.received_at, work.policy.jurisdiction),
        "due_on": cases.current_due(req),
    }


def completion_facts(req: SubjectRequest) -> dict[str, Any]:
    """What the completion letter of the request's kind says was done (`custos.requests.kinds`), worded in the
    request's language."""
    return KINDS[req.kind].completion_facts(req, request_texts(req.language))


def render(work: Work, req: SubjectRequest, letter: str, **facts: Any) -> Message:
    """The letter to the request's address, in its language, with the case's facts."""
    from custos.requests.letters import render_letter

    to = cases.contact_email(work.keys, req)
    return render_letter(letter, req.language, to=to, policy=work.policy, **{**_facts(work, req), **facts})


def send_letter(runtime: Runtime, ref: str, letter: str, mail: Mailer | None, actor: Actor, **facts: Any) -> bool:
    """Render and send one letter to the request's address; record it as sent or failed. True when sent."""
    with runtime.work(actor) as work:
        message = render(work, cases.load(work.session, ref), letter, **facts)
    return deliver(runtime, ref, letter, message, mail, actor)


def deliver(runtime: Runtime, ref: str, letter: str, message: Message, mail: Mailer | None, actor: Actor) -> bool:
    """Send a rendered letter and record on the case that it was sent or that it failed."""
    error = None
    try:
        (mail or mailer(runtime)).send(message)
    except Exception as exc:  # any failure is recorded on the case and shown to staff; the decision stands
        error = type(exc).__name__
        log.warning("letter %s for %s failed: %s", letter, ref, error)
    with runtime.work(actor) as work:
        req = cases.load(work.session, ref)
        details: dict[str, Any] = {"letter": letter}
        if error:
            details["error"] = error
        cases.add_event(work, req, "letter_failed" if error else "letter_sent", details=details)
    return error is None


# -- packages ----------------------------------------------------------------------------------------------


def write_package(runtime: Runtime, ref: str, *, kind: str, lang: str) -> Path:
    """The ZIP from the staged parts (register + every system), with the Art. 15 information; idempotent.

    The download is audited when it happens; writing the file is recorded by the drive's `work_done` event."""
    from custos.requests import art15, package

    target = package_path(runtime, ref)
    parts = read_parts(runtime, ref)
    subject = package.SubjectData.from_parts(ref, parts, generated_at=runtime.clock.now())
    if KINDS[kind].portable_only:
        package.build_portability_package(
            target,
            subject=subject,
            lang=lang,
            organisation=runtime.policy.organisation.name,
            names=package.policy_names(runtime.policy, lang),
        )
    else:
        info = art15.art15_information(runtime.policy, lang, relationships=list(subject.relationships))
        package.build_access_package(
            target, subject=subject, art15=info, lang=lang, names=package.policy_names(runtime.policy, lang)
        )
    return target


# -- Art. 19 ----------------------------------------------------------------------------------------------


def notify_recipients(work: Work, req: SubjectRequest) -> list[str]:
    """Art. 19: each recipient the policy names for the person's activities is told of the change; the notice
    is recorded (the recipient list is what the subject may ask for)."""
    activities: set[str] | None = None
    if req.person_ref is not None:
        from custos.register.models import Person, Relationship

        query = select(Relationship.activity).join(Person).where(Person.ref == req.person_ref)
        activities = set(work.session.scalars(query)) or None
    names = sorted(
        {r.name for a in work.policy.activities if activities is None or a.id in activities for r in a.recipients}
    )
    if names:
        cases.add_event(
            work,
            req,
            "recipients_notified",
            note="; ".join(names),
            details={"recipients": names, "article": "19"},
        )
    return names


# -- completing ---------------------------------------------------------------------------------------------


def complete(runtime: Runtime, ref: str, actor: Actor, *, note: str | None, mail: Mailer | None = None) -> str | None:
    """Close the case as answered and send the completion letter; for access and portability a fresh download
    link goes with it (its secret is returned once, and only its hash kept). The letter goes out once the
    decision has committed."""
    secret = None
    with runtime.work(actor) as work:
        session, now = work.session, work.clock.now()
        req = cases.load(session, ref, lock=True)
        if req.state == "completed":
            return None
        if not cases.ready(req):
            left = [t.target for t in req.tasks if t.state != "done"]
            raise Conflict(
                f"request {ref} is {req.state}; it can be completed once every task is done"
                + (f" (left: {', '.join(left)})" if left else "")
            )
        spec = KINDS[req.kind]
        if spec.package and not req.package_path:
            raise Conflict(f"request {ref}: the package is not written yet; drive the request first")
        if spec.package:
            secret = cases.new_secret()
            session.add(
                SubjectRequestDownload(
                    request_id=req.id,
                    token_hash=cases.hash_secret(secret),
                    expires_at=now + DOWNLOAD_LIFETIME,
                    downloads=0,
                    created_at=now,
                )
            )
        if note:
            req.decision = note
        cases.move(work, req, "completed", note=note, details={"auto": spec.auto_complete})
        facts = completion_facts(req)
        if secret is not None:
            facts["download_url"] = f"{runtime.settings.base_url}/rights/download/{secret}"
            facts["download_expires_on"] = (now + DOWNLOAD_LIFETIME).date()
        message = render(work, req, "completion", **facts)  # in the decision's transaction: one read less

        def send() -> None:
            deliver(runtime, ref, "completion", message, mail, actor)

        work.after_commit(send)
    return secret


# -- downloads ---------------------------------------------------------------------------------------------


def download_link(work: Work, secret: str) -> tuple[SubjectRequest, SubjectRequestDownload]:
    session = work.session
    link = session.scalar(
        select(SubjectRequestDownload).where(SubjectRequestDownload.token_hash == cases.hash_secret(secret))
    )
    if link is None:
        raise NotFound("this download link is not known; use the link in the latest letter")
    if work.clock.now() >= link.expires_at:
        raise Conflict("this download link has expired; ask for a new one at the address in the letter")
    req = session.get(SubjectRequest, link.request_id)
    assert req is not None
    return req, link


def status_download_link(work: Work, status_secret: str) -> tuple[SubjectRequest, SubjectRequestDownload]:
    """The request's latest download link, found from its private status link (the letter's link secret is not
    kept, so the status page reaches the package through the request itself, behind the same code)."""
    req = cases.by_status_token(work.session, status_secret)
    link = work.session.scalar(
        select(SubjectRequestDownload)
        .where(SubjectRequestDownload.request_id == req.id)
        .order_by(SubjectRequestDownload.id.desc())
        .limit(1)
    )
    if link is None or not req.package_path:
        raise NotFound(f"request {req.ref} has no package to download (yet)")
    if work.clock.now() >= link.expires_at:
        raise Conflict("the download has expired; write to the privacy contact for a new one")
    return req, link


def _link(work: Work, secret: str, via_status: bool) -> tuple[SubjectRequest, SubjectRequestDownload]:
    return status_download_link(work, secret) if via_status else download_link(work, secret)


def send_download_code(
    runtime: Runtime, secret: str, actor: Actor, mail: Mailer | None = None, *, via_status: bool = False
) -> bool:
    """Before a download, the subject confirms again that they hold the address (a forwarded letter is not enough).

    `secret` is the letter's download secret, or with `via_status` the request's private status secret."""
    with runtime.work(actor) as work:
        req, _ = _link(work, secret, via_status)
        code = codes.issue(work, req, "download")
        ref = req.ref
    expires = runtime.clock.now() + codes.LIFETIME["download"]
    return send_letter(runtime, ref, "verification", mail, actor, code=code, purpose="download", expires_at=expires)


def open_download(
    runtime: Runtime, secret: str, code: str, actor: Actor, *, via_status: bool = False
) -> tuple[str, Path]:
    """Check the code and count the download (audited); the caller streams the file."""
    with runtime.work(actor) as work:
        req, link = _link(work, secret, via_status)
        outcome = codes.check(work, req, "download", code)
        if outcome == "ok":
            link.downloads += 1
            link.last_download_at = work.clock.now()
            cases.add_event(work, req, "downloaded", details={"count": link.downloads})
        ref, path = req.ref, req.package_path
    codes_raise(outcome, "download")
    if not path or not Path(path).is_file():
        raise NotFound(f"the package of {ref} is no longer on file; write to the privacy contact")
    return ref, Path(path)


def codes_raise(outcome: str, purpose: str) -> None:
    from custos.errors import InvalidInput, Problem

    if outcome == "ok":
        return
    messages = {
        "wrong": "the code is not right; check the latest letter and try again",
        "expired": "the code has expired; ask for a new one",
        "exhausted": "too many wrong codes; ask for a new one",
        "none": "there is no code to check; ask for a new one",
    }
    raise InvalidInput(messages[outcome], [Problem("code", messages[outcome])])
