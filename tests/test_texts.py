"""The shared wording reader: dotted keys, clear errors naming whose wording lacks a text."""

from pathlib import Path

import pytest

from custos.texts import Texts, read_texts


def test_dotted_keys_and_clear_errors() -> None:
    texts = Texts("en", {"login": {"heading": "Log in"}})
    assert texts.text("login.heading") == "Log in"
    assert texts.has("login.heading")
    assert texts.optional("login.missing") is None
    with pytest.raises(KeyError, match=r"no text 'login\.missing' in the en wording"):
        texts.text("login.missing")
    with pytest.raises(KeyError, match="has a section, not a text"):
        texts.text("login")


@pytest.mark.parametrize("package", ["custos.notice", "custos.web.admin", "custos.consent", "custos.invariants"])
def test_every_package_has_the_same_keys_in_both_languages(package: str) -> None:
    def keys(node: object, prefix: str = "") -> set[str]:
        if not isinstance(node, dict):
            return {prefix}
        return set().union(*(keys(value, f"{prefix}.{key}") for key, value in node.items()))

    assert keys(read_texts(package, "en")) == keys(read_texts(package, "sv"))


def test_area_files_add_sections_and_never_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = tmp_path / "wordpkg" / "texts"
    texts.mkdir(parents=True)
    (texts.parent / "__init__.py").write_text("")
    (texts / "en.yaml").write_text("nav:\n  home: Home\n")
    (texts / "requests.en.yaml").write_text("requests:\n  heading: Requests\n")
    (texts / "requests.sv.yaml").write_text("requests:\n  heading: Begäranden\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert read_texts("wordpkg", "en") == {"nav": {"home": "Home"}, "requests": {"heading": "Requests"}}
    (texts / "more.en.yaml").write_text("nav:\n  other: Other\n")
    with pytest.raises(ValueError, match=r"section 'nav' of texts/more\.en\.yaml is also in another file"):
        read_texts("wordpkg", "en")
