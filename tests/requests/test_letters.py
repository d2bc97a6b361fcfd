"""Every letter of a request renders in English and Swedish with its facts; a missing fact is an error. A
Swedish letter says nothing in English, and what depends on the country (the courts, the clock) comes from
the policy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from custos.errors import InvalidInput
from custos.mail import Message
from custos.policy import Policy
from custos.policy.loader import load_policy
from custos.requests.letters import LETTERS, render_letter

POLICY = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"
IRISH = Path(__file__).resolve().parents[2] / "examples" / "corrib" / "policy.yaml"
TO = "anna@example.se"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY)


# (letter, facts, what each language's body must show)
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "acknowledgement",
        {
            "kind": "access",
            "received_on": date(2026, 11, 29),
            "due_on": date(2026, 12, 29),
            "status_url": "https://c/s/x",
        },
        ["2026-11-29", "2026-12-29", "https://c/s/x"],
    ),
    (
        "verification",
        {
            "kind": "erasure",
            "verify_url": "https://c/v/abc?code=1",
            "code": "493 817",
            "expires_at": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        },
        ["https://c/v/abc?code=1", "493 817", "2026-11-30 11:00 +01:00"],
    ),
    (
        "verification",
        {"kind": "access", "purpose": "download", "code": "112 358", "expires_at": datetime(2026, 12, 1, tzinfo=UTC)},
        ["112 358", "2026-12-01 01:00 +01:00"],
    ),
    (
        "extension",
        {
            "kind": "access",
            "received_on": date(2026, 11, 2),
            "extended_due_on": date(2027, 2, 2),
            "reason": "Twelve systems must be searched by hand.",
        },
        ["2026-11-02", "2027-02-02", "Twelve systems must be searched by hand."],
    ),
    (
        "completion",
        {"kind": "access", "download_url": "https://c/d/zz", "download_expires_on": date(2026, 12, 29)},
        ["https://c/d/zz", "2026-12-29", "README.html"],
    ),
    (
        "completion",
        {"kind": "portability", "download_url": "https://c/d/pp", "download_expires_on": date(2026, 12, 29)},
        ["https://c/d/pp", "JSON"],
    ),
    (
        "completion",
        {
            "kind": "erasure",
            "erased": ["Name, email and phone in our register", "CRM: 3 rows"],
            "kept": [
                {
                    "category": "finance.invoice",
                    "laws": ["Bokföringslagen (1999:1078) 7 kap. 2 §"],
                    "until": date(2033, 12, 31),
                    "system": "register",
                }
            ],
        },
        ["- CRM: 3 rows", "Bokföringslagen (1999:1078) 7 kap. 2 §", "2033-12-31", "17"],
    ),
    (
        "completion",
        {"kind": "rectification", "changes": {"name": "Anna Berg", "title": "CIO"}},
        ["- name: Anna Berg", "- title: CIO", "19"],
    ),
    ("completion", {"kind": "restriction", "scope": "All your data"}, ["All your data"]),
    ("completion", {"kind": "objection_other", "outcome": "We have stopped the analyses."}, ["We have stopped"]),
    ("completion", {"kind": "objection_marketing"}, ["21"]),
    (
        "refusal",
        {"kind": "erasure", "received_on": date(2026, 11, 2), "reasons": ["Manifestly unfounded", "Repetitive"]},
        ["2026-11-02", "- Manifestly unfounded", "- Repetitive", "IMY (Integritetsskyddsmyndigheten)", "12"],
    ),
    (
        "processor_redirect",
        {"kind": "erasure", "processor": "elastx-cloud-platform"},
        ["Elastx Cloud Platform", "28", "As a rule, Elastx has no opinions"],
    ),
    (
        "processor_redirect",
        {
            "kind": "access",
            "service": "Elastx Cloud Platform",
            "description": "The customer decides.",
            "controller": "Acme AB",
            "controller_contact": "dpo@acme.example",
        },
        ["Acme AB", "dpo@acme.example", "The customer decides."],
    ),
    (
        "reminder",
        {
            "kind": "erasure",
            "received_on": date(2026, 11, 2),
            "due_on": date(2026, 12, 2),
            "days_left": 7,
            "request_url": "https://c/admin/requests/DSR-1",
        },
        ["2026-12-02", "https://c/admin/requests/DSR-1"],
    ),
    (
        "overdue",
        {
            "kind": "access",
            "received_on": date(2026, 10, 2),
            "due_on": date(2026, 11, 2),
            "request_url": "https://c/admin/requests/DSR-1",
        },
        ["2026-11-02", "https://c/admin/requests/DSR-1"],
    ),
]


def test_every_letter_has_a_case() -> None:
    assert {letter for letter, _, _ in CASES} == set(LETTERS)


@pytest.mark.parametrize("lang", ["en", "sv"])
@pytest.mark.parametrize(("letter", "facts", "shown"), CASES, ids=lambda v: v if isinstance(v, str) else None)
def test_each_letter_renders_with_its_facts(
    policy: Policy, lang: str, letter: str, facts: dict[str, Any], shown: list[str]
) -> None:
    message = render_letter(letter, lang, to=TO, policy=policy, ref="DSR-2026-0001", **facts)
    assert isinstance(message, Message)
    assert (message.to, message.language) == (TO, lang)
    assert "DSR-2026-0001" in message.subject or "Elastx" in message.subject
    for fact in shown:
        assert fact in message.body, fact
    assert "DSR-2026-0001" in message.body
    assert message.body.rstrip().endswith("Elastx\nprivacy@elastx.com")
    for text in (message.subject, message.body):
        assert "{" not in text
        assert "}" not in text
    assert message.html is not None
    assert f'<html lang="{lang}">' in message.html


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["supervisory authority, IMY", "right to take the matter to court", "Art. 79", "Art. 12(4)"]),
        ("sv", ["tillsynsmyndigheten, IMY", "rätt att föra saken till domstol", "art. 79", "art. 12.4"]),
    ],
)
def test_a_refusal_names_the_authority_and_the_courts(policy: Policy, lang: str, words: list[str]) -> None:
    message = render_letter(
        "refusal", lang, to=TO, policy=policy, ref="R-1", kind="access", received_on=date(2026, 1, 5), reasons="X"
    )
    for word in words:
        assert word in message.body


def test_swedish_letters_are_in_swedish(policy: Policy) -> None:
    message = render_letter(
        "acknowledgement",
        "sv",
        to=TO,
        policy=policy,
        ref="R-1",
        kind="erasure",
        received_on=date(2026, 11, 29),
        due_on=date(2026, 12, 29),
        status_url="https://c/s",
    )
    assert message.subject == "Vi har tagit emot din begäran (R-1)"
    assert message.body.startswith(
        "Hej,\n\nVi tog emot din begäran om radering av dina personuppgifter den 2026-11-29."
    )


def test_erasure_says_when_nothing_was_kept_and_names_a_legal_hold(policy: Policy) -> None:
    nothing = render_letter(
        "completion", "en", to=TO, policy=policy, ref="R", kind="erasure", erased=["Everything"], kept=[]
    )
    assert "We kept nothing." in nothing.body
    held = render_letter(
        "completion",
        "sv",
        to=TO,
        policy=policy,
        ref="R",
        kind="erasure",
        erased="Inget",
        kept=[{"what": "register", "reason": "legal_hold"}],
    )
    assert "- register: ett bevarandebeslut" in held.body
    assert "art. 17.3 e" in held.body


def test_a_missing_fact_is_named(policy: Policy) -> None:
    with pytest.raises(InvalidInput, match="the acknowledgement letter needs the fact 'due_on'") as caught:
        render_letter(
            "acknowledgement",
            "en",
            to=TO,
            policy=policy,
            ref="R",
            kind="access",
            received_on=date(2026, 1, 1),
            status_url="https://c/s",
        )
    assert caught.value.problems[0].location == "due_on"
    with pytest.raises(InvalidInput, match="'reason'"):
        render_letter(
            "extension",
            "en",
            to=TO,
            policy=policy,
            ref="R",
            kind="access",
            received_on=date(2026, 1, 1),
            extended_due_on=date(2026, 3, 2),
            reason="  ".strip(),
        )
    with pytest.raises(InvalidInput, match="'erased'"):
        render_letter("completion", "en", to=TO, policy=policy, ref="R", kind="erasure", kept=[])
    with pytest.raises(InvalidInput, match="'organisation'"):
        render_letter("completion", "en", to=TO, ref="R", kind="restriction", scope="All")


def test_without_a_policy_the_organisation_comes_from_facts() -> None:
    message = render_letter(
        "completion",
        "en",
        to=TO,
        ref="R",
        kind="restriction",
        scope="All",
        organisation="Acme AB",
        privacy_contact="privacy@acme.example",
        authority="IMY",
    )
    assert message.body.rstrip().endswith("Acme AB\nprivacy@acme.example")


def test_unknown_letters_kinds_and_languages_are_refused(policy: Policy) -> None:
    with pytest.raises(InvalidInput, match="there is no letter 'welcome'"):
        render_letter("welcome", "en", to=TO, policy=policy, ref="R")
    with pytest.raises(InvalidInput, match="no completion letter for a request of kind 'teleport'"):
        render_letter("completion", "en", to=TO, policy=policy, ref="R", kind="teleport")
    with pytest.raises(InvalidInput, match="'fi'"):
        render_letter("refusal", "fi", to=TO, policy=policy, ref="R")


def test_reminder_counts_days_in_words(policy: Policy) -> None:
    facts = {
        "kind": "access",
        "received_on": date(2026, 11, 2),
        "due_on": date(2026, 12, 2),
        "request_url": "https://c/r",
    }
    assert render_letter("reminder", "en", to=TO, policy=policy, ref="R", days_left=1, **facts).subject == (
        "Request R is due in one day (2026-12-02)"
    )
    assert render_letter("reminder", "sv", to=TO, policy=policy, ref="R", days_left=7, **facts).subject == (
        "Begäran R ska besvaras om 7 dagar (2026-12-02)"
    )


def test_the_html_alternative_links_and_escapes(policy: Policy) -> None:
    message = render_letter(
        "extension",
        "en",
        to=TO,
        policy=policy,
        ref="R",
        kind="access",
        received_on=date(2026, 1, 1),
        extended_due_on=date(2026, 3, 2),
        reason="<b>many</b> systems",
    )
    assert message.html is not None
    assert "&lt;b&gt;many&lt;/b&gt;" in message.html
    link = render_letter(
        "completion",
        "en",
        to=TO,
        policy=policy,
        ref="R",
        kind="access",
        download_url="https://c/d?a=1&b=2",
        download_expires_on=date(2026, 2, 1),
    )
    assert '<a href="https://c/d?a=1&amp;b=2">' in (link.html or "")


def test_the_wording_has_the_same_keys_and_placeholders_in_both_languages() -> None:
    import string

    from custos.texts import read_texts

    def flat(node: object, prefix: str = "") -> dict[str, set[str]]:
        if not isinstance(node, dict):
            names = {name for _, name, _, _ in string.Formatter().parse(str(node)) if name}
            return {prefix: names}
        found: dict[str, set[str]] = {}
        for key, value in node.items():
            found.update(flat(value, f"{prefix}.{key}"))
        return found

    assert flat(read_texts("custos.requests", "en")) == flat(read_texts("custos.requests", "sv"))


def test_every_letter_needs_the_request_reference(policy: Policy) -> None:
    with pytest.raises(InvalidInput, match="needs the fact 'ref'"):
        render_letter("completion", "en", to=TO, policy=policy, kind="objection_marketing")


def test_the_acknowledgement_says_by_when_an_extension_would_be_explained(policy: Policy) -> None:
    facts = {"kind": "access", "received_on": date(2024, 3, 25), "due_on": date(2024, 4, 25), "status_url": "u"}
    english = render_letter("acknowledgement", "en", to=TO, policy=policy, ref="R", **facts).body
    swedish = render_letter("acknowledgement", "sv", to=TO, policy=policy, ref="R", **facts).body
    assert "we would then tell you why by 2024-04-25" in english
    assert "before 2024-04-25" not in english
    assert "då talar vi om varför senast den 2024-04-25" in swedish


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_an_objection_to_marketing_is_acknowledged_as_honoured_at_once(policy: Policy, lang: str) -> None:
    """Art. 21(3): the mailings stop at once; the letter promises no answer within a month."""
    facts = {"kind": "objection_marketing", "received_on": date(2024, 3, 25), "due_on": date(2024, 4, 25)}
    message = render_letter("acknowledgement", lang, to=TO, policy=policy, ref="R", status_url="u", **facts)
    assert "2024-04-25" not in message.body
    assert ("at once" if lang == "en" else "direkt") in message.body
    assert ("month" if lang == "en" else "månad") not in message.body
    assert "21" in message.body


def _literal_sentences(template: str) -> list[str]:
    """The fixed wording of an English template: the runs of text between its placeholders, long enough to be
    a phrase of its own (four words or more)."""
    import re
    import string

    runs = [literal for literal, _, _, _ in string.Formatter().parse(template)]
    phrases = [part.strip() for run in runs for part in re.split(r"[.;:()\n]", run)]
    return [" ".join(phrase.split()) for phrase in phrases if len(phrase.split()) >= 4]


def _english_wording() -> list[str]:
    from custos.texts import read_texts

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, str):
            found.extend(_literal_sentences(node))

    walk(read_texts("custos.requests", "en")["letters"])
    return found


@pytest.mark.parametrize(("letter", "facts", "shown"), CASES, ids=lambda v: v if isinstance(v, str) else None)
def test_a_swedish_letter_has_no_english_sentence(
    policy: Policy, letter: str, facts: dict[str, Any], shown: list[str]
) -> None:
    body = " ".join(render_letter(letter, "sv", to=TO, policy=policy, ref="R-1", **facts).body.split())
    english = [phrase for phrase in _english_wording() if phrase in body]
    assert english == []
    # The same check finds the English wording in the English letter, so it would find it in a Swedish one.
    same = " ".join(render_letter(letter, "en", to=TO, policy=policy, ref="R-1", **facts).body.split())
    assert [phrase for phrase in _english_wording() if phrase in same]


def test_the_lines_of_what_was_done_are_in_the_letters_language() -> None:
    """The erased, kept and changed lines are composed from the tasks' results, worded from the request's own
    language file (custos.requests.answers.completion_facts), never in English inside a Swedish letter."""
    from custos.requests.answers import completion_facts
    from custos.requests.models import SubjectRequest, SubjectRequestTask

    def case(kind: str, lang: str, *tasks: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        req = SubjectRequest(kind=kind, language=lang, outcome={"kept": []}, decision=None)
        req.tasks = [
            SubjectRequestTask(target=target, action=kind, state="done", result=result) for target, result in tasks
        ]
        return completion_facts(req)

    register = ("register", {"erased": True, "counts": {"relationships": 2, "identities": 3}})
    crm = ("crm", {"counts": {"contacts": {"deleted": 1, "anonymised": 2, "kept": 0}}})
    assert case("erasure", "sv", register, crm)["erased"] == [
        "vårt register: relationer 2, adresser 3",
        "crm: contacts (raderade 1, anonymiserade 2)",
    ]
    assert case("erasure", "en", register, crm)["erased"] == [
        "our register: relationships 2, addresses 3",
        "crm: contacts (deleted 1, anonymised 2)",
    ]
    assert case("erasure", "sv")["erased"] == ["ingenting"]
    changed = (
        ("register", {"fields": ["name", "email"]}),
        ("finance", {"fields": ["phone"], "manual": {"fields": ["phone"]}}),
        ("crm", {"fields": ["email"], "counts": {"contacts": {"corrected": 1}}}),
    )
    assert case("rectification", "sv", *changed)["changes"] == [
        "finance: telefonnummer (rättat för hand av systemets ägare)",
        "crm: e-postadress i contacts (1)",
        "vårt register: namn, e-postadress",
    ]
    assert case("restriction", "sv", ("register", {}), ("crm", {}))["scope"] == "vårt register, crm"
    lines = case("erasure", "sv", register, crm)["erased"] + case("rectification", "sv", *changed)["changes"]
    for english in ("our register", "relationships", "addresses", "deleted", "corrected by hand", " in "):
        assert all(english not in line for line in lines), english


@pytest.mark.parametrize(
    ("path", "has", "lacks"),
    [
        (POLICY, ["IMY (Integritetsskyddsmyndigheten)", "förvaltningsrätten", "tingsrätten"], ["Circuit Court"]),
        (IRISH, ["Data Protection Commission", "Circuit Court", "High Court"], ["Sweden", "förvaltningsrätten"]),
    ],
    ids=["SE", "IE"],
)
def test_a_refusal_names_the_authority_and_courts_of_the_organisations_country(
    path: Path, has: list[str], lacks: list[str]
) -> None:
    message = render_letter(
        "refusal",
        "en",
        to=TO,
        policy=load_policy(path),
        ref="R-1",
        kind="access",
        received_on=date(2026, 1, 5),
        reasons="Manifestly unfounded",
    )
    for word in has:
        assert word in message.body, word
    for word in lacks:
        assert word not in message.body, word


def test_a_country_without_its_own_courts_sentence_gets_the_general_one(tmp_path: Path) -> None:
    text = IRISH.read_text(encoding="utf-8").replace("country: IE\n", "country: MT\n", 1)
    text = text.replace("  timezone: Europe/Dublin\n", "  timezone: Europe/Malta\n")
    text = text.replace("holidays: {country: IE}", "holidays: {country: MT}").replace(
        "phone_region: IE", "phone_region: MT"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    message = render_letter(
        "refusal",
        "en",
        to=TO,
        policy=load_policy(path),
        ref="R",
        kind="access",
        received_on=date(2026, 1, 5),
        reasons="X",
    )
    assert "the courts of the country where we are established, or where you live" in message.body
    assert "Ireland" not in message.body


def test_times_in_a_letter_are_on_the_organisations_clock() -> None:
    facts = {"kind": "erasure", "verify_url": "u", "code": "1", "expires_at": datetime(2026, 7, 30, 10, 0, tzinfo=UTC)}
    irish = render_letter("verification", "en", to=TO, policy=load_policy(IRISH), ref="R", **facts)
    swedish = render_letter("verification", "en", to=TO, policy=load_policy(POLICY), ref="R", **facts)
    assert "2026-07-30 11:00 +01:00" in irish.body  # Irish Standard Time
    assert "2026-07-30 12:00 +02:00" in swedish.body  # Swedish summer time
