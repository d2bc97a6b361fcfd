"""check_policy: errors stop a policy; warnings flag settings the law doubts, each with its source."""

from datetime import date
from pathlib import Path

from custos.clock import FixedClock
from custos.errors import Problem
from custos.policy import check_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"
ON = FixedClock(date(2025, 1, 1))
# The one warning the example keeps on purpose: the 2023-10-03 text was not archived.
KEPT = "versions[1]"


def variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"the example no longer contains {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def new_warnings(path: Path, clock: FixedClock = ON) -> list[Problem]:
    report = check_policy(path, clock)
    assert report.errors == []
    return [warning for warning in report.warnings if warning.location != KEPT]


def test_example_has_only_the_deliberate_warning() -> None:
    report = check_policy(EXAMPLE, ON)
    assert report.ok
    assert [warning.location for warning in report.warnings] == [KEPT]
    assert "2023-10-03" in report.warnings[0].message


def test_implied_consent_by_browsing_is_warned_with_its_line(tmp_path: Path) -> None:
    path = variant(tmp_path, ("implied_by_browsing: false", "implied_by_browsing: true"))
    [warning] = new_warnings(path)
    assert warning.location == "consent.implied_by_browsing"
    assert warning.line == path.read_text().splitlines().index("  implied_by_browsing: true") + 1
    assert "not consent" in warning.message
    assert warning.hint is not None
    assert "Planet49" in warning.hint


def test_consent_validity_beyond_thirteen_months_is_warned(tmp_path: Path) -> None:
    [warning] = [
        w
        for w in new_warnings(variant(tmp_path, ("validity: P365D", "validity: P2Y")))
        if w.location == "consent.validity"
    ]
    assert "longer than 13 months" in warning.message


def test_ignoring_gpc_is_warned(tmp_path: Path) -> None:
    [warning] = new_warnings(variant(tmp_path, ("gpc_honoured: true", "gpc_honoured: false")))
    assert warning.location == "consent.gpc_honoured"


def test_assessment_past_its_review_date_is_warned_on_that_date_only() -> None:
    assert new_warnings(EXAMPLE, FixedClock(date(2027, 3, 25))) == []
    overdue = new_warnings(EXAMPLE, FixedClock(date(2027, 3, 26)))
    assert {warning.location for warning in overdue} == {
        f"activities[{index}].assessment.review_date" for index in (0, 1, 4, 5)
    }


def test_contract_as_basis_for_prospects_is_warned(tmp_path: Path) -> None:
    path = variant(tmp_path, ("legal_basis: legitimate_interest  # the seed", "legal_basis: contract  # the seed"))
    [warning] = new_warnings(path)
    assert warning.location == "activities[1].legal_basis"
    assert "prospect" in warning.message


def test_analytics_cookie_marked_necessary_is_warned(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            "    category: analytics\n    party: first\n    # ASSUMPTION",
            "    category: necessary\n    party: first\n    # ASSUMPTION",
        ),
    )
    [warning] = new_warnings(path)
    assert warning.location == "cookies[0].category"
    assert "looks like analytics" in warning.message


def test_cookie_needing_consent_without_a_banner_category_is_warned(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("    - id: analytics\n      name: {en: Analytics,", "    - id: preferences\n      name: {en: Preferences,"),
    )
    warnings = new_warnings(path)
    assert [warning.location for warning in warnings] == ["cookies[0].category", "cookies[1].category"]
    assert "banner has no such category" in warnings[0].message


def test_cookie_outliving_the_consent_is_warned(tmp_path: Path) -> None:
    [warning] = new_warnings(
        variant(
            tmp_path,
            (
                "    lifetime: P365D\n    purpose:\n      en: Recognises",
                "    lifetime: P13M\n    purpose:\n      en: Recognises",
            ),
        )
    )
    assert warning.location == "cookies[0].lifetime"


def test_retention_beyond_ten_years_needs_a_reason(tmp_path: Path) -> None:
    unexplained = variant(
        tmp_path,
        (
            "      keep: P10Y\n      from: last_interaction\n"
            "      reason:\n        en: Sales cycles in the industry can sometimes be very long (seed policy).\n"
            "        sv: Säljcyklerna i branschen kan ibland vara mycket långa.\n",
            "      keep: P12Y\n      from: last_interaction\n",
        ),
    )
    [warning] = new_warnings(unexplained)
    assert warning.location == "activities[1].retention"
    assert "ten-year limitation period" in warning.message
    explained = variant(
        tmp_path, ("      keep: P10Y\n      from: last_interaction", "      keep: P12Y\n      from: last_interaction")
    )
    assert new_warnings(explained) == []


def test_legal_obligation_without_the_law_is_warned(tmp_path: Path) -> None:
    [warning] = new_warnings(variant(tmp_path, ("    law: Skatteförfarandelagen (2011:1244)\n", "")))
    assert warning.location == "activities[3].legal_basis"


def test_invalid_policy_reports_errors_and_no_warnings(tmp_path: Path) -> None:
    report = check_policy(variant(tmp_path, ("implied_by_browsing: false", "implied_by_browsing: maybe")), ON)
    assert not report.ok
    assert [error.location for error in report.errors] == ["consent.implied_by_browsing"]
    assert report.warnings == []


def test_contact_ended_errors_are_placed_on_their_line(tmp_path: Path) -> None:
    prospects = "      from: last_interaction\n      reason:\n        en: Sales cycles"
    report = check_policy(
        variant(
            tmp_path,
            ("        from: relationship.ended\n", "        from: organisation.customer_until\n"),
            (
                prospects,
                "      from: last_interaction\n      contact_ended: {keep: P1Y}\n"
                "      reason:\n        en: Sales cycles",
            ),
        ),
        ON,
    )
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    wrong_from = next(i for i, text in enumerate(lines, 1) if text == "        from: relationship.ended")
    by_location = {error.location: error for error in report.errors}
    assert set(by_location) == {
        "activities[0].retention.contact_ended.from",
        "activities[1].retention.contact_ended",
    }
    assert by_location["activities[0].retention.contact_ended.from"].line == wrong_from
    assert "their own role ended" in by_location["activities[0].retention.contact_ended.from"].message
    prospect_error = by_location["activities[1].retention.contact_ended"]
    assert "does not depend on an organisation" in prospect_error.message
    assert prospect_error.line is not None
    assert prospect_error.line > wrong_from
