"""docs/invariants.md and the code's catalogue name the same invariants, with the same promise and source."""

from __future__ import annotations

import re
from pathlib import Path

from custos.invariants import INVARIANTS
from custos.texts import LANGUAGES, read_texts

DOCS = Path(__file__).resolve().parents[2] / "docs" / "invariants.md"
ROW = re.compile(r"^\| `(?P<id>[a-z0-9-]+)` \| (?P<promise>.+?) \| (?P<serves>.+?) \|$")


def documented() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match["id"]] = (match["promise"], match["serves"])
    return rows


def test_every_invariant_is_documented_and_every_documented_one_exists() -> None:
    docs = documented()
    code = {entry.id: (entry.promise(), entry.serves) for entry in INVARIANTS}
    assert sorted(docs) == sorted(code)
    for invariant_id, (promise, serves) in code.items():
        assert docs[invariant_id] == (promise, serves), invariant_id


def test_every_invariant_names_its_source_and_a_fix() -> None:
    for entry in INVARIANTS:
        assert re.search(r"Art\.|§|lagen|Reg\.", entry.serves), entry.id
        assert entry.fix().strip(), entry.id
        assert entry.promise().endswith("."), entry.id
    assert len({entry.id for entry in INVARIANTS}) == len(INVARIANTS)


def test_every_invariant_is_worded_in_every_language_and_nothing_else_is() -> None:
    ids = {entry.id for entry in INVARIANTS}
    for lang in LANGUAGES:
        words = read_texts("custos.invariants", lang)
        assert set(words) == {"promises", "fixes"}, lang
        assert set(words["promises"]) == ids, lang
        assert set(words["fixes"]) == ids, lang
