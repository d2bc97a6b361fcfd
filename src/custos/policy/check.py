"""`custos policy check`: errors that make a policy unusable, and warnings for settings the law doubts.

A warning does not stop the policy from loading; each one names the rule it comes from so the data
protection person can decide with the source in hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from custos.clock import Clock, today
from custos.errors import PolicyInvalid, Problem
from custos.policy.activities import Activity, LegalBasis
from custos.policy.art30 import records_findings
from custos.policy.cookies import ConsentSettings, Cookie, CookieCategory, LocalText
from custos.policy.durations import Duration
from custos.policy.findings import Finding, Loc, choice_hint
from custos.policy.loader import load_located
from custos.policy.models import Policy, SubjectKind

# Consent older than this is stale in regulators' practice (CNIL délibération 2020-091: 13 months; EDPB GL
# 05/2020 §110 "refresh at appropriate intervals"); the seed policy promises at most 365 days.
_MAX_CONSENT_VALIDITY = Duration(months=13)
# The general limitation period where the organisation is (policy.jurisdiction.limitation: Preskriptionslag
# (1981:130) 2 § in Sweden, ten years; Statute of Limitations 1957 s. 11 in Ireland, six) is the usual ceiling
# for keeping data for possible claims; longer needs a reason of its own (Art. 5(1)(e)).
# Contract (Art. 6(1)(b)) covers only a contract the subject is party to (EDPB GL 2/2019 §§ 26–27); these are
# people acting for an organisation or not in a contract at all.
_NOT_PARTY = frozenset({SubjectKind.PROSPECT, SubjectKind.CUSTOMER_CONTACT, SubjectKind.WEBSITE_VISITOR})
# Storage that only measures or advertises is not "strictly necessary" and needs consent under the national
# law of ePrivacy Directive Art. 5(3) (policy.jurisdiction.cookie_law; Art. 29 WP Opinion 04/2012 §4.3 leaves
# analytics outside the exemption).
_TRACKING_NAMES = (
    "_pk_",
    "ppms_",
    "_ga",
    "_gid",
    "_gcl",
    "_hj",
    "_fbp",
    "_clck",
    "_clsk",
    "mtm_",
    "__hs",
    "_uet",
)
_TRACKING_PROVIDERS = (
    "piwik",
    "matomo",
    "google",
    "hotjar",
    "meta",
    "facebook",
    "hubspot",
    "clarity",
    "linkedin",
)


@dataclass(frozen=True)
class CheckReport:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# A check a higher layer adds (the connected systems' mappings and owners, `custos.systems.policy_check`):
# errors found in the policy, given the directory its relative paths start from.
PolicyCheck = Callable[[Policy, Path], list[Finding]]


def check_policy(path: Path, clock: Clock, *, checks: Sequence[PolicyCheck] = ()) -> CheckReport:
    """Errors and warnings of the policy file; `checks` add the errors of the areas built on it."""
    try:
        loaded = load_located(path)
    except PolicyInvalid as error:
        return CheckReport(errors=list(error.problems))
    findings = policy_warnings(loaded.policy, today(clock))
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    findings += [f for f in language_findings(loaded.policy) if not _written_per_language(root, f.loc)]
    warnings = [loaded.problem(finding) for finding in findings]
    warnings.sort(key=lambda problem: problem.line or 0)
    errors = [loaded.problem(finding) for finding in category_findings(loaded.policy)]
    errors += [loaded.problem(finding) for check in checks for finding in check(loaded.policy, path.parent)]
    # Gaps the Art. 30 records cannot have: errors, though the policy still loads (see custos.policy.art30).
    errors += [loaded.problem(finding) for finding in records_findings(written(loaded.policy))]
    errors.sort(key=lambda problem: problem.line or 0)
    return CheckReport(errors=errors, warnings=warnings)


def written(policy: Policy) -> dict[str, Any]:
    """The policy as its file wrote it: no defaults filled in, so a missing section stays missing."""
    return policy.model_dump(mode="json", by_alias=True, exclude_unset=True)


def category_findings(policy: Policy) -> list[Finding]:
    """The categories a system names must be the policy's (they tell its owner what to look for)."""
    findings = []
    known = {category.id for category in policy.data_categories}
    for index, system in enumerate(policy.systems):
        for position, category in enumerate(system.categories):
            if category not in known:
                findings.append(
                    Finding(
                        ("systems", index, "categories", position),
                        f"{category!r} is not a data category of the policy",
                        choice_hint(category, known, "data categories"),
                    )
                )
    return findings


