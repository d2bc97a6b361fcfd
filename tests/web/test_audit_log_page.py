"""The audit log page: newest first, a page at a time; an area filter for every area the action names have;
every action Custos records shown by a caption in words, in English and Swedish."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from custos.access.models import Staff
from custos.actor import Actor
from custos.audit import Action, record
from custos.clock import FixedClock
from custos.requests.states import EDGES
from custos.runtime import Runtime
from custos.web.admin.audit_log import PAGE_SIZE, areas, known_actions
from custos.web.admin.pages import LANG_COOKIE
from custos.web.admin.texts import load_words

SRC = Path(__file__).parents[2] / "src" / "custos"
PATTERN = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
ACTOR = Actor(kind="cli", id=None, label="cli:test")


def _recorded_in_the_code() -> set[str]:
    """Action names the code records: constants given to `audit.record`, and the names made from event kinds
    (`request.<kind or state>`, `incident.<kind>`, `system.<operation>`)."""
    names: set[str] = {a.value for a in Action} | {f"request.{state}" for state in EDGES}
    names |= {"system.export", "system.erase", "system.rectify", "request.task_failed", "request.task_waiting"}
    names |= {"request.letter_sent", "request.letter_failed", "incident.close", "incident.reopen"}
    names |= {"incident.reminder_not_mailed", "relationship.erase", "doctor.run"}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            constants = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name == "record" and owner == "audit" and len(node.args) >= 4:
                names |= {c for c in constants[:1] if PATTERN.fullmatch(c)}
            elif name == "append" and owner == "timeline" and len(node.args) >= 5:
                names |= {f"incident.{c}" for c in constants[-1:]}
            elif name == "add_event" and len(node.args) >= 5:
                names |= {f"request.{c}" for c in constants[-1:]}
            for keyword in node.keywords:
                if keyword.arg == "event" and isinstance(keyword.value, ast.Constant):
                    names.add(f"request.{keyword.value.value}")
    return names


def test_every_action_the_code_records_has_a_caption_in_both_languages() -> None:
    recorded = _recorded_in_the_code()
    assert "person.list" in recorded  # the walk finds what it should
    assert "incident.open" in recorded
    assert "request.assigned" in recorded
    for lang in ("en", "sv"):
        words = load_words(lang)
        missing = sorted(name for name in recorded if not words.has(f"audit.actions.{name}"))
        assert missing == [], f"no {lang} caption for {missing}"
    assert recorded <= known_actions()


def test_the_areas_come_from_the_action_names() -> None:
    assert {"auth", "retention", "person", "request", "system", "incident"} <= set(areas())
    assert set(areas()) == {name.split(".")[0] for name in known_actions()}
    for lang in ("en", "sv"):
        assert all(load_words(lang).has(f"audit.areas.{area}") for area in areas())


def _fill(runtime: Runtime, names: list[str]) -> None:
    with runtime.db.transaction() as session:
        for name in names:
            record(session, runtime.clock, ACTOR, name, target="test:1")


def _actions(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1]
    return re.findall(r"<code>([a-z_.]+)</code></td>", body)


def _filled(page: str) -> list[str]:
    """The actions of the events this test recorded (target test:1), in the order shown."""
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>", 1)[1], re.S)
    return [_actions("<tbody>" + row)[0] for row in rows if "test:1" in row]


def test_every_known_action_is_shown_by_its_caption_newest_first_a_page_at_a_time(
    login_as: Callable[..., TestClient], runtime: Runtime, clock: FixedClock
) -> None:
    names = sorted(known_actions())
    _fill(runtime, names)
    auditor = login_as("auditor")
    seen: list[str] = []
    url = "/admin/audit?area="
    words = load_words("en")
    for _ in range(len(names) // PAGE_SIZE + 3):
        page = auditor.get(url)
        assert page.status_code == 200
        shown = _filled(page.text)
        for name in shown:
            assert f"{words(f'audit.actions.{name}')}<br><code>{name}</code>" in page.text.replace("&#39;", "'")
        seen += shown
        older = re.search(r'href="(/admin/audit\?[^"]*before=\d+)"[^>]*rel="next"', page.text)
        if older is None:
            break
        url = older.group(1).replace("&amp;", "&")
    assert sorted(seen) == names  # every one, once, across the pages
    assert seen == list(reversed(names))  # newest (the last recorded) first


def test_an_area_filter_shows_only_that_area(login_as: Callable[..., TestClient], runtime: Runtime) -> None:
    _fill(runtime, ["retention.plan", "person.read", "retention.sweep_start", "person.list"])
    auditor = login_as("auditor")
    retention = auditor.get("/admin/audit", params={"area": "retention"})
    assert _filled(retention.text) == ["retention.sweep_start", "retention.plan"]
    assert '<option value="retention" selected>' in retention.text
    person = auditor.get("/admin/audit", params={"area": "person"})
    assert _filled(person.text) == ["person.list", "person.read"]
    # Typing the area's name in the action field means the area too.
    assert _filled(auditor.get("/admin/audit", params={"action": "person"}).text) == ["person.list", "person.read"]
    signed_in = auditor.get("/admin/audit", params={"area": "auth"})
    assert set(_actions(signed_in.text)) == {"auth.login"}  # the auditor's own sign-in
    unknown = auditor.get("/admin/audit", params={"area": "nonsense"})
    assert unknown.status_code == 422
    assert 'id="f-area-error"' in unknown.text
    auditor.cookies.set(LANG_COOKIE, "sv")
    swedish = auditor.get("/admin/audit", params={"area": "retention"})
    assert "Gallring påbörjad<br><code>retention.sweep_start</code>" in swedish.text
    assert "Gallring (retention)" in swedish.text


def test_a_member_is_shown_by_name_beside_the_label_the_chain_keeps(
    login_as: Callable[..., TestClient], runtime: Runtime
) -> None:
    auditor = login_as("auditor")
    page = auditor.get("/admin/audit", params={"area": "auth"}).text
    row = re.search(r"<td>([^<]+)<br><code>(staff:\d+)</code></td>", page)
    assert row is not None, "the sign-in's actor is named"
    staff_id = int(row.group(2).split(":")[1])
    with runtime.db.transaction() as session:
        assert row.group(1) == session.get(Staff, staff_id).name  # type: ignore[union-attr]
