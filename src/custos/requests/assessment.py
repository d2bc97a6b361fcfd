"""The Art. 17(3) assessment of an erasure request: which requests wait for it, what a reviewer decides on, and
the decision.

An activity the policy marks `erasure: {review: required, grounds: [...]}` stops an erasure request that
touches it (through the register person's relationships) in `assessing` once the identity is confirmed: nothing
irreversible runs until a staff member with `requests.assess` decides, per data category, to erase it or to keep
it under Art. 17(3)(b) (a legal obligation) or (e) (legal claims), with a reason and an until-date. A category
the law already keeps (`custos.retention.keep`) can only be kept. The decision is recorded on the request and
audited (a `request.assessed` event); the drive then plans the work with the decisions added to what the law
keeps, and the letter says what was kept, why and until when. The deadline keeps running throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.clock import today
from custos.errors import Conflict, InvalidInput, Problem
from custos.policy import Policy
from custos.requests import cases
from custos.requests.kinds import KINDS
from custos.requests.models import SubjectRequest
from custos.retention.keep import kept_for_ref
from custos.retention.rules import CompiledPolicy
from custos.systems.kept import GROUNDS, LEGAL_CLAIMS, LEGAL_OBLIGATION, KeepPlan, Kept
from custos.work import Work

PERMISSION = "requests.assess"
MAX_REASON = 500
# Art. 17(3)'s exceptions by their letter, for the record and the letter.
ARTICLE = {"legal_obligation": "GDPR Art. 17(3)(b)", "legal_claims": "GDPR Art. 17(3)(e)"}


# What a proposal says of a category only a legal hold keeps; the hold's own reason is on the retention page.
LEGAL_HOLD_REASON = "A legal hold keeps it for a legal claim"


@dataclass(frozen=True)
class ReviewItem:
    """One category the reviewer decides on, with what the law already keeps of it (then it can only be kept)."""

    category: str
    description: str
    activities: tuple[str, ...]
    grounds: tuple[str, ...]  # what it may be kept under
    legal: dict[str, Any] | None  # the keep plan's line for it: laws, until
    # Where a decision to keep it applies: the reviewed activities' systems and wherever the law keeps it
    # (None: every system). The CRM's copy of a name is not kept because payroll keeps it in finance.
    systems: tuple[str, ...] | None = None

    @property
    def fixed(self) -> bool:
        return self.legal is not None


@dataclass(frozen=True)
class Decision:
    category: str
    decision: Literal["erase", "keep"]
    ground: str | None = None
    reason: str | None = None
    until: date | None = None


def person_activities(session: Session, person_ref: str | None) -> list[str]:
    if person_ref is None:
        return []
    from custos.register.models import Person, Relationship

    return sorted(set(session.scalars(select(Relationship.activity).join(Person).where(Person.ref == person_ref))))


def activities_to_review(policy: Policy, activities: Sequence[str]) -> list[str]:
    """Of these activities, those the policy marks for review, in the policy's order."""
    mine = set(activities)
    return [a.id for a in policy.activities if a.id in mine and a.needs_erasure_review]


def wait_for_review(work: Work, req: SubjectRequest) -> bool:
    """A verified erasure that touches a reviewed activity moves to `assessing` (in the caller's transaction);
    True when it did. Others (and one already assessed) go on as before."""
    if not KINDS[req.kind].review or req.assessment is not None:
        return False
    activities = activities_to_review(work.policy, person_activities(work.session, req.person_ref))
    if not activities:
        return False
    req.assessment = {"activities": activities, "decisions": []}
    cases.move(work, req, "assessing", details={"activities": activities})
    return True


def decided(req: SubjectRequest) -> bool:
    return bool(req.assessment and req.assessment.get("decided_at"))


