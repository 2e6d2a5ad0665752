"""Safe YAML with line numbers: a document becomes plain values (`Node`s that keep their
file line), and everything YAML can do beyond plain data is a problem, not an object.

PyYAML's `compose()` gives nodes with marks; we build the values ourselves instead of
calling a constructor, so that duplicate keys, tags that would construct objects,
aliases (and so alias bombs) and impossible timestamps are caught and reported with
their line instead of being silently accepted or raising.

Most front matter is nothing but `key: value` lines, each value a quoted or plain
scalar or a flow list of plain ones: `_one_line_fields` reads that shape directly, to
the very Nodes the parser would give (the same tag resolution, the same scalar rules),
in half the time; anything else, down to a comment or a tab, goes to the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml
from yaml.resolver import Resolver

from .node import Node

# The safe loader's implicit tags by a plain scalar's first character ('' for an empty
# one), each followed by those for any first character, in the order Resolver.resolve
# tries them.
_WILDCARD = tuple(Resolver.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT = {
    first: tuple(resolvers) + _WILDCARD
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    if first is not None
}

try:  # the C parser is about ten times faster; the pure one is a fallback, never a hard need
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader
else:

    class _Loader(CParser):  # type: ignore[no-redef]
        """yaml.CSafeLoader as compose() uses it: the C parser and the safe loader's tags.

        The parser calls back into Python for every node (resolve, descend_resolver,
        ascend_resolver), and PyYAML's versions of these were a quarter of the time of
        composing an item's front matter. No constructor: _Builder makes the values."""

        def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str | None:
            """Resolver.resolve with no path resolvers (the safe loader registers none):
            the same tags, without a new list of candidates for every scalar."""
            if kind is yaml.ScalarNode:
                return _resolve(value) if implicit[0] else Resolver.DEFAULT_SCALAR_TAG
            if kind is yaml.SequenceNode:
                return Resolver.DEFAULT_SEQUENCE_TAG
            if kind is yaml.MappingNode:
                return Resolver.DEFAULT_MAPPING_TAG
            return None

        def descend_resolver(self, current_node: object, current_index: object) -> None:
            """Nothing to do: there are no path resolvers to follow."""

        def ascend_resolver(self) -> None:
            """Nothing to do: there are no path resolvers to follow."""


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:int": "number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
    # dates stay text here: validate.py parses them strictly and reports bad ones
    "tag:yaml.org,2002:timestamp": "text",
}
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_ScalarNode = yaml.ScalarNode
_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}

MAX_NODES = 5000


@dataclass(frozen=True, slots=True)
class YamlError:
    """What is wrong with a YAML document, at a 1-based file line."""

    line: int
    message: str


