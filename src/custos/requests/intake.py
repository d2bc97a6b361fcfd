"""Taking a request in from any channel, and the email round-trip that confirms the subject's identity.

The web form, staff entry and the API all come here, with the same rules (`cases.validate`). A web or API
request gets an identity check by a one-time link to the address given (Art. 12(6): the address is where the
answer goes, so holding it is the proof asked for); staff entry may confirm identity another way, with a note.
An objection to direct marketing needs no check (Art. 21(3): stopping mail harms no one) and is honoured at once.
A request about data in a customer's environment is answered with the processor redirect (Art. 28, 29).
"""

from __future__ import annotations

import logging

from custos.actor import Actor
from custos.errors import Conflict
from custos.mail import Mailer
from custos.requests import answers, cases, codes
from custos.requests.driver import drive_request
from custos.requests.kinds import KINDS
from custos.requests.schemas import RequestCreate, SubmitResult
from custos.runtime import Runtime

log = logging.getLogger("custos.requests")


def verify_url(runtime: Runtime, ref: str, code: str) -> str:
    return f"{runtime.settings.base_url}/rights/verify/{ref}?code={code}"


def submit(
    runtime: Runtime, actor: Actor, data: RequestCreate, *, channel: str, mail: Mailer | None = None
) -> SubmitResult:
    """Take a request in from any channel (runtime tier: the intake commits, then the letters go out, then an
    objection to marketing is honoured at once)."""
    code = None
    with runtime.work(actor) as work:
        req, secret = cases.create(work, data, channel=channel)
        ref = req.ref
        if req.processor_service is not None:
            cases.move(
                work,
                req,
                "completed",
                event="processor_redirect",
                note="the subject was told the customer is the controller",
                details={"service": req.processor_service},
            )
        elif not KINDS[req.kind].identity_check:
            cases.move(work, req, "verified", note="no identity check needed, Art. 21(3)")
        elif channel != "staff":
            code = codes.issue(work, req, "verify")
            cases.pause_starts(req, work.clock.now())
            cases.move(work, req, "verifying")
        result = SubmitResult(
            ref=ref, state=req.state, due_on=cases.current_due(req), status_url=answers.status_url(runtime, secret)
        )
        service = req.processor_service
    if service is not None:
        processor = next(p for p in runtime.policy.processor if p.id == service)
        answers.send_letter(
            runtime,
            ref,
            "processor_redirect",
            mail,
            actor,
            service=processor.service,
            description=processor.description,
        )
        return result
    answers.send_letter(runtime, ref, "acknowledgement", mail, actor, status_url=result.status_url)
    if code is not None:
        _send_code(runtime, ref, code, mail, actor)
    if not KINDS[data.kind].identity_check:
        drive_request(runtime, ref, actor=actor)
    return result


def send_verification(runtime: Runtime, ref: str, actor: Actor, mail: Mailer | None = None) -> bool:
    """A new identity link (the subject lost it, or staff ask for the round-trip on a request they entered)."""
    with runtime.work(actor) as work:
        req = cases.load(work.session, ref, lock=True)
        if req.state not in ("received", "verifying"):
            raise Conflict(f"request {ref} is {req.state}; the identity check is only asked before it is verified")
        code = codes.issue(work, req, "verify")
        if req.state == "received":
            cases.pause_starts(req, work.clock.now())
            cases.move(work, req, "verifying")
        else:
            cases.add_event(work, req, "verification_resent")
    return _send_code(runtime, ref, code, mail, actor)


def _send_code(runtime: Runtime, ref: str, code: str, mail: Mailer | None, actor: Actor) -> bool:
    expires = runtime.clock.now() + codes.LIFETIME["verify"]
    url = verify_url(runtime, ref, code)
    return answers.send_letter(runtime, ref, "verification", mail, actor, code=code, verify_url=url, expires_at=expires)


def confirm(runtime: Runtime, ref: str, code: str, actor: Actor, *, drive: bool = True) -> str:
    """The subject followed the link: the identity is confirmed, the clock runs again, the work starts."""
    with runtime.work(actor) as work:
        req = cases.load(work.session, ref, lock=True)
        if req.state != "verifying":
            if req.state in ("verified", "assessing", "in_progress", "completed"):
                return req.state  # a second click on the same link: already confirmed
            raise Conflict(f"request {ref} is {req.state}; there is nothing to confirm")
        outcome = codes.check(work, req, "verify", code)
        if outcome == "ok":
            cases.pause_ends(req, work.clock.now(), work.policy.jurisdiction)
            cases.rematch(work, req)
            cases.move(work, req, "verified", event="verified")
        else:
            cases.add_event(work, req, "verification_failed", details={"outcome": outcome})
    answers.codes_raise(outcome, "verify")
    if drive:
        try:
            return drive_request(runtime, ref).state
        except Exception:  # the job re-drives it; the subject's confirmation stands
            log.exception("driving request %s after verification failed", ref)
    return "verified"
