"""The layering in docs/architecture.md, checked over the source's imports.

Every import counts — module-level and inside functions, because a deferred import is still a dependency
that a cycle can run through; only imports under `if TYPE_CHECKING:` are exempt, since they never run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
ROOT_PACKAGE = "custos"
# The layers of docs/architecture.md, lowest first; a package may import its own layer's and lower layers'
# packages. Inside the base and domain layers the order written is the order a cycle is cut in: an import
# from an earlier package to a later one is the edge that has to go (see `upward_edges`).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("errors", "clock", "actor", "texts", "jurisdiction", "settings", "mail", "crypto", "policy", "db")),
    ("audit", ("audit",)),
    ("work", ("work", "runtime")),
    (
        "domain",
        (
            "access",
            "notice",
            "consent",
            "register",
            "systems",
            "retention",
            "requests",
            "incidents",
            "mailings",
            "casework",
            "records",
            "invariants",
            "jobs",
            "setup",
            "demo",
        ),
    ),
    # Alembic's environment (db/migrations) is an entry point like the CLI: Alembic runs it, nothing imports it.
    ("edges", ("tables", "migrations", "web", "cli", "app", "__main__")),
)
# Nothing below the edges may import these (they are where a request or a command arrives, so a service
# reaching into them would tie it to one way of being called).
EDGE_PACKAGES = frozenset({"web", "cli"})
LAYER_OF = {package: layer for layer, (_, packages) in enumerate(LAYERS) for package in packages}
ORDER = {package: position for _, packages in LAYERS for position, package in enumerate(packages)}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path.relative_to(SRC.parent)}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted((SRC / ROOT_PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that runs: walks into functions and classes, skips `if TYPE_CHECKING:` bodies."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str | None:
    if node.level == 0:
        return node.module
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _graph() -> list[Edge]:
    modules = _modules()
    edges: list[Edge] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(module, path, node)
                if base is None:
                    continue
                for alias in node.names:
                    # `from custos.register import people` depends on the module, not on the package's __init__
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target.startswith(ROOT_PACKAGE + ".") and target != module:
                    edges.append(Edge(module, target, path, node.lineno))
    return edges


def package_of(module: str) -> str:
    """`custos.register.people` → `register`; a top-level module (`custos.work`) is its own package."""
    if module.startswith("custos.db.migrations"):
        return "migrations"
    return module.split(".")[1]


def _strongly_connected(nodes: set[str], successors: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; returns only the components that are cycles (more than one member)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(successors.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def _describe(component: list[str], edges: list[Edge]) -> str:
    members = set(component)
    lines = [" <-> ".join(component)]
    lines += [
        f"    {edge.source} -> {edge.target}: {edge.where()}"
        for edge in _unique(edges)
        if edge.source in members and edge.target in members
    ]
    return "\n".join(lines)


def _unique(edges: list[Edge]) -> list[Edge]:
    """One edge per import statement (`from x import a, b` names the module once)."""
    seen: set[tuple[str, str, int]] = set()
    unique: list[Edge] = []
    for edge in edges:
        if (edge.source, edge.target, edge.line) not in seen:
            seen.add((edge.source, edge.target, edge.line))
            unique.append(edge)
    return unique


def edge_imports() -> list[str]:
    edges = LAYER_OF["web"]
    return [
        f"{edge.source} imports {edge.target} ({edge.where()})"
        for edge in _unique(_graph())
        if LAYER_OF.get(package_of(edge.source)) != edges and package_of(edge.target) in EDGE_PACKAGES
    ]


def unplaced_packages() -> list[str]:
    return sorted({package_of(module) for module in _modules() if module != ROOT_PACKAGE} - set(LAYER_OF))


def _against_order(edge: Edge, within: bool) -> bool:
    source, target = package_of(edge.source), package_of(edge.target)
    if source == target or source not in LAYER_OF or target not in LAYER_OF:
        return False
    if LAYER_OF[source] != LAYER_OF[target]:
        return LAYER_OF[source] < LAYER_OF[target]
    return within and ORDER[source] < ORDER[target] and LAYERS[LAYER_OF[source]][0] != "edges"


def layer_violations() -> list[str]:
    """Imports from a lower layer into a higher one."""
    return [
        f"{package_of(edge.source)} -> {package_of(edge.target)}: {edge.where()} imports {edge.target}"
        for edge in _unique(_graph())
        if _against_order(edge, within=False)
    ]


def package_cycles() -> list[str]:
    """Each cycle between packages, with the imports in it that run against the documented order: the
    earlier package importing the later one is the edge to cut."""
    edges = _unique(_graph())
    successors: dict[str, set[str]] = defaultdict(set)
    packages: set[str] = set()
    for edge in edges:
        source, target = package_of(edge.source), package_of(edge.target)
        packages |= {source, target}
        if source != target:
            successors[source].add(target)
    found: list[str] = []
    for component in _strongly_connected(packages, successors):
        members = set(component)
        lines = [" <-> ".join(component)]
        lines += [
            f"    {package_of(edge.source)} -> {package_of(edge.target)}: {edge.where()} imports {edge.target}"
            for edge in edges
            if package_of(edge.source) in members
            and package_of(edge.target) in members
            and _against_order(edge, within=True)
        ]
        found.append("\n".join(lines))
    return found


def module_cycles() -> list[str]:
    edges = _graph()
    by_package: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        if package_of(edge.source) == package_of(edge.target):
            by_package[package_of(edge.source)].append(edge)
    found: list[str] = []
    for _, inner in sorted(by_package.items()):
        successors: dict[str, set[str]] = defaultdict(set)
        for edge in inner:
            successors[edge.source].add(edge.target)
        nodes = {edge.source for edge in inner} | {edge.target for edge in inner}
        found += [_describe(component, inner) for component in _strongly_connected(nodes, successors)]
    return found


def test_nothing_below_the_edges_imports_them() -> None:
    assert edge_imports() == []


def test_every_package_has_a_layer() -> None:
    assert unplaced_packages() == []


def test_no_package_imports_a_higher_layer() -> None:
    violations = layer_violations()
    assert not violations, "\n" + "\n".join(violations)


def test_no_import_cycles_between_packages() -> None:
    cycles = package_cycles()
    assert not cycles, "\n" + "\n".join(cycles)


def test_no_import_cycles_between_modules_of_a_package() -> None:
    cycles = module_cycles()
    assert not cycles, "\n" + "\n".join(cycles)


def test_the_checker_sees_function_level_imports_and_skips_type_checking_ones(tmp_path: Path) -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import a\n"
        "if TYPE_CHECKING:\n    import b\nelse:\n    import c\n"
        "def f():\n    import d\n"
        "class K:\n    def g(self):\n        from e import x\n"
    )
    names = sorted(
        alias.name if isinstance(node, ast.Import) else str(node.module)
        for node in _imports(tree)
        for alias in node.names
    )
    assert names == ["a", "c", "d", "e", "typing"]
