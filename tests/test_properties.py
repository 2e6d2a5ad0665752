"""Property-based tests (Hypothesis): whatever bytes an editor commits, checking them
gives problems or an entry, never an exception."""

from __future__ import annotations

import json
import re
import string
from html import unescape
from pathlib import Path

import yaml
from html_audit import read_text, unsafe_markup
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from site_audit import feed_html, is_feed

from digest import fields, yamlfile
from digest.items import check_item
from digest.markup import describe
from digest.registry import Agency

# What pages may hold of their own: the search script and the search box.
OWN_SCRIPTS = frozenset({"/static/search.js"})
OWN_FORMS = frozenset({"/search/"})
AGENCIES = {"CAC": Agency("CAC", "cac", "Cyberspace Administration of China", "national")}
FIELDS = ["title", "date", "category", "agencies", "source", "tags", "order", "draft", "id", "x"]

yaml_scalar = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "2023-03-23",
            "2023-03",
            "2023-13-01",
            "regulation",
            "[CAC]",
            "~",
            "&a x",
            "*a",
            "!!python/object:os.system x",
        ]
    ),
    st.integers(),
)


@st.composite
def front_matter_files(draw) -> bytes:
    """Files that look like items, with arbitrary values."""
    lines = ["---"]
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=8)):
        value = draw(yaml_scalar)
        lines.append(f"{name}: {value}")
    lines.append(draw(st.sampled_from(["---", "", "..."])))
    lines.append(draw(st.text(max_size=200)))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_problems_or_an_entry(data: bytes) -> None:
    entry, problems = check_item("2023-04/x.md", "2023-04", data, AGENCIES)
    assert (entry is None) == bool(problems)
    for p in problems:
        assert p.path == "2023-04/x.md" and p.field and p.message


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(front_matter_files())
def test_any_front_matter_gives_problems_or_an_entry(data: bytes) -> None:
    entry, problems = check_item("2023-04/x.md", "2023-04", data, AGENCIES)
    assert (entry is None) == bool(problems)
    lines = len(re.split(rb"\r\n|\r|\n", data))  # a lone CR ends a line too
    assert all(0 <= p.line <= lines for p in problems)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=string.printable + "\u202e\u200b<>&\"'", max_size=300),
        st.builds(
            "[{}]({}{})".format,
            st.text(max_size=5),
            st.sampled_from(
                [
                    "javascript:",
                    "JaVa\tScript:",
                    "&#106;avascript:",
                    "data:",
                    "vbscript:",
                    "java%0ascript:",
                    "http:",
                    "/",
                    "mailto:",
                ]
            ),
            st.text(max_size=10),
        ),
    )
)
def test_any_body_text_is_checked_without_raising(body: str) -> None:
    data = (
        "---\ntitle: T\ndate: 2023-03-01\ncategory: courts\nagencies: [CAC]\n"
        f"source: https://example.org/\n---\n{body}"
    ).encode()
    entry, problems = check_item("2023-04/x.md", "2023-04", data, AGENCIES)
    assert (entry is None) == bool(problems)
    if entry is not None:
        assert unsafe_markup(entry.html) == []


def _composed(text: str, loader) -> object:
    """A composed document as plain tuples (or the error it raises), to compare loaders."""

    def plain(node):
        if node is None:
            return None
        mark = (node.start_mark.line, node.start_mark.column)
        if isinstance(node, yaml.ScalarNode):
            return ("scalar", node.tag, node.value, mark)
        if isinstance(node, yaml.SequenceNode):
            return ("seq", node.tag, [plain(n) for n in node.value], mark)
        return ("map", node.tag, [(plain(k), plain(v)) for k, v in node.value], mark)

    try:
        return plain(yaml.compose(text, Loader=loader))
    except yaml.YAMLError as err:
        return ("error", str(err))


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(front_matter_files(), st.text(max_size=200).map(str.encode)))
def test_our_yaml_loader_tags_every_node_as_the_safe_loader_does(data: bytes) -> None:
    text = data.decode("utf-8", "replace").replace("---", "")
    assert _composed(text, yamlfile._Loader) == _composed(text, yaml.CSafeLoader)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(fields._PLAIN_HTTP_URL, fullmatch=True))
def test_a_url_taken_without_urlsplit_passes_the_full_check(url: str) -> None:
    # check_http_url skips urlsplit for these: that must never accept a URL that the
    # full check would refuse.
    fields._check_any_http_url(url)


_HTML_BITS = [
    "<p>",
    "</p>",
    '<a href="x">',
    "&amp;",
    "&#12;",
    "&lt",
    "<",
    ">",
    "&",
    "\n",
    "\t",
    " ",
]


def _describe_by_the_book(markup: str, limit: int) -> str:
    # What describe() computes, the plain way: the whole text, then the cut.
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", markup))).strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(_HTML_BITS), st.text(max_size=12)), max_size=200),
    st.integers(min_value=1, max_value=200),
)
def test_a_description_is_made_from_the_head_as_from_the_whole(bits: list[str], limit: int) -> None:
    markup = "".join(bits)
    assert describe(markup, limit) == _describe_by_the_book(markup, limit)


