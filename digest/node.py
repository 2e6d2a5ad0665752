"""The plain values a YAML document becomes (yamlfile.py makes them): apart from the
parser, so that the stages that only read them (validate, config, the registry) and the
cache of parsed settings files (settingscache.py) do without importing YAML."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    """A plain YAML value and the 1-based file line where it starts.

    `value` is str, int, float, bool or None for scalars, a tuple of Nodes for a
    sequence, and a tuple of (key, Node) pairs (keys unique, file order) for a mapping.
    """

    value: object
    line: int
    kind: str  # text, number, boolean, null, list, mapping

    def plain(self) -> object:
        """The value with all Nodes unwrapped (lists and dicts)."""
        if self.kind == "list":
            return [n.plain() for n in self.value]
        if self.kind == "mapping":
            return {k: n.plain() for k, n in self.value}
        return self.value
