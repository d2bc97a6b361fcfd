"""Every text the code asks for exists, in every language: found by reading the templates and the Python source.

Issue 13 item 10: `systems.task_headings.export` was asked for by a template while the wording file had put the
text under another section, and no test noticed until a system owner opened the page. Here each template's
`w("…")` and each Python look-up with a literal key (`w(…)`, `words(…)`, `t(…)`, `.text(…)`) is read from the
source; a literal key must be a text in both languages, and a key built from a value (`"systems.kinds." ~ kind`,
`f"incidents.nis2_phases.{phase}"`) must name a section in both, with a text for each value the domain knows
(the operations and states of a system task, the kinds of system, …).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from custos.access.permissions import PERMISSIONS
from custos.policy.models import SystemKind
from custos.systems import tasks
from custos.systems.ownership import PROBLEMS
from custos.texts import LANGUAGES, read_texts

SRC = Path(__file__).resolve().parent.parent / "src" / "custos"
KEY = r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+"
# In a template: w("a.b") with a literal key, or w("a.b." ~ value) with a key built from a value.
_LITERAL = re.compile(rf"""\bw\(\s*["']({KEY})["']\s*[,)]""")
_BUILT = re.compile(r"""\bw(?:\.has)?\(\s*["']([a-z][a-z0-9_.]*\.)["']\s*~""")
# In Python, the calls that look a text up: w(…), words(…), t(…), x.text(…), x.optional(…), x.has(…).
_CALLS = {"w", "words", "t"}
_METHODS = {"text", "optional", "has"}
_KEY = re.compile(KEY)
_SECTION = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")

# The packages whose templates and modules look texts up in their own wording, and where those live.
OWN_WORDING = {
    "custos.web.admin": (("web/admin/templates",), ("web/admin",)),
    "custos.web.rights_pages": (("web/rights_pages/templates",), ("web/rights.py",)),
    "custos.notice": (("notice/templates",), ()),
}
# Modules that look up texts in more than one package's wording: a key must be a text of at least one of them.
SHARED_WORDING = ("notice", "requests", "consent", "web/privacy.py")

# Keys built from a value: each value the domain has must have its text. The rest need only their section.
DOMAIN_VALUES: dict[str, Iterable[str]] = {
    "systems.task_headings.": tasks.OPERATIONS,
    "systems.operations.": tasks.OPERATIONS,
    "systems.task_states.": tasks.STATES,
    "systems.statuses.": ("done", "failed", "waiting"),
    "systems.kinds.": [kind.value for kind in SystemKind],
    "systems.mapping_states.": ("ok", "missing", "invalid", "none"),
    "systems.owner_sources.": ("policy", "admin"),
    "systems.correct_fields.": ("name", "title", "email", "phone"),
    "systems.owner_problems.": list(PROBLEMS),
}


def _files(root: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    yield from (path for path in sorted(root.rglob("*")) if path.suffix in suffixes and path.is_file())


def _lookup(texts: dict[str, Any], key: str) -> Any:
    node: Any = texts
    for part in key.rstrip(".").split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _wordings(package: str) -> dict[str, dict[str, Any]]:
    return {lang: read_texts(package, lang) for lang in LANGUAGES}


def _asked(paths: Iterable[Path], *, constants: set[str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(literal key → where, built prefix → where) asked for in the files. With `constants` (sections of the
    wording), a module-level constant naming a key in one of them counts too (`_NOTICES = {"password":
    "dashboard.password_changed"}`, later passed to `w`)."""
    literal: dict[str, str] = {}
    built: dict[str, str] = {}
    for path in paths:
        source = path.read_text(encoding="utf-8")
        where = str(path.relative_to(SRC))
        if path.suffix != ".py":
            for match in _LITERAL.finditer(source):
                literal.setdefault(match.group(1), where)
            for match in _BUILT.finditer(source):
                built.setdefault(match.group(1), where)
            continue
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and _is_lookup(node.func):
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and _KEY.fullmatch(first.value):
                    literal.setdefault(first.value, where)
                elif (prefix := _prefix(first)) is not None:
                    built.setdefault(prefix, where)
        for statement in tree.body if constants is not None else ():
            if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
                for node in ast.walk(statement.value):
                    if (
                        isinstance(node, ast.Constant)
                        and isinstance(node.value, str)
                        and _KEY.fullmatch(node.value)
                        and node.value.split(".")[0] in (constants or set())
                        and node.value not in PERMISSIONS  # "systems.read" is a permission, not a text
                    ):
                        literal.setdefault(node.value, where)
    return literal, built


def _is_lookup(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id in _CALLS) or (
        isinstance(func, ast.Attribute) and func.attr in _METHODS
    )


def _prefix(node: ast.expr) -> str | None:
    """The literal start of a key built from a value: f"a.b.{x}" or "a.b." + x; None for anything else."""
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        start = node.values[0].value
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant):
        start = node.left.value
    else:
        return None
    return start if isinstance(start, str) and start.endswith(".") and _SECTION.fullmatch(start[:-1]) else None


def _missing(wordings: dict[str, dict[str, Any]], literal: dict[str, str], built: dict[str, str]) -> list[str]:
    problems = []
    for lang, texts in wordings.items():
        for key, where in sorted(literal.items()):
            if not isinstance(_lookup(texts, key), str):
                problems.append(f"{lang}: {key} (asked for in {where}) is not a text")
        for prefix, where in sorted(built.items()):
            if not isinstance(_lookup(texts, prefix), dict):
                problems.append(f"{lang}: {prefix}… (built in {where}) is not a section")
            for value in DOMAIN_VALUES.get(prefix, ()):
                if not isinstance(_lookup(texts, prefix + value), str):
                    problems.append(f"{lang}: {prefix}{value} (built in {where}) is not a text")
    return problems


@pytest.mark.parametrize("package", sorted(OWN_WORDING))
def test_every_key_a_template_or_module_asks_for_exists_in_every_language(package: str) -> None:
    templates, modules = OWN_WORDING[package]
    wordings = _wordings(package)
    sections = set(wordings["en"])
    literal, built = _asked(path for folder in templates for path in _files(SRC / folder, (".j2",)))
    in_code, built_in_code = _asked(
        (path for folder in modules for path in _files(SRC / folder, (".py",))), constants=sections
    )
    literal |= in_code
    built |= built_in_code
    assert len(literal) > 10, "the scan found the look-ups"
    assert _missing(wordings, literal, built) == []


def test_every_key_a_module_with_several_wordings_asks_for_exists_in_one_of_them() -> None:
    packages = ("custos.notice", "custos.requests", "custos.consent", "custos.web.admin", "custos.web.rights_pages")
    wordings = {package: _wordings(package) for package in packages}
    literal, built = _asked(path for folder in SHARED_WORDING for path in _files(SRC / folder, (".py",)))
    assert len(literal) > 20, "the scan found the look-ups"
    problems = [
        f"{key} (asked for in {where}) is a text of no wording in every language"
        for key, where in sorted(literal.items())
        if not any(all(isinstance(_lookup(t, key), str) for t in by_lang.values()) for by_lang in wordings.values())
    ]
    problems += [
        f"{prefix}… (built in {where}) is a section of no wording in every language"
        for prefix, where in sorted(built.items())
        if not any(all(isinstance(_lookup(t, prefix), dict) for t in by_lang.values()) for by_lang in wordings.values())
    ]
    assert problems == []


def test_the_scan_finds_a_misplaced_text() -> None:
    """The check itself: the wording as it was before the fix (export under correct_fields) is caught."""
    english = read_texts("custos.web.admin", "en")
    broken = {**english, "systems": {**english["systems"], "task_headings": {"erase": "x", "rectify": "y"}}}
    problems = _missing({"en": broken}, {}, {"systems.task_headings.": "web/admin/templates/systems_task.html.j2"})
    assert problems == [
        "en: systems.task_headings.export (built in web/admin/templates/systems_task.html.j2) is not a text"
    ]
    assert resources.files("custos.web.admin").joinpath("texts").is_dir()
