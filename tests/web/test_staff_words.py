"""The staff pages in plain words: each role's description next to its id, what it allows by the permissions'
descriptions, in English and Swedish; "1 staff account"; a grant's last day ends on the organisation's clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.access.models import Grant
from custos.access.permissions import BUILTIN_ROLES, PERMISSIONS
from custos.runtime import Runtime
from custos.web.admin.texts import LANGUAGES, load_words

LoginAs = Callable[..., TestClient]
StaffFactory = Callable[..., Any]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_permission_and_built_in_role_has_words(lang: str) -> None:
    words = load_words(lang)  # type: ignore[arg-type]
    assert [p for p in PERMISSIONS if not words.has(f"staff.permissions.{p}")] == []
    assert [r for r in BUILTIN_ROLES if not words.has(f"staff.roles.{r}")] == []


def test_the_member_page_describes_roles_and_their_permissions(login_as: LoginAs, staff_factory: StaffFactory) -> None:
    admin = login_as("account_admin")
    member = staff_factory("auditor")
    page = admin.get(f"/admin/staff/{member.id}").text
    # The grant's role, with what it is.
    assert re.search(r'<code>auditor</code></span> <span class="role-description">Reads the audit log', page)
    # The choice of role names each one's purpose.
    assert '<option value="account_admin">account_admin – Manages staff accounts' in page
    # What each role allows, by the permissions' descriptions rather than their ids.
    assert "What each role allows" in page
    assert "<li>Read the audit log.</li>" in page
    assert "<li>audit.read</li>" not in page
    admin.cookies.set("custos_lang", "sv")
    swedish = admin.get(f"/admin/staff/{member.id}").text
    assert "Läser granskningsloggen och registerförteckningarna" in swedish
    assert "<li>Läsa granskningsloggen.</li>" in swedish


def test_one_staff_account_is_said_in_the_singular(login_as: LoginAs, runtime: Runtime) -> None:
    admin = login_as("account_admin")
    listing = admin.get("/admin/staff").text
    count = int(re.search(r"<caption>(\d+) staff account", listing).group(1))  # type: ignore[union-attr]
    assert f"<caption>{count} staff account{'' if count == 1 else 's'}</caption>" in listing


def test_a_grant_ends_at_the_end_of_its_last_day_on_the_organisations_clock(
    login_as: LoginAs, staff_factory: StaffFactory, runtime: Runtime
) -> None:
    admin = login_as("account_admin")
    member = staff_factory(None)
    made = admin.post(
        f"/admin/staff/{member.id}/grants",
        data={"role": "account_admin", "scope": "custos", "expires_on": "2027-01-31"},
    )
    assert made.status_code == 200
    zone = runtime.policy.jurisdiction.zone
    with runtime.db.transaction() as session:
        ends = session.scalars(select(Grant.expires_at).where(Grant.staff_id == member.id)).one()
    assert ends is not None
    assert ends == datetime(2027, 2, 1, tzinfo=zone)  # midnight after 2027-01-31 in Stockholm (UTC+1)
    assert "2027-02-01 00:00 +01:00" in made.text
    assert "The grant ends when this day ends, on the organisation&#39;s clock." in made.text


def test_the_access_review_counts_in_words_and_shows_times_on_the_organisations_clock(
    login_as: LoginAs, staff_factory: StaffFactory
) -> None:
    admin = login_as("account_admin")
    review = admin.get("/admin/access-review").text
    summary = re.search(r'<p class="meta">(\d+) live grants?, (\d+) needs? a look\.</p>', review)
    assert summary is not None
    live, flagged = int(summary.group(1)), int(summary.group(2))
    assert summary.group(0).count("grants,") == (live != 1)
    assert ("needs a look" in summary.group(0)) == (flagged == 1)
    # The day a grant was given, as a time with the organisation's offset (+01:00 in Stockholm in winter).
    assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2} \+0[12]:00</td>", review)


def test_the_access_review_describes_each_role(login_as: LoginAs, staff_factory: StaffFactory) -> None:
    staff_factory("auditor")
    admin = login_as("account_admin")
    for page in (
        admin.get("/admin/access-review").text,
        admin.get("/admin/access-review", headers={"HX-Request": "true", "HX-Target": "review-results"}).text,
    ):
        assert re.search(r'<code>auditor</code></span> <span class="role-description">Reads the audit log', page)
