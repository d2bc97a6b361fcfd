"""A request's history, task results and kept data as sentences in the viewer's language.

Events and results store ids and counts (`staff:2`, `{"counts": {...}}`); staff read names and sentences:
"Anna Lindqvist assigned the request to Bo Berg", "CRM: 3 rows deleted, 1 kept", categories by their titles in
the policy. Every event kind the requests service writes has its sentence (`requests.history.events.<kind>`);
a kind the pages do not know yet is said generically, never shown as raw data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from custos.requests.history import Names
from custos.requests.schemas import EventPublic, TaskPublic
from custos.web.admin.texts import Words

# Every kind of history entry the requests service writes (a test renders each one in every language).
EVENT_KINDS = (
    "received",
    "verifying",
    "verified",
    "verified_manually",
    "verification_resent",
    "verification_failed",
    "assessing",
    "assessed",
    "in_progress",
    "task_failed",
    "task_waiting",
    "task_pending",
    "work_done",
    "completed",
    "processor_redirect",
    "refused",
    "withdrawn",
    "extended",
    "approved",
    "customer_informed",
    "assigned",
    "viewed",
    "retry",
    "reminder",
    "letter_sent",
    "letter_failed",
    "recipients_notified",
    "downloaded",
)
LETTERS = ("acknowledgement", "completion", "download", "extension", "refusal", "verification")
CODE_OUTCOMES = ("wrong", "expired", "exhausted", "none")
COUNT_KEYS = ("deleted", "anonymised", "kept", "rows", "corrected", "person", "identities", "relationships")


def _plural(w: Words, key: str, n: int, **values: object) -> str:
    return w(f"{key}.{'one' if n == 1 else 'other'}", n=n, **values)


def actor(w: Words, names: Names, label: str) -> str:
    """Who did it: a staff member by name; the person, Custos itself or an integration in words."""
    member = names.member(label)
    if member is not None:
        return member
    if label.startswith(("staff:", "cli:staff:")):
        return w("requests.history.actors.former_staff")
    kind = label.split(":", 1)[0]
    return w(f"requests.history.actors.{kind}") if kind in ("subject", "system", "token") else label


def system_name(w: Words, names: Names, system_id: str) -> str:
    return w("requests.history.register") if system_id == "register" else names.system(system_id)


def _list(items: Iterable[str]) -> str:
    return ", ".join(items) or "–"


def event(w: Words, names: Names, e: EventPublic) -> str:
    """One history entry as a sentence."""
    d: Mapping[str, Any] = e.details or {}
    who = actor(w, names, e.actor)
    key = f"requests.history.events.{e.kind}"
    kind = e.kind
    if kind == "received":
        channel = str(d.get("channel", ""))
        how = w(f"requests.channels.{channel}") if w.has(f"requests.channels.{channel}") else channel
        matched = d.get("matched")
        return w(key, channel=how) + (" " + w("requests.history.matched" if matched else "requests.history.unmatched"))
    if kind == "verification_failed":
        outcome = str(d.get("outcome", "wrong"))
        return w(key, why=w(f"requests.history.codes.{outcome if outcome in CODE_OUTCOMES else 'wrong'}"))
    if kind == "assessing":
        return w(key, activities=_list(names.activity(str(a)) for a in d.get("activities", [])))
    if kind == "assessed":
        kept = [names.category(str(c)) for c in d.get("keep", [])]
        if kept:
            return w("requests.history.events.assessed_keep", who=who, categories=_list(kept))
        return w(key, who=who)
    if kind == "in_progress":
        return _plural(w, key, int(d.get("tasks", 0)), who=who)
    if kind in ("task_failed", "task_waiting", "task_pending"):
        action = str(d.get("action", ""))
        what = w(f"requests.history.actions.{action}") if w.has(f"requests.history.actions.{action}") else action
        return w(key, system=system_name(w, names, str(d.get("system", ""))), action=what, attempt=d.get("attempt", 1))
    if kind == "work_done":
        systems = [system_name(w, names, str(s)) for s in d.get("systems", [])]
        return w(key, systems=_list(systems))
    if kind == "extended":
        months = int(d.get("months", 1))
        return _plural(w, key, months, who=who, day=str(d.get("due_on", "–")))
    if kind == "assigned":
        assignee = int(d.get("assignee") or 0)
        if not assignee:
            return w("requests.history.events.unassigned", who=who)
        name = names.staff.get(assignee) or w("requests.history.actors.former_staff")
        return w(key, who=who, name=name)
    if kind == "retry":
        return _plural(w, key, int(d.get("tasks", 0)), who=who)
    if kind == "reminder":
        days = int(d.get("days", 0))
        return w("requests.history.events.reminder_overdue") if days == 0 else _plural(w, key, days)
    if kind in ("letter_sent", "letter_failed"):
        letter = str(d.get("letter", ""))
        name = w(f"requests.history.letters.{letter}") if letter in LETTERS else letter
        return w(key, letter=name)
    if kind == "recipients_notified":
        return w(key, recipients=_list(str(r) for r in d.get("recipients", [])))
    if kind == "downloaded":
        return _plural(w, key, int(d.get("count", 1)))
    if kind in EVENT_KINDS:
        return w(key, who=who)
    state = e.to_state
    if state and w.has(f"requests.states.{state}"):
        return w("requests.history.events.other_state", who=who, state=w(f"requests.states.{state}"))
    return w("requests.history.events.other", who=who)


def _counts(node: object, into: dict[str, int]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int) and key in COUNT_KEYS:
                into[key] = into.get(key, 0) + value
            elif isinstance(value, int):
                into["rows"] = into.get("rows", 0) + value  # {table: n}: rows of a table
            else:
                _counts(value, into)


def counts(w: Words, node: object) -> str:
    found: dict[str, int] = {}
    _counts(node, found)
    # In one fixed order: PostgreSQL's JSONB does not keep the order the counts were written in.
    return ", ".join(_plural(w, f"requests.results.counts.{key}", found[key]) for key in COUNT_KEYS if key in found)


def result(w: Words, names: Names, task: TaskPublic) -> str:
    """What one task did, in words (the failure as the system said it)."""
    if task.error:
        return w("requests.results.failed", error=task.error)
    r: Mapping[str, Any] = task.result or {}
    parts: list[str] = []
    manual = r.get("manual")
    if isinstance(manual, Mapping):
        if manual.get("state") == "done":
            fields = _list(names.category(str(f)) for f in manual.get("fields", []))
            records = manual.get("records")
            if records is None:
                parts.append(w("requests.results.manual_done", fields=fields))
            else:
                parts.append(_plural(w, "requests.results.manual_done_records", int(records), fields=fields))
        else:
            parts.append(w("requests.results.manual_open"))
    if r.get("found") is False:
        parts.append(w("requests.results.not_found"))
    if r.get("suppressed"):
        parts.append(w("requests.results.suppressed"))
    if r.get("restricted"):
        parts.append(w("requests.results.restricted"))
    if isinstance(r.get("relationships"), int) and "counts" not in r:
        parts.append(_plural(w, "requests.results.relationships", int(r["relationships"])))
    if isinstance(r.get("tables"), Mapping):
        rows = sum(int(n) for n in r["tables"].values() if isinstance(n, int))
        parts.append(_plural(w, "requests.results.exported", rows, tables=len(r["tables"])))
    if "counts" in r and manual is None:
        said = counts(w, r["counts"])
        if said:
            parts.append(said)
    if isinstance(r.get("fields"), list) and r["fields"]:
        named = [_field(w, str(f)) for f in r["fields"]]
        parts.append(w("requests.results.corrected", fields=_list(named)))
    if isinstance(r.get("kept"), list) and r["kept"]:
        parts.append(_plural(w, "requests.results.kept", len(r["kept"])))
    if not parts:
        return w("requests.results.nothing") if task.state == "done" else "–"
    return "; ".join(parts)


def _field(w: Words, name: str) -> str:
    return w(f"systems.correct_fields.{name}") if w.has(f"systems.correct_fields.{name}") else name


def kept(w: Words, names: Names, line: Mapping[str, Any]) -> str:
    """One line of what an erasure kept: the category (or a system's table), why, and until when."""
    what = names.category(str(line["category"])) if "category" in line else str(line.get("what") or "–")
    reasons = [str(x) for x in [*line.get("laws", []), *line.get("claims", [])]]
    if line.get("hold") or line.get("reason") == "legal_hold":
        reasons.append(w("requests.assess.hold"))
    if not reasons and line.get("reason"):
        reasons.append(str(line["reason"]))
    until = line.get("until")
    day = until if isinstance(until, str) else until.isoformat() if isinstance(until, date) else None
    if day:
        return w("requests.results.kept_line", what=what, why=_list(reasons), day=day)
    return w("requests.results.kept_line_open", what=what, why=_list(reasons))
