"""Checks that span sections: unique ids, defined references, an assessment for every legitimate interest.

They run on the raw data (the parsed YAML, or a model dumped to JSON), so they can report alongside the
structural errors of the same file instead of after them; anything malformed is skipped here because
validation already reports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from custos.policy.findings import Finding, choice_hint

_GLOB_CHARS = frozenset("*?[")
_LIA_HINT = (
    "add `assessment:` with interest, necessity, balancing, safeguards, outcome, owner, date and review_date "
    "(Art. 6(1)(f); EDPB GL 1/2024), or choose another legal basis"
)


def integrity_findings(data: object) -> list[Finding]:
    if not isinstance(data, Mapping):
        return []
    findings: list[Finding] = []
    for section in ("data_categories", "subject_categories", "activities", "systems", "processor"):
        findings += _duplicates(data, section, "id")
    findings += _duplicates(data, "cookies", "name")
    findings += _duplicates(data, "security_measures", "id")
    findings += _versions(data)
    findings += _activities(data)
    consent = data.get("consent")
    if isinstance(consent, Mapping):
        findings += [Finding(("consent", *f.loc), f.message, f.hint) for f in _duplicates(consent, "categories", "id")]
    return findings


def _entries(data: Mapping[str, Any], section: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    items = data.get(section)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                yield index, item


def _ids(data: Mapping[str, Any], section: str) -> list[str]:
    return [str(item["id"]) for _, item in _entries(data, section) if item.get("id") is not None]


def _duplicates(data: Mapping[str, Any], section: str, key: str) -> list[Finding]:
    seen: dict[str, int] = {}
    findings = []
    for index, item in _entries(data, section):
        value = item.get(key)
        if value is None:
            continue
        if str(value) in seen:
            findings.append(
                Finding(
                    (section, index, key),
                    f"duplicate {key} {str(value)!r}, already used by {section}[{seen[str(value)]}]",
                    f"give each entry of {section} its own {key}",
                )
            )
        else:
            seen[str(value)] = index
    return findings


def _versions(data: Mapping[str, Any]) -> list[Finding]:
    findings = _duplicates(data, "versions", "date")
    dated = [(str(item["date"]), index, item) for index, item in _entries(data, "versions") if "date" in item]
    if dated:
        _, index, newest = max(dated, key=lambda entry: entry[0])
        if newest.get("snapshot"):
            findings.append(
                Finding(
                    ("versions", index, "snapshot"),
                    "the newest version is the one in force, and its content is this file",
                    "remove `snapshot:` here; snapshots are for earlier versions",
                )
            )
    return findings


def _activities(data: Mapping[str, Any]) -> list[Finding]:
    subjects = _ids(data, "subject_categories")
    categories = _ids(data, "data_categories")
    systems = _ids(data, "systems")
    findings: list[Finding] = []
    for index, activity in _entries(data, "activities"):
        here = ("activities", index)
        if activity.get("legal_basis") == "legitimate_interest":
            assessment = activity.get("assessment")
            if assessment is None:
                findings.append(
                    Finding((*here, "assessment"), "legitimate interest needs a documented assessment", _LIA_HINT)
                )
            elif isinstance(assessment, Mapping) and assessment.get("outcome") == "subject_prevails":
                findings.append(
                    Finding(
                        (*here, "assessment", "outcome"),
                        "the assessment found that the subjects' interests prevail, so legitimate interest "
                        "cannot be the legal basis (Art. 6(1)(f))",
                        "choose another legal basis or stop this processing",
                    )
                )
        findings += _references(activity, here, "subjects", subjects, "defined subject categories")
        findings += _references(activity, here, "systems", systems, "defined systems")
        findings += _data_references(activity, here, categories)
        findings += _erasure_categories(activity, here)
    return findings


def _erasure_categories(activity: Mapping[str, Any], here: tuple[str, int]) -> list[Finding]:
    """A reviewer decides on the activity's own data only (`erasure.categories`, Art. 17(3))."""
    erasure, data = activity.get("erasure"), activity.get("data")
    if not isinstance(erasure, Mapping) or not isinstance(data, list):
        return []
    values = erasure.get("categories")
    if not isinstance(values, list):
        return []
    patterns = [str(p) for p in data]
    return [
        Finding(
            (*here, "erasure", "categories", position),
            f"erasure.categories names data the activity does not process: {value}",
            f"use ids from this activity's data: {', '.join(patterns)}",
        )
        for position, value in enumerate(values)
        if isinstance(value, str) and not any(value == p or fnmatchcase(value, p) for p in patterns)
    ]


def _references(
    activity: Mapping[str, Any], here: tuple[str, int], key: str, defined: list[str], noun: str
) -> list[Finding]:
    values = activity.get(key)
    if not isinstance(values, list):
        return []
    return [
        Finding((*here, key, position), f"{value!r} is not defined", choice_hint(value, defined, noun))
        for position, value in enumerate(values)
        if isinstance(value, str) and value not in defined
    ]


def _data_references(activity: Mapping[str, Any], here: tuple[str, int], defined: list[str]) -> list[Finding]:
    values = activity.get("data")
    if not isinstance(values, list):
        return []
    findings = []
    for position, pattern in enumerate(values):
        if not isinstance(pattern, str):
            continue
        if _GLOB_CHARS & set(pattern):
            if not any(fnmatchcase(category, pattern) for category in defined):
                findings.append(
                    Finding(
                        (*here, "data", position),
                        f"the pattern {pattern!r} matches no data category",
                        choice_hint(pattern, defined, "defined data categories"),
                    )
                )
        elif pattern not in defined:
            findings.append(
                Finding(
                    (*here, "data", position),
                    f"data category {pattern!r} is not defined",
                    choice_hint(pattern, defined, "defined data categories"),
                )
            )
    return findings
