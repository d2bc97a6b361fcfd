"""Every admin page that shows a system task renders, for every kind of task and every state, in every language.

Issue 13 item 10: a manual export task's page answered 500 because its heading's text sat under the wrong key;
no test opened an export task's page. This one opens each page for each operation `custos.systems.tasks` knows
and each state a task moves through, so a new kind of task or a missing text fails here and not in front of a
system owner.
"""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from custos.actor import Actor
from custos.runtime import Runtime
from custos.systems import tasks
from custos.systems.keys import SubjectKeys
from custos.web.admin.pages import LANG_COOKIE
from custos.web.admin.texts import LANGUAGES, load_words

ANNA = SubjectKeys.of(emails=["anna@example.se"], phones=["+46701234567"])
CORRECT = {"name": "Anna Lindqvist", "title": "CTO", "email": "anna.l@example.se", "phone": "+46709876543"}


def _open_every_kind_in_every_state(runtime: Runtime) -> dict[tuple[str, str], int]:
    """One task per (operation, state) in the CRM (a manual system in the example policy): id by pair."""
    crm = runtime.policy.system("crm")
    refs = (f"00000000-0000-4000-8000-{n:012d}" for n in itertools.count(1))
    found = {}
    for operation, state in itertools.product(tasks.OPERATIONS, tasks.STATES):
        task_id, _ = tasks.open_task(
            runtime,
            crm,
            ANNA,
            subject_ref=next(refs),
            cause="request:R-PAGES",
            operation=operation,
            correct=CORRECT if operation == "rectify" else None,
        )
        if state == "done":
            with runtime.work(Actor.system("test")) as work:
                tasks.confirm_task(
                    work,
                    "crm",
                    task_id,
                    fields=["contact.email"],
                    records=1,
                    note="done by hand",
                )
        found[(operation, state)] = task_id
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_task_page_renders_for_every_kind_and_state(lang: str, client: TestClient, runtime: Runtime) -> None:
    words = load_words(lang)
    opened = _open_every_kind_in_every_state(runtime)
    assert set(opened) == set(itertools.product(tasks.OPERATIONS, tasks.STATES))
    client.cookies.set(LANG_COOKIE, lang)
    for (operation, state), task_id in opened.items():
        page = client.get(f"/admin/systems/crm/tasks/{task_id}")
        assert page.status_code == 200, (operation, state, page.text[:500])
        assert escape(words(f"systems.task_headings.{operation}", system="CRM")) in page.text
        assert escape(words(f"systems.task_states.{state}")) in page.text
        if state == "open":
            assert "anna@example.se" in page.text  # what to look for, until it has been looked for
            assert escape(words("systems.confirm")) in page.text
        else:
            assert "anna@example.se" not in page.text
            assert escape(words("systems.confirmed_heading")) in page.text
    listing = client.get("/admin/systems/tasks")
    assert listing.status_code == 200
    for operation in tasks.OPERATIONS:
        assert escape(words(f"systems.operations.{operation}")) in listing.text
    # The pages around the tasks show their outcomes and owners too.
    for url in ("/admin/systems", "/admin/systems/crm", "/admin/systems/owners", "/admin"):
        assert client.get(url).status_code == 200, url
