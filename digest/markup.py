"""The one configured Markdown parser, and the safety rules for item bodies.

CommonMark with tables and strikethrough; raw HTML off (it shows as text); links and
images only to http, https, mailto or relative URLs; external links get
rel="noopener". A body is parsed once: the same tokens give the HTML and the problems
(with lines, from the tokens' source maps)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ALLOWED_SCHEMES = ("http", "https", "mailto")
# Browsers drop ASCII whitespace and control characters inside a scheme ("java\tscript:"),
# so they are dropped here before the scheme is read.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


DESCRIPTION_CHARS = 160  # a page's meta description: what search results show
_TAG = re.compile(r"<[^>]+>")
_PARTIAL_END = re.compile(r"<[^>]*$|&[#a-zA-Z0-9]*$")

DELIMITERS = "[]*_"
MAX_DELIMITERS = 20_000


@dataclass(frozen=True, slots=True)
class BodyIssue:
    """A problem in a body: `line` counts from the body's first line (0-based)."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """A body as HTML, with what was wrong in it."""

    html: str
    issues: tuple[BodyIssue, ...]


@cache
def _parser() -> MarkdownIt:
    # Made on first use: a build with nothing to check or render never imports
    # markdown-it (its start-up is a tenth of a no-change rebuild).
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    # Links are judged after parsing (so that a bad one can be reported with its line);
    # the parser keeps them all as links for now.
    md.validateLink = lambda url: True
    # Past maxNesting levels of lists and quotes, markdown-it drops the rest of the text
    # without a word: note where, so that render() reports it instead.
    tokenize = md.block.tokenize
    limit = md.options["maxNesting"]  # 20: a quote takes one level, a list two

    def tokenize_noting_depth(state, start: int, end: int) -> None:
        if state.level >= limit and state.skipEmptyLines(start) < end:
            state.env.setdefault(_TOO_DEEP, start)
        tokenize(state, start, end)

    md.block.tokenize = tokenize_noting_depth
    return md


_TOO_DEEP = "digest:too-deep"


def url_scheme(url: str) -> str | None:
    """The scheme a browser would read from `url` (lowercase), or None for a relative URL."""
    # markdown-it percent-encodes what it normalises ("java%09script:"); decode first so
    # that no spelling of a scheme slips past.
    m = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", unquote(url)).lower())
    return m[1] if m else None


def is_safe_url(url: str) -> bool:
    """Whether a link target may appear in a page: http(s), mailto or relative."""
    scheme = url_scheme(url)
    return scheme is None or scheme in ALLOWED_SCHEMES


def is_external(url: str) -> bool:
    """Whether a link leaves the site."""
    return url_scheme(url) in ("http", "https") or url.startswith("//")


def render(text: str) -> Rendered:
    """Markdown -> safe HTML plus the issues found (unsafe links are reported and
    rendered as plain text)."""
    # (A text shorter than the limit cannot have too many: most bodies are not counted.)
    delimiters = sum(text.count(ch) for ch in DELIMITERS) if len(text) > MAX_DELIMITERS else 0
    if delimiters > MAX_DELIMITERS:
        # markdown-it-py spends some 20 microseconds on each of these: a file of nothing
        # else would take half a minute. No news item needs this many, so it is refused
        # before parsing, which keeps every body's cost bounded.
        message = (
            f"has {delimiters:,} of the characters {' '.join(DELIMITERS)}; the limit is "
            f"{MAX_DELIMITERS:,} (Markdown slows down on each one)"
        )
        return Rendered("", (BodyIssue(0, message),))
    env: dict[str, int] = {}
    md = _parser()
    tokens = md.parse(text, env)
    issues: list[BodyIssue] = []
    if _TOO_DEEP in env:
        issues.append(
            BodyIssue(
                env[_TOO_DEEP],
                "lists or quotes are nested too deeply (past 20 quotes or 10 lists); "
                "the text from this line on would be lost",
            )
        )
    for token in tokens:
        # A link or an image starts at a '[' (or '![') or an autolink's '<': without
        # either in its source, an inline token has nothing to clean.
        if (
            token.type == "inline"
            and token.children
            and ("[" in token.content or "<" in token.content)
        ):
            token.children = _clean_inline(token, issues)
    html = md.renderer.render(tokens, md.options, {})
    return Rendered(html, tuple(issues))


def render_inline(text: str) -> str:
    """One line of Markdown (an intro sentence, a disclaimer) as inline HTML."""
    return render(text).html.strip().removeprefix("<p>").removesuffix("</p>")


def _clean_inline(parent: Token, issues: list[BodyIssue]) -> list[Token]:
    first_line = parent.map[0] if parent.map else 0
    line = first_line
    out: list[Token] = []
    dropping: list[bool] = []  # one flag per open link: was it dropped?
    for child in parent.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        if child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if is_safe_url(href):
                if is_external(href):
                    child.attrSet("rel", "noopener")
                dropping.append(False)
                out.append(child)
            else:
                issues.append(BodyIssue(line, _unsafe("link", href)))
                dropping.append(True)
            continue
        if child.type == "link_close":
            if not (dropping and dropping.pop()):
                out.append(child)
            continue
        if child.type == "image":
            src = str(child.attrGet("src") or "")
            if not is_safe_url(src):
                issues.append(BodyIssue(line, _unsafe("image", src)))
                alt = type(child)("text", "", 0)
                alt.content = child.content
                out.append(alt)
                continue
        out.append(child)
    return out


def _unsafe(what: str, url: str) -> str:
    scheme = url_scheme(url)
    return f"{what} to a {scheme}: URL is not allowed (only http, https, mailto and relative links)"


def describe(markup: str, limit: int = DESCRIPTION_CHARS) -> str:
    """Plain text of an HTML fragment, cut at a word to at most `limit` characters."""
    # Only the beginning of a long body can make the description: the text of a prefix
    # (less a tag or entity the cut went through) is a prefix of the whole text, so when
    # it is long enough the result is the same, without cleaning the whole body. Twice
    # the limit is enough for nearly every body (all 10,000 of the benchmark's); one
    # that opens with much markup (links, a table) tries a longer prefix.
    text = ""
    for size in (limit * 2, limit * 8):
        if size >= len(markup):
            break
        text = _plain(_cut_partial(markup[:size]))
        if len(text) > limit:
            break
    if len(text) <= limit:
        text = _plain(markup)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def _cut_partial(head: str) -> str:
    """`head` less a tag or entity cut through at its end."""
    # Neither can contain a '>', so only the text after the last one is searched: the
    # pattern tried at every position of the whole head cost more than the rest of
    # describe().
    start = head.rfind(">") + 1
    return head[:start] + _PARTIAL_END.sub("", head[start:])


def _plain(markup: str) -> str:
    # str.split() splits at exactly the characters `\s` matches (both ask
    # Py_UNICODE_ISSPACE), and is several times faster than a regex substitution that
    # replaces each single space with a space.
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())
