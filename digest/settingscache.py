"""Settings files as an earlier build parsed them, kept in the cache folder with the text
they were parsed from. A rebuild whose site.yaml, agencies.yaml and edition.yaml are
unchanged takes their values from here and never imports the YAML parser, which is
some 40 ms of a rebuild after one item was edited (that item is parsed in a process of
its own: see items.check_sources).

What this gives is what parsing gives: a document is kept only when it parsed without a
problem, it is used only for the very same text (compared whole: settings files are
small), and only by the same code (the cache's fingerprint is the code's). A cache file
that cannot be read is ignored and written again."""

from __future__ import annotations

from pathlib import Path

from .cache import folder_file, read_blob, write_blob
from .node import Node

_FORMAT = "settings-1"


def pack(node: Node | None) -> tuple | None:
    """A Node as plain tuples: (value, line, kind), a list's value the tuple of its
    items packed, a mapping's the tuple of its (key, value packed) pairs."""
    if node is None:
        return None
    if node.kind == "list":
        value: object = tuple(pack(item) for item in node.value)  # type: ignore[attr-defined]
    elif node.kind == "mapping":
        value = tuple((key, pack(item)) for key, item in node.value)  # type: ignore[attr-defined]
    else:
        value = node.value
    return (value, node.line, node.kind)


def unpack(packed: tuple | None) -> Node | None:
    """The Node `pack` was given."""
    if packed is None:
        return None
    value, line, kind = packed
    if kind == "list":
        value = tuple(unpack(item) for item in value)
    elif kind == "mapping":
        value = tuple((key, unpack(item)) for key, item in value)
    return Node(value, line, kind)


class ParsedSettings:
    """The settings files of one entries folder as parsed, by path: look one up by its
    text, keep what was parsed afresh, and save (only when something changed)."""

    def __init__(self, cache_dir: Path, root: Path, fingerprint: str):
        self.path = folder_file(cache_dir, "settings", root)
        self.fingerprint = f"{_FORMAT} {fingerprint}"
        value = read_blob(self.path, self.fingerprint)
        self.old: dict[str, tuple[str, tuple | None]] = value if isinstance(value, dict) else {}
        self.new: dict[str, tuple[str, tuple | None]] = {}

    def get(self, rel: str, text: str) -> tuple[bool, Node | None]:
        """(True, the root Node) when `rel` was parsed from this very text (the root is
        None for an empty document), else (False, None)."""
        kept = self.old.get(rel)
        if kept is None or type(kept) is not tuple or len(kept) != 2 or kept[0] != text:
            return False, None
        try:
            node = unpack(kept[1])
        except (TypeError, ValueError):  # a well-formed file of another layout
            return False, None
        self.new[rel] = kept
        return True, node

    def put(self, rel: str, text: str, node: Node | None) -> None:
        """Keep the root Node parsed without a problem from `rel`'s text."""
        self.new[rel] = (text, pack(node))

    def save(self) -> None:
        """Write the kept documents, when they are not those read (a file changed, was
        added or went away)."""
        if self.new != self.old:
            write_blob(self.path, self.fingerprint, self.new)
