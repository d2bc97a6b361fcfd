"""The information a person gets with a copy of their data (GDPR Art. 15(1)(a)–(h), 15(2)), from the policy.

Built from the same policy, and worded with the same sentences, as the privacy notice (`custos.notice`), so
the answer to an access request cannot say something else than the published notice. When the register
knows the person's relationships, only the activities that concern them are described (Art. 15(1): "the
personal data concerning him or her"); otherwise all of them, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from html import escape
from typing import Any, Literal

from custos.notice import phrases
from custos.notice.wording import Wording
from custos.policy import Activity, LegalBasis, Policy, SubjectKind
from custos.policy.activities import ContactChannel
from custos.requests.wording import notice_wording, request_texts
from custos.texts import Texts

Scope = Literal["person", "all"]

# Art. 20(1)(a): portability only where processing rests on consent or a contract.
PORTABLE_BASES = frozenset({LegalBasis.CONSENT, LegalBasis.CONTRACT})
# Art. 21(1): objection to processing based on Art. 6(1)(e) or (f).
OBJECTABLE_BASES = frozenset({LegalBasis.LEGITIMATE_INTEREST, LegalBasis.PUBLIC_TASK})


@dataclass(frozen=True)
class DataItem:
    id: str
    description: str


@dataclass(frozen=True)
class Art15Activity:
    """One processing activity as it concerns the person: Art. 15(1)(a)–(d), (g) and 15(2)."""

    id: str
    name: str
    purpose: str
    legal_basis: str
    basis: tuple[str, ...]
    data: tuple[DataItem, ...]
    recipients: tuple[str, ...]
    retention: str
    legal_minimums: tuple[str, ...]
    sources: tuple[str, ...]
    transfers: tuple[str, ...]


@dataclass(frozen=True)
class Right:
    id: str
    text: str


@dataclass(frozen=True)
class Art15Info:
    """The Art. 15 information, worded in one language."""

    lang: str
    organisation: str
    privacy: str
    authority: str
    scope: Scope
    title: str
    intro: str
    scope_text: str
    controller: str
    activities: tuple[Art15Activity, ...]
    rights: tuple[Right, ...]
    complaint: str
    automated_decisions: str

    @property
    def categories(self) -> tuple[DataItem, ...]:
        """Every category of data across the activities, once each (Art. 15(1)(b))."""
        seen: dict[str, DataItem] = {}
        for activity in self.activities:
            for item in activity.data:
                seen.setdefault(item.id, item)
        return tuple(seen.values())

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every recipient across the activities, once each (Art. 15(1)(c))."""
        return tuple(dict.fromkeys(r for activity in self.activities for r in activity.recipients))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["categories"] = [asdict(item) for item in self.categories]
        data["recipients"] = list(self.recipients)
        return data


def art15_information(
    policy: Policy,
    lang: str = "en",
    *,
    relationships: Sequence[Mapping[str, Any]] | None = None,
) -> Art15Info:
    """The information for a person with these register relationships (each with `activity` and/or
    `subject_category`, and optionally `source`), or for anyone when none are known."""
    own = request_texts(lang)
    words = notice_wording(lang)
    org = policy.organisation
    chosen, sources = _activities(policy, relationships or ())
    scope: Scope = "person" if chosen else "all"
    activities = chosen or list(policy.activities)
    described = tuple(
        _describe(policy, lang, words, own, activity, sources.get(activity.id, ())) for activity in activities
    )
    names = words.join([activity.name.in_(lang) for activity in activities])
    return Art15Info(
        lang=lang,
        organisation=org.name,
        privacy=str(org.contacts.privacy),
        authority=org.supervisory_authority,
        scope=scope,
        title=own.text("art15.title").format(organisation=org.name),
        intro=own.text("art15.intro").format(organisation=org.name),
        scope_text=own.text(f"art15.scope_{scope}").format(activities=names),
        controller=own.text("art15.controller").format(organisation=org.name, privacy=org.contacts.privacy),
        activities=described,
        rights=_rights(policy, words, own, activities),
        complaint=words("rights.complaint", authority=org.supervisory_authority),
        automated_decisions=own.text("art15.no_automated"),
    )


def render_art15_text(info: Art15Info) -> str:
    """Plain text, for a letter or a terminal."""
    own = request_texts(info.lang)
    lines = [info.title, "", info.intro, info.scope_text, info.controller, ""]
    for activity in info.activities:
        lines.append(f"== {activity.name}")
        for label, values in _activity_rows(own, info, activity):
            lines.append(f"{label}:")
            lines.extend(f"  - {value}" for value in values)
        lines.append("")
    lines.append(f"== {own.text('art15.rights')}")
    lines.extend(f"  - {right.text}" for right in info.rights)
    lines += ["", f"== {own.text('art15.complaint')}", info.complaint]
    lines += ["", f"== {own.text('art15.automated')}", info.automated_decisions, ""]
    return "\n".join(lines)


