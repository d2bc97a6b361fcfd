"""Line numbers for paths in a YAML file, from the composed node tree (yaml.compose keeps start marks)."""

from __future__ import annotations

from yaml import MappingNode, Node, ScalarNode, SequenceNode

from custos.errors import Problem
from custos.policy.findings import Loc, format_path


class NodeLocator:
    """Maps a data path such as `("activities", 1, "retention")` to the 1-based line where it is written."""

    def __init__(self, root: Node | None) -> None:
        self._root = root

    def locate(self, loc: Loc, *, missing_key: bool = False) -> tuple[Loc, int | None]:
        """The path as written in the file, and its line.

        Parts the file does not contain are dropped (pydantic adds union member names to error paths);
        with `missing_key` the last part is kept, since it names the key the user has to add, and the line
        is that of the mapping it belongs in.
        """
        node = self._root
        line = _line(node)
        kept: list[str | int] = []
        for position, part in enumerate(loc):
            child = _child(node, part)
            if child is None:
                if missing_key and position == len(loc) - 1:
                    kept.append(part)
                continue
            key_line, node = child
            kept.append(part)
            line = key_line
        return tuple(kept), line

    def duplicate_keys(self) -> list[Problem]:
        """YAML loaders silently keep the last of two equal keys; a policy must not lose a statement so."""
        problems: list[Problem] = []
        _collect_duplicates(self._root, (), problems)
        return problems


def _line(node: Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


def _child(node: Node | None, part: str | int) -> tuple[int | None, Node] | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key, value in reversed(node.value):  # the last of duplicate keys is the one that is loaded
            if isinstance(key, ScalarNode) and key.value == part:
                return _line(key), value
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return _line(item), item
    return None


def _collect_duplicates(node: Node | None, loc: Loc, problems: list[Problem]) -> None:
    if isinstance(node, MappingNode):
        seen: dict[str, int | None] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            if name is not None and name in seen:
                problems.append(
                    Problem(
                        location=format_path((*loc, name)),
                        line=_line(key),
                        message=f"the key {name!r} appears twice in one mapping (first on line {seen[name]})",
                        hint="merge the two entries; only the last one would be read",
                    )
                )
            elif name is not None:
                seen[name] = _line(key)
            _collect_duplicates(value, (*loc, name) if name is not None else loc, problems)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _collect_duplicates(item, (*loc, index), problems)
