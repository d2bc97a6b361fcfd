"""Random histories of grants, approvals, rejections, revocations and passing days by random members: nobody ever
holds a grant in force that reaches personal data unless a second person approved it, and nobody's grant in
force ever exceeds what the member who vouched for it (its approver, or its granter) held at that moment."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete, select

from custos.access import staff as service
from custos.access.four_eyes import grant_breaches
from custos.access.grants import grant_state, held_grants, pending_grants, role_permissions
from custos.access.models import ApiToken, Grant, RecoveryCode, Role, Staff, StaffSession
from custos.access.permissions import BUILTIN_ROLES, PERSONAL_DATA
from custos.access.principal import HeldGrant, Principal, holds, staff_actor
from custos.actor import Actor
from custos.clock import FixedClock
from custos.errors import CustosError
from custos.policy import Policy
from custos.runtime import Runtime
from custos.work import Work, open_work

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MEMBERS = 5  # member 0 is the first administrator (dpo for "*" from `custos init`)
ROLES = [*sorted(BUILTIN_ROLES), "reader", "clerk"]
SCOPES = ["*", "custos", "crm", "production"]
EXPIRIES = [None, timedelta(days=3), timedelta(days=30)]


@dataclass(frozen=True)
class Vouched:
    """What the member answering for a grant held just before it took effect (taken by the test, not Custos)."""

    by: int
    held: tuple[HeldGrant, ...]


def _within(held: tuple[HeldGrant, ...], grant: Grant, permissions: frozenset[str], policy: Policy) -> bool:
    """The test's own statement of "held it within that scope for as long" (not the code under test)."""

    def scope_ok(granted: str) -> bool:
        return granted in ("*", grant.scope) or any(
            s.id == grant.scope and s.environment == granted for s in policy.systems
        )

    def lasts(until: datetime | None) -> bool:
        return until is None or (grant.expires_at is not None and until >= grant.expires_at)

    return all(any(p in h.permissions and scope_ok(h.scope) and lasts(h.expires_at) for h in held) for p in permissions)


