"""`custos init`: migrate the database, create the key file, record the policy, create the first admin.

Safe to run again: each step only does what is missing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from custos.access.models import Grant, Staff
from custos.access.passwords import hash_password
from custos.access.permissions import ANY_SCOPE
from custos.actor import Actor
from custos.audit import Action
from custos.clock import Clock, SystemClock
from custos.crypto import create_key_file
from custos.db import Database, make_engine
from custos.db.migrate import upgrade
from custos.db.published import PolicyVersion
from custos.errors import NotFound
from custos.policy import load_policy
from custos.settings import Settings
from custos.work import Work, open_work

FIRST_ADMIN_EMAIL = "admin@custos.local"


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    password: str


@dataclass(frozen=True)
class InitResult:
    first_admin: FirstAdmin | None
    policy_versions_recorded: list[date]
    key_created: bool


def initialise(settings: Settings, clock: Clock | None = None) -> InitResult:
    clock = clock or SystemClock()
    policy = load_policy(settings.policy_path)  # a broken policy stops init before anything is written
    key_created = not settings.key_file.exists()
    keys = create_key_file(settings.key_file)
    db = Database(make_engine(settings.database_url))
    try:
        upgrade(db.engine)
        if settings.queue == "procrastinate":
            # procrastinate's own tables, from the installed package (see custos.jobs.procrastinate_queue).
            from custos.jobs.procrastinate_queue import install_schema

            install_schema(db.engine)
        with open_work(db, clock, keys, policy, Actor.system("init")) as work:
            recorded = record_policy_versions(work)
            admin = _first_admin(work)
            _first_grant(work)
    finally:
        db.dispose()
    return InitResult(first_admin=admin, policy_versions_recorded=recorded, key_created=key_created)


def record_policy_versions(work: Work) -> list[date]:
    """Store each version of the policy not stored yet, so a past date always maps to the text then in force."""
    session, policy = work.session, work.policy
    recorded: list[date] = []
    for version in policy.versions_sorted:
        try:
            snapshot = policy.snapshot_for(version.date)
        except NotFound:
            continue  # a version whose text was never archived is listed by date only
        digest = snapshot.content_hash()
        exists = session.scalar(
            select(PolicyVersion.id).where(
                PolicyVersion.effective_on == version.date, PolicyVersion.content_hash == digest
            )
        )
        if exists is None:
            session.add(
                PolicyVersion(
                    effective_on=version.date,
                    content_hash=digest,
                    document=snapshot.model_dump(mode="json"),
                    loaded_at=work.clock.now(),
                )
            )
            recorded.append(version.date)
    return recorded


def _first_admin(work: Work) -> FirstAdmin | None:
    session = work.session
    if session.scalar(select(func.count()).select_from(Staff)):
        return None
    password = secrets.token_urlsafe(18)
    admin = Staff(
        email=FIRST_ADMIN_EMAIL,
        name="First administrator",
        status="active",
        password_hash=hash_password(password),
        must_change_password=True,
        is_bootstrap_admin=True,
        created_at=work.clock.now(),
    )
    session.add(admin)
    session.flush()
    work.audit(Action.STAFF_CREATE, target=f"staff:{admin.id}")
    return FirstAdmin(email=FIRST_ADMIN_EMAIL, password=password)


def _first_grant(work: Work) -> None:
    """Give the first administrator the `dpo` role for everything, once, while no grant exists at all.

    Someone must be able to do everything in a new installation, and in a small organisation that is the
    DPO. Their web login still needs a new password and an enrolled authenticator before any personal data
    is shown (Art. 32(1)). Separation of duties comes next: create an `account_admin` and narrower roles,
    then revoke this grant; the access review flags it while it combines both.

    Four eyes (`custos.access.four_eyes`): this is the one grant that reaches personal data without a second
    person's approval, because there is nobody yet to approve it; it is recorded as `approval="bootstrap"`
    and the audit event says so. Every later grant that reaches personal data waits for a second member.
    """
    session = work.session
    if session.scalar(select(func.count()).select_from(Grant)):
        return
    admin = session.scalar(select(Staff).where(Staff.is_bootstrap_admin.is_(True), Staff.status == "active"))
    if admin is None:
        return
    grant = Grant(
        staff_id=admin.id,
        role="dpo",
        scope=ANY_SCOPE,
        granted_by_id=None,
        granted_at=work.clock.now(),
        status="active",
        approval="bootstrap",
    )
    session.add(grant)
    session.flush()
    work.audit(
        Action.GRANT_CREATE,
        target=f"staff:{admin.id}",
        reference=f"grant:{grant.id}",
        details={"role": "dpo", "scope": ANY_SCOPE, "expires_at": None, "approval": "bootstrap"},
    )
