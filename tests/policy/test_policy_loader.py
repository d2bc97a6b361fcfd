"""load_policy: every problem in a policy file is reported at once, with its path, line and a fix."""

from datetime import date
from pathlib import Path

import pytest

from custos.errors import PolicyInvalid, Problem
from custos.policy import load_policy, parse_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"


def variant(tmp_path: Path, *replacements: tuple[str, str], name: str = "policy.yaml") -> Path:
    """The Elastx example with some text replaced, written to a real file."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"the example no longer contains {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in {path}")


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    return caught.value.problems


def only(problems: list[Problem], location: str) -> Problem:
    found = [problem for problem in problems if problem.location == location]
    assert len(found) == 1, f"expected one problem at {location}, got {problems}"
    return found[0]


def test_example_policy_loads() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.organisation.name == "Elastx"
    assert policy.current_version == date(2024, 3, 25)


def test_unknown_key_is_reported_on_its_line_with_the_closest_allowed_key(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            "    retention:\n      keep: P10Y\n      from: last_interaction",
            "    retension:\n      keep: P10Y\n      from: last_interaction",
        ),
    )
    problems = problems_of(path)
    unknown = only(problems, "activities[1].retension")
    assert unknown.line == line_of(path, "retension:")
    assert unknown.message == "unknown key 'retension'"
    assert unknown.hint is not None
    assert unknown.hint.startswith("did you mean 'retention'?")
    assert "allowed keys here:" in unknown.hint
    assert "legal_basis" in unknown.hint
    # …and the activity now has no retention at all, which is its own error, on the activity's line.
    missing = only(problems, "activities[1].retention")
    assert missing.line == line_of(path, "- id: prospects")
    assert "required key 'retention' is missing" in missing.message


def test_legitimate_interest_without_assessment_is_an_error(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            "    legal_basis: legitimate_interest\n    assessment:\n"
            "      interest:\n        en: Running the partnership",
            "    legal_basis: legitimate_interest\n    lia_elsewhere:\n"
            "      interest:\n        en: Running the partnership",
        ),
    )
    problems = problems_of(path)
    lia = only(problems, "activities[5].assessment")
    assert lia.line == line_of(path, "- id: partner-contacts")
    assert "documented assessment" in lia.message
    assert lia.hint is not None
    assert "Art. 6(1)(f)" in lia.hint


def test_assessment_that_finds_against_the_interest_is_an_error(tmp_path: Path) -> None:
    path = variant(tmp_path, ("      outcome: interest_prevails", "      outcome: subject_prevails"))
    problem = only(problems_of(path), "activities[0].assessment.outcome")
    assert problem.line == line_of(path, "outcome: subject_prevails")


def test_time_part_in_a_retention_period_is_refused_on_its_line(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("then: P10Y\n      from: organisation.supplier_until", "then: PT5M\n      from: organisation.supplier_until"),
    )
    problem = only(problems_of(path), "activities[4].retention.then")
    assert problem.line == line_of(path, "then: PT5M")
    assert "time part" in problem.message


def test_malformed_duration_says_how_to_write_one(tmp_path: Path) -> None:
    path = variant(tmp_path, ("validity: P365D", "validity: 365 days"))
    problem = only(problems_of(path), "consent.validity")
    assert problem.line == line_of(path, "validity: 365 days")
    assert problem.hint is not None
    assert "P365D" in problem.hint


def test_unknown_enum_value_suggests_the_closest(tmp_path: Path) -> None:
    path = variant(tmp_path, ("      from: collected", "      from: colected"))
    problem = only(problems_of(path), "activities[7].retention.from")
    assert problem.line == line_of(path, "from: colected")
    assert problem.hint == "did you mean 'collected'?"


def test_references_to_undefined_things_are_errors(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("subjects: [partner_contact]", "subjects: [partner_contacts]"),
        ("data: [web.*]", "data: [webb.*, contact.nam]"),
        ("systems: [crm, mailer]", "systems: [crm, mailr]"),
    )
    problems = problems_of(path)
    subject = only(problems, "activities[5].subjects[0]")
    assert subject.line == line_of(path, "subjects: [partner_contacts]")
    assert subject.hint is not None
    assert subject.hint.startswith("did you mean 'partner_contact'?")
    glob = only(problems, "activities[7].data[0]")
    assert "matches no data category" in glob.message
    category = only(problems, "activities[7].data[1]")
    assert category.hint is not None
    assert category.hint.startswith("did you mean 'contact.name'?")
    system = only(problems, "activities[0].systems[1]")
    assert system.hint is not None
    assert system.hint.startswith("did you mean 'mailer'?")


def test_duplicate_ids_are_errors(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  - id: mailer\n", "  - id: crm\n"))
    problem = only(problems_of(path), "systems[1].id")
    assert "already used by systems[0]" in problem.message
    assert problem.line == line_of(path, "name: Mailing tool") - 1


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  gpc_honoured: true\n", "  gpc_honoured: true\n  gpc_honoured: false\n"))
    problem = only(problems_of(path), "consent.gpc_honoured")
    assert problem.line == line_of(path, "gpc_honoured: false")
    assert "appears twice" in problem.message


def test_malformed_yaml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("organisation:\n  name: Elastx\n  contacts: [privacy@elastx.com\nversions: []\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert problem.location == "(file)"
    assert problem.message.startswith("not valid YAML")
    assert problem.line == 4


def test_impossible_date_is_reported_on_its_line(tmp_path: Path) -> None:
    path = variant(tmp_path, ("  - date: 2023-10-03", "  - date: 2023-13-03"))
    problem = only(problems_of(path), "versions[1].date")
    assert problem.line == line_of(path, "2023-13-03")
    assert problem.hint == "write the date as YYYY-MM-DD"


def test_all_problems_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ("  country: SE", "  country: Sweden"),
        ("legal_basis: legitimate_interest  # the seed", "legal_basis: legitimate_intrest  # the seed"),
        ("subjects: [partner_contact]", "subjects: [partner]"),
        ("validity: P365D", "validity: P1Q"),
    )
    problems = problems_of(path)
    assert [problem.location for problem in problems] == [
        "organisation.country",
        "activities[1].legal_basis",
        "activities[5].subjects[0]",
        "consent.validity",
    ]
    assert all(problem.line is not None and problem.hint for problem in problems)


def test_empty_and_non_mapping_files_are_explained() -> None:
    with pytest.raises(PolicyInvalid) as empty:
        parse_policy("", "empty.yaml")
    assert empty.value.problems[0].message == "the policy file is empty"
    with pytest.raises(PolicyInvalid) as listed:
        parse_policy("- organisation\n", "list.yaml")
    assert listed.value.problems[0].message == "the policy must be a mapping of sections"


def test_missing_file_is_a_policy_problem_not_a_crash(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nowhere.yaml")
    assert "cannot read the policy file" in problem.message


def test_parse_policy_validates_text(tmp_path: Path) -> None:
    policy = parse_policy(EXAMPLE.read_text(encoding="utf-8"), "elastx")
    assert policy == load_policy(EXAMPLE)