def render_art15_html(info: Art15Info, heading_level: int = 2) -> str:
    """An HTML fragment (escaped, no external resources) for the package's README.html."""
    own = request_texts(info.lang)
    h, sub = f"h{heading_level}", f"h{heading_level + 1}"
    parts = [
        f"<section id='art15'><{h}>{escape(info.title)}</{h}>",
        f"<p>{escape(info.intro)}</p><p>{escape(info.scope_text)}</p><p>{escape(info.controller)}</p>",
    ]
    for activity in info.activities:
        parts.append(f"<{sub}>{escape(activity.name)}</{sub}><dl>")
        for label, values in _activity_rows(own, info, activity):
            items = "".join(f"<li>{escape(value)}</li>" for value in values)
            parts.append(f"<dt>{escape(label)}</dt><dd><ul>{items}</ul></dd>")
        parts.append("</dl>")
    rights = "".join(f"<li>{escape(right.text)}</li>" for right in info.rights)
    parts.append(f"<{sub}>{escape(own.text('art15.rights'))}</{sub}><ul>{rights}</ul>")
    parts.append(f"<{sub}>{escape(own.text('art15.complaint'))}</{sub}><p>{escape(info.complaint)}</p>")
    parts.append(f"<{sub}>{escape(own.text('art15.automated'))}</{sub}><p>{escape(info.automated_decisions)}</p>")
    parts.append("</section>")
    return "".join(parts)


def _activities(
    policy: Policy, relationships: Sequence[Mapping[str, Any]]
) -> tuple[list[Activity], dict[str, tuple[str, ...]]]:
    """The activities the relationships name (by activity, else by subject category), in policy order."""
    wanted: set[str] = set()
    sources: dict[str, list[str]] = {}
    known = {activity.id for activity in policy.activities}
    for relationship in relationships:
        activity_id = relationship.get("activity")
        if activity_id in known:
            ids = [str(activity_id)]
        elif relationship.get("subject_category") in {s.id for s in policy.subject_categories}:
            ids = [a.id for a in policy.activities_for_subject(str(relationship["subject_category"]))]
        else:
            ids = []
        wanted.update(ids)
        if relationship.get("source"):
            for activity_id in ids:
                sources.setdefault(activity_id, []).append(str(relationship["source"]))
    chosen = [activity for activity in policy.activities if activity.id in wanted]
    return chosen, {key: tuple(dict.fromkeys(value)) for key, value in sources.items()}


def _kinds(policy: Policy, activity: Activity) -> list[SubjectKind]:
    return [policy.subject_category(subject).kind for subject in activity.subjects]


def _describe(
    policy: Policy, lang: str, words: Wording, own: Texts, activity: Activity, person_sources: tuple[str, ...]
) -> Art15Activity:
    # The policy's own texts in the person's language where the policy gives one (LocalText), as the notice does.
    kinds = _kinds(policy, activity)
    categories = policy.resolve_data(activity)
    minimums = tuple(
        text for category in categories if (text := phrases.legal_minimum(words, category, kinds)) is not None
    )
    sources = tuple(dict.fromkeys([*person_sources, *([activity.source] if activity.source else [])]))
    return Art15Activity(
        id=activity.id,
        name=activity.name.in_(lang),
        purpose=activity.purpose.in_(lang),
        legal_basis=activity.legal_basis.value,
        basis=tuple(phrases.legal_basis(words, activity)),
        data=tuple(DataItem(category.id, category.description.in_(lang)) for category in categories),
        recipients=tuple(phrases.recipient(words, recipient) for recipient in activity.recipients),
        retention=phrases.retention(words, activity.retention, kinds),
        legal_minimums=minimums,
        sources=sources or (own.text("art15.source_you"),),
        transfers=tuple(phrases.transfer(words, transfer) for transfer in activity.transfers),
    )


def _activity_rows(own: Texts, info: Art15Info, activity: Art15Activity) -> list[tuple[str, tuple[str, ...]]]:
    t = own.text
    rows: list[tuple[str, tuple[str, ...]]] = [
        (t("art15.purpose"), (activity.purpose,)),
        (t("art15.basis"), activity.basis),
        (t("art15.data"), tuple(item.description for item in activity.data)),
        (
            t("art15.recipients"),
            activity.recipients or (t("art15.no_recipients").format(organisation=info.organisation),),
        ),
        (t("art15.retention"), (activity.retention,)),
    ]
    if activity.legal_minimums:
        rows.append((t("art15.legal_minimum"), activity.legal_minimums))
    rows.append((t("art15.source"), activity.sources))
    rows.append((t("art15.transfers"), activity.transfers or (t("art15.no_transfers"),)))
    return rows


def _rights(policy: Policy, words: Wording, own: Texts, activities: Sequence[Activity]) -> tuple[Right, ...]:
    """Art. 15(1)(e): the rights that apply to this processing; portability and objection only where the basis
    allows them (Art. 20(1), 21(1)), objection to marketing where the data is used for mailings (Art. 21(2))."""
    bases = {activity.legal_basis for activity in activities}
    contacts = policy.organisation.contacts
    channels = [activity.erasure.via for activity in activities if activity.erasure] or [ContactChannel.PRIVACY]
    addresses = [str(getattr(contacts, channel.value) or contacts.privacy) for channel in dict.fromkeys(channels)]
    rights = [
        Right("access", words("rights.access")),
        Right("rectification", words("rights.rectification")),
        Right("erasure", words("rights.erasure", addresses=words.join(addresses, "or"))),
        Right("restriction", words("rights.restriction")),
    ]
    if bases & OBJECTABLE_BASES:
        rights.append(Right("objection", words("rights.objection")))
    if any("mailings" in activity.uses for activity in activities):
        rights.append(Right("objection_marketing", own.text("art15.objection_marketing")))
    if bases & PORTABLE_BASES:
        rights.append(Right("portability", words("rights.portability")))
    if LegalBasis.CONSENT in bases:
        rights.append(Right("withdraw", words("rights.withdraw")))
    return tuple(rights)