def policy_warnings(policy: Policy, on: date) -> list[Finding]:
    findings: list[Finding] = []
    if policy.consent is not None:
        findings += _consent(policy.consent, policy.jurisdiction.cookie_law)
    for index, cookie in enumerate(policy.cookies):
        findings += _cookie(cookie, ("cookies", index), policy.consent, policy.jurisdiction.cookie_law)
    kinds = {subject.id: subject.kind for subject in policy.subject_categories}
    for index, activity in enumerate(policy.activities):
        findings += _activity(activity, ("activities", index), kinds, on, policy.jurisdiction.limitation)
    for index, version in enumerate(policy.versions):
        if version.date != policy.current_version and version.snapshot is None:
            findings.append(
                Finding(
                    ("versions", index),
                    f"the text of the version of {version.date} is not on file, so people who were informed "
                    "or consented under it cannot be shown what they were told",
                    "add `snapshot:` pointing to that version's policy file (Art. 5(2), 7(1))",
                )
            )
    return findings


def _consent(consent: ConsentSettings, law: str) -> list[Finding]:
    findings = []
    if consent.implied_by_browsing:
        findings.append(
            Finding(
                ("consent", "implied_by_browsing"),
                "continued browsing is not consent: consent must be a clear affirmative act",
                f"set `implied_by_browsing: false` (GDPR Art. 4(11), 7; CJEU C-673/17 Planet49; {law})",
            )
        )
    if consent.validity.longer_than(_MAX_CONSENT_VALIDITY):
        findings.append(
            Finding(
                ("consent", "validity"),
                f"consent is kept for {consent.validity}, longer than 13 months",
                "ask again at least every 13 months, e.g. `validity: P365D` (EDPB GL 05/2020 §110)",
            )
        )
    if not consent.gpc_honoured:
        findings.append(
            Finding(
                ("consent", "gpc_honoured"),
                "Global Privacy Control signals are ignored",
                "set `gpc_honoured: true`: a GPC signal is an objection by automated means (Art. 21(5))",
            )
        )
    return findings


def _cookie(cookie: Cookie, here: tuple[str, int], consent: ConsentSettings | None, law: str) -> list[Finding]:
    findings = []
    name, provider = cookie.name.lower(), cookie.provider.lower()
    tracking = name.startswith(_TRACKING_NAMES) or any(word in provider for word in _TRACKING_PROVIDERS)
    if cookie.category is CookieCategory.NECESSARY and tracking:
        findings.append(
            Finding(
                (*here, "category"),
                f"{cookie.name} ({cookie.provider}) looks like analytics or advertising but is marked necessary",
                "mark it analytics or marketing so it waits for consent; only strictly necessary storage is "
                f"exempt ({law})",
            )
        )
    if cookie.category is CookieCategory.NECESSARY:
        return findings
    asked = {category.id for category in consent.categories} if consent is not None else set()
    if cookie.category not in asked:
        findings.append(
            Finding(
                (*here, "category"),
                f"{cookie.name} needs consent for {cookie.category.value}, but the banner has no such category",
                f"add a `{cookie.category.value}` entry under consent.categories ({law})",
            )
        )
    lifetime = cookie.duration
    if consent is not None and lifetime is not None and lifetime.longer_than(consent.validity):
        findings.append(
            Finding(
                (*here, "lifetime"),
                f"{cookie.name} lives {lifetime}, longer than the consent it is set under ({consent.validity})",
                "shorten the lifetime to at most the consent validity, or it keeps identifying visitors "
                f"after their consent has lapsed (GDPR Art. 7; {law})",
            )
        )
    return findings


def _activity(
    activity: Activity, here: tuple[str, int], kinds: dict[str, SubjectKind], on: date, limitation: tuple[int, str]
) -> list[Finding]:
    findings = []
    if activity.assessment is not None and activity.assessment.review_date < on:
        findings.append(
            Finding(
                (*here, "assessment", "review_date"),
                f"the legitimate-interest assessment was due for review on {activity.assessment.review_date}",
                "review the assessment and set a new review_date (Art. 5(2); EDPB GL 1/2024)",
            )
        )
    retention = activity.retention
    years, source = limitation
    if retention.period.longer_than(Duration(years=years)) and retention.reason is None:
        findings.append(
            Finding(
                (*here, "retention"),
                f"data is kept for {retention.period}, longer than the {_in_words(years)}-year limitation period, "
                "with no reason",
                f"shorten it, or add `reason:` saying why (Art. 5(1)(e); {source})",
            )
        )
    if activity.legal_basis is LegalBasis.CONTRACT:
        not_party = [subject for subject in activity.subjects if kinds.get(subject) in _NOT_PARTY]
        if not_party:
            findings.append(
                Finding(
                    (*here, "legal_basis"),
                    f"contract is the basis, but {', '.join(not_party)} are not party to a contract with you",
                    "use legitimate_interest with an assessment, or consent (Art. 6(1)(b); EDPB GL 2/2019)",
                )
            )
    if activity.legal_basis is LegalBasis.LEGAL_OBLIGATION and activity.law is None:
        findings.append(
            Finding(
                (*here, "legal_basis"),
                "a legal obligation is the basis, but the law that imposes it is not named",
                "add `law:` naming the act and provision that impose it, e.g. the accounting act (Art. 6(3))",
            )
        )
    return findings