def kept_by_decision(req: SubjectRequest) -> tuple[Kept, ...]:
    """The reviewer's decisions to keep, as keep-plan entries (kept wherever the category is)."""
    if not req.assessment:
        return ()
    by = req.assessment.get("decided_by")
    return tuple(
        Kept(
            category=d["category"],
            law=d.get("reason") or "",
            until=date.fromisoformat(d["until"]) if d.get("until") else None,
            ground=d.get("ground") or LEGAL_OBLIGATION,
            systems=tuple(d["systems"]) if d.get("systems") is not None else None,
            decided_by=by,
        )
        for d in req.assessment.get("decisions", [])
        if d.get("decision") == "keep"
    )


def items(work: Work, req: SubjectRequest) -> list[ReviewItem]:
    """What the reviewer decides on: each category of the reviewed activities (or the ones their `erasure`
    names), with the grounds those activities allow, and what the law keeps of it today."""
    policy, session = work.policy, work.session
    activities = (req.assessment or {}).get("activities") or activities_to_review(
        policy, person_activities(session, req.person_ref)
    )
    plan = kept_for_ref(session, CompiledPolicy.of(policy), req.person_ref, today(work.clock))
    legal = {line["category"]: line for line in plan.summary()}
    found: dict[str, tuple[list[str], list[str], set[str]]] = {}
    for activity in policy.activities:
        if activity.id not in activities or activity.erasure is None:
            continue
        patterns = activity.erasure.categories or activity.data
        for category in policy.resolve_data(activity):
            if any(fnmatchcase(category.id, p) for p in patterns):
                names, grounds, systems = found.setdefault(category.id, ([], [], set()))
                names.append(activity.id)
                grounds += [str(g) for g in activity.erasure.grounds if str(g) not in grounds]
                systems.update(activity.systems)
    descriptions = {c.id: c.description for c in policy.data_categories}
    return [
        ReviewItem(
            category,
            descriptions.get(category, category),
            tuple(names),
            tuple(g for g in GROUNDS if g in grounds or _kept_under(legal.get(category), g)),
            legal.get(category),
            _where(plan, category, systems),
        )
        for category, (names, grounds, systems) in found.items()
    ]


def _where(plan: KeepPlan, category: str, systems: set[str]) -> tuple[str, ...] | None:
    law = [k.systems for k in plan.entries if k.category == category]
    if any(s is None for s in law):
        return None
    return tuple(sorted(systems.union(*(s for s in law if s is not None))))


def decide(work: Work, ref: str, decisions: Sequence[Decision]) -> SubjectRequest:
    """Record the reviewer's decision per category (every category under review, once); `InvalidInput` names
    each problem by category and field, and nothing is recorded unless all are right. Audited as the
    request's `assessed` event. The caller drives the request on."""
    req = cases.load(work.session, ref, lock=True)
    if req.state != "assessing":
        raise Conflict(f"request {ref} is {req.state}; only an erasure waiting for assessment can be assessed")
    if decided(req):
        raise Conflict(f"request {ref} was already assessed by {req.assessment['decided_by']}")  # type: ignore[index]
    review = {item.category: item for item in items(work, req)}
    on = today(work.clock)
    problems: list[Problem] = []
    given: dict[str, Decision] = {}
    for d in decisions:
        where = f"decisions.{d.category}"
        if d.category not in review:
            problems.append(Problem(where, "is not a category under review", hint=", ".join(review) or "none"))
        elif d.category in given:
            problems.append(Problem(where, "is decided twice"))
        else:
            given[d.category] = d
            problems += _check(review[d.category], d, on)
    problems += [
        Problem(f"decisions.{c}.decision", "decide: erase, or keep with a ground, a reason and a date")
        for c in review
        if c not in given
    ]
    if problems:
        raise InvalidInput(f"the assessment of {ref} is not complete", problems)
    recorded = [_record(review[c], given[c]) for c in review]
    assert req.assessment is not None
    req.assessment = {
        **req.assessment,
        "decisions": recorded,
        "decided_by": work.actor.label,
        "decided_at": work.clock.now().isoformat(),
    }
    kept = [d for d in recorded if d["decision"] == "keep"]
    note = "; ".join(f"{d['category']}: {ARTICLE[d['ground']]}, {d['reason']}, until {d['until'] or '-'}" for d in kept)
    cases.add_event(
        work,
        req,
        "assessed",
        note=f"kept: {note}" if note else "everything erased",
        details={
            "erase": sorted(d["category"] for d in recorded if d["decision"] == "erase"),
            "keep": sorted(d["category"] for d in kept),
            "grounds": sorted({d["ground"] for d in kept}),
        },
    )
    return req


