"""The references between a mapping's tables as a graph: the order to find rows in (parents before the rows that
belong to them) and the order to erase them in (children before parents, so no foreign key is left dangling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the mapping module asks this one for its cycles; only its types are needed here
    from custos.systems.mapping import DatasetMapping, Reference


@dataclass(frozen=True)
class Graph:
    order: tuple[str, ...]  # parents first
    parents: dict[str, tuple[Reference, ...]]
    children: dict[str, tuple[Reference, ...]]


def graph(mapping: DatasetMapping) -> Graph:
    memo = mapping.memo()
    found = memo.get("graph")
    if not isinstance(found, Graph):
        found = memo["graph"] = _build(mapping)
    return found


def parents_of(mapping: DatasetMapping, table: str) -> tuple[Reference, ...]:
    return graph(mapping).parents.get(table, ())


def children_of(mapping: DatasetMapping, table: str) -> tuple[Reference, ...]:
    return graph(mapping).children.get(table, ())


def walk_order(mapping: DatasetMapping) -> list[str]:
    """Every mapped table, each after all tables it references; ties keep the mapping's own order."""
    return list(graph(mapping).order)


def erase_order(mapping: DatasetMapping) -> list[str]:
    """Children before parents."""
    return list(reversed(graph(mapping).order))


def _build(mapping: DatasetMapping) -> Graph:
    references = [ref for ref in mapping.reference_list() if ref.parent != ref.table]
    parents = {name: tuple(ref for ref in references if ref.table == name) for name in mapping.tables}
    children = {name: tuple(ref for ref in references if ref.parent == name) for name in mapping.tables}
    placed: list[str] = []
    remaining = list(mapping.tables)
    while remaining:
        for table in remaining:
            if {ref.parent for ref in parents[table] if ref.parent in mapping.tables} <= set(placed):
                placed.append(table)
                remaining.remove(table)
                break
        else:  # a cycle; the loader refuses those, so only an unvalidated mapping gets here
            placed += remaining
            break
    return Graph(tuple(placed), parents, children)


def find_cycle(mapping: DatasetMapping) -> list[str]:
    """A circle of references between different tables, as `[a, b, …, a]`, or `[]` when there is none."""
    edges: dict[str, list[str]] = {name: [] for name in mapping.tables}
    for ref in mapping.reference_list():
        if ref.parent in edges and ref.parent != ref.table:
            edges[ref.table].append(ref.parent)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return []

    for name in edges:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []
