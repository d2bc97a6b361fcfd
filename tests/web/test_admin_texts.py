"""The admin pages' wording: English and Swedish have the same texts with the same placeholders, and every
text a template asks for exists, so no page shows a key or breaks half-way in either language."""

from __future__ import annotations

import re
import string
from importlib import resources
from typing import Any

import pytest
import yaml

from custos.web.admin.pages import NAV
from custos.web.admin.texts import LANGUAGES, load_words


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(node, dict):
        return {prefix.rstrip("."): node}
    out: dict[str, Any] = {}
    for key, value in node.items():
        out.update(_flatten(value, f"{prefix}{key}."))
    return out


def _read(lang: str) -> dict[str, Any]:
    return _flatten(yaml.safe_load((resources.files("custos.web.admin") / "texts" / f"{lang}.yaml").read_text()))


def _fields(value: object) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(str(value)) if name}


def test_every_language_has_the_same_texts_and_placeholders() -> None:
    english = _read("en")
    for lang in LANGUAGES:
        other = _read(lang)
        assert set(other) == set(english), lang
        assert {k: _fields(v) for k, v in other.items()} == {k: _fields(v) for k, v in english.items()}, lang
        assert all(isinstance(v, str) and v.strip() for v in other.values()), lang


def _template_keys() -> set[str]:
    keys: set[str] = set()
    for template in (resources.files("custos.web.admin") / "templates").iterdir():
        keys |= set(re.findall(r"""\bw\(\s*["']([a-z_.0-9]+)["']""", template.read_text()))
    return {key for key in keys if not key.endswith(".")}  # "nav." ~ name: the full keys are listed below


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_a_template_or_page_names_exists(lang: str) -> None:
    words = load_words(lang)
    named = _template_keys() | {f"nav.{item.key}" for item in NAV}
    named |= {f"status.{s}" for s in ("active", "disabled")}
    named |= {f"staff.done.{d}" for d in ("granted", "revoked", "disabled", "enabled", "unlocked")}
    named |= {"login.failed", "login.expired", "login.logged_out", "login.logged_out_everywhere"}
    named |= {"dashboard.password_changed", "errors.403", "errors.404", "errors.other"}
    assert len(named) > 100
    missing = sorted(key for key in named if not words.has(key))
    assert missing == []
