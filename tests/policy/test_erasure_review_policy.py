"""The policy says which activities need an assessment before an erasure (`erasure: {review: required, ...}`),
and `custos policy check` names every way that can be written wrong, with its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from custos.errors import PolicyInvalid
from custos.policy import ErasureGround, load_policy, parse_policy

EXAMPLE = Path(__file__).parents[2] / "examples" / "elastx" / "policy.yaml"


def with_employment_erasure(block: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    section = re.search(r"(?ms)^  - id: employment\n.*?(?=^  - id: )", text)
    assert section
    cleaned = re.sub(r"(?ms)^    erasure:\n(?:      .*\n)+", "", section.group(0))
    cleaned = cleaned.replace("    systems: [finance]\n", "    systems: [finance]\n" + block, 1)
    return text[: section.start()] + cleaned + text[section.end() :]


def test_the_example_marks_the_activities_the_law_keeps_data_for() -> None:
    policy = load_policy(EXAMPLE)
    reviewed = {a.id: a.erasure.grounds for a in policy.activities if a.needs_erasure_review and a.erasure}
    assert set(reviewed) == {"employment", "taxes-and-fees", "supplier-contacts", "bookkeeping"}
    assert reviewed["taxes-and-fees"] == [ErasureGround.LEGAL_OBLIGATION]
    # The notice still promises deletion on request only where the seed does.
    offered = {a.id for a in policy.activities if a.erasure and a.erasure.always_offered}
    assert offered == {"customer-contacts", "prospects"}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("    erasure: {review: required}\n", "needs the Art. 17(3) grounds"),
        ("    erasure: {grounds: [legal_claims]}\n", "belong with `review: required`"),
        ("    erasure: {review: required, grounds: [legal_claims, legal_claims]}\n", "listed twice"),
        ("    erasure: {review: required, grounds: [public_interest]}\n", "legal_obligation"),
        (
            "    erasure: {review: required, grounds: [legal_claims], categories: [finance.invoice]}\n",
            "does not process: finance.invoice",
        ),
    ],
)
def test_a_wrong_review_setting_is_named_with_its_line(block: str, message: str) -> None:
    text = with_employment_erasure(block)
    with pytest.raises(PolicyInvalid) as refused:
        parse_policy(text)
    problems = refused.value.problems
    assert any(message in p.message or message in (p.hint or "") for p in problems), problems
    line = text.splitlines().index(block.rstrip("\n")) + 1
    assert any(p.line == line for p in problems), [(p.line, p.message) for p in problems]


def test_review_of_some_categories_only() -> None:
    policy = parse_policy(
        with_employment_erasure(
            "    erasure: {review: required, grounds: [legal_claims], categories: [employment.payroll]}\n"
        )
    )
    assert policy.activity("employment").erasure.categories == ["employment.payroll"]  # type: ignore[union-attr]
