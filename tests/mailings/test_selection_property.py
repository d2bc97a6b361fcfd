"""Property: over random registers, a selection never includes a restricted or suppressed person, every
person it matches is counted exactly once (included or under one reason), and its members are the included."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailing_helpers import add_contact, add_org, restrict_person, suppress_email
from sqlalchemy.orm import Session

from custos.mailings import selection as selections
from custos.mailings.criteria import Criteria
from custos.runtime import Runtime

TODAY = date(2026, 11, 29)

person = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["customer_contact", "prospect", "supplier_contact", "partner_contact"]),
        "org": st.integers(min_value=0, max_value=3),  # index into the organisations; 3: none
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
def test_a_selection_never_includes_a_restricted_or_suppressed_person(
    runtime: Runtime, people: list[dict[str, object]], wanted: Criteria
) -> None:
    ctx = runtime.register
    with Session(runtime.db.engine) as session:  # rolled back at the end: each example starts empty
        orgs = [
            add_org(session, ctx, "Current AB"),
            add_org(session, ctx, "Former AB", ended=date(2025, 1, 1)),
            add_org(session, ctx, "Later AB"),
        ]
        restricted: set[int] = set()
        suppressed: set[int] = set()
        expected: set[int] = set()
        for n, spec in enumerate(people):
            email = f"p{n}@example.se" if spec["email"] else None
            if email and spec["suppressed"] and spec["suppressed_before_import"]:
                suppress_email(session, ctx, email)  # an objector imported again later
            org = orgs[int(spec["org"])] if int(spec["org"]) < 3 else None  # type: ignore[call-overload]
            ref, pid = add_contact(
                session,
                ctx,
                email,
                category=str(spec["category"]),
                organisation_id=org,
                phone=None if email else f"+4670{n:07d}",
            )
            if spec["restricted"]:
                restrict_person(session, ctx, ref)
                restricted.add(pid)
            if email and spec["suppressed"]:
                if not spec["suppressed_before_import"]:
                    suppress_email(session, ctx, email)
                suppressed.add(pid)
            if _expected(spec, wanted, email) and pid not in restricted | suppressed:
                expected.add(pid)
        session.flush()
        counts = selections.count(session, runtime.policy, wanted, TODAY)
        included = set(session.scalars(selections.members(runtime.policy, wanted, TODAY)))
        session.rollback()
    assert not included & restricted
    assert included == expected
    assert not included & suppressed
    assert len(included) == counts.included
    assert counts.excluded["restricted"] >= 0
    assert counts.matched <= len(people)


def _expected(spec: dict[str, object], wanted: Criteria, email: str | None) -> bool:
    """The rule written out by hand for the example policy: only customer contacts may be mailed (the only
    activity listing the use), only while their organisation is a customer (orgs 0 and 2), only with an email."""
    category, org = str(spec["category"]), int(spec["org"])  # type: ignore[call-overload]
    current_customer = org in (0, 2)
    if wanted.subject_categories and category not in wanted.subject_categories:
        return False
    if wanted.organisation_roles and not ("customer" in wanted.organisation_roles and current_customer):
        return False
    return category == "customer_contact" and current_customer and email is not None
