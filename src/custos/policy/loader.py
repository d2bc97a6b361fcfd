"""Reading a policy file: every problem in it is reported at once, each with its path, line and a fix."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from pydantic import ValidationError

from custos.errors import PolicyInvalid, Problem
from custos.policy.findings import Finding
from custos.policy.integrity import integrity_findings
from custos.policy.locator import NodeLocator
from custos.policy.messages import problem_from_error
from custos.policy.models import SKIP_INTEGRITY, Policy

# Snapshots may point at older snapshots; a deeper chain than this is taken to be a cycle.
_MAX_SNAPSHOT_DEPTH = 16


class _PolicyYamlLoader(yaml.SafeLoader):
    """Safe YAML, except that dates stay text: pydantic then reports a wrong date with its place and line."""


def _timestamp_as_text(loader: _PolicyYamlLoader, node: yaml.Node) -> object:
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


_PolicyYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


@dataclass(frozen=True)
class LocatedPolicy:
    """A loaded policy with the means to put a line number on any path in its file."""

    policy: Policy
    locator: NodeLocator

    def problem(self, finding: Finding) -> Problem:
        return located(finding, self.locator)


def load_policy(path: Path) -> Policy:
    """Load and validate a policy file and the snapshots of its earlier versions; raises PolicyInvalid."""
    return load_located(path).policy


def parse_policy(text: str, source_name: str = "<policy>", *, base_dir: Path | None = None) -> Policy:
    """Validate policy text; `base_dir` is where `snapshot:` paths are looked up (none: snapshots refused)."""
    return _parse(text, source_name, base_dir, depth=0).policy


def load_located(path: Path) -> LocatedPolicy:
    return _load(path, depth=0)


def located(finding: Finding, locator: NodeLocator) -> Problem:
    # A finding's last path part names what it is about even when the file lacks it (a missing assessment).
    loc, line = locator.locate(finding.loc, missing_key=True)
    written = Finding(loc, finding.message, finding.hint)
    return Problem(location=written.path, line=line, message=finding.message, hint=finding.hint)


def _load(path: Path, depth: int) -> LocatedPolicy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = Problem(
            location=str(path),
            message=f"cannot read the policy file: {error.__class__.__name__}: {error}",
            hint="check the path, and that the file is UTF-8 text",
        )
        raise PolicyInvalid(f"{path}: cannot read the policy file", [problem]) from None
    return _parse(text, str(path), path.parent, depth)


def _parse(text: str, source_name: str, base_dir: Path | None, depth: int) -> LocatedPolicy:
    root, data, problems = _compose(text)
    locator = NodeLocator(root)
    policy: Policy | None = None
    if not problems:
        problems += locator.duplicate_keys()
        problems += [located(finding, locator) for finding in integrity_findings(data)]
        try:
            policy = Policy.model_validate(data, context={SKIP_INTEGRITY: True})
        except ValidationError as error:
            problems += [problem_from_error(details, Policy, locator) for details in error.errors()]
    if policy is not None and not problems:
        problems += _attach_snapshots(policy, locator, base_dir, depth)
    if problems or policy is None:
        problems.sort(key=lambda problem: problem.line or 0)
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        raise PolicyInvalid(f"{source_name}: {count} in the policy", problems)
    return LocatedPolicy(policy, locator)


def _compose(text: str) -> tuple[yaml.Node | None, object, list[Problem]]:
    """The node tree (for line numbers) and the data it stands for, or the reason the text is not YAML."""
    loader = _PolicyYamlLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(part for part in (error.context, error.problem) if part)
        problem = Problem(
            location="(file)",
            line=mark.line + 1 if mark is not None else None,
            message=f"not valid YAML: {reason}",
            hint="check the indentation and quoting on this line and the one before; "
            "a value containing ': ' or starting with a special character needs quotes",
        )
        return None, None, [problem]
    except yaml.YAMLError as error:
        return None, None, [Problem(location="(file)", message=f"not valid YAML: {error}")]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problem = Problem(
            location="(file)",
            line=root.start_mark.line + 1 if root is not None else None,
            message="the policy must be a mapping of sections" if data is not None else "the policy file is empty",
            hint="start with `organisation:`, `data_protection:`, `versions:` … (see examples/elastx/policy.yaml)",
        )
        return root, data, [problem]
    return root, data, []


def _attach_snapshots(policy: Policy, locator: NodeLocator, base_dir: Path | None, depth: int) -> list[Problem]:
    problems: list[Problem] = []
    for index, version in enumerate(policy.versions):
        if version.snapshot is None:
            continue
        here = Finding(("versions", index, "snapshot"), "", None)
        if base_dir is None:
            problems.append(
                replace(
                    located(here, locator),
                    message="snapshots can only be read when the policy is loaded from a file",
                    hint="use load_policy(path), or pass base_dir",
                )
            )
            continue
        if depth >= _MAX_SNAPSHOT_DEPTH:
            problems.append(replace(located(here, locator), message="snapshots nest too deeply; is there a cycle?"))
            continue
        path = base_dir / version.snapshot
        try:
            snapshot = _load(path, depth + 1).policy
        except PolicyInvalid as error:
            problems += [
                replace(inner, location=f"{here.path} → {version.snapshot}: {inner.location}")
                for inner in error.problems
            ]
            continue
        if snapshot.current_version != version.date:
            problems.append(
                replace(
                    located(here, locator),
                    message=f"{version.snapshot} describes the version of {snapshot.current_version}, "
                    f"not {version.date}",
                    hint="point to the snapshot of this version, or correct the snapshot's newest version date",
                )
            )
            continue
        policy.attach_snapshot(version.date, snapshot)
        for earlier, earlier_policy in snapshot.archived_versions.items():
            if earlier not in policy.archived_versions:
                policy.attach_snapshot(earlier, earlier_policy)
    return problems
