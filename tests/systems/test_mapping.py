"""The mapping file: the example loads, and every mistake is reported with its place, line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from example_systems import EXAMPLE_MAPPING

from custos.errors import InvalidInput
from custos.policy import load_policy
from custos.systems.graph import erase_order, walk_order
from custos.systems.mapping import load_mapping, parse_mapping

ROOT = Path(__file__).resolve().parents[2]


def problems(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(InvalidInput) as raised:
        parse_mapping(text, "m.yaml", **kwargs)  # type: ignore[arg-type]
    return [str(problem) for problem in raised.value.problems]


def test_example_mapping_loads_with_rules_and_order() -> None:
    mapping = parse_mapping(EXAMPLE_MAPPING)
    invoices = mapping.tables["invoices"].erase
    assert invoices is not None
    assert invoices.kind == "keep_until"
    assert invoices.then is not None
    assert invoices.then.anonymise == {"billing_name": None, "billing_email": None, "customer_id": None}
    assert mapping.tables["customers"].identity == {"email": "email", "telefon": "phone"}
    order = walk_order(mapping)
    assert order.index("customers") < order.index("invoices") < order.index("invoice_lines")
    assert erase_order(mapping)[0] in ("tickets", "invoice_lines")
    assert erase_order(mapping)[-1] == "customers"


def test_shorthands_for_rules_and_keys() -> None:
    mapping = parse_mapping("system: s\ntables:\n  t:\n    key: [a, b]\n    erase:\n      anonymise: [x, y]\n")
    rule = mapping.tables["t"].erase
    assert rule is not None
    assert rule.anonymise == {"x": None, "y": None}
    assert mapping.tables["t"].key == ["a", "b"]


def test_unknown_key_and_bad_identity_kind_are_reported_with_lines() -> None:
    found = problems("system: crm\ntables:\n  t:\n    identity:\n      mail: emial\n    colums: {}\n")
    assert any(
        "line 5" in text and "'emial' is not one of" in text and "did you mean 'email'" in text for text in found
    )
    assert any("line 6" in text and "unknown key 'colums'" in text and "columns" in text for text in found)


def test_rule_mistakes_are_explained() -> None:
    found = problems("system: s\ntables:\n  t:\n    erase:\n      keep: P7Y\n")
    assert any("`from:`" in text and "`then:`" in text and "line 4" in text for text in found)
    found = problems("system: s\ntables:\n  t:\n    erase: {delete: true, anonymise: [a]}\n")
    assert any("exactly one of delete, anonymise or keep" in text for text in found)


def test_reference_to_an_unmapped_table_and_a_cycle() -> None:
    found = problems("system: s\ntables:\n  a:\n    references:\n      b_id: bb.id\n  b: {}\n")
    assert any("tables.a.references.b_id (line 5)" in text and "did you mean 'b'" in text for text in found)
    cyclic = "system: s\ntables:\n  a:\n    references: {b_id: b.id}\n  b:\n    references: {a_id: a.id}\n"
    assert any("circle" in text and "a → b → a" in text for text in problems(cyclic))


def test_categories_are_checked_against_the_policy_when_given() -> None:
    policy = load_policy(ROOT / "examples" / "elastx" / "policy.yaml")
    found = problems("system: s\ntables:\n  t:\n    columns:\n      e: contact.emial\n", policy=policy)
    assert any("line 5" in text and "did you mean 'contact.email'" in text for text in found)


def test_not_yaml_and_unreadable_file(tmp_path: Path) -> None:
    assert any("not valid YAML" in text for text in problems("system: [\n"))
    with pytest.raises(InvalidInput) as raised:
        load_mapping(tmp_path / "missing.yaml")
    assert "missing.yaml" in raised.value.message


def test_a_mapping_is_parsed_once_per_version_of_its_file(tmp_path: Path) -> None:
    from custos.systems.connectors.sql import MappingCache

    path = tmp_path / "m.yaml"
    path.write_text(EXAMPLE_MAPPING, encoding="utf-8")
    policy = load_policy(ROOT / "examples" / "elastx" / "policy.yaml")
    cache = MappingCache()
    first = cache.load(path, policy)
    assert cache.load(path, policy) is first
    # A confirmed scan rewrites the file: the next request reads what it says now.
    path.write_text(EXAMPLE_MAPPING.replace("tickets:", "support_tickets:", 1), encoding="utf-8")
    changed = cache.load(path, policy)
    assert changed is not first
    assert ("support_tickets" in changed.tables) == ("tickets:" in EXAMPLE_MAPPING)
    # Another policy object (a new version in force) checks the categories again.
    assert cache.load(path, load_policy(ROOT / "examples" / "elastx" / "policy.yaml")) is not changed