_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def _in_words(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


# -- texts in every language the notice speaks ------------------------------------------------------------

_LANGUAGE_NAMES = {"en": "English", "sv": "Swedish"}


def language_findings(policy: Policy) -> list[Finding]:
    """A text the notice (or the banner) shows that is written once, while the policy publishes in several
    languages: readers of the others get it as written, in a language not theirs (Art. 12(1): concise,
    intelligible, in clear and plain language). Named by the ids the file uses: `activities.crm.purpose`."""
    languages = policy.jurisdiction.languages
    # A text written once is the English one (LocalText); an English-only policy has nothing to translate.
    missing = [lang for lang in languages if lang != "en"]
    if len(languages) < 2 or not missing:
        return []
    findings = []
    for loc, named, value in _notice_texts(policy):
        if value is None or value.translated:
            continue
        langs = ", ".join(missing)
        readers = " and ".join(_LANGUAGE_NAMES.get(lang, lang) for lang in missing)
        findings.append(
            Finding(
                loc,
                f"{named}: {langs} missing; the {readers} notice shows this text as written",
                f"write it per language, e.g. `{{en: ..., {missing[0]}: ...}}` (Art. 12(1))",
            )
        )
    return findings


def _notice_texts(policy: Policy) -> list[tuple[Loc, str, LocalText | None]]:
    """Every text of the policy that a reader of the notice or the banner sees, with its place."""
    dp = policy.data_protection
    texts: list[tuple[Loc, str, LocalText | None]] = [
        (("preamble",), "preamble", policy.preamble),
        (("data_protection", "person"), "data_protection.person", dp.person),
        (("data_protection", "supported_by"), "data_protection.supported_by", dp.supported_by),
    ]
    for i, category in enumerate(policy.data_categories):
        texts.append(
            (("data_categories", i, "description"), f"data_categories.{category.id}.description", category.description)
        )
    for i, subject in enumerate(policy.subject_categories):
        for key in ("name", "description"):
            texts.append(
                (("subject_categories", i, key), f"subject_categories.{subject.id}.{key}", getattr(subject, key))
            )
    for i, activity in enumerate(policy.activities):
        here = f"activities.{activity.id}"
        for key in ("name", "purpose", "source", "transparency", "notes"):
            texts.append((("activities", i, key), f"{here}.{key}", getattr(activity, key)))
        texts.append((("activities", i, "retention", "reason"), f"{here}.retention.reason", activity.retention.reason))
        if activity.assessment is not None:
            interest = activity.assessment.interest
            texts.append((("activities", i, "assessment", "interest"), f"{here}.assessment.interest", interest))
        for j, recipient in enumerate(activity.recipients):
            texts.append(
                (
                    ("activities", i, "recipients", j, "description"),
                    f"{here}.recipients[{j}].description",
                    recipient.description,
                )
            )
    for i, service in enumerate(policy.processor):
        texts.append((("processor", i, "description"), f"processor.{service.id}.description", service.description))
    for i, measure in enumerate(policy.security_measures):
        named = f"security_measures.{measure.id}" if measure.id else f"security_measures[{i}]"
        texts.append((("security_measures", i, "description"), f"{named}.description", measure.description))
    for i, cookie in enumerate(policy.cookies):
        texts.append((("cookies", i, "purpose"), f"cookies.{cookie.name}.purpose", cookie.purpose))
    if policy.consent is not None:
        for i, choice in enumerate(policy.consent.categories):
            for key in ("name", "description"):
                texts.append(
                    (("consent", "categories", i, key), f"consent.categories.{choice.id}.{key}", getattr(choice, key))
                )
    return texts


def _written_per_language(root: yaml.Node | None, loc: Loc) -> bool:
    """Whether the file gives the text as a mapping of languages (`{en: CRM, sv: CRM}` is a translation that
    happens to read the same, not a missing one)."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return False
    return isinstance(node, yaml.MappingNode)
