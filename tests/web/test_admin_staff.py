"""Staff management in the admin pages (`staff.manage`): add an account, grant and revoke roles, disable and
enable, the refusals shown where they happen, and the access review page — for an account administrator who
never sees a data subject (separation of duties)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.access.models import Grant
from custos.runtime import Runtime

LoginAs = Callable[..., TestClient]
StaffFactory = Callable[..., Any]


def _grants(runtime: Runtime, staff_id: int) -> list[tuple[str, str, bool]]:
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Grant).where(Grant.staff_id == staff_id).order_by(Grant.id))
        return [(g.role, g.scope, g.revoked_at is None) for g in rows]


def test_an_account_admin_adds_a_member_and_sees_the_one_time_password_once(login_as: LoginAs) -> None:
    admin = login_as("account_admin")
    listing = admin.get("/admin/staff")
    assert listing.status_code == 200
    assert '<th scope="col">' in listing.text
    assert '<label for="f-email">' in listing.text
    created = admin.post("/admin/staff", data={"name": "Sven Svensson", "email": "Sven@Example.se"})
    assert created.status_code == 200
    password = re.search(r'id="one-time-password">([^<]+)<', created.text)
    assert password is not None
    assert len(password.group(1)) >= 20
    assert "sven@example.se" in admin.get("/admin/staff").text
    again = admin.post("/admin/staff", data={"name": "Sven again", "email": "sven@example.se"})
    assert again.status_code == 409
    assert "already exists" in again.text
    assert 'value="Sven again"' in again.text


def test_grant_revoke_disable_and_enable_from_the_member_page(
    login_as: LoginAs, staff_factory: StaffFactory, runtime: Runtime
) -> None:
    admin = login_as("account_admin")
    member = staff_factory(None)
    page = admin.get(f"/admin/staff/{member.id}")
    assert "No live grants." in page.text
    assert '<option value="custos" selected>' in page.text
    granted = admin.post(
        f"/admin/staff/{member.id}/grants",
        # Within the account admin's own grants and no personal data: in force at once (no four eyes).
        data={"role": "account_admin", "scope": "custos", "expires_on": "2027-01-31"},
        follow_redirects=False,
    )
    assert (granted.status_code, granted.headers["location"]) == (303, f"/admin/staff/{member.id}?done=granted")
    shown = admin.get(granted.headers["location"])
    assert "The grant was added." in shown.text
    assert "2027-02-01" in shown.text  # the end of 2027-01-31 (UTC), on whichever clock the page shows
    grant_id = re.search(rf"/admin/staff/{member.id}/grants/(\d+)/revoke", shown.text)
    assert grant_id is not None
    revoked = admin.post(f"/admin/staff/{member.id}/grants/{grant_id.group(1)}/revoke")
    assert "The grant was revoked." in revoked.text
    assert "Ended grants (1)" in revoked.text
    assert _grants(runtime, member.id) == [("account_admin", "custos", False)]
    disabled = admin.post(f"/admin/staff/{member.id}/status", data={"status": "disabled"})
    assert "The account is disabled" in disabled.text
    enabled = admin.post(f"/admin/staff/{member.id}/status", data={"status": "active"})
    assert "The account is enabled." in enabled.text


def test_refusals_are_shown_on_the_page_next_to_the_field(
    login_as: LoginAs, staff_factory: StaffFactory, runtime: Runtime
) -> None:
    me = staff_factory("account_admin")
    admin = login_as(staff=me)
    own = admin.get(f"/admin/staff/{me.id}")
    assert "Nobody can grant themselves a role" in own.text
    assert f'action="/admin/staff/{me.id}/grants"' not in own.text
    forced = admin.post(f"/admin/staff/{me.id}/grants", data={"role": "dpo", "scope": "*"})
    assert forced.status_code == 403
    assert "cannot grant a role to yourself" in forced.text
    other = staff_factory(None)
    bad_grant = {"role": "dpo", "scope": "mars", "expires_on": "2020-01-01"}
    bad = admin.post(f"/admin/staff/{other.id}/grants", data=bad_grant)
    assert bad.status_code == 422
    assert 'id="f-scope-error"' in bad.text
    assert 'id="f-expires_on-error"' in bad.text
    assert _grants(runtime, other.id) == []
    assert admin.post("/admin/staff/9999/status", data={"status": "disabled"}).status_code == 404


def test_the_access_review_page_flags_what_needs_a_look(login_as: LoginAs, staff_factory: StaffFactory) -> None:
    staff_factory("privacy_officer", "custos", totp=False)
    admin = login_as("account_admin")
    review = admin.get("/admin/access-review")
    assert review.status_code == 200
    assert "personal-data role without a second factor" in review.text
    flagged = admin.get("/admin/access-review", params={"needs_look": "true"})
    assert flagged.text.count('class="flagged"') == len(re.findall(r"<tr", flagged.text.split("<tbody>")[1]))
    fragment = admin.get("/admin/access-review", headers={"HX-Request": "true", "HX-Target": "review-results"})
    assert "<html" not in fragment.text
    assert "<table" in fragment.text


def test_an_account_admin_cannot_open_the_register(login_as: LoginAs) -> None:
    admin = login_as("account_admin")
    assert admin.get("/admin/people").status_code == 403
    assert admin.post("/admin/people", data={"kind": "email", "value": "anna@example.se"}).status_code == 403
