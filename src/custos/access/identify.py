"""Turn a session cookie, an API token or a CLI `--as` into a Principal: who acts, holding which grants.

These run before anyone is known to act, so they take a session and a clock rather than a unit of work (whose
actor is what they find out); they write no audit event.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.access.grants import held_grants
from custos.access.login import normalise_email
from custos.access.models import Staff
from custos.access.principal import Principal, staff_actor
from custos.access.sessions import live_session
from custos.access.tokens import PREFIX, live_token
from custos.actor import Actor
from custos.clock import Clock
from custos.errors import PermissionDenied, Unauthenticated


def from_session_cookie(
    session: Session, clock: Clock, token: str, *, ip: str | None = None, user_agent: str | None = None
) -> Principal | None:
    now = clock.now()
    record = live_session(session, now, token)
    if record is None:
        return None
    staff = session.get(Staff, record.staff_id)
    if staff is None or staff.status != "active":
        return None
    return Principal(
        staff_id=staff.id,
        actor=staff_actor(staff.id, ip=ip, user_agent=user_agent),
        via="session",
        grants=held_grants(session, staff.id, now),
        second_factor=record.mfa_at is not None,
        must_change_password=staff.must_change_password,
        session_id=record.id,
        csrf_token=record.csrf_token,
    )


def from_api_token(
    session: Session, clock: Clock, token: str, *, ip: str | None = None, user_agent: str | None = None
) -> Principal | None:
    if not token.startswith(PREFIX):
        return None
    found = live_token(session, clock.now(), token)
    if found is None:
        return None
    record, owner = found
    return Principal(
        staff_id=owner.id,
        actor=Actor(kind="token", id=record.id, label=f"token:{record.id}", ip=ip, user_agent=user_agent),
        via="token",
        grants=held_grants(session, owner.id, clock.now()),
        token_id=record.id,
        token_permissions=frozenset(record.permissions),
        token_scope=record.scope,
    )


def for_cli(session: Session, clock: Clock, email: str | None, *, default_to_bootstrap_admin: bool) -> Principal:
    """The staff member a CLI command acts as.

    The CLI runs where the key file and the database credentials are, so it cannot be more trusted than the
    shell it runs in; naming the member makes the audit log say who did what and keeps each member within
    their grants (Art. 5(2), 32). Only the embedded demo may fall back to the first administrator.
    """
    if email is None:
        if not default_to_bootstrap_admin:
            raise Unauthenticated("say who you are: --as EMAIL or CUSTOS_ACTOR=EMAIL (a staff member's email)")
        staff = session.scalar(select(Staff).where(Staff.is_bootstrap_admin.is_(True)))
        if staff is None:
            raise Unauthenticated("no first administrator; name a staff member with --as EMAIL")
    else:
        staff = session.scalar(select(Staff).where(Staff.email == normalise_email(email)))
        if staff is None:
            raise Unauthenticated(f"no staff member with the email {email!r}")
    if staff.status != "active":
        raise PermissionDenied(f"staff member {staff.email} is disabled")
    return Principal(
        staff_id=staff.id,
        actor=Actor(kind="cli", id=staff.id, label=f"cli:staff:{staff.id}"),
        via="cli",
        grants=held_grants(session, staff.id, clock.now()),
    )