class GrantHistories(RuleBasedStateMachine):
    runtime: Runtime

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(START)
        self.members: list[int] = []
        self.vouched: dict[int, Vouched] = {}

    grants = Bundle("grants")

    @initialize()
    def fresh_staff(self) -> None:
        now = self.clock.now()
        with self.runtime.db.transaction() as session:
            for table in (Grant, ApiToken, StaffSession, RecoveryCode, Role, Staff):
                session.execute(delete(table))
            for number in range(MEMBERS):
                staff = Staff(
                    email=f"m{number}@staff.test",
                    name=f"Member {number}",
                    password_hash="not used",
                    created_at=now,
                    totp_enabled_at=now,  # as after their first login: approvals of their grants may go ahead
                    is_bootstrap_admin=number == 0,
                )
                session.add(staff)
                session.flush()
                self.members.append(staff.id)
            session.add(
                Grant(
                    staff_id=self.members[0],
                    role="dpo",
                    scope="*",
                    granted_at=now,
                    status="active",
                    approval="bootstrap",
                )
            )
            session.add(Role(name="reader", permissions=["register.read"], created_at=now))
            session.add(Role(name="clerk", permissions=["records.read", "staff.manage"], created_at=now))
        self._a_second_administrator()

    def _work(self, actor: Actor) -> AbstractContextManager[Work]:
        """A unit on the history's own clock (days pass in it, not in the runtime's)."""
        return open_work(self.runtime.db, self.clock, self.runtime.keys, self.runtime.policy, actor)

    def _principal(self, member: int, *, second_factor: bool = True) -> Principal:
        staff_id = self.members[member]
        with self.runtime.db.transaction() as session:
            held = held_grants(session, staff_id, self.clock.now())
        return Principal(
            staff_id=staff_id, actor=staff_actor(staff_id), via="session", grants=held, second_factor=second_factor
        )

    def _manager(self, pick: int) -> Principal | None:
        """One of the members the edge (`Require("staff.manage")`) lets through, or None when there is none.

        Picking among those keeps the history busy: most random members could not act at all."""
        managers = [
            principal
            for principal in (self._principal(member) for member in range(MEMBERS))
            if holds(principal.grants, "staff.manage", "custos", self.runtime.policy)
        ]
        return managers[pick % len(managers)] if managers else None

    def _a_second_administrator(self) -> None:
        """The documented start of a fresh install: the first admin makes an account admin (in force at once),
        who proposes a second DPO, whom the first admin approves."""
        first = self._principal(0)
        with self._work(first.actor) as work:
            made = service.grant(
                work,
                first,
                staff_id=self.members[1],
                role="account_admin",
                scope="custos",
                expires_at=None,
            )
            self.vouched[made.id] = Vouched(first.staff_id, first.grants)
        admin = self._principal(1)
        with self._work(admin.actor) as work:
            proposed = service.grant(
                work,
                admin,
                staff_id=self.members[2],
                role="dpo",
                scope="*",
                expires_at=None,
            )
            proposed_id = proposed.id
        with self._work(first.actor) as work:
            service.approve(work, first, proposed_id)
        self.vouched[proposed_id] = Vouched(first.staff_id, first.grants)

    @rule(
        target=grants,
        granter=st.integers(0, 10),
        grantee=st.integers(0, MEMBERS - 1),
        role=st.sampled_from(ROLES),
        scope=st.sampled_from(SCOPES),
        lasts=st.sampled_from(EXPIRIES),
    )
    def grant(self, granter: int, grantee: int, role: str, scope: str, lasts: timedelta | None) -> int:
        principal = self._manager(granter)
        if principal is None:
            return -1
        expires_at = self.clock.now() + lasts if lasts else None
        try:
            with self._work(principal.actor) as work:
                made = service.grant(
                    work,
                    principal,
                    staff_id=self.members[grantee],
                    role=role,
                    scope=scope,
                    expires_at=expires_at,
                )
                made_id, status = made.id, made.status
        except CustosError:
            return -1
        event(f"grant: {status}")
        if status == "active":
            self.vouched[made_id] = Vouched(principal.staff_id, principal.grants)
        return made_id

    @rule(approver=st.integers(0, 10), pick=st.integers(0, 20), proved=st.sampled_from([True, True, True, False]))
    def approve(self, approver: int, pick: int, proved: bool) -> None:
        principal = self._manager(approver)
        with self._work(staff_actor(None)) as work:
            waiting = [g.id for g in pending_grants(work)]
        if principal is None or not waiting:
            return
        grant_id = waiting[pick % len(waiting)]
        if not proved:  # a command line that only named the member: never enough
            principal = Principal(
                staff_id=principal.staff_id, actor=principal.actor, via="cli", grants=principal.grants
            )
        try:
            with self._work(principal.actor) as work:
                service.approve(work, principal, grant_id)
        except CustosError as refused:
            event(f"approval refused: {type(refused).__name__}")
            return
        assert proved, "an approval without a proved second factor went through"
        event("approved")
        self.vouched[grant_id] = Vouched(principal.staff_id, principal.grants)

    @rule(member=st.integers(0, 10), grant_id=grants)
    def reject(self, member: int, grant_id: int) -> None:
        principal = self._manager(member)
        if principal is None or grant_id < 0:
            return
        try:
            with self._work(principal.actor) as work:
                service.reject(work, principal, grant_id)
        except CustosError:
            return

    @rule(member=st.integers(0, 10), grant_id=grants)
    def revoke(self, member: int, grant_id: int) -> None:
        principal = self._manager(member)
        if principal is None or grant_id < 0:
            return
        with self._work(principal.actor) as work:
            service.revoke(work, grant_id, by=principal.staff_id)

    @rule(days=st.integers(0, 8))
    def time_passes(self, days: int) -> None:
        self.clock.advance(timedelta(days=days, minutes=1))

    @invariant()
    def personal_data_only_through_a_second_person(self) -> None:
        if not self.members:
            return
        now = self.clock.now()
        with self.runtime.db.transaction() as session:
            for staff_id in self.members:
                for held in held_grants(session, staff_id, now):
                    grant = session.get(Grant, held.grant_id)
                    assert grant is not None
                    assert grant_state(grant, now) == "active"
                    if grant.approval == "bootstrap":
                        assert (staff_id, grant.role, grant.scope) == (self.members[0], "dpo", "*")
                        continue
                    permissions = role_permissions(session, grant.role) or frozenset()
                    if permissions & PERSONAL_DATA:
                        assert grant.decided_by_id not in (None, grant.staff_id, grant.granted_by_id)
                    vouched = self.vouched[grant.id]
                    assert vouched.by in (grant.decided_by_id, grant.granted_by_id)
                    assert _within(vouched.held, grant, permissions, self.runtime.policy), (
                        f"grant {grant.id} ({grant.role} for {grant.scope}) exceeds what staff:{vouched.by} held"
                    )

    @invariant()
    def the_live_check_agrees(self) -> None:
        if not self.members:
            return
        with self.runtime.db.transaction() as session:
            assert grant_breaches(session, self.runtime.policy, self.clock.now()) == []
            count = len(list(session.scalars(select(Grant.id))))
        assert count >= 1


def test_random_grant_histories_never_open_personal_data_to_one_person(runtime: Runtime) -> None:
    GrantHistories.runtime = runtime
    run_state_machine_as_test(
        GrantHistories,
        settings=settings(
            max_examples=int(os.environ.get("CUSTOS_SOAK_EXAMPLES", "20")),  # `make soak` runs many more
            stateful_step_count=int(os.environ.get("CUSTOS_SOAK_STEPS", "25")),
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_every_personal_data_role_is_proposed_not_granted(role: str) -> None:
    # The set is defined once, next to the permissions: a role reaching any of it waits for four eyes.
    reaches = bool(BUILTIN_ROLES[role].permissions & PERSONAL_DATA)
    assert reaches == (role in {"dpo", "privacy_officer", "support_agent", "system_owner"})
