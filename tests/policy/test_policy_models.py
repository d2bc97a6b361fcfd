"""What the rest of Custos asks of a loaded policy: versions, snapshots, lookups, expansion, hashing."""

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from custos.errors import NotFound, PolicyInvalid
from custos.policy import Duration, Policy, SecurityMeasure, load_policy, parse_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"
CURRENT_VERSION = "  - date: 2024-03-25\n    notes: Current version; the published text this file encodes.\n"
PREVIOUS_NOTES = "    notes: Previous version. Its text was not archived; only its date is known.\n"


def example_text(*replacements: tuple[str, str]) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"the example no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return text


def with_snapshot(tmp_path: Path, snapshot_text: str) -> Path:
    """A policy directory whose 2023-10-03 version points at versions/2023-10-03.yaml."""
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "2023-10-03.yaml").write_text(snapshot_text, encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(example_text((PREVIOUS_NOTES, "    snapshot: versions/2023-10-03.yaml\n")), encoding="utf-8")
    return policy


@pytest.fixture
def policy() -> Policy:
    return load_policy(EXAMPLE)


def test_versions_sorted_and_current(policy: Policy) -> None:
    assert [version.date for version in policy.versions_sorted] == [date(2023, 10, 3), date(2024, 3, 25)]
    assert policy.current_version == date(2024, 3, 25)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 10, 2), None),
        (date(2023, 10, 3), date(2023, 10, 3)),
        (date(2024, 3, 24), date(2023, 10, 3)),
        (date(2024, 3, 25), date(2024, 3, 25)),
        (date(2030, 1, 1), date(2024, 3, 25)),
    ],
)
def test_version_at_gives_the_version_in_force(policy: Policy, day: date, expected: date | None) -> None:
    version = policy.version_at(day)
    assert (version.date if version else None) == expected


def test_snapshot_for_current_version_is_the_policy_itself(policy: Policy) -> None:
    assert policy.snapshot_for(date(2024, 3, 25)) is policy


def test_unarchived_version_says_its_text_was_not_archived(policy: Policy) -> None:
    with pytest.raises(NotFound, match="was not archived"):
        policy.snapshot_for(date(2023, 10, 3))
    with pytest.raises(NotFound, match="no policy version dated 2020-01-01"):
        policy.snapshot_for(date(2020, 1, 1))


def test_earlier_version_is_loaded_from_its_snapshot_file(tmp_path: Path) -> None:
    snapshot = example_text((CURRENT_VERSION, ""), ("validity: P365D", "validity: P180D"))
    policy = load_policy(with_snapshot(tmp_path, snapshot))
    earlier = policy.snapshot_for(date(2023, 10, 3))
    assert earlier.current_version == date(2023, 10, 3)
    assert earlier.consent is not None
    assert earlier.consent.validity == Duration(days=180)
    assert earlier.content_hash() != policy.content_hash()


def test_snapshot_of_another_version_is_refused(tmp_path: Path) -> None:
    path = with_snapshot(tmp_path, example_text())  # a copy of the current version, not of 2023-10-03
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    [problem] = caught.value.problems
    assert problem.location == "versions[1].snapshot"
    assert "describes the version of 2024-03-25, not 2023-10-03" in problem.message


def test_problems_inside_a_snapshot_name_the_snapshot_file(tmp_path: Path) -> None:
    snapshot = example_text((CURRENT_VERSION, ""), ("  country: SE", "  country: Sweden"))
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(with_snapshot(tmp_path, snapshot))
    [problem] = caught.value.problems
    assert problem.location == "versions[1].snapshot → versions/2023-10-03.yaml: organisation.country"
    assert problem.line == snapshot.splitlines().index("  country: Sweden") + 1


def test_missing_snapshot_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(example_text((PREVIOUS_NOTES, "    snapshot: versions/gone.yaml\n")), encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    [problem] = caught.value.problems
    assert problem.location.startswith("versions[1].snapshot → versions/gone.yaml")
    assert "cannot read the policy file" in problem.message


def test_current_version_may_not_have_a_snapshot(tmp_path: Path) -> None:
    text = example_text((CURRENT_VERSION, CURRENT_VERSION + "    snapshot: versions/2024-03-25.yaml\n"))
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(text, "policy.yaml", base_dir=tmp_path)
    assert [problem.location for problem in caught.value.problems] == ["versions[0].snapshot"]


def test_snapshots_need_a_file_to_be_relative_to() -> None:
    text = example_text((PREVIOUS_NOTES, "    snapshot: versions/2023-10-03.yaml\n"))
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(text, "text")
    assert "loaded from a file" in caught.value.problems[0].message


def test_lookups_by_id(policy: Policy) -> None:
    assert policy.activity("prospects").legal_basis == "legitimate_interest"
    assert policy.subject_category("employee").name == "Employees"
    assert policy.data_category("finance.invoice").legal_retention is not None
    assert policy.system("crm").environment == "production"
    with pytest.raises(NotFound, match="No processing activity with id 'nope'"):
        policy.activity("nope")


def test_activities_for_subject(policy: Policy) -> None:
    ids = [activity.id for activity in policy.activities_for_subject("employee")]
    assert ids == ["employment", "taxes-and-fees", "bookkeeping"]
    with pytest.raises(NotFound):
        policy.activities_for_subject("martian")


def test_resolve_data_expands_globs_in_file_order(policy: Policy) -> None:
    resolved = policy.resolve_data(policy.activity("employment"))
    assert [category.id for category in resolved] == [
        "contact.name",
        "contact.role",
        "contact.email",
        "contact.phone",
        "employment.payroll",
    ]


def test_content_hash_is_stable_and_follows_content(policy: Policy) -> None:
    again = load_policy(EXAMPLE)
    assert policy.content_hash() == again.content_hash()
    assert len(policy.content_hash()) == 64
    # Comments and layout are not content; a changed value is.
    reformatted = parse_policy(example_text(("# Elastx privacy policy as code.", "# reworded comment")))
    assert reformatted.content_hash() == policy.content_hash()
    changed = parse_policy(example_text(("validity: P365D", "validity: P180D")))
    assert changed.content_hash() != policy.content_hash()


def test_policy_is_frozen(policy: Policy) -> None:
    with pytest.raises(ValidationError):
        policy.organisation.name = "Someone else"  # type: ignore[misc]


def test_model_validation_in_code_also_checks_references(policy: Policy) -> None:
    data = policy.model_dump(mode="json", by_alias=True)
    data["activities"][0]["subjects"] = ["nobody"]
    with pytest.raises(ValidationError, match="'nobody' is not defined"):
        Policy.model_validate(data)


def test_security_measure_may_be_plain_text() -> None:
    assert SecurityMeasure.model_validate("Backups are encrypted.").description == "Backups are encrypted."


def test_cookie_duration(policy: Policy) -> None:
    session = next(cookie for cookie in policy.cookies if cookie.name == "_pk_ses.*")
    assert session.duration == Duration(minutes=30)
