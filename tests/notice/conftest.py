"""Policies for the notice tests: the example as shipped, and copies changed the way an editor would."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from custos.policy import Policy, load_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = ROOT / "examples" / "elastx" / "policy.yaml"

Edit = Callable[[dict[str, Any]], None]


def example_data() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def activity(data: dict[str, Any], activity_id: str) -> dict[str, Any]:
    return next(item for item in data["activities"] if item["id"] == activity_id)


@pytest.fixture
def example_policy_path() -> Path:
    return EXAMPLE_POLICY


@pytest.fixture
def example_policy() -> Policy:
    return load_policy(EXAMPLE_POLICY)


@pytest.fixture
def edited_policy(tmp_path: Path) -> Callable[[Edit], Path]:
    """Write a copy of the example policy with `edit` applied; returns its path."""

    def write(edit: Edit) -> Path:
        data = example_data()
        edit(data)
        path = tmp_path / "edited" / "policy.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write


def _older_text(data: dict[str, Any]) -> None:
    """What the 2023-10-03 version is made to say in these tests: five years for customers, no session cookie,
    and no partners yet."""
    activity(data, "customer-contacts")["retention"]["then"] = "P5Y"
    data["cookies"] = [cookie for cookie in data["cookies"] if cookie["name"] != "_pk_ses.*"]
    data["subject_categories"] = [s for s in data["subject_categories"] if s["id"] != "partner_contact"]
    data["activities"] = [a for a in data["activities"] if a["id"] != "partner-contacts"]
    activity(data, "bookkeeping")["subjects"].remove("partner_contact")
    data["versions"] = [{"date": "2023-10-03", "notes": "Previous version."}]


@pytest.fixture
def archived_policy_path(tmp_path: Path) -> Path:
    """The example policy with the text of its 2023-10-03 version on file as a snapshot."""
    folder = tmp_path / "archived"
    (folder / "versions").mkdir(parents=True)
    current = example_data()
    older = copy.deepcopy(current)
    _older_text(older)
    (folder / "versions" / "2023-10-03.yaml").write_text(
        yaml.safe_dump(older, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    for version in current["versions"]:
        if str(version["date"]) == "2023-10-03":
            version["snapshot"] = "versions/2023-10-03.yaml"
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(current, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def archived_policy(archived_policy_path: Path) -> Policy:
    return load_policy(archived_policy_path)