def parse(text: str, first_line: int = 1) -> tuple[Node | None, list[YamlError]]:
    """Parse one YAML document whose first line is line `first_line` of its file.

    Returns the root Node (None for an empty document or on a syntax error) and the
    problems found. Never raises for bad input.
    """
    simple = _one_line_fields(text, first_line)
    if simple is not None:
        return simple, []
    offset = first_line - 1
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = (mark.line + 1 + offset) if mark else first_line
        what = err.problem or err.context or "invalid YAML"
        if err.context and err.problem:
            # the context is where the construct began, often the line the mistake is on
            started = ""
            if err.context_mark and err.context_mark.line + 1 + offset != line:
                started = f" started on line {err.context_mark.line + 1 + offset}"
            what = f"{err.problem} ({err.context}{started})"
        if "mapping values are not allowed" in what:
            # the usual cause: an unquoted value with ': ' in it, such as a title
            what += "; put a value that contains ': ' in double quotes"
        return None, [YamlError(line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as err:  # e.g. a reader error for a control character
        return None, [YamlError(first_line, f"YAML error: {_one_line(str(err))}")]
    except RecursionError:
        return None, [YamlError(first_line, "YAML error: nesting is too deep")]
    if root is None:
        return None, []
    errors: list[YamlError] = []
    builder = _Builder(offset, errors)
    try:
        node = builder.build(root, 0, root.start_mark.line + 1 + offset)
    except _TooBig:
        return None, [YamlError(first_line, f"YAML error: more than {MAX_NODES} values")]
    return node, errors


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _TooBig(Exception):
    pass


class _Builder:
    """Composed yaml nodes -> Nodes. This runs for every value of every item: at 10,000
    items its calls and lookups cost as much as the C parse itself, so the common case
    (a mapping's plain text value) is made without a call of `build`."""

    def __init__(self, offset: int, errors: list[YamlError]):
        # Marks are 0-based: +1 for a 1-based line, + offset for the file's line.
        self.shift = offset + 1
        self.errors = errors
        self.seen: set[int] = set()
        self.count = 0

    def build(self, node: yaml.Node, depth: int, used_at: int) -> Node:
        """`used_at` is the line of the key or sequence that holds `node`: an alias has
        no mark of its own, and its anchor's line would point at the wrong place."""
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig
        line = node.start_mark.line + self.shift
        seen = self.seen
        if id(node) in seen:
            # an alias: the same node reached twice. Front matter never needs one, and
            # refusing them is what makes alias bombs ("billion laughs") harmless.
            self.errors.append(YamlError(used_at, "YAML aliases (*name) are not allowed"))
            return Node(None, used_at, "null")
        seen.add(id(node))
        if depth > 20:
            self.errors.append(YamlError(line, "YAML nesting is deeper than 20 levels"))
            return Node(None, line, "null")
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return Node(node.value, line, "text")
            return self.scalar(node, line)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.errors.append(YamlError(line, f"YAML tag {_tag(node.tag)} is not allowed"))
            build = self.build
            depth += 1
            return Node(tuple([build(n, depth, line) for n in node.value]), line, "list")
        if node.tag != _MAP:
            self.errors.append(YamlError(line, f"YAML tag {_tag(node.tag)} is not allowed"))
        return Node(self.pairs(node.value, depth + 1), line, "mapping")

    def pairs(self, items: list, depth: int) -> tuple[tuple[str, Node], ...]:
        """A mapping's (key, value) pairs, keys checked; `depth` is the values' depth."""
        pairs: list[tuple[str, Node]] = []
        keys: dict[str, int] = {}
        shift = self.shift
        seen = self.seen
        for key_node, value_node in items:
            key_line = key_node.start_mark.line + shift
            if key_node.tag == _MERGE:
                self.errors.append(YamlError(key_line, "YAML merge keys (<<) are not allowed"))
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                self.errors.append(YamlError(key_line, "a key must be plain text"))
                continue
            key = str(key_node.value)
            # `build`'s steps for a plain text value: counted, not an alias, not too deep
            if (
                value_node.__class__ is _ScalarNode
                and value_node.tag == _STR
                and depth <= 20
                and id(value_node) not in seen
                and self.count < MAX_NODES
            ):
                self.count += 1
                seen.add(id(value_node))
                value = Node(value_node.value, value_node.start_mark.line + shift, "text")
            else:
                value = self.build(value_node, depth, key_line)
            if key in keys:
                self.errors.append(
                    YamlError(key_line, f"duplicate key {key!r} (first given on line {keys[key]})")
                )
                continue
            keys[key] = key_line
            pairs.append((key, value))
        return tuple(pairs)

    def scalar(self, node: yaml.ScalarNode, line: int) -> Node:
        if node.tag not in _PLAIN_TAGS:
            self.errors.append(YamlError(line, f"YAML tag {_tag(node.tag)} is not allowed"))
            return Node(None, line, "null")
        return _scalar(node.tag, node.value, line)


def _scalar(tag: str, raw: str, line: int) -> Node:
    """The Node of a scalar whose tag is one of _PLAIN_TAGS."""
    kind = _PLAIN_TAGS[tag]
    if kind == "number":
        try:
            if tag.endswith(":int"):
                return Node(_int(raw), line, "number")
            return Node(float(raw.replace("_", "")), line, "number")
        except ValueError:
            return Node(raw, line, "text")
    if kind == "boolean":
        return Node(_BOOLS.get(raw.lower(), bool(raw)), line, "boolean")
    if kind == "null":
        return Node(None, line, "null")
    return Node(raw, line, "text")


# The one shape _one_line_fields reads: a key at the start of the line, ': ', a value.
_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*): +(.*[^ ]) *")
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*)"')  # without escapes
_SINGLE_QUOTED = re.compile(r"'([^']*)'")  # without '' (a quote)
_FLOW_LIST = re.compile(r"\[([^\[\]{}#'\"]*)\]")
# What a plain scalar cannot start with (YAML's indicators, and '-', '?' and ':', which
# can start one only when a character other than a space follows).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _one_line_fields(text: str, first_line: int) -> Node | None:
    """The mapping Node of a document made only of `key: value` lines (blank lines
    aside), each value a scalar in double quotes without escapes, in single quotes
    without a quote, a plain scalar, or a flow list of plain scalars, exactly as
    compose and _Builder make it; None for any other document (a comment, a tab, an
    empty value, a duplicate key, a value running over lines...), which the parser
    then reads. Plain scalars are taken only where YAML would read the same text: no
    ': ' or ' #' in them, no indicator first, nothing but plain scalars in a list
    (_plain_scalar)."""
    pairs: list[tuple[str, Node]] = []
    keys: set[str] = set()
    line = first_line - 1
    for raw_line in text.split("\n"):
        line += 1
        if not raw_line.strip(" "):
            continue
        field = _FIELD.fullmatch(raw_line)
        if field is None or not raw_line.isprintable():
            return None
        key, value = field.groups()
        # A key is taken as _Builder.pairs takes it: with a tag of _PLAIN_TAGS.
        if key in keys or _resolve(key) not in _PLAIN_TAGS:
            return None
        keys.add(key)
        first = value[0]
        if first == '"' or first == "'":
            quoted = (_DOUBLE_QUOTED if first == '"' else _SINGLE_QUOTED).fullmatch(value)
            if quoted is None:
                return None
            node = Node(quoted[1], line, "text")
        elif first == "[":
            listed = _FLOW_LIST.fullmatch(value)
            if listed is None:
                return None
            items = listed[1].split(",") if listed[1].strip(" ") else []
            nodes = []
            for item in items:
                item = item.strip(" ")
                scalar = _plain_scalar(item, line) if item and ":" not in item else None
                if scalar is None:
                    return None
                nodes.append(scalar)
            node = Node(tuple(nodes), line, "list")
        else:
            plain = _plain_scalar(value, line)
            if plain is None:
                return None
            node = plain
        pairs.append((key, node))
    if not pairs:
        return None  # an empty document: the parser's None
    # Past MAX_NODES values the parser's reading ends in an error.
    if 1 + len(pairs) + sum(len(n.value) for _k, n in pairs if n.kind == "list") > MAX_NODES:
        return None
    # The mapping starts where its first key does: on the line of its first value.
    return Node(tuple(pairs), pairs[0][1].line, "mapping")


def _plain_scalar(text: str, line: int) -> Node | None:
    """The Node of `text` (one line, no space at either end) as a plain scalar, when
    YAML reads it as one plain scalar of exactly this text with a tag of _PLAIN_TAGS;
    else None."""
    if text[0] in _INDICATORS or ": " in text or " #" in text or text[-1] == ":":
        return None
    tag = _resolve(text)
    return _scalar(tag, text, line) if tag in _PLAIN_TAGS else None


def _resolve(value: str) -> str:
    """The tag YAML's safe loader gives a plain scalar (Resolver.resolve)."""
    for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
        if regexp.match(value):
            return tag
    return _STR


def _int(raw: str) -> int:
    text = raw.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text.startswith("0o"):
        return sign * int(text[2:], 8)
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    return sign * int(text)


def _tag(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return repr(short)
