"""What each kind's completion letter says was done: counts and names, from the tasks' results.

Every line is worded in the request's language (`letters.completion.lines`), so a Swedish letter never carries
a line composed in English. `custos.requests.kinds` names which of these a kind's letter uses.
"""

from __future__ import annotations

from typing import Any

from custos.requests.models import SubjectRequest
from custos.texts import Texts


def _nothing(words: Texts) -> str:
    return words.text("letters.completion.lines.nothing")


def none(req: SubjectRequest, words: Texts) -> dict[str, Any]:
    """Access, portability and marketing objections: the letter itself says what was done."""
    return {}


def erasure(req: SubjectRequest, words: Texts) -> dict[str, Any]:
    erased = []
    for task in req.tasks:
        if task.target == "register":
            counts = task.result.get("counts") or {}
            if task.result.get("erased"):
                erased.append(
                    _line(
                        words,
                        "register_erased",
                        relationships=counts.get("relationships", 0),
                        identities=counts.get("identities", 0),
                    )
                )
        else:
            tables = task.result.get("counts") or {}
            parts = [_table_counts(words, table, c) for table, c in tables.items()]
            erased.append(
                _line(words, "system_erased", system=task.target, tables="; ".join(p for p in parts if p) or "0")
            )
    return {"erased": erased or [_nothing(words)], "kept": req.outcome.get("kept", [])}


def rectification(req: SubjectRequest, words: Texts) -> dict[str, Any]:
    return {"changes": _rectified(req, words) or [_nothing(words)]}


def restriction(req: SubjectRequest, words: Texts) -> dict[str, Any]:
    register = words.text("letters.completion.lines.register")
    return {"scope": ", ".join(register if t.target == "register" else t.target for t in req.tasks)}


def objection(req: SubjectRequest, words: Texts) -> dict[str, Any]:
    return {"outcome": req.decision or "-"}


def _line(words: Texts, key: str, **values: Any) -> str:
    return words.text(f"letters.completion.lines.{key}").format(**values)


def _table_counts(words: Texts, table: str, counts: dict[str, Any]) -> str:
    """`contacts (deleted 2, anonymised 1)` in the letter's language; tables where nothing was done left out.
    A manual system's owner reports a count of records (custos.systems.tasks), not tables."""
    if table == "manual":
        return _line(words, "by_hand", n=counts.get("records", 0))
    done = [
        _line(words, f"counts.{what}", n=n) if words.has(f"letters.completion.lines.counts.{what}") else f"{what} {n}"
        for what, n in counts.items()
        if n
    ]
    return f"{table} ({', '.join(done)})" if done else ""


def _fields(words: Texts, names: list[str]) -> str:
    """Field names in the letter's language; a field the wording does not know (an owner's own) as written."""
    return ", ".join(words.optional(f"letters.completion.lines.fields.{name}") or name for name in names)


def _rectified(req: SubjectRequest, words: Texts) -> list[str]:
    """What a rectification changed, where: the register's fields, each mapped system's tables and rows, and
    what each manual system's owner reported correcting."""
    said = []
    for task in sorted(req.tasks, key=lambda t: t.target == "register"):
        fields = _fields(words, list(task.result.get("fields") or []))
        if task.target == "register":
            if fields:
                said.append(_line(words, "register_rectified", fields=fields))
            continue
        manual = task.result.get("manual")
        if manual:
            by_hand = _fields(words, list(manual.get("fields") or [])) or fields
            said.append(_line(words, "rectified_by_hand", system=task.target, fields=by_hand))
            continue
        counts = task.result.get("counts") or {}
        tables = ", ".join(f"{table} ({c.get('corrected', 0)})" for table, c in sorted(counts.items()))
        if tables:
            said.append(_line(words, "rectified_tables", system=task.target, fields=fields, tables=tables))
    return said