def test_the_audit_itself_finds_what_it_must() -> None:
    # The audit is what the safety tests lean on: it must see through these.
    assert unsafe_markup('<a href="&#106;avascript:x">a</a>') == ["<a href='javascript:x'>"]
    assert unsafe_markup('<a href="java\tscript:x">a</a>') == ["<a href='java\\tscript:x'>"]
    assert unsafe_markup("<img src=x onerror=alert(1)>") == ["<img onerror>"]
    assert unsafe_markup("<script>alert(1)</script>") == ["<script src=None>"]
    assert unsafe_markup('<a href="https://example.org">ok</a><a href="/x">ok</a>') == []


# --- Arbitrary text in every field never becomes markup ------------------------------

MARK = "<b>zqxmark</b>"  # no template uses <b>: as an element it can only come from text
HOSTILE = [
    "<script>alert(1)</script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "' onmouseover='alert(1)",
    "]]>",
    "<![CDATA[",
    "&lt;b&gt;",
    "&amp;",
    "{{ 7*7 }}",
    "{% raw %}",
    "\u202e",
    "\u200b",
    "\u2028",
    "javascript:alert(1)",
    "[x](https://example.org/)",
    "<!--",
    "`",
    "*",
    "\\",
]
piece = st.one_of(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.sampled_from(HOSTILE),
)


@st.composite
def marked_text(draw, multiline: bool = False) -> str:
    """Text with the marker somewhere in it, and hostile pieces around it."""
    parts = draw(st.lists(piece, max_size=4))
    parts.insert(draw(st.integers(0, len(parts))), MARK)
    sep = draw(st.sampled_from([" ", "", "\n"] if multiline else [" ", ""]))
    return sep.join(parts)


def _valid(convert, value: str) -> str:
    from digest import fields
    from digest.node import Node

    try:
        return convert(Node(value, 1, "text"))
    except fields.Invalid:
        reject()


@st.composite
def sites(draw):
    """A valid Site whose every free-text field holds hostile text and the marker."""
    import datetime

    from digest import fields
    from digest.config import Config
    from digest.markup import render
    from digest.model import build_site
    from digest.validate import EditionSettings, Entry

    def line() -> str:
        return _valid(fields.line_text, draw(marked_text()))

    def markdown() -> str:
        text = _valid(fields.markdown_text, draw(marked_text(multiline=True)))
        return text

    config = Config(
        title=line(),
        base_url="https://digest.example.org/",
        description=_valid(fields.long_text, draw(marked_text(multiline=True))),
        author=line(),
        disclaimer=markdown(),
        sections=(
            ("regulation", line()),
            ("enforcement", "Enforcement"),
            ("cases", "Cases"),
            ("courts", "Courts"),
        ),
    )
    agencies = {
        "CAC": Agency("CAC", "cac", line(), "national", name_zh=line(), region=line()),
    }
    body = markdown()
    rendered = render(body)
    if rendered.issues:
        reject()
    entry = Entry(
        id="item",
        path="2023-04/item.md",
        edition="2023-04",
        title=line(),
        title_zh=line(),
        date=datetime.date(2023, 3, 23),
        date_precision="day",
        category="regulation",
        agencies=("CAC",),
        sources=("https://example.org/a?q=<b>x</b>",),
        body=body,
        html=rendered.html,
        tags=("pipl",),
    )
    edition = EditionSettings(
        key="2023-04", path="2023-04/edition.yaml", title=line(), intro=markdown()
    )
    site, problems = build_site(config, agencies, [entry], [edition])
    assert problems == []
    return site


def _render_all(site):
    from digest.feeds import render_feeds
    from digest.render import render_pages
    from digest.searchindex import render_search_index
    from digest.templating import environment
    from digest.theme import find_theme

    env = environment(find_theme(Path(__file__).parent / "sites" / "basic" / "entries").templates)
    return render_pages(site, env).outputs + render_feeds(site) + render_search_index(site)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(sites())
def test_no_text_in_any_field_becomes_markup_in_any_page_or_feed(site) -> None:
    outputs = {o.path: o.data for o in _render_all(site)}
    checked = 0
    for path, data in outputs.items():
        if path == "search/index.json":
            # Data for our script, which shows it as text nodes: it must parse, and
            # carry the text as it was written.
            assert MARK in json.loads(data)["items"][0][2]
            continue
        if path.endswith(".html"):
            fragments = [(path, data.decode())]
            for block in read_text(fragments[0][1])[1]:
                json.loads(block)  # JSON-LD parses whatever the text
        elif is_feed(path):
            fragments = feed_html(path, data)
        else:
            continue
        for where, html in fragments:
            # Pages may hold our own script and search box; feeds nothing of the kind.
            assert unsafe_markup(html, OWN_SCRIPTS, OWN_FORMS) == [], where
            assert "zqxmark" not in "".join(read_text(html, watch="b")[2]), where
            checked += 1
    # The marker is shown, as text, where the title is.
    shown = read_text(outputs["entries/item/index.html"].decode())[0]
    assert MARK in shown
    assert checked > 10
