"""Four eyes in the admin pages: a proposed grant is listed as waiting, the proposer sees "waiting for approval"
(and may withdraw it), a member who holds the role sees Approve and Reject, and refusals show on the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

LoginAs = Callable[..., TestClient]
StaffFactory = Callable[..., Any]


def _propose(admin: TestClient, staff_id: int, role: str = "dpo", scope: str = "*") -> int:
    made = admin.post(f"/admin/staff/{staff_id}/grants", data={"role": role, "scope": scope}, follow_redirects=False)
    assert (made.status_code, made.headers["location"]) == (303, f"/admin/staff/{staff_id}?done=proposed")
    page = admin.get(made.headers["location"])
    assert "The grant is proposed and waiting for approval" in page.text
    found = re.search(rf"/admin/staff/{staff_id}/grants/(\d+)/reject", page.text)
    assert found is not None
    return int(found.group(1))


def test_the_proposer_waits_and_the_dpo_approves(
    login_as: LoginAs, staff_factory: StaffFactory, client: TestClient
) -> None:
    admin = login_as("account_admin")
    member = staff_factory(None)
    grant_id = _propose(admin, member.id)
    own = admin.get(f"/admin/staff/{member.id}")
    assert "Waiting for approval (1)" in own.text
    assert "Waiting for approval by a member who holds dpo for *." in own.text
    assert f"/grants/{grant_id}/approve" not in own.text  # the proposer is not the second pair of eyes
    assert "Withdraw" in own.text
    assert "No live grants." in own.text
    # The DPO sees it on the staff list, with Approve and Reject.
    listing = client.get("/admin/staff")
    assert f'action="/admin/staff/{member.id}/grants/{grant_id}/approve"' in listing.text
    assert f'action="/admin/staff/{member.id}/grants/{grant_id}/reject"' in listing.text
    forced = admin.post(f"/admin/staff/{member.id}/grants/{grant_id}/approve")
    assert forced.status_code == 403
    assert "second person must approve it" in forced.text
    approved = client.post(f"/admin/staff/{member.id}/grants/{grant_id}/approve", follow_redirects=False)
    assert approved.headers["location"] == f"/admin/staff/{member.id}?done=approved"
    page = client.get(approved.headers["location"])
    assert "The grant is approved and in force from now." in page.text
    assert f"/admin/staff/{member.id}/grants/{grant_id}/revoke" in page.text
    assert "Waiting for approval" not in page.text


def test_a_rejected_proposal_is_history_and_the_pages_speak_swedish(
    login_as: LoginAs, staff_factory: StaffFactory, client: TestClient
) -> None:
    admin = login_as("account_admin")
    member = staff_factory(None)
    grant_id = _propose(admin, member.id, "privacy_officer", "custos")
    client.cookies.set("custos_lang", "sv")
    listing = client.get("/admin/staff")
    assert "Väntar på godkännande (1)" in listing.text
    assert "Godkänn" in listing.text
    rejected = client.post(f"/admin/staff/{member.id}/grants/{grant_id}/reject")
    assert "Den föreslagna behörigheten avslogs" in rejected.text
    assert "Avslagen" in rejected.text  # in the history of ended grants
    admin.cookies.set("custos_lang", "sv")
    assert "Väntar på godkännande" not in admin.get("/admin/staff").text


def test_a_member_who_has_not_logged_in_yet_cannot_be_approved(login_as: LoginAs, client: TestClient) -> None:
    admin = login_as("account_admin")
    created = admin.post("/admin/staff", data={"name": "Nils Nyman", "email": "nils@elastx.se"})
    staff_id = int(re.search(r'href="/admin/staff/(\d+)"', created.text).group(1))  # type: ignore[union-attr]
    grant_id = _propose(admin, staff_id)
    listing = client.get("/admin/staff")
    assert "Nils Nyman has not logged in yet" in listing.text
    assert f"/grants/{grant_id}/approve" not in listing.text  # whoever added him still knows his password
    refused = client.post(f"/admin/staff/{staff_id}/grants/{grant_id}/approve")
    assert refused.status_code == 409
    assert "has not set up the account yet" in refused.text
