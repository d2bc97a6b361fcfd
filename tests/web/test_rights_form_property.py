"""The promise of the /rights form, over random input: whatever the requests service would refuse, the form has
already said in words next to the field it concerns; and what the form lets through, the service takes in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from custos.errors import InvalidInput
from custos.policy import load_policy
from custos.requests import cases
from custos.requests.schemas import request_from_form
from custos.requests.states import KINDS
from custos.texts import read_texts
from custos.web.rights import Words
from custos.web.rights_pages import checks

POLICY = load_policy(Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml")
WORDS = {lang: Words(lang, read_texts("custos.web.rights_pages", lang)) for lang in ("en", "sv")}
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)

kinds = st.sampled_from([*KINDS, "", "telepathy"])
emails = st.one_of(
    st.sampled_from(["", "nope", "kim@example.com", "a@b", "@example.se", "anna.andersson@example.se", " x@y.se "]),
    st.text(max_size=12),
)
phones = st.sampled_from(["", "12", "070-123 45 67", "+46701234567", "phone", "+1 202 555 0100"])
details = st.one_of(st.just(""), st.sampled_from(["My title is wrong.", "   "]), st.text(max_size=20))


def _service_refusal(form: dict[str, str], lang: str) -> set[str]:
    values = {
        "kind": form["kind"],
        "email": form["email"],
        "phone": form["phone"] or None,
        "organisation": form["organisation"] or None,
        "details": form["details"].strip() or None,
        "language": lang,
        "processor_service": form["processor_service"] or None,
    }
    try:
        data = request_from_form(values)
        cases.validate(POLICY, data, channel="web", now=NOW)
    except InvalidInput as exc:
        return {p.location.rsplit(".", 1)[-1] for p in exc.problems}
    return set()


@settings(max_examples=200, deadline=None)
@given(kind=kinds, email=emails, phone=phones, detail=details, lang=st.sampled_from(["en", "sv"]))
def test_every_refusal_is_said_next_to_its_field_first(
    kind: str, email: str, phone: str, detail: str, lang: str
) -> None:
    form = {
        "kind": kind,
        "email": email,
        "phone": phone,
        "organisation": "",
        "details": detail,
        "processor_service": "",
    }
    said = checks.check(
        WORDS[lang], form, phone_region=POLICY.jurisdiction.phone_region, processors={p.id for p in POLICY.processor}
    )
    refused = _service_refusal(form, lang)
    assert refused <= set(said), (refused, said)
    if not said:
        assert refused == set()
    assert all(message and "{" not in message for message in said.values())
