"""Property: over random registers, a selection never includes a restricted or suppressed person, nor one whose
own relationship ended; every person it matches is counted exactly once (included or under one reason), and its
members are the included. The register refuses, on the way in, exactly the contacts that could never fall due."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailing_helpers import add_contact, restrict_person, suppress_email, work_on
from sqlalchemy.orm import Session

from custos.errors import InvalidInput
from custos.mailings import selection as selections
from custos.mailings.criteria import Criteria
from custos.register import organisations
from custos.register.schemas import OrganisationCreate, RoleSpan
from custos.runtime import Runtime

TODAY = date(2026, 11, 29)
SINCE = date(2020, 1, 1)

# The organisations of each example: (name, its role periods); index 3 stands for "no organisation".
ORGS: list[tuple[str, list[RoleSpan]]] = [
    ("Current AB", [RoleSpan(role="customer", started_on=SINCE)]),
    ("Former AB", [RoleSpan(role="customer", started_on=SINCE, ended_on=date(2025, 1, 1))]),
    (
        "Everything AB",
        [RoleSpan(role=role, started_on=SINCE) for role in ("customer", "supplier", "partner")],  # type: ignore[arg-type]
    ),
]
# The role each category's rule counts from (the example policy): a contact of an organisation that never held
# it could never fall due, so the register refuses it.
NEEDS_ROLE = {"customer_contact": "customer", "supplier_contact": "supplier", "partner_contact": "partner"}

person = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["customer_contact", "prospect", "supplier_contact", "partner_contact"]),
        "org": st.integers(min_value=0, max_value=3),  # index into ORGS; 3: none
        "ended": st.sampled_from([None, date(2010, 1, 1), date(2030, 6, 30)]),  # the person's own role
        "email": st.booleans(),
        "restricted": st.booleans(),
        "suppressed": st.booleans(),
        "suppressed_before_import": st.booleans(),
    }
)
criteria = st.builds(
    Criteria,
    subject_categories=st.lists(st.sampled_from(["customer_contact", "prospect", "supplier_contact"]), max_size=2),
    organisation_roles=st.lists(st.sampled_from(["customer", "supplier"]), max_size=1),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, min_size=1, max_size=14), wanted=criteria)
def test_a_selection_never_includes_a_restricted_suppressed_or_former_contact(
    runtime: Runtime, people: list[dict[str, object]], wanted: Criteria
) -> None:
    ctx = runtime
    with Session(runtime.db.engine) as session:  # rolled back at the end: each example starts empty
        orgs = [
            organisations.add_organisation(work_on(session, ctx), OrganisationCreate(name=name, roles=roles)).id
            for name, roles in ORGS
        ]
        restricted: set[int] = set()
        suppressed: set[int] = set()
        ended: set[int] = set()
        expected: set[int] = set()
        for n, spec in enumerate(people):
            email = f"p{n}@example.se" if spec["email"] else None
            category, index = str(spec["category"]), int(spec["org"])  # type: ignore[call-overload]
            own_end = spec["ended"]
            assert own_end is None or isinstance(own_end, date)
            org = orgs[index] if index < 3 else None
            if _refused(category, index):
                with pytest.raises(InvalidInput) as refused:
                    add_contact(session, ctx, email, category=category, organisation_id=org, phone=f"+4670{n:07d}")
                assert refused.value.problems[0].location == "relationships[0].organisation_id"
                continue
            if email and spec["suppressed"] and spec["suppressed_before_import"]:
                suppress_email(session, ctx, email)  # an objector imported again later
            ref, pid = add_contact(
                session,
                ctx,
                email,
                category=category,
                organisation_id=org,
                phone=None if email else f"+4670{n:07d}",
                ended_on=own_end,
            )
            if spec["restricted"]:
                restrict_person(session, ctx, ref)
                restricted.add(pid)
            if email and spec["suppressed"]:
                if not spec["suppressed_before_import"]:
                    suppress_email(session, ctx, email)
                suppressed.add(pid)
            if own_end is not None and own_end <= TODAY:
                ended.add(pid)
            if _expected(category, index, own_end, wanted, email) and pid not in restricted | suppressed:
                expected.add(pid)
        session.flush()
        counts = selections.count(session, runtime.policy, wanted, TODAY)
        included = set(session.scalars(selections.members(runtime.policy, wanted, TODAY)))
        session.rollback()
    assert not included & restricted
    assert not included & suppressed
    assert not included & ended
    assert included == expected
    assert len(included) == counts.included
    assert counts.matched <= len(people)


def _refused(category: str, index: int) -> bool:
    """A contact whose rule counts from the end of a role the organisation never held (or of no organisation)."""
    role = NEEDS_ROLE.get(category)
    return role is not None and (index == 3 or all(span.role != role for span in ORGS[index][1]))


def _roles_today(index: int) -> set[str]:
    if index == 3:
        return set()
    spans = ORGS[index][1]
    return {s.role for s in spans if (s.started_on or SINCE) <= TODAY and (s.ended_on is None or s.ended_on >= TODAY)}


def _expected(category: str, index: int, own_end: date | None, wanted: Criteria, email: str | None) -> bool:
    """The rule written out by hand for the example policy: only customer contacts may be mailed (the only
    activity listing the use), only while their organisation is a customer, only while their own role lasts,
    only with an email."""
    roles = _roles_today(index)
    if wanted.subject_categories and category not in wanted.subject_categories:
        return False
    if wanted.organisation_roles and not roles & set(wanted.organisation_roles):
        return False
    still_their_contact = own_end is None or own_end > TODAY
    return category == "customer_contact" and "customer" in roles and still_their_contact and email is not None
