"""Plain text <-> Markdown for item bodies: what `digest import` writes into an entry,
and what the text export prints from one.

An imported paragraph is made Markdown by escaping only the characters Markdown would
act on, so ordinary prose is written as it was. The way back reads the Markdown's
tokens: emphasis and escapes disappear, a link becomes 'text (URL)', and paragraphs
join into one line (the newsletter's layout has one paragraph per item)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from markdown_it import MarkdownIt
from markdown_it.token import Token

# Parsing only (never rendering): the same syntax as markup.py's parser.
_MD = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

_INLINE_ACTIVE = re.compile(r"([\\`*_\[\]<>~|])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d{1,9}(?=[.)]))")
_RULE = re.compile(r"^\s*([-=_*])(\s*\1)+\s*$")


def to_markdown(text: str) -> str:
    """One paragraph of plain text as Markdown that renders to the same text."""
    out = []
    for line in text.split("\n"):
        line = _ENTITY.sub("&amp;", _INLINE_ACTIVE.sub(r"\\\1", line))
        if _RULE.match(line):
            line = "\\" + line.lstrip()
        else:
            # a line may not open a heading, quote, list or setext underline
            m = _BLOCK_START.match(line)
            if m:
                lead, mark = m.groups()
                if mark.isdigit():
                    rest = line[m.end() :]
                    line = f"{lead}{mark}\\{rest}"
                else:
                    line = f"{lead}\\{line[len(lead) :]}"
        out.append(line)
    return "\n".join(out)


def from_markdown(markdown: str, base: str = "") -> str:
    """Markdown as one line of plain text; relative link targets are resolved against
    `base` when it is given (a text read away from the site has no page to be relative to)."""
    parts: list[str] = []
    for token in _MD.parse(markdown):
        if token.type == "inline":
            parts.append(_inline_text(token.children or [], base))
        elif token.type in ("code_block", "fence"):
            parts.append(" ".join(token.content.split()))
    return " ".join(p for p in (" ".join(part.split()) for part in parts) if p)


def _inline_text(children: list[Token], base: str) -> str:
    out: list[str] = []
    href_stack: list[tuple[str, int]] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
        elif child.type == "link_open":
            href_stack.append((str(child.attrGet("href") or ""), len(out)))
        elif child.type == "link_close" and href_stack:
            href, start = href_stack.pop()
            href = urljoin(base, href) if base else href
            label = "".join(out[start:]).strip()
            if href and href not in (label, f"mailto:{label}"):
                out.append(f" ({href})")
    return "".join(out)