def _check(item: ReviewItem, d: Decision, on: date) -> list[Problem]:
    where = f"decisions.{d.category}"
    if d.decision not in ("erase", "keep"):
        return [Problem(f"{where}.decision", "must be erase or keep")]
    if d.decision == "erase":
        if item.legal is not None:
            laws = ", ".join(item.legal["laws"]) or "a legal obligation"
            until = item.legal["until"] or "its end"
            return [
                Problem(
                    f"{where}.decision",
                    f"the law keeps it: {laws}, until {until} (GDPR Art. 17(3)(b)); it cannot be erased",
                    hint="keep it",
                )
            ]
        return []
    problems = []
    if d.ground not in item.grounds:
        allowed = ", ".join(item.grounds) or "none"
        problems.append(Problem(f"{where}.ground", "not a ground the policy allows here", hint=f"one of: {allowed}"))
    if not (d.reason or "").strip():
        problems.append(Problem(f"{where}.reason", "say why it is kept: the law, or the claim", hint="required"))
    elif len(d.reason or "") > MAX_REASON:
        problems.append(Problem(f"{where}.reason", f"at most {MAX_REASON} characters"))
    if d.until is None and item.legal is None:
        problems.append(Problem(f"{where}.until", "say until when it is kept", hint="a date after today"))
    elif d.until is not None and d.until <= on:
        problems.append(Problem(f"{where}.until", "must be after today", hint=f"after {on.isoformat()}"))
    return problems


def _record(item: ReviewItem, d: Decision) -> dict[str, Any]:
    if d.decision == "erase":
        return {"category": item.category, "decision": "erase"}
    until = d.until or (date.fromisoformat(item.legal["until"]) if item.legal and item.legal["until"] else None)
    return {
        "category": item.category,
        "decision": "keep",
        "ground": d.ground,
        "reason": (d.reason or "").strip(),
        "until": until.isoformat() if until else None,
        "systems": list(item.systems) if item.systems is not None else None,
    }


def _kept_under(line: dict[str, Any] | None, ground: str) -> bool:
    """Whether what already keeps a category (its keep plan's line) keeps it on `ground`: a law on a legal
    obligation, a legal hold for legal claims (Art. 17(3)(b), (e))."""
    if line is None:
        return False
    if ground == LEGAL_OBLIGATION:
        return bool(line["laws"]) or not line.get("hold")
    return ground == LEGAL_CLAIMS and bool(line.get("hold"))


def proposal(item: ReviewItem) -> Decision:
    """What the form starts from: keep what the law keeps (with its law and date) or a hold keeps (for the
    claim it preserves), erase the rest."""
    if item.legal is None:
        return Decision(item.category, "erase")
    until = date.fromisoformat(item.legal["until"]) if item.legal["until"] else None
    if not item.legal["laws"] and item.legal.get("hold"):
        return Decision(item.category, "keep", LEGAL_CLAIMS, LEGAL_HOLD_REASON, until)
    return Decision(item.category, "keep", LEGAL_OBLIGATION, ", ".join(item.legal["laws"]) or None, until)


def plan_for(work: Work, req: SubjectRequest) -> KeepPlan:
    """What the erasure keeps, fixed when its work is planned: the law's and any hold's (`kept_on` today) and
    the reviewer's decisions."""
    rules = CompiledPolicy.of(work.policy)
    return kept_for_ref(work.session, rules, req.person_ref, today(work.clock)).with_decisions(kept_by_decision(req))
