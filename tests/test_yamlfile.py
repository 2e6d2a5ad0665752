"""yamlfile.parse: the front matter read without the parser (`_one_line_fields`) is the
same Node the parser gives, and every shape it cannot vouch for goes to the parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest import yamlfile
from digest.load import decode, split_front_matter
from digest.node import Node

ROOT = Path(__file__).resolve().parent.parent


def parsed(text: str, first_line: int = 2):
    """What the parser (compose, then _Builder) gives, without the shortcut."""
    shortcut = yamlfile._one_line_fields
    yamlfile._one_line_fields = lambda text, first_line: None
    try:
        return yamlfile.parse(text, first_line)
    finally:
        yamlfile._one_line_fields = shortcut


ITEM = (
    'title: "CAC Publishes the Measures: Standard Contract"\n'
    "date: 2023-03-23\n"
    "category: regulation\n"
    "agencies: [CAC, State Council]\n"
    "source: https://www.cac.gov.cn/2023-02/24/c_1678884830036813.htm?a=1&b=2#x\n"
    "order: 4\n"
    "draft: no\n"
    "tags: []\n"
    "title_zh: '个人信息出境标准合同办法'\n"
    "\n"
)


def test_an_item_front_matter_is_read_without_the_parser() -> None:
    node = yamlfile._one_line_fields(ITEM, 2)
    assert node == Node(
        (
            ("title", Node("CAC Publishes the Measures: Standard Contract", 2, "text")),
            ("date", Node("2023-03-23", 3, "text")),
            ("category", Node("regulation", 4, "text")),
            (
                "agencies",
                Node((Node("CAC", 5, "text"), Node("State Council", 5, "text")), 5, "list"),
            ),
            (
                "source",
                Node(
                    "https://www.cac.gov.cn/2023-02/24/c_1678884830036813.htm?a=1&b=2#x", 6, "text"
                ),
            ),
            ("order", Node(4, 7, "number")),
            ("draft", Node(False, 8, "boolean")),
            ("tags", Node((), 9, "list")),
            ("title_zh", Node("个人信息出境标准合同办法", 10, "text")),
        ),
        2,
        "mapping",
    )
    assert (node, []) == parsed(ITEM)


def test_every_item_of_the_edition_we_publish_reads_as_the_parser_reads_it() -> None:
    """The real edition: the shortcut takes nearly every file, each to the parser's
    Node (the few it leaves have escapes in their titles)."""
    taken = 0
    files = sorted((ROOT / "entries").glob("*/*.md"))
    for path in files:
        text, _problems = decode(path.name, path.read_bytes())
        assert text is not None
        front, _body, _line, _problems = split_front_matter(path.name, text)
        assert front is not None
        node = yamlfile._one_line_fields(front, 2)
        if node is not None:
            taken += 1
            assert (node, []) == parsed(front)
    assert len(files) == 30
    assert taken == 27


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty: the parser's None
        "\n\n",
        "# a comment\ntitle: x\n",
        "title: x # a comment\n",
        "title: x\n  more of the title\n",  # a plain scalar over two lines
        " title: x\n",
        "title:\tx\n",
        "title: x\ttab\n",
        "title:\n",  # an empty value starts where the next token does
        "title: \n",
        "title:x\n",  # not a mapping at all
        "title : x\n",
        "title: x\ntitle: y\n",  # a duplicate key: the parser says so
        "title: a: b\n",
        "title: a:\n",
        'title: "a \\" b"\n',  # an escape
        'title: "a" b\n',
        "title: 'it''s'\n",
        "title: &anchor x\n",
        "title: *alias\n",
        "title: !!str 1\n",
        "title: |\n  x\n",
        "title: >\n  x\n",
        "title: {a: 1}\n",
        "title: - x\n",
        "title: -1\n",
        "title: ?x\n",
        "title: %x\n",
        "title: @x\n",
        "title: `x`\n",
        "title: <<\n",  # the merge tag
        "title: =\n",  # the value tag
        "<<: x\n",
        "tags: [a, [b]]\n",
        "tags: [a, {b: 1}]\n",
        "tags: [a: b]\n",
        "tags: [a, b,]\n",
        "tags: [, a]\n",
        "tags: [a, 'b']\n",
        'tags: [a, "b"]\n',
        "tags: [a #b]\n",
        "tags: [a, -b]\n",
        "tags: [a,\n  b]\n",
        "tags: [a] x\n",
        "title: x\u00a0y\n",  # a no-break space: printable to YAML, not to str.isprintable
        "title: x\u2028y\n",  # a line break to YAML
        "title: x\x85y\n",
        "title: \ufeffx\n",
        "%YAML 1.1\ntitle: x\n",
        "tags: [" + ", ".join(["a"] * yamlfile.MAX_NODES) + "]\n",
    ],
)
def test_what_the_shortcut_leaves_to_the_parser(text: str) -> None:
    assert yamlfile._one_line_fields(text, 2) is None


# Keys and values that YAML reads in ways easy to get wrong: numbers, booleans, nulls
# and dates by YAML 1.1's rules, indicators, quotes, comments, colons.
NAMES = ["title", "tags", "date", "a-b", "_x", "yes", "No", "null", "on", "y", "x1"]
KEYS = [*NAMES, "<<", "=", "~", "1", "-x"]
WORDS = [
    "x",
    "regulation",
    "State Council",
    "People's Court",
    'a"b',
    "a:b",
    "a#b",
    "a #b",
    "a: b",
    "a:",
    "1",
    "-1",
    "+1",
    "0x1F",
    "0o17",
    "0b101",
    "017",
    "1_000",
    "1:30",
    ".5",
    "1.5",
    "1e3",
    "1.5e+3",
    "-.inf",
    ".NaN",
    ".inf",
    "~",
    "null",
    "Null",
    "NULL",
    "yes",
    "Yes",
    "NO",
    "off",
    "On",
    "y",
    "n",
    "true",
    "False",
    "2023-03-23",
    "2023-3-1",
    "2023-03-23 10:00:00",
    "2023-03-23T10:00:00Z",
    "2023-13-45",
    "<<",
    "=",
    "https://example.gov.cn/a_b/c?d=1&e=2#f",
    "中文",
    "é",
    "x\u00a0y",
    "&a",
    "*a",
    "!a",
    "|",
    ">",
    "-",
    "- a",
    "?",
    "? a",
    "%",
    "@",
    "`",
    ",",
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    "a'",
    "a\\b",
    "",
]
PLAIN = st.sampled_from(WORDS)
VALUES = st.one_of(
    PLAIN,
    PLAIN,
    PLAIN,
    PLAIN.map(lambda w: f'"{w}"'),
    PLAIN.map(lambda w: f"'{w}'"),
    st.lists(PLAIN, max_size=3).map(lambda ws: "[" + ", ".join(ws) + "]"),
    st.lists(PLAIN, max_size=3).map(lambda ws: "[" + ",".join(ws) + "]"),
)
# Lines of every kind: most documents of these go to the parser.
ANY_LINE = st.one_of(
    st.tuples(
        st.sampled_from(KEYS),
        st.sampled_from([": ", ":  ", ":", " : ", ":\t"]),
        st.one_of(VALUES, st.text(max_size=12)),
        st.sampled_from(["", " ", "  ", " # c", "\t"]),
    ).map("".join),
    st.sampled_from(["", "   ", "# comment", "  indented: x", "---", "...", "- x"]),
)
# Fields of the shape the shortcut reads, each key once: many documents it reads.
FIELDS = st.lists(
    st.tuples(st.sampled_from(NAMES), VALUES), unique_by=lambda kv: kv[0], max_size=6
).map(lambda kvs: [f"{k}: {v}" for k, v in kvs])


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(FIELDS, st.lists(ANY_LINE, max_size=6)), st.integers(1, 30))
@example(["title: 1:30", "tags: [yes, ~, 0x1F, .5]"], 2)
@example(["yes: x", "no: y"], 1)
def test_the_shortcut_gives_what_the_parser_gives_whenever_it_answers(
    lines: list[str], first_line: int
) -> None:
    text = "\n".join(lines) + "\n"
    node = yamlfile._one_line_fields(text, first_line)
    if node is not None:
        assert (node, []) == parsed(text, first_line)


def test_each_word_in_each_form_reads_as_the_parser_reads_it() -> None:
    """Every word above as a plain, quoted and listed value: where the shortcut answers
    (for most of them), its Node is the parser's."""
    forms = [str, '"{}"'.format, "'{}'".format, "[{}]".format, "[a, {}, 2]".format]
    answered = 0
    for word in WORDS:
        for form in forms:
            text = f"title: {form(word)}\n"
            node = yamlfile._one_line_fields(text, 5)
            if node is not None:
                answered += 1
                assert (node, []) == parsed(text, 5), text
    assert answered >= 200
