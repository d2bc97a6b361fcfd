"""`custos policy check FILE`: exit 0 for a usable policy, exit 1 listing every problem; never a traceback."""

from pathlib import Path

from typer.testing import CliRunner

from custos.cli.policy import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_valid_policy_exits_zero_and_shows_its_warning() -> None:
    code, output = run(str(EXAMPLE), "--at", "2025-01-01")
    assert code == 0
    assert "warning: line 51: versions[1]: the text of the version of 2023-10-03 is not on file" in output
    assert "fix: add `snapshot:`" in output
    assert output.rstrip().endswith("valid, with 1 warning.")


def test_invalid_policy_exits_one_listing_every_problem(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("  country: SE", "  country: Sweden").replace("subjects: [prospect]", "subjects: [prospects]")
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    code, output = run(str(path))
    assert code == 1
    assert "error: line 10: organisation.country: 'Sweden' is not written as expected here" in output
    assert "fix: use a two-letter ISO 3166-1 country code in capitals, such as SE" in output
    assert "activities[1].subjects[0]: 'prospects' is not defined" in output
    assert "fix: did you mean 'prospect'?" in output
    assert "2 errors; the policy cannot be used." in output


def test_malformed_yaml_exits_one_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("organisation:\n  name: [Elastx\n", encoding="utf-8")
    code, output = run(str(path))
    assert code == 1
    assert "error: line 3: (file): not valid YAML" in output
    assert "Traceback" not in output


def test_missing_file_exits_one_without_a_traceback(tmp_path: Path) -> None:
    code, output = run(str(tmp_path / "missing.yaml"))
    assert code == 1
    assert "cannot read the policy file" in output
    assert "Traceback" not in output


def test_review_dates_are_checked_as_on_the_given_date() -> None:
    code, output = run(str(EXAMPLE), "--at", "2028-01-01")
    assert code == 0
    assert "activities[0].assessment.review_date: the legitimate-interest assessment was due for review" in output
    assert "valid, with 5 warnings." in output


def test_bad_date_option_is_a_usage_error() -> None:
    code, output = run(str(EXAMPLE), "--at", "tomorrow")
    assert code == 2
    assert "Traceback" not in output
