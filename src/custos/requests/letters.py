"""The letters of a data subject request, in English and Swedish: `render_letter("refusal", "sv", to=..., ...)`.

Each letter's wording is in `texts/<lang>.yaml` under `letters.<letter>`; the facts of the case fill it. A
fact the letter needs and was not given is an error naming the fact, never a blank in a letter that goes out.
The organisation's name, privacy contact and supervisory authority come from the policy when it is passed
(or from facts of those names), and so does where it is: times are shown on its clock with their offset, and
the refusal names the courts of its country (`letters.refusal.courts.<country>`, else a general sentence).
Extra facts are ignored, so callers may pass one set of case facts to all.

Letters and the facts each needs besides `ref` (and `kind`, the request kind, where the text names it):

- `acknowledgement`: received_on, due_on, status_url (an objection to marketing: received_on, status_url)
- `verification`: verify_url, code, expires_at; with `purpose="download"` only code and expires_at
- `extension` (Art. 12(3)): received_on, extended_due_on, reason
- `completion`, by `kind`: access/portability: download_url, download_expires_on; erasure: erased, kept
  (may be empty; items are text or {what|category, why|laws|reason, until}); rectification: changes;
  restriction: scope; objection_other: outcome; objection_marketing: nothing more
- `refusal` (Art. 12(4)): received_on, reasons; names the authority and the courts
- `processor_redirect` (Art. 28, 29): service and description, or `processor` (its id in the policy's processor
  section) with `policy`; optionally controller and controller_contact
- `reminder` (to the assignee): received_on, due_on, days_left, request_url
- `overdue` (to the assignee): received_on, due_on, request_url
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from custos.errors import InvalidInput, Problem
from custos.jurisdiction import format_in
from custos.mail import Message
from custos.policy import Policy
from custos.requests.kinds import KINDS
from custos.requests.wording import request_texts
from custos.texts import Texts

LETTERS = (
    "acknowledgement",
    "verification",
    "extension",
    "completion",
    "refusal",
    "processor_redirect",
    "reminder",
    "overdue",
)
COMPLETIONS = tuple(KINDS)
# Letters name times where the organisation is, with the offset: "until 2026-12-02 11:00 +01:00". Without a
# policy (a preview) they are shown in UTC, still with the offset.
_UTC = ZoneInfo("UTC")
_URL = re.compile(r"https?://[^\s<>\"']+")


def render_letter(letter: str, lang: str, /, *, to: str, policy: Policy | None = None, **facts: Any) -> Message:
    """The letter `letter` in `lang` (en or sv) to `to`, filled with `facts`; InvalidInput names a missing fact.

    `letter` and `lang` are positional-only, so `kind` (the request's kind) can be passed as a fact."""
    if letter not in LETTERS:
        raise InvalidInput(f"there is no letter {letter!r}; letters: {', '.join(LETTERS)}")
    words = request_texts(lang)
    values = _organisation(policy)
    values.update({key: value for key, value in facts.items() if value is not None and value != ""})
    if letter == "processor_redirect" and policy is not None and "processor" in values:
        # The service named by its id in the policy's processor section (Art. 28): its name and what it says.
        for service in policy.processor:
            if service.id == values["processor"]:
                values.setdefault("service", service.service)
                values.setdefault("description", service.description)
    section = _section(letter, values)
    zone = policy.jurisdiction.zone if policy is not None else _UTC
    values.update(_derived(words, letter, section, values, policy, zone))
    subject = _fill(words, f"{section}.subject", letter, values, zone)
    body = _fill(words, f"{section}.body", letter, values, zone)
    reference = words.text("letters.reference").format(ref=_require(values, "ref", letter))
    signature = _fill(words, "letters.signature", letter, values, zone)
    text = f"{words.text('letters.greeting')}\n\n{body}\n\n{reference}\n\n{signature}\n"
    return Message(to=to, subject=subject, body=text, language=words.lang, html=_html(text, words.lang))


def _organisation(policy: Policy | None) -> dict[str, Any]:
    if policy is None:
        return {}
    org = policy.organisation
    return {
        "organisation": org.name,
        "privacy_contact": str(org.contacts.privacy),
        "authority": org.supervisory_authority,
    }


def _section(letter: str, values: Mapping[str, Any]) -> str:
    if letter == "verification" and values.get("purpose") == "download":
        return "letters.verification_download"
    if letter == "acknowledgement" and values.get("kind") in KINDS:
        return f"letters.{KINDS[str(values['kind'])].acknowledgement}"  # Art. 21(3): marketing is honoured at once
    if letter != "completion":
        return f"letters.{letter}"
    request_kind = _require(values, "kind", letter)
    if request_kind not in COMPLETIONS:
        raise InvalidInput(f"there is no completion letter for a request of kind {request_kind!r}")
    return f"letters.completion.{KINDS[str(request_kind)].words}"


def _derived(
    words: Texts, letter: str, section: str, values: Mapping[str, Any], policy: Policy | None, zone: ZoneInfo
) -> dict[str, Any]:
    """Facts put into words: the request kind, lists, what was kept, days, the controller to turn to."""
    derived: dict[str, Any] = {}
    if "kind" in values:
        derived["kind_text"] = words.optional(f"letters.kinds.{values['kind']}") or str(values["kind"])
    for key, value in values.items():
        if isinstance(value, datetime):
            derived[key] = format_in(value, zone)
        elif isinstance(value, date):
            derived[key] = value.isoformat()
        elif key in ("erased", "changes", "reasons") and not isinstance(value, str):
            derived[key] = _lines(value)
    if section == "letters.completion.erasure":
        derived["kept"] = _kept(words, _require(values, "kept", letter, allow_empty=True), policy, zone)
    if letter == "refusal":
        # Art. 12(4), 77–79: the courts that hear the subject's case are those of the organisation's country.
        country = policy.organisation.country if policy is not None else None
        derived["courts"] = words.optional(f"letters.refusal.courts.{country}") or words.text(
            "letters.refusal.courts.other"
        )
    if letter == "reminder":
        days = int(_require(values, "days_left", letter))
        forms = ("letters.reminder.days.one", "letters.reminder.days.other")
        derived["days_text"] = words.text(forms[0]) if days == 1 else words.text(forms[1]).format(n=days)
    if letter == "processor_redirect":
        controller, contact = values.get("controller"), values.get("controller_contact")
        if controller and contact:
            derived["controller_text"] = words.text("letters.processor_redirect.controller_contact").format(
                controller=controller, contact=contact
            )
        elif controller:
            derived["controller_text"] = words.text("letters.processor_redirect.controller_known").format(
                controller=controller
            )
        else:
            derived["controller_text"] = words.text("letters.processor_redirect.controller_unknown")
    return derived


def _kept(words: Texts, kept: Any, policy: Policy | None, zone: ZoneInfo) -> str:
    """Art. 17(3): what was kept, why, and until when; one line each."""
    items = list(kept) if isinstance(kept, Iterable) and not isinstance(kept, str | bytes) else [kept]
    if not items:
        return words.text("letters.completion.nothing_kept")
    lines = []
    for item in items:
        if not isinstance(item, Mapping):
            lines.append(f"- {item}")
            continue
        what = item.get("what") or _category(policy, item.get("category")) or item.get("system") or "?"
        why = item.get("why") or _why(words, item)
        until = item.get("until")
        key = "letters.completion.kept_item" if until else "letters.completion.kept_item_open"
        lines.append(words.text(key).format(what=what, why=why, until=_plain(until, zone)))
    return "\n".join(lines)


def _why(words: Texts, item: Mapping[str, Any]) -> str:
    if item.get("reason") == "legal_hold":
        return words.text("letters.completion.legal_hold")
    # A category kept by custos.retention.keep may have several reasons: a law (17(3)(b)), a reviewer's
    # legal claims (17(3)(e)), a legal hold; the letter names each.
    parts = [words.text("letters.completion.legal_hold")] if item.get("hold") else []
    for key, text in (("laws", "kept_law"), ("claims", "kept_claims")):
        found = item.get(key)
        if found:
            joined = ", ".join(found) if isinstance(found, list | tuple) else str(found)
            parts.append(words.text(f"letters.completion.{text}").format(laws=joined))
    return "; ".join(parts) or str(item.get("reason") or "")


def _category(policy: Policy | None, category: Any) -> str | None:
    if not category:
        return None
    if policy is not None:
        for item in policy.data_categories:
            if item.id == category:
                return item.description
    return str(category)


def _fill(words: Texts, key: str, letter: str, values: Mapping[str, Any], zone: ZoneInfo) -> str:
    template = _unwrap(words.text(key))
    for _, name, _, _ in string.Formatter().parse(template):
        if name:
            _require(values, name, letter)
    return template.format_map({key: _plain(value, zone) for key, value in values.items()})


def _unwrap(template: str) -> str:
    """Join the lines the wording file wraps for reading into one line per paragraph; a line ending in a colon,
    a placeholder standing alone and a list item keep their own lines. Mail programs wrap long lines."""
    lines = template.split("\n")
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        alone = previous.startswith("{") and previous.endswith("}")
        if previous and line and not previous.endswith(":") and not alone and not line.startswith(("{", "- ")):
            out[-1] = f"{previous} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def _require(values: Mapping[str, Any], name: str, letter: str, *, allow_empty: bool = False) -> Any:
    value = values.get(name)
    if name not in values or (value is None or value == "" or (not allow_empty and value == [])):
        raise InvalidInput(
            f"the {letter} letter needs the fact {name!r}, which was not given",
            [Problem(location=name, message="missing", hint=f"pass {name}=... to render_letter")],
        )
    return value


def _plain(value: Any, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return format_in(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _lines(items: Any) -> str:
    if isinstance(items, Mapping):
        return "\n".join(f"- {key}: {value}" for key, value in items.items())
    return "\n".join(f"- {item}" for item in items)


def _html(text: str, lang: str) -> str:
    """The same letter as simple HTML: paragraphs, line breaks, and links that can be clicked."""
    paragraphs = []
    for block in text.strip().split("\n\n"):
        escaped = escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return f'<!DOCTYPE html>\n<html lang="{lang}"><body>\n' + "\n".join(paragraphs) + "\n</body></html>\n"
